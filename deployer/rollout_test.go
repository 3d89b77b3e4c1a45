package deployer_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/deployer"
	"github.com/lambctl/lamb/emulator"
	"github.com/lambctl/lamb/emulator/awsjson/awstest"
	"github.com/lambctl/lamb/emulator/cloudwatch"
	"github.com/lambctl/lamb/emulator/emulatortest"
	"github.com/lambctl/lamb/internal/lambdaspec"
	"github.com/lambctl/lamb/manifest"
)

// metrics feeds the local CloudWatch with the local Lambda's invocations
// (emulator.Options.OnInvoke), under the dimensions Lambda publishes.
func metrics(cw *cloudwatch.Service) func(emulator.InvokeRecord) {
	return func(rec emulator.InvokeRecord) {
		_, qual, _ := strings.Cut(rec.Resource, ":")
		alias := qual != "" && qual != "$LATEST" && strings.Trim(qual, "0123456789") != ""
		d := cloudwatch.InvokeDimensions(rec.Function, qual, alias, rec.ExecutedVersion)
		if rec.Throttled {
			cw.Record(rec.Start, d, 0, 0, 1, 0)
			return
		}
		errs := 0
		if rec.FunctionError != "" {
			errs = 1
		}
		cw.Record(rec.Start, d, 1, errs, 0, rec.Duration)
	}
}

// rolloutEnv is a local Lambda that runs real functions and feeds their
// metrics to a local CloudWatch, with real SDK clients of both.
type rolloutEnv struct {
	*testEnv
	cwURL string
	cw    *awscw.Client
	bin   []byte // the rolloutfn binary
}

func newRolloutEnv(t *testing.T, wrap ...emulatortest.Option) *rolloutEnv {
	t.Helper()
	cw, err := cloudwatch.New(cloudwatch.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(cw)
	t.Cleanup(hs.Close)
	opts := append([]emulatortest.Option{emulatortest.WithRuntime(), emulatortest.WithOptions(emulator.Options{OnInvoke: metrics(cw)})}, wrap...)
	e := &rolloutEnv{testEnv: newKitEnv(t, opts...), cwURL: hs.URL, cw: cwClient(hs.URL)}
	built := emulatortest.BuildFunction(t, "..", "./deployer/testdata/rolloutfn")
	zr, err := zip.NewReader(bytes.NewReader(built), int64(len(built)))
	if err != nil {
		t.Fatal(err)
	}
	f, err := zr.Open("bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if e.bin, err = io.ReadAll(f); err != nil {
		t.Fatal(err)
	}
	return e
}

func cwClient(url string) *awscw.Client {
	return awscw.NewFromConfig(awstest.Config(), func(o *awscw.Options) { o.BaseEndpoint = aws.String(url) })
}

// artifact is rolloutfn with mode ("ok", "broken", "flaky"); fingerprint
// makes the code unique.
func (e *rolloutEnv) artifact(t testing.TB, name, mode, fingerprint string) deployer.Artifact {
	t.Helper()
	return writeArtifact(t, e.dir, name, fingerprint,
		zipEntry{name: "bootstrap", data: e.bin, mode: 0o755, method: zip.Store},
		zipEntry{name: "mode", data: []byte(mode), mode: 0o644, method: zip.Store},
		zipEntry{name: "version", data: []byte(fingerprint), mode: 0o644, method: zip.Store})
}

// smokeEvent is the event rolloutfn in mode flaky answers.
var smokeEvent = deployer.SmokeEvent{Name: "events/smoke.json", Payload: []byte(`{"smoke": true}`)}

func rolloutSpec(alarms ...string) *deployer.Rollout {
	return &deployer.Rollout{Steps: []int{10, 50, 100}, Interval: time.Minute, Smoke: []deployer.SmokeEvent{smokeEvent}, Alarms: alarms}
}

// rolloutWorld is functions running rolloutfn in the given modes, each
// with a rollout, on this machine's architecture.
func (e *rolloutEnv) world(t *testing.T, modes map[string]string, fp string) *world {
	t.Helper()
	arch, err := lambdaspec.HostArch()
	if err != nil {
		t.Skip(err)
	}
	w := &world{arts: map[string]deployer.Artifact{}}
	for _, name := range sortedNames(modes) {
		f := fn(name)
		f.Architecture = arch
		w.desired = append(w.desired, deployer.Desired{Function: f, Fingerprint: fp + "-" + modes[name], Rollout: rolloutSpec("errors-alarm")})
		w.arts[name] = e.artifact(t, name, modes[name], fp+"-"+modes[name])
	}
	return w
}

// setModes gives w's functions new code in the given modes.
func (e *rolloutEnv) setModes(t *testing.T, w *world, modes map[string]string, fp string) {
	t.Helper()
	for i := range w.desired {
		name := w.desired[i].Function.Name
		if m, ok := modes[name]; ok {
			w.desired[i].Fingerprint = fp + "-" + m
			w.arts[name] = e.artifact(t, name, m, fp+"-"+m)
		}
	}
}

// putAlarm creates the alarm in state.
func (e *rolloutEnv) putAlarm(t testing.TB, name string, state cwtypes.StateValue) {
	t.Helper()
	ctx := context.Background()
	_, err := e.cw.PutMetricAlarm(ctx, &awscw.PutMetricAlarmInput{
		AlarmName: aws.String(name), Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Errors"),
		Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1),
		Threshold: aws.Float64(1), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.setAlarm(t, name, state)
}

func (e *rolloutEnv) setAlarm(t testing.TB, name string, state cwtypes.StateValue) {
	t.Helper()
	_, err := e.cw.SetAlarmState(context.Background(), &awscw.SetAlarmStateInput{AlarmName: aws.String(name), StateValue: state, StateReason: aws.String("test")})
	if err != nil {
		t.Fatal(err)
	}
}

// invokeAlias invokes name's alias n times and returns how many failed.
func (e *rolloutEnv) invokeAlias(t testing.TB, name string, n int) int {
	t.Helper()
	failed := 0
	for range n {
		out, err := e.client.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String(name), Qualifier: aws.String("live"), Payload: []byte(`{}`)})
		if err != nil {
			t.Errorf("invoke %s:live: %v", name, err)
			return failed
		}
		if out.FunctionError != nil {
			failed++
		}
	}
	return failed
}

