package cloudwatch_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/lambctl/lamb/emulator/cloudwatch"
)

func errorsAlarm(name string) *cw.PutMetricAlarmInput {
	return &cw.PutMetricAlarmInput{
		AlarmName:          aws.String(name),
		AlarmDescription:   aws.String("errors of the canary"),
		Namespace:          aws.String("AWS/Lambda"),
		MetricName:         aws.String("Errors"),
		Dimensions:         dims("FunctionName", "orders", "Resource", "orders:live"),
		Statistic:          types.StatisticSum,
		Period:             aws.Int32(60),
		EvaluationPeriods:  aws.Int32(1),
		Threshold:          aws.Float64(0),
		ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold,
		AlarmActions:       []string{"arn:aws:sns:us-east-1:123456789012:page"},
		Tags:               []types.Tag{{Key: aws.String("team"), Value: aws.String("orders")}},
	}
}

func TestAlarmLifecycle(t *testing.T) {
	t.Parallel()
	h := newHarness(t, cloudwatch.Options{})
	ctx := context.Background()
	if _, err := h.c.PutMetricAlarm(ctx, errorsAlarm("orders-5xx")); err != nil {
		t.Fatal(err)
	}
	out, err := h.c.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{AlarmNames: []string{"orders-5xx"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []types.MetricAlarm{{
		AlarmName:                          aws.String("orders-5xx"),
		AlarmArn:                           aws.String("arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-5xx"),
		AlarmDescription:                   aws.String("errors of the canary"),
		AlarmConfigurationUpdatedTimestamp: aws.Time(t0),
		ActionsEnabled:                     aws.Bool(true),
		OKActions:                          []string{},
		AlarmActions:                       []string{"arn:aws:sns:us-east-1:123456789012:page"},
		InsufficientDataActions:            []string{},
		StateValue:                         types.StateValueInsufficientData,
		StateReason:                        aws.String("Unchecked: Initial alarm creation"),
		StateUpdatedTimestamp:              aws.Time(t0),
		StateTransitionedTimestamp:         aws.Time(t0),
		Namespace:                          aws.String("AWS/Lambda"),
		MetricName:                         aws.String("Errors"),
		Dimensions:                         dims("FunctionName", "orders", "Resource", "orders:live"),
		Statistic:                          types.StatisticSum,
		Period:                             aws.Int32(60),
		EvaluationPeriods:                  aws.Int32(1),
		Threshold:                          aws.Float64(0),
		ComparisonOperator:                 types.ComparisonOperatorGreaterThanThreshold,
	}}
	opts := []cmp.Option{cmpopts.IgnoreUnexported(types.MetricAlarm{}, types.Dimension{}), cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })}
	if diff := cmp.Diff(want, out.MetricAlarms, opts...); diff != "" {
		t.Fatalf("DescribeAlarms after PutMetricAlarm (-want +got):\n%s", diff)
	}

	// SetAlarmState drives the state; the StateValue filter sees it.
	h.clk.Add(90 * time.Second)
	if _, err := h.c.SetAlarmState(ctx, &cw.SetAlarmStateInput{
		AlarmName: aws.String("orders-5xx"), StateValue: types.StateValueAlarm,
		StateReason: aws.String("test"), StateReasonData: aws.String(`{"errors":3}`),
	}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		state types.StateValue
		want  []string
	}{
		{types.StateValueAlarm, []string{"orders-5xx"}},
		{types.StateValueOk, nil},
		{"", []string{"orders-5xx"}},
	} {
		t.Run(string(tc.state), func(t *testing.T) {
			out, err := h.c.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{StateValue: tc.state})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, alarmNames(out.MetricAlarms), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("names (-want +got):\n%s", diff)
			}
		})
	}
	out, err = h.c.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{})
	if err != nil {
		t.Fatal(err)
	}
	a := out.MetricAlarms[0]
	got := []any{a.StateValue, *a.StateReason, *a.StateReasonData, a.StateUpdatedTimestamp.UTC(), a.StateTransitionedTimestamp.UTC()}
	if diff := cmp.Diff([]any{types.StateValueAlarm, "test", `{"errors":3}`, t0.Add(90 * time.Second), t0.Add(90 * time.Second)}, got); diff != "" {
		t.Errorf("state after SetAlarmState (-want +got):\n%s", diff)
	}

	// An update keeps the state and changes the configuration.
	h.clk.Add(time.Minute)
	upd := errorsAlarm("orders-5xx")
	upd.Threshold = aws.Float64(5)
	if _, err := h.c.PutMetricAlarm(ctx, upd); err != nil {
		t.Fatal(err)
	}
	out, err = h.c.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{})
	if err != nil {
		t.Fatal(err)
	}
	a = out.MetricAlarms[0]
	got = []any{a.StateValue, *a.Threshold, a.AlarmConfigurationUpdatedTimestamp.UTC()}
	if diff := cmp.Diff([]any{types.StateValueAlarm, 5.0, t0.Add(150 * time.Second)}, got); diff != "" {
		t.Errorf("after update (-want +got):\n%s", diff)
	}

	if _, err := h.c.DeleteAlarms(ctx, &cw.DeleteAlarmsInput{AlarmNames: []string{"orders-5xx"}}); err != nil {
		t.Fatal(err)
	}
	out, err = h.c.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.MetricAlarms) != 0 || len(out.CompositeAlarms) != 0 {
		t.Errorf("DescribeAlarms after DeleteAlarms = %d metric, %d composite alarms, want none", len(out.MetricAlarms), len(out.CompositeAlarms))
	}
}

