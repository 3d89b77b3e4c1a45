package cloudwatch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/emulator/cloudwatch"
)

const awsCLI = "/usr/bin/aws"

// cli runs the AWS CLI (v2.9 from Debian, which speaks the query protocol
// to CloudWatch) against a Service on 127.0.0.1.
type cli struct {
	t        *testing.T
	url      string
	env      []string
	mu       sync.Mutex
	protocol []string // Content-Type of each request
}

func newCLI(t *testing.T, svc *cloudwatch.Service) *cli {
	t.Helper()
	if _, err := os.Stat(awsCLI); err != nil {
		t.Skipf("no AWS CLI at %s", awsCLI)
	}
	c := &cli{t: t}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.protocol = append(c.protocol, r.Header.Get("Content-Type"))
		c.mu.Unlock()
		matchOnly(svc).ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	c.url = ts.URL
	home := t.TempDir()
	c.env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=x",
		"AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true",
	}
	return c
}

// run runs aws cloudwatch args and returns stdout, stderr and the exit
// code.
func (c *cli) run(args ...string) (string, string, int) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	full := append([]string{"--endpoint-url", c.url, "--region", "us-east-1", "--output", "json", "cloudwatch"}, args...)
	cmd := exec.CommandContext(ctx, awsCLI, full...)
	cmd.Env = c.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatalf("aws %s: %v", strings.Join(args, " "), err)
	}
	return stdout.String(), stderr.String(), code
}

// ok runs aws cloudwatch args, which must succeed, and decodes its JSON
// output into out (when not nil).
func (c *cli) ok(out any, args ...string) {
	c.t.Helper()
	stdout, stderr, code := c.run(args...)
	if code != 0 {
		c.t.Fatalf("aws cloudwatch %s: exit %d\n%s", args[0], code, stderr)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(stdout), out); err != nil {
			c.t.Fatalf("aws cloudwatch %s: %v\n%s", args[0], err, stdout)
		}
	}
}

func TestAWSCLI(t *testing.T) {
	t.Parallel()
	clk := &clock{t: t0}
	svc, err := cloudwatch.New(cloudwatch.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	c := newCLI(t, svc)
	recordCanary(svc)
	clk.Add(5 * time.Minute)

	c.ok(nil, "put-metric-alarm", "--alarm-name", "orders-5xx", "--namespace", "AWS/Lambda", "--metric-name", "Errors",
		"--dimensions", "Name=FunctionName,Value=orders", "Name=Resource,Value=orders:live",
		"--statistic", "Sum", "--period", "60", "--evaluation-periods", "1", "--threshold", "0",
		"--comparison-operator", "GreaterThanThreshold", "--alarm-actions", "arn:aws:sns:us-east-1:123456789012:page")
	c.ok(nil, "set-alarm-state", "--alarm-name", "orders-5xx", "--state-value", "ALARM", "--state-reason", "errors after 10%")

	type dimension struct{ Name, Value string }
	type alarm struct {
		AlarmName, AlarmArn, StateValue, StateReason string
		Namespace, MetricName, Statistic             string
		ComparisonOperator                           string
		ActionsEnabled                               bool
		AlarmActions, OKActions                      []string
		Dimensions                                   []dimension
		Period, EvaluationPeriods                    int
		Threshold                                    float64
		StateUpdatedTimestamp                        time.Time
	}
	var described struct {
		MetricAlarms    []alarm
		CompositeAlarms []json.RawMessage
	}
	c.ok(&described, "describe-alarms", "--alarm-names", "orders-5xx")
	want := []alarm{{
		AlarmName: "orders-5xx", AlarmArn: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-5xx",
		StateValue: "ALARM", StateReason: "errors after 10%", Namespace: "AWS/Lambda", MetricName: "Errors",
		Statistic: "Sum", ComparisonOperator: "GreaterThanThreshold", ActionsEnabled: true,
		AlarmActions: []string{"arn:aws:sns:us-east-1:123456789012:page"}, OKActions: []string{},
		Dimensions: []dimension{{"FunctionName", "orders"}, {"Resource", "orders:live"}},
		Period:     60, EvaluationPeriods: 1, Threshold: 0, StateUpdatedTimestamp: t0.Add(5 * time.Minute),
	}}
	if diff := cmp.Diff(want, described.MetricAlarms, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("describe-alarms (-want +got):\n%s", diff)
	}
	if described.CompositeAlarms == nil {
		t.Error("describe-alarms: no CompositeAlarms list")
	}

	// A typed error reaches the CLI with its code.
	_, stderr, code := c.run("set-alarm-state", "--alarm-name", "missing", "--state-value", "OK", "--state-reason", "x")
	if code == 0 || !strings.Contains(stderr, "(ResourceNotFound) when calling the SetAlarmState operation") {
		t.Errorf("set-alarm-state of a missing alarm: exit %d, stderr %q", code, stderr)
	}

	// The canary's errors by executed version, per minute.
	var data struct {
		MetricDataResults []struct {
			Id, Label, StatusCode string
			Timestamps            []time.Time
			Values                []float64
		}
	}
	c.ok(&data, "get-metric-data", "--start-time", "2025-06-02T12:00:00Z", "--end-time", "2025-06-02T12:05:00Z", "--scan-by", "TimestampAscending",
		"--metric-data-queries", `[{"Id":"v2","MetricStat":{"Metric":{"Namespace":"AWS/Lambda","MetricName":"Errors","Dimensions":[
			{"Name":"FunctionName","Value":"orders"},{"Name":"Resource","Value":"orders:live"},{"Name":"ExecutedVersion","Value":"2"}]},
			"Period":60,"Stat":"Sum"}},
		  {"Id":"all","MetricStat":{"Metric":{"Namespace":"AWS/Lambda","MetricName":"Errors"},"Period":300,"Stat":"Sum"},"Label":"everything"}]`)
	type result struct {
		Id, Label, StatusCode string
		Timestamps            []time.Time
		Values                []float64
	}
	var got []result
	for _, r := range data.MetricDataResults {
		got = append(got, result(r))
	}
	wantData := []result{
		{"v2", "Errors", "Complete", []time.Time{t0.Add(time.Minute)}, []float64{2}},
		{"all", "everything", "Complete", []time.Time{t0}, []float64{5}},
	}
	if diff := cmp.Diff(wantData, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("get-metric-data (-want +got):\n%s", diff)
	}

	c.ok(nil, "put-metric-data", "--namespace", "app", "--metric-name", "jobs", "--value", "3", "--timestamp", "2025-06-02T12:04:30Z",
		"--dimensions", "queue=q1")
	var listed struct {
		Metrics []struct {
			Namespace, MetricName string
			Dimensions            []dimension
		}
	}
	c.ok(&listed, "list-metrics", "--namespace", "app")
	if len(listed.Metrics) != 1 || listed.Metrics[0].MetricName != "jobs" || listed.Metrics[0].Dimensions[0] != (dimension{"queue", "q1"}) {
		t.Errorf("list-metrics: %+v", listed.Metrics)
	}

	c.ok(nil, "delete-alarms", "--alarm-names", "orders-5xx")
	described.MetricAlarms = nil
	c.ok(&described, "describe-alarms")
	if len(described.MetricAlarms) != 0 {
		t.Errorf("describe-alarms after delete-alarms: %+v", described.MetricAlarms)
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ct := range c.protocol {
		if !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
			t.Errorf("the CLI sent Content-Type %q, not the query protocol's form", ct)
		}
	}
}