// alias returns name's alias version and weights.
func (e *testEnv) alias(t testing.TB, name string) (string, map[string]float64) {
	t.Helper()
	out, err := e.client.GetAlias(context.Background(), &lambda.GetAliasInput{FunctionName: aws.String(name), Name: aws.String("live")})
	if err != nil {
		t.Fatal(err)
	}
	var w map[string]float64
	if out.RoutingConfig != nil && len(out.RoutingConfig.AdditionalVersionWeights) > 0 {
		w = out.RoutingConfig.AdditionalVersionWeights
	}
	return aws.ToString(out.FunctionVersion), w
}

// rolloutOptions make waits instant and, at each shift, run during(name,
// percent) — the traffic or the alarm the test wants while the step waits.
// It records the events, "name: what percent".
func (e *rolloutEnv) rolloutOptions(during func(name string, pct int)) (deployer.Options, func() []string) {
	var mu sync.Mutex
	var events []string
	o := testOptions(e.testEnv)
	o.CloudWatch = e.cw
	o.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	o.OnRollout = func(ev deployer.RolloutEvent) {
		mu.Lock()
		events = append(events, fmt.Sprintf("%s: %s %d", ev.Function, ev.What, ev.Percent))
		mu.Unlock()
		if ev.What == "shifted" && during != nil {
			during(ev.Function, ev.Percent)
		}
	}
	return o, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), events...)
	}
}

// eventsOf keeps name's events.
func eventsOf(events []string, name string) []string {
	var out []string
	for _, ev := range events {
		if rest, ok := strings.CutPrefix(ev, name+": "); ok {
			out = append(out, rest)
		}
	}
	return out
}