func alarmNames(as []types.MetricAlarm) []string {
	var names []string
	for _, a := range as {
		names = append(names, *a.AlarmName)
	}
	return names
}

func TestDescribeAlarmsFiltersAndPaging(t *testing.T) {
	t.Parallel()
	h := newHarness(t, cloudwatch.Options{})
	ctx := context.Background()
	var all []string
	for i := range 7 {
		name := fmt.Sprintf("svc-%d", i)
		all = append(all, name)
		in := errorsAlarm(name)
		if i%2 == 1 {
			in.AlarmActions = nil
			in.OKActions = []string{"arn:aws:sns:us-east-1:123456789012:ok"}
		}
		if _, err := h.c.PutMetricAlarm(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.c.PutMetricAlarm(ctx, errorsAlarm("other")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		in   cw.DescribeAlarmsInput
		want []string
	}{
		{"names", cw.DescribeAlarmsInput{AlarmNames: []string{"svc-3", "other", "missing"}}, []string{"other", "svc-3"}},
		{"prefix paged", cw.DescribeAlarmsInput{AlarmNamePrefix: aws.String("svc-"), MaxRecords: aws.Int32(3)}, all},
		{"action prefix", cw.DescribeAlarmsInput{ActionPrefix: aws.String("arn:aws:sns:us-east-1:123456789012:ok")}, []string{"svc-1", "svc-3", "svc-5"}},
		{"composite only", cw.DescribeAlarmsInput{AlarmTypes: []types.AlarmType{types.AlarmTypeCompositeAlarm}}, nil},
		{"metric type", cw.DescribeAlarmsInput{AlarmTypes: []types.AlarmType{types.AlarmTypeMetricAlarm}, AlarmNamePrefix: aws.String("oth")}, []string{"other"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			pages := 0
			p := cw.NewDescribeAlarmsPaginator(h.c, &tc.in)
			for p.HasMorePages() {
				out, err := p.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				pages++
				got = append(got, alarmNames(out.MetricAlarms)...)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("alarms (-want +got):\n%s", diff)
			}
			if tc.in.MaxRecords != nil && pages != 3 {
				t.Errorf("pages = %d, want 3", pages)
			}
		})
	}
}

// TestErrors checks that failures reach the SDK as CloudWatch's typed
// errors, with the query-compatible error codes AWS answers.
func TestErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t, cloudwatch.Options{MaxAlarms: 1})
	ctx := context.Background()
	if _, err := h.c.PutMetricAlarm(ctx, errorsAlarm("exists")); err != nil {
		t.Fatal(err)
	}
	now := t0
	for _, tc := range []struct {
		name   string
		call   func() error
		target any
		code   string
	}{
		{"SetAlarmState missing", func() error {
			_, err := h.c.SetAlarmState(ctx, &cw.SetAlarmStateInput{AlarmName: aws.String("nope"), StateValue: types.StateValueAlarm, StateReason: aws.String("x")})
			return err
		}, new(*types.ResourceNotFound), "ResourceNotFound"},
		{"DeleteAlarms missing", func() error {
			_, err := h.c.DeleteAlarms(ctx, &cw.DeleteAlarmsInput{AlarmNames: []string{"exists", "nope"}})
			return err
		}, new(*types.ResourceNotFound), "ResourceNotFound"},
		{"SetAlarmState bad JSON", func() error {
			_, err := h.c.SetAlarmState(ctx, &cw.SetAlarmStateInput{AlarmName: aws.String("exists"), StateValue: types.StateValueOk, StateReason: aws.String("x"), StateReasonData: aws.String("{")})
			return err
		}, new(*types.InvalidFormatFault), "InvalidFormat"},
		{"SetAlarmState bad state", func() error {
			_, err := h.c.SetAlarmState(ctx, &cw.SetAlarmStateInput{AlarmName: aws.String("exists"), StateValue: "RED", StateReason: aws.String("x")})
			return err
		}, new(*types.ValidationException), "ValidationError"},
		{"PutMetricAlarm over the limit", func() error {
			_, err := h.c.PutMetricAlarm(ctx, errorsAlarm("second"))
			return err
		}, new(*types.LimitExceededFault), "LimitExceeded"},
		{"PutMetricAlarm bad period", func() error {
			in := errorsAlarm("exists")
			in.Period = aws.Int32(45)
			_, err := h.c.PutMetricAlarm(ctx, in)
			return err
		}, new(*types.InvalidParameterValueException), "InvalidParameterValue"},
		{"PutMetricAlarm metric and metrics", func() error {
			in := errorsAlarm("exists")
			in.Metrics = []types.MetricDataQuery{statQuery("m", "AWS/Lambda", "Errors", "Sum", 60, nil)}
			_, err := h.c.PutMetricAlarm(ctx, in)
			return err
		}, new(*types.InvalidParameterCombinationException), "InvalidParameterCombination"},
		{"DescribeAlarms names and prefix", func() error {
			_, err := h.c.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{AlarmNames: []string{"a"}, AlarmNamePrefix: aws.String("a")})
			return err
		}, new(*types.InvalidParameterCombinationException), "InvalidParameterCombination"},
		{"DescribeAlarms bad token", func() error {
			_, err := h.c.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{NextToken: aws.String("garbage!")})
			return err
		}, new(*types.InvalidNextToken), "InvalidNextToken"},
		{"PutMetricData AWS namespace", func() error {
			_, err := h.c.PutMetricData(ctx, &cw.PutMetricDataInput{Namespace: aws.String("AWS/Lambda"), MetricData: []types.MetricDatum{{MetricName: aws.String("Errors"), Value: aws.Float64(1)}}})
			return err
		}, new(*types.InvalidParameterValueException), "InvalidParameterValue"},
		{"PutMetricData value and values", func() error {
			_, err := h.c.PutMetricData(ctx, &cw.PutMetricDataInput{Namespace: aws.String("app"), MetricData: []types.MetricDatum{{MetricName: aws.String("n"), Value: aws.Float64(1), Values: []float64{1}}}})
			return err
		}, new(*types.InvalidParameterCombinationException), "InvalidParameterCombination"},
		{"PutMetricData no value", func() error {
			_, err := h.c.PutMetricData(ctx, &cw.PutMetricDataInput{Namespace: aws.String("app"), MetricData: []types.MetricDatum{{MetricName: aws.String("n")}}})
			return err
		}, new(*types.MissingRequiredParameterException), "MissingParameter"},
		{"GetMetricData start after end", func() error {
			_, err := h.c.GetMetricData(ctx, &cw.GetMetricDataInput{StartTime: aws.Time(now), EndTime: aws.Time(now.Add(-time.Minute)),
				MetricDataQueries: []types.MetricDataQuery{statQuery("m", "app", "n", "Sum", 60, nil)}})
			return err
		}, new(*types.InvalidParameterValueException), "InvalidParameterValue"},
		{"GetMetricData expression", func() error {
			_, err := h.c.GetMetricData(ctx, &cw.GetMetricDataInput{StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now),
				MetricDataQueries: []types.MetricDataQuery{{Id: aws.String("e"), Expression: aws.String("SUM(METRICS())")}}})
			return err
		}, new(*types.InvalidParameterValueException), "InvalidParameterValue"},
		{"GetMetricData bad id", func() error {
			_, err := h.c.GetMetricData(ctx, &cw.GetMetricDataInput{StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now),
				MetricDataQueries: []types.MetricDataQuery{statQuery("Upper", "app", "n", "Sum", 60, nil)}})
			return err
		}, new(*types.InvalidParameterValueException), "InvalidParameterValue"},
		{"GetMetricData bad token", func() error {
			_, err := h.c.GetMetricData(ctx, &cw.GetMetricDataInput{StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now), NextToken: aws.String("Z21kOjk5"),
				MetricDataQueries: []types.MetricDataQuery{statQuery("m", "app", "n", "Sum", 60, nil)}})
			return err
		}, new(*types.InvalidNextToken), "InvalidNextToken"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.As(err, tc.target) {
				t.Fatalf("error %T (%v) is not a %T", err, err, tc.target)
			}
			var ae smithy.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("not an API error: %v", err)
			}
			if ae.ErrorCode() != tc.code {
				t.Errorf("ErrorCode() = %q, want %q", ae.ErrorCode(), tc.code)
			}
			if ae.ErrorMessage() == "" {
				t.Error("empty ErrorMessage()")
			}
		})
	}
	// Failed calls changed nothing.
	out, err := h.c.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"exists"}, alarmNames(out.MetricAlarms)); diff != "" {
		t.Errorf("alarms after failed calls (-want +got):\n%s", diff)
	}
}

