package emulator_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/emulator"
	"github.com/lambctl/lamb/emulator/emulatortest"
)

// streamName is how Lambda names a log stream: the date, the version in
// brackets, 32 hex digits.
var streamName = regexp.MustCompile(`^\d{4}/\d{2}/\d{2}/\[(\$LATEST|\d+)\][0-9a-f]{32}$`)

// TestInvokeLogsInCloudWatchLogs: what a real aws-lambda-go function
// prints, with Lambda's START, END and REPORT lines, is in its log group
// (/aws/lambda/NAME) under its environment's stream, for the real
// cloudwatchlogs client — for synchronous and Event invokes — and still
// reaches Options.Logs.
func TestInvokeLogsInCloudWatchLogs(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs a function")
	}
	var mu sync.Mutex
	var printed []emulator.LogLine
	k := emulatortest.New(t, emulatortest.WithRuntime(), emulatortest.WithOptions(emulator.Options{Logs: func(l emulator.LogLine) {
		mu.Lock()
		printed = append(printed, l)
		mu.Unlock()
	}}))
	k.CreateFunction(t, emulatortest.CreateInput("probe", probeZip(t)))
	ctx := context.Background()
	out, err := k.Lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("probe"), Payload: []byte(`{"action":"env"}`)})
	if err != nil || out.FunctionError != nil {
		t.Fatalf("invoke: %v %s", err, out.Payload)
	}
	r := decodeReply(t, out.Payload)
	stream := r.Env["AWS_LAMBDA_LOG_STREAM_NAME"]
	if !streamName.MatchString(stream) || r.Env["AWS_LAMBDA_LOG_GROUP_NAME"] != "/aws/lambda/probe" {
		t.Fatalf("environment's log group and stream: %q %q", r.Env["AWS_LAMBDA_LOG_GROUP_NAME"], stream)
	}
	if _, err := k.Lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("probe"), InvocationType: types.InvocationTypeEvent,
		Payload: []byte(`{"action":"echo"}`)}); err != nil {
		t.Fatal(err)
	}

	logs := cloudwatchlogs.NewFromConfig(k.AWSConfig)
	// The Event invoke ends in the background: poll, with a deadline.
	var events []string
	for deadline := time.Now().Add(10 * time.Second); ; {
		got, err := logs.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/aws/lambda/probe")})
		if err != nil {
			t.Fatal(err)
		}
		events = events[:0]
		for _, e := range got.Events {
			if aws.ToString(e.LogStreamName) != stream {
				t.Errorf("event in stream %s, want the environment's %s: %q", aws.ToString(e.LogStreamName), stream, aws.ToString(e.Message))
			}
			events = append(events, aws.ToString(e.Message))
		}
		if strings.Count(strings.Join(events, ""), "REPORT RequestId: ") == 2 || time.Now().After(deadline) {
			break
		}
	}
	// One environment ran both; its init line, then each invocation.
	want := []*regexp.Regexp{
		regexp.MustCompile(`^probe: init\n$`),
		regexp.MustCompile(`^START RequestId: ` + regexp.QuoteMeta(r.Request) + ` Version: \$LATEST\n$`),
		regexp.MustCompile(`^probe: action=env\n$`),
		regexp.MustCompile(`^probe: stderr for ` + regexp.QuoteMeta(r.Request) + `\n$`),
		regexp.MustCompile(`^END RequestId: ` + regexp.QuoteMeta(r.Request) + `\n$`),
		regexp.MustCompile(`^REPORT RequestId: ` + regexp.QuoteMeta(r.Request) + `\tDuration: .*\n$`),
		regexp.MustCompile(`^START RequestId: \S+ Version: \$LATEST\n$`),
		regexp.MustCompile(`^probe: action=echo\n$`),
	}
	for _, re := range want {
		if !slices.ContainsFunc(events, re.MatchString) {
			t.Errorf("no event matches %s in:\n%q", re, events)
		}
	}
	// The filter pattern finds the Event invoke's line only.
	got, err := logs.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/aws/lambda/probe"), FilterPattern: aws.String(`"action=echo"`)})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Events) != 1 {
		t.Errorf("filter action=echo: %d events", len(got.Events))
	}
	// Options.Logs saw what the store keeps, in the same stream.
	mu.Lock()
	defer mu.Unlock()
	var lines []string
	for _, l := range printed {
		if l.Function != "probe" || l.Stream != stream {
			t.Errorf("Options.Logs line %+v", l)
		}
		lines = append(lines, string(l.Line)+"\n")
	}
	if diff := cmp.Diff(events, lines); diff != "" {
		t.Errorf("Options.Logs and the store differ (-store +Logs):\n%s", diff)
	}
}