// resultOf returns name's result.
func resultOf(t testing.TB, res *deployer.Result, name string) deployer.FunctionResult {
	t.Helper()
	for _, f := range res.Functions {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no result for %s", name)
	return deployer.FunctionResult{}
}

// TestRollout deploys version 2 of four functions at once, each with a
// rollout from version 1 (steps 10, 50, 100; a smoke event; alarm
// errors-alarm; max_errors 0), driven by real invokes through the alias:
// healthy reaches 100%; broken fails its smoke event and never gets
// traffic; flaky passes smoke but fails real traffic at 10% and is rolled
// back; alarmed is rolled back when its alarm goes to ALARM at 50%. One
// function's rollback does not stop the others (issue 14).
func TestRollout(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a real function")
	}
	t.Parallel()
	e := newRolloutEnv(t)
	ctx := context.Background()
	e.putAlarm(t, "errors-alarm", cwtypes.StateValueOk)
	e.putAlarm(t, "alarmed-alarm", cwtypes.StateValueOk)
	names := map[string]string{"healthy": "ok", "broken": "ok", "flaky": "ok", "alarmed": "ok"}
	w := e.world(t, names, "v1")
	w.desired[0].Rollout = rolloutSpec("errors-alarm", "alarmed-alarm") // alarmed
	opts, _ := e.rolloutOptions(nil)
	if _, _, err := e.deploy(ctx, t, w, opts); err != nil {
		t.Fatal(err)
	}

	e.setModes(t, w, map[string]string{"healthy": "ok", "broken": "broken", "flaky": "flaky", "alarmed": "ok"}, "v2")
	var mu sync.Mutex
	failedInvokes := map[string]int{}
	opts, events := e.rolloutOptions(func(name string, pct int) {
		n := e.invokeAlias(t, name, 100)
		mu.Lock()
		failedInvokes[name] += n
		mu.Unlock()
		if name == "alarmed" && pct == 50 {
			e.setAlarm(t, "alarmed-alarm", cwtypes.StateValueAlarm)
		}
	})
	_, res, err := e.deploy(ctx, t, w, opts)
	if err == nil {
		t.Fatal("deploy reported no failure")
	}
	t.Logf("deploy: %v", err)
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 3 {
		t.Errorf("%d error lines, want 3 (broken, flaky, alarmed):\n%v", len(lines), err)
	}

	type state struct {
		Outcome deployer.Outcome
		Alias   string
		Weights map[string]float64
		Result  deployer.RolloutResult
		Events  []string
	}
	got := map[string]state{}
	for _, name := range []string{"healthy", "broken", "flaky", "alarmed"} {
		r := resultOf(t, res, name)
		v, weights := e.alias(t, name)
		st := state{Outcome: r.Outcome, Alias: v, Weights: weights, Events: eventsOf(events(), name)}
		if r.Rollout != nil {
			st.Result = *r.Rollout
		}
		got[name] = st
	}
	want := map[string]state{
		"healthy": {Outcome: deployer.Updated, Alias: "2",
			Result: deployer.RolloutResult{From: "1", To: "2", Smoke: 1, Steps: []deployer.RolloutStep{{Percent: 10, Passed: true}, {Percent: 50, Passed: true}, {Percent: 100, Passed: true}}},
			Events: []string{"smoke passed 0", "shifted 10", "gates passed 10", "shifted 50", "gates passed 50", "done 100"}},
		"broken": {Outcome: deployer.Failed, Alias: "1",
			Result: deployer.RolloutResult{From: "1", To: "2", Gate: "smoke",
				Value: `event events/smoke.json: version 2 answered a function error (Unhandled): errorString: rolloutfn: failing on purpose (broken)`}},
		"flaky": {Outcome: deployer.Failed, Alias: "1",
			Result: deployer.RolloutResult{From: "1", To: "2", Smoke: 1, Gate: "errors", RolledBack: true,
				Steps: []deployer.RolloutStep{{Percent: 10, Errors: failedInvokes["flaky"]}},
				Value: fmt.Sprintf("at 10%%: %d errors of version 2 (max_errors 0)", failedInvokes["flaky"])},
			Events: []string{"smoke passed 0", "shifted 10", "rolled back 0"}},
		"alarmed": {Outcome: deployer.Failed, Alias: "1",
			Result: deployer.RolloutResult{From: "1", To: "2", Smoke: 1, Gate: "alarm", RolledBack: true,
				Steps: []deployer.RolloutStep{{Percent: 10, Passed: true}, {Percent: 50}},
				Value: "at 50%: alarm alarmed-alarm is in ALARM"},
			Events: []string{"smoke passed 0", "shifted 10", "gates passed 10", "shifted 50", "rolled back 0"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rollouts (-want +got):\n%s", diff)
	}
	if failedInvokes["flaky"] == 0 || failedInvokes["healthy"] != 0 || failedInvokes["alarmed"] != 0 {
		t.Errorf("failed invokes through the alias %v: want flaky's only", failedInvokes)
	}
	// broken never had traffic: its alias was never updated.
	for _, c := range e.srv.Calls() {
		if c.Function == "broken" && c.Op == "UpdateAlias" {
			t.Errorf("broken's alias was updated")
		}
	}
	var text strings.Builder
	if err := res.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "rollout-result.txt", regexp.MustCompile(`\d+ errors of version`).ReplaceAllString(text.String(), "N errors of version"))

	// The failed functions are redeployed by the next plan (their tags
	// were not written); healthy is done.
	plan, err := deployer.New(opts).Plan(ctx, w.desired)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"alarmed", "broken", "flaky"}, plan.Changed()); diff != "" {
		t.Errorf("changed after the rollout (-want +got):\n%s", diff)
	}
}