func TestAlarmsPersist(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	h := newHarness(t, cloudwatch.Options{StateDir: dir})
	for _, name := range []string{"a", "b"} {
		if _, err := h.c.PutMetricAlarm(ctx, errorsAlarm(name)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.c.SetAlarmState(ctx, &cw.SetAlarmStateInput{AlarmName: aws.String("b"), StateValue: types.StateValueAlarm, StateReason: aws.String("persisted")}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.c.DeleteAlarms(ctx, &cw.DeleteAlarmsInput{AlarmNames: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	// A new Service over the same directory has the alarms.
	h2 := newHarness(t, cloudwatch.Options{StateDir: dir})
	out, err := h2.c.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range out.MetricAlarms {
		got = append(got, *a.AlarmName+" "+string(a.StateValue)+" "+*a.StateReason)
	}
	if diff := cmp.Diff([]string{"b ALARM persisted"}, got); diff != "" {
		t.Errorf("alarms after restart (-want +got):\n%s", diff)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		files = append(files, e.Name())
	}
	if diff := cmp.Diff([]string{"cloudwatch-alarms.json"}, files); diff != "" {
		t.Errorf("state dir files (-want +got):\n%s", diff)
	}
}

func TestAlarmsCorruptStateFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cloudwatch-alarms.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := cloudwatch.New(cloudwatch.Options{StateDir: dir}); err == nil {
		t.Fatal("New over a corrupt alarms file: no error")
	}
}

// TestAlarmEvaluation drives an alarm from Lambda's metrics with
// EvaluateAlarms on.
func TestAlarmEvaluation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, cloudwatch.Options{EvaluateAlarms: true})
	ctx := context.Background()
	for _, in := range []*cw.PutMetricAlarmInput{
		errorsAlarm("errors"),
		func() *cw.PutMetricAlarmInput {
			in := errorsAlarm("quiet")
			in.TreatMissingData = aws.String("notBreaching")
			in.Dimensions = dims("FunctionName", "idle")
			return in
		}(),
	} {
		if _, err := h.c.PutMetricAlarm(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	states := func() map[string]types.StateValue {
		t.Helper()
		out, err := h.c.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]types.StateValue{}
		for _, a := range out.MetricAlarms {
			m[*a.AlarmName] = a.StateValue
		}
		return m
	}
	want := func(step string, errs, quiet types.StateValue) {
		t.Helper()
		if diff := cmp.Diff(map[string]types.StateValue{"errors": errs, "quiet": quiet}, states()); diff != "" {
			t.Errorf("%s: states (-want +got):\n%s", step, diff)
		}
	}
	live := cloudwatch.InvokeDimensions("orders", "live", true, "2")
	want("no data", types.StateValueInsufficientData, types.StateValueOk)

	h.clk.Add(time.Minute)
	h.svc.Record(h.clk.Now(), live, 1, 0, 0, time.Millisecond)
	h.clk.Add(time.Minute)
	want("a good minute", types.StateValueOk, types.StateValueOk)

	h.svc.Record(h.clk.Now(), live, 1, 1, 0, time.Millisecond)
	h.clk.Add(time.Minute)
	want("an error", types.StateValueAlarm, types.StateValueOk)

	// SetAlarmState holds for a period, then evaluation takes over.
	if _, err := h.c.SetAlarmState(ctx, &cw.SetAlarmStateInput{AlarmName: aws.String("errors"), StateValue: types.StateValueOk, StateReason: aws.String("manual")}); err != nil {
		t.Fatal(err)
	}
	want("set by hand", types.StateValueOk, types.StateValueOk)
	h.clk.Add(30 * time.Second)
	want("half a period later", types.StateValueOk, types.StateValueOk)
	h.clk.Add(30 * time.Second)
	want("a period later, the error minute is past", types.StateValueInsufficientData, types.StateValueOk)
}