// TestInvokeMetricsInCloudWatch: a canary behind an alias with a routing
// weight — version 1 healthy, version 2 failing at init — shows in the
// local CloudWatch as Lambda publishes it: Errors and Invocations by
// FunctionName, Resource (the alias) and ExecutedVersion, read with the
// real cloudwatch client's GetMetricData.
func TestInvokeMetricsInCloudWatch(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs a function")
	}
	k := emulatortest.New(t, emulatortest.WithRuntime())
	ctx := context.Background()
	start := time.Now()
	k.CreateFunction(t, emulatortest.CreateInput("canary", probeZip(t)))
	if _, err := k.Lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("canary")}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("canary"),
		Environment: &types.Environment{Variables: map[string]string{"PROBE_INIT": "error"}}}); err != nil {
		t.Fatal(err)
	}
	if err := k.WaitUpdated(t, "canary"); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("canary")}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Lambda.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("canary"), Name: aws.String("live"), FunctionVersion: aws.String("1"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.5}}}); err != nil {
		t.Fatal(err)
	}
	// Invoke through the alias until each version ran at least twice.
	ran := map[string]int{}
	errs := map[string]int{}
	for i := 0; ran["1"] < 2 || ran["2"] < 2; i++ {
		if i == 200 {
			t.Fatalf("routing never reached both versions: %v", ran)
		}
		out, err := k.Lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("canary"), Qualifier: aws.String("live"), Payload: []byte(`{"action":"echo"}`)})
		if err != nil {
			t.Fatal(err)
		}
		v := aws.ToString(out.ExecutedVersion)
		ran[v]++
		if out.FunctionError != nil {
			errs[v]++
		}
	}
	if errs["1"] != 0 || errs["2"] != ran["2"] {
		t.Fatalf("errors by version %v of %v: want version 2's only", errs, ran)
	}
	// A direct invoke of version 2 (a smoke test) counts under
	// Resource=canary:2, not under the alias's executed version.
	if _, err := k.Lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("canary"), Qualifier: aws.String("2")}); err != nil {
		t.Fatal(err)
	}

	dims := func(kv ...string) []cwtypes.Dimension {
		var d []cwtypes.Dimension
		for i := 0; i < len(kv); i += 2 {
			d = append(d, cwtypes.Dimension{Name: aws.String(kv[i]), Value: aws.String(kv[i+1])})
		}
		return d
	}
	query := func(id, metric string, d []cwtypes.Dimension) cwtypes.MetricDataQuery {
		return cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String(metric), Dimensions: d},
			Period: aws.Int32(60), Stat: aws.String("Sum")}}
	}
	cw := awscw.NewFromConfig(k.AWSConfig)
	out, err := cw.GetMetricData(ctx, &awscw.GetMetricDataInput{
		StartTime: aws.Time(start.Add(-time.Minute)), EndTime: aws.Time(time.Now().Add(time.Minute)),
		MetricDataQueries: []cwtypes.MetricDataQuery{
			query("errors_v2", "Errors", dims("FunctionName", "canary", "Resource", "canary:live", "ExecutedVersion", "2")),
			query("errors_v1", "Errors", dims("FunctionName", "canary", "Resource", "canary:live", "ExecutedVersion", "1")),
			query("invocations_v1", "Invocations", dims("FunctionName", "canary", "Resource", "canary:live", "ExecutedVersion", "1")),
			query("errors_alias", "Errors", dims("FunctionName", "canary", "Resource", "canary:live")),
			query("errors_smoke", "Errors", dims("FunctionName", "canary", "Resource", "canary:2")),
			query("invocations", "Invocations", dims("FunctionName", "canary")),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, r := range out.MetricDataResults {
		for _, v := range r.Values {
			got[aws.ToString(r.Id)] += v
		}
	}
	total := ran["1"] + ran["2"]
	want := map[string]float64{
		"errors_v2": float64(ran["2"]), "errors_v1": 0, "invocations_v1": float64(ran["1"]),
		"errors_alias": float64(ran["2"]), "errors_smoke": 1, "invocations": float64(total + 1),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("metrics by query (-want +got):\n%s", diff)
	}
}