// TestNoRollout moves the alias at once and says so; the smoke event still
// runs. The rollout is the manifest's, its smoke event a file under Root.
func TestNoRollout(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a real function")
	}
	t.Parallel()
	e := newRolloutEnv(t)
	ctx := context.Background()
	e.putAlarm(t, "errors-alarm", cwtypes.StateValueOk)
	w := e.world(t, map[string]string{"a": "ok"}, "v1")
	w.desired[0].Rollout = nil
	w.desired[0].Function.Rollout = &manifest.Rollout{Steps: []int{10, 100}, Interval: time.Minute, Smoke: []string{"events/smoke.json"}, Alarms: []string{"errors-alarm"}}
	opts, events := e.rolloutOptions(nil)
	opts.Root = t.TempDir()
	plan, err := deployer.New(opts).Plan(ctx, w.desired)
	if err == nil || !strings.HasPrefix(plan.Functions[0].Error, "a: rollout: smoke event events/smoke.json: open ") {
		t.Errorf("plan without the smoke file: %v, %q", err, plan.Functions[0].Error)
	}
	if err := os.MkdirAll(filepath.Join(opts.Root, "events"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(opts.Root, "events", "smoke.json"), smokeEvent.Payload, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.deploy(ctx, t, w, opts); err != nil {
		t.Fatal(err)
	}
	e.setModes(t, w, map[string]string{"a": "ok"}, "v2")
	opts.NoRollout = true
	e.srv.ResetCalls()
	_, res, err := e.deploy(ctx, t, w, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := &deployer.RolloutResult{From: "1", To: "2", Smoke: 1, Skipped: "--no-rollout"}
	if diff := cmp.Diff(want, res.Functions[0].Rollout); diff != "" {
		t.Errorf("rollout (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"smoke passed 0", "done 100", "smoke passed 0", "done 100"}, eventsOf(events(), "a")); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	var text strings.Builder
	if err := res.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "version 2 (--no-rollout: all traffic at once)") {
		t.Errorf("result does not say --no-rollout:\n%s", text.String())
	}
	if v, weights := e.alias(t, "a"); v != "2" || weights != nil {
		t.Errorf("alias on %s %v, want 2 alone", v, weights)
	}
	if plan, err := deployer.New(opts).Plan(ctx, w.desired); err != nil || plan.Changes() != 0 {
		t.Errorf("plan after the deploy: %v, %d changes", err, plan.Changes())
	}
}

// TestRolloutInterrupted cancels the deploy (Ctrl-C) while a step waits:
// the alias goes back to the previous version, weights cleared.
func TestRolloutInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a real function")
	}
	t.Parallel()
	e := newRolloutEnv(t)
	e.putAlarm(t, "errors-alarm", cwtypes.StateValueOk)
	w := e.world(t, map[string]string{"a": "ok"}, "v1")
	opts, _ := e.rolloutOptions(nil)
	if _, _, err := e.deploy(context.Background(), t, w, opts); err != nil {
		t.Fatal(err)
	}
	e.setModes(t, w, map[string]string{"a": "ok"}, "v2")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts, _ = e.rolloutOptions(func(name string, pct int) {
		if pct == 50 {
			cancel()
		}
	})
	_, res, err := e.deploy(ctx, t, w, opts)
	if err == nil || !strings.Contains(err.Error(), "a: rollout: gate interrupted: at 50%: context canceled: rolled back to version 1") {
		t.Errorf("error %v", err)
	}
	if r := res.Functions[0]; r.Outcome != deployer.Failed || r.Version != "1" || !r.Rollout.RolledBack {
		t.Errorf("result %+v %+v", r, r.Rollout)
	}
	if v, weights := e.alias(t, "a"); v != "1" || weights != nil {
		t.Errorf("alias on %s %v, want 1 alone", v, weights)
	}
}

// TestRolloutKilled kills a deploy (SIGKILL) while its rollout waits at
// 10%: the alias stays split; the next plan says so; the next deploy
// resumes at 10% and converges with the alias on the new version alone.
// lamb rollback clears a split alias too.
func TestRolloutKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a real function, starts a subprocess")
	}
	t.Parallel()
	var (
		armed atomic.Bool
		child childProc
	)
	e := newRolloutEnv(t, emulatortest.WithHandler(func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			h.ServeHTTP(w, r)
			if r.Method == http.MethodPut && bytes.Contains(body, []byte(`"AdditionalVersionWeights":{"`)) && armed.CompareAndSwap(true, false) {
				child.kill() // right after the shift to 10%
			}
		})
	}))
	ctx := context.Background()
	e.putAlarm(t, "errors-alarm", cwtypes.StateValueOk)
	w := e.world(t, map[string]string{"a": "ok"}, "v1")
	opts, _ := e.rolloutOptions(nil)
	if _, _, err := e.deploy(ctx, t, w, opts); err != nil {
		t.Fatal(err)
	}
	e.setModes(t, w, map[string]string{"a": "ok"}, "v2")
	w.desired[0].Rollout.Interval = time.Hour // the child waits for ever

	spec := childSpec{URL: e.url, CloudWatch: e.cwURL, Desired: w.desired, Artifacts: []deployer.Artifact{w.arts["a"]}}
	armed.Store(true)
	stderr, killed, werr := child.run(t, spec)
	if !killed {
		t.Fatalf("child ended before the shift: %v\n%s", werr, stderr)
	}
	if v, weights := e.alias(t, "a"); v != "1" || !cmp.Equal(weights, map[string]float64{"2": 0.1}) {
		t.Fatalf("after the kill alias on %s %v, want 1 with 10%% on 2", v, weights)
	}

	d := deployer.New(opts)
	plan, err := d.Plan(ctx, w.desired)
	if err != nil {
		t.Fatal(err)
	}
	want := "alias live is split: 90% version 1, 10% version 2 (an interrupted rollout): the deploy resumes the rollout"
	if !slices.Contains(plan.Functions[0].Reasons, want) {
		t.Errorf("plan reasons %q, want %q", plan.Functions[0].Reasons, want)
	}
	if got, want := plan.Functions[0].Rollout, "10% → 50% → 100%, 1h0m0s apart, smoke events/smoke.json, alarms errors-alarm, max_errors 0"; got != want {
		t.Errorf("plan rollout %q, want %q", got, want)
	}
	w.desired[0].Rollout.Interval = time.Minute
	_, res, err := e.deploy(ctx, t, w, opts)
	if err != nil {
		t.Fatal(err)
	}
	wantRes := &deployer.RolloutResult{From: "1", To: "2", Smoke: 1, Resumed: 10,
		Steps: []deployer.RolloutStep{{Percent: 10, Passed: true}, {Percent: 50, Passed: true}, {Percent: 100, Passed: true}}}
	if diff := cmp.Diff(wantRes, res.Functions[0].Rollout); diff != "" {
		t.Errorf("resumed rollout (-want +got):\n%s", diff)
	}
	if v, weights := e.alias(t, "a"); v != "2" || weights != nil {
		t.Errorf("alias on %s %v, want 2 alone", v, weights)
	}
	e.checkConverged(t, w)

	// lamb rollback of a split alias: back to its primary, weights cleared.
	if _, err := e.client.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("a"), Name: aws.String("live"), FunctionVersion: aws.String("1"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.5}}}); err != nil {
		t.Fatal(err)
	}
	rb, err := d.Rollback(ctx, w.desired[0].Function, "")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(deployer.Rollback{Name: "a", Alias: "live", From: "1", To: "1", Split: "alias live is split: 50% version 1, 50% version 2"}, rb); diff != "" {
		t.Errorf("rollback (-want +got):\n%s", diff)
	}
	if v, weights := e.alias(t, "a"); v != "1" || weights != nil {
		t.Errorf("after rollback alias on %s %v, want 1 alone", v, weights)
	}
}
