package deployer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/deployer"
	"github.com/lambctl/lamb/emulator"
	"github.com/lambctl/lamb/internal/failure"
	"github.com/lambctl/lamb/manifest"
)

func TestDeployCreatesThenNothing(t *testing.T) {
	e := newTestEnv(t, emulator.Options{})
	ctx := context.Background()
	w := e.world(t, map[string]string{"a": "fa1", "b": "fb1", "c": "fc1"})
	w.edit("c", func(f *manifest.Function) { f.Alias = "" })

	plan, res, err := e.deploy(ctx, t, w, testOptions(e))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plan.Functions {
		if p.Action != deployer.ActionCreate || !p.Code {
			t.Errorf("%s: first plan %s, want create", p.Name, p.Label())
		}
	}
	if got, want := res.Summary(), "created 3, updated 0, unchanged 0, failed 0"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	e.checkConverged(t, w)

	e.srv.ResetCalls()
	_, res, err = e.deploy(ctx, t, w, testOptions(e))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.Summary(), "created 0, updated 0, unchanged 3, failed 0"; got != want {
		t.Errorf("second summary %q, want %q", got, want)
	}
	if m := e.mutating(); len(m) != 0 {
		t.Errorf("second deploy made mutating calls: %v", m)
	}
}

func TestDeployRedeploysExactlyTheChanged(t *testing.T) {
	e := newTestEnv(t, emulator.Options{})
	ctx := context.Background()
	w := e.world(t, map[string]string{"a": "fa1", "b": "fb1", "c": "fc1", "d": "fd1"})
	if _, _, err := e.deploy(ctx, t, w, testOptions(e)); err != nil {
		t.Fatal(err)
	}
	w.set(t, e, "b", "fb2")
	w.set(t, e, "d", "fd2")
	e.srv.ResetCalls()
	plan, res, err := e.deploy(ctx, t, w, testOptions(e))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"b", "d"}, plan.NeedCode()); diff != "" {
		t.Errorf("NeedCode (-want +got):\n%s", diff)
	}
	want := []string{
		"UpdateFunctionCode b", "PublishVersion b", "UpdateAlias b", "TagResource b",
		"UpdateFunctionCode d", "PublishVersion d", "UpdateAlias d", "TagResource d",
	}
	got := e.mutating()
	slicesSortByFunction(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mutating calls (-want +got):\n%s", diff)
	}
	if got, want := res.Summary(), "created 0, updated 2, unchanged 2, failed 0"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	e.checkConverged(t, w)
}

// slicesSortByFunction orders "Op Function" strings by function, keeping
// each function's calls in order.
func slicesSortByFunction(calls []string) {
	fnOf := func(s string) string { return s[strings.LastIndex(s, " ")+1:] }
	// stable insertion sort: few elements
	for i := 1; i < len(calls); i++ {
		for j := i; j > 0 && fnOf(calls[j]) < fnOf(calls[j-1]); j-- {
			calls[j], calls[j-1] = calls[j-1], calls[j]
		}
	}
}

func TestPlanConfigAndDrift(t *testing.T) {
	e := newTestEnv(t, emulator.Options{})
	ctx := context.Background()
	w := e.world(t, map[string]string{"a": "fa1", "b": "fb1", "c": "fc1", "d": "fd1", "e": "fe1"})
	if _, _, err := e.deploy(ctx, t, w, testOptions(e)); err != nil {
		t.Fatal(err)
	}
	// d gets a second version.
	w.set(t, e, "d", "fd2")
	if _, _, err := e.deploy(ctx, t, w, testOptions(e)); err != nil {
		t.Fatal(err)
	}
	// a: config only; b: code and config; c: changed by hand (drift);
	// d: alias moved by hand to an older version; e: unchanged.
	w.edit("a", func(f *manifest.Function) {
		f.Memory = 256
		f.Environment = map[string]string{"LOG_LEVEL": "debug", "SECRET": "hunter2", "NEW": "x"}
	})
	w.set(t, e, "b", "fb2")
	w.edit("b", func(f *manifest.Function) { f.Architecture = "x86_64" })
	other := e.artifact(t, "c", "by-hand")
	zipBytes := mustRead(t, other.Path)
	if _, err := e.client.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("c"), ZipFile: zipBytes}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("d"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}

	plan, err := deployer.New(testOptions(e)).Plan(ctx, w.desired)
	if err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	enc := json.NewEncoder(&got)
	enc.SetIndent("", "  ")
	if err := enc.Encode(plan); err != nil {
		t.Fatal(err)
	}
	// The drift reason names CodeSha256s: normalize them.
	text := strings.ReplaceAll(got.String(), other.CodeSha256, "<by-hand>")
	text = strings.ReplaceAll(text, e.artifact(t, "c", "fc1").CodeSha256, "<fc1>")
	checkGolden(t, "plan.json", text)
	var table strings.Builder
	if err := plan.WriteText(&table); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "plan.txt", strings.ReplaceAll(strings.ReplaceAll(table.String(), other.CodeSha256, "<by-hand>"), e.artifact(t, "c", "fc1").CodeSha256, "<fc1>"))
	if strings.Contains(text, "hunter2") || strings.Contains(text, "debug") {
		t.Errorf("plan shows environment values:\n%s", text)
	}
	labels := map[string]string{}
	for _, p := range plan.Functions {
		labels[p.Name] = p.Label()
	}
	wantLabels := map[string]string{"a": "update config", "b": "update code + config", "c": "update code", "d": "update alias", "e": "no change"}
	if diff := cmp.Diff(wantLabels, labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}

	// The deploy converges: d's alias moves back to the version with fd2.
	if _, _, err := e.deploy(ctx, t, w, testOptions(e)); err != nil {
		t.Fatal(err)
	}
	e.checkConverged(t, w)
}

func TestDeployTagsOnly(t *testing.T) {
	e := newTestEnv(t, emulator.Options{})
	ctx := context.Background()
	w := e.world(t, map[string]string{"a": "fa1"})
	if _, _, err := e.deploy(ctx, t, w, testOptions(e)); err != nil {
		t.Fatal(err)
	}
	w.edit("a", func(f *manifest.Function) { f.Tags = map[string]string{"team": "payments"} })
	e.srv.ResetCalls()
	plan, _, err := e.deploy(ctx, t, w, testOptions(e))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]deployer.Change{{Field: "tags.team", From: "core", To: "payments"}}, plan.Functions[0].Config); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"TagResource a"}, e.mutating()); diff != "" {
		t.Errorf("mutating calls (-want +got):\n%s", diff)
	}
	e.checkConverged(t, w)
}

func TestPlanShowValues(t *testing.T) {
	e := newTestEnv(t, emulator.Options{})
	ctx := context.Background()
	w := e.world(t, map[string]string{"a": "fa1"})
	if _, _, err := e.deploy(ctx, t, w, testOptions(e)); err != nil {
		t.Fatal(err)
	}
	w.edit("a", func(f *manifest.Function) { f.Environment["SECRET"] = "swordfish" })
	opts := testOptions(e)
	opts.ShowValues = true
	plan, err := deployer.New(opts).Plan(ctx, w.desired)
	if err != nil {
		t.Fatal(err)
	}
	want := []deployer.Change{{Field: "environment.SECRET", From: "hunter2", To: "swordfish"}}
	if diff := cmp.Diff(want, plan.Functions[0].Config); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
}

func TestDeployPartialFailure(t *testing.T) {
	e := newTestEnv(t, emulator.Options{})
	ctx := context.Background()
	w := e.world(t, map[string]string{"a": "fa1", "b": "fb1", "c": "fc1"})
	w.edit("b", func(f *manifest.Function) { f.Role = "not-a-role" })
	_, res, err := e.deploy(ctx, t, w, testOptions(e))
	if err == nil {
		t.Fatal("deploy succeeded with an invalid role")
	}
	var fe *failure.Error
	if name, _ := failure.FunctionOf(err); !errors.As(err, &fe) || name != "b" || fe.Op != "create" {
		t.Errorf("error %v, want b's create error", err)
	}
	if lines := strings.Split(err.Error(), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "b: create: ") {
		t.Errorf("error %q, want one line starting with %q", err, "b: create: ")
	}
	if got, want := res.Summary(), "created 2, updated 0, unchanged 0, failed 1"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	w.edit("b", func(f *manifest.Function) { f.Role = "arn:aws:iam::123456789012:role/lambda-basic" })
	w.set(t, e, "a", "fa2")
	var mu sync.Mutex
	var events []string
	opts := testOptions(e)
	opts.OnStart = func(name string) {
		mu.Lock()
		events = append(events, "start "+name)
		mu.Unlock()
	}
	opts.OnDone = func(r deployer.FunctionResult) {
		mu.Lock()
		events = append(events, fmt.Sprintf("done %s %s %s", r.Name, r.Outcome, r.Version))
		mu.Unlock()
	}
	opts.Concurrency = 1
	if _, _, err := e.deploy(ctx, t, w, opts); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"start a", "done a updated 2", "start b", "done b created 1"}, events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if _, _, err := e.deploy(ctx, t, w, testOptions(e)); err != nil {
		t.Fatal(err)
	}
	e.checkConverged(t, w)
}

func TestDeployPlanFailure(t *testing.T) {
	e := newTestEnv(t, emulator.Options{})
	ctx := context.Background()
	w := e.world(t, map[string]string{"a": "fa1", "b": "fb1", "c": "fc1"})
	e.srv.Inject(emulator.Fault{Op: "GetFunction", Function: "b", Status: 403, Message: "not allowed"})
	_, res, err := e.deploy(ctx, t, w, testOptions(e))
	if err == nil || !strings.HasPrefix(err.Error(), "b: get function: ") || strings.Contains(err.Error(), "\n") {
		t.Errorf("error %v, want one line for b's GetFunction", err)
	}
	if got, want := res.Summary(), "created 2, updated 0, unchanged 0, failed 1"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	var names []string
	for _, f := range res.Functions {
		names = append(names, f.Name+" "+string(f.Outcome))
	}
	if diff := cmp.Diff([]string{"a created", "b failed", "c created"}, names); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if _, _, err := e.deploy(ctx, t, w, testOptions(e)); err != nil {
		t.Fatal(err)
	}
	e.checkConverged(t, w)
}

func TestDeployFailedBuild(t *testing.T) {
	e := newTestEnv(t, emulator.Options{})
	ctx := context.Background()
	w := e.world(t, map[string]string{"a": "fa1", "b": "fb1"})
	d := deployer.New(testOptions(e))
	plan, err := d.Plan(ctx, w.desired)
	if err != nil {
		t.Fatal(err)
	}
	plan.Fail("a", errors.New("a: build: syntax error"))
	res, err := d.Deploy(ctx, plan, []deployer.Artifact{w.arts["b"]})
	if err == nil || err.Error() != "a: build: syntax error" {
		t.Errorf("error %v, want a's build error alone", err)
	}
	if got, want := res.Summary(), "created 1, updated 0, unchanged 0, failed 1"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	if m := e.mutating(); len(m) != 4 || strings.Contains(strings.Join(m, ","), " a") {
		t.Errorf("mutating calls %v, want b's only", m)
	}
}

func TestRollbackAndKeepVersions(t *testing.T) {
	e := newTestEnv(t, emulator.Options{})
	ctx := context.Background()
	w := e.world(t, map[string]string{"a": "v1"})
	opts := testOptions(e)
	for _, fp := range []string{"v1", "v2", "v3", "v4"} {
		w.set(t, e, "a", fp)
		if _, _, err := e.deploy(ctx, t, w, opts); err != nil {
			t.Fatal(err)
		}
	}
	d := deployer.New(opts)
	f := w.desired[0].Function
	rb, err := d.Rollback(ctx, f, "")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(deployer.Rollback{Name: "a", Alias: "live", From: "4", To: "3"}, rb); diff != "" {
		t.Errorf("rollback (-want +got):\n%s", diff)
	}
	aliasSha := func() string {
		out, err := e.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("a"), Qualifier: aws.String("live")})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Configuration.CodeSha256)
	}
	if got, want := aliasSha(), e.artifact(t, "a", "v3").CodeSha256; got != want {
		t.Errorf("after rollback alias code %s, want v3's %s", got, want)
	}
	if rb, err = d.Rollback(ctx, f, "1"); err != nil || rb.To != "1" {
		t.Fatalf("rollback --to 1 = %+v, %v", rb, err)
	}
	if _, err := d.Rollback(ctx, f, ""); err == nil || !strings.Contains(err.Error(), "no earlier version") {
		t.Errorf("rollback below version 1: %v, want no earlier version", err)
	}
	if _, err := d.Rollback(ctx, f, "9"); err == nil || !strings.Contains(err.Error(), "version 9 does not exist") {
		t.Errorf("rollback --to 9: %v", err)
	}

	// The plan sees the alias away from the deployed code; a deploy with
	// KeepVersions moves it back and prunes unreferenced old versions.
	plan, err := d.Plan(ctx, w.desired)
	if err != nil {
		t.Fatal(err)
	}
	if l := plan.Functions[0].Label(); l != "update alias" {
		t.Errorf("plan after rollback: %s, want update alias", l)
	}
	opts.KeepVersions = 2
	_, res, err := e.deploy(ctx, t, w, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Functions[0].Version != "4" || res.Functions[0].Pruned != 2 {
		t.Errorf("deploy result %+v, want version 4 and 2 pruned", res.Functions[0])
	}
	vs, err := e.client.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String("a")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vs.Versions {
		got = append(got, aws.ToString(v.Version))
	}
	if diff := cmp.Diff([]string{"$LATEST", "3", "4"}, got); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}
	e.checkConverged(t, w)
}

func TestDeployCancelled(t *testing.T) {
	e := newTestEnv(t, emulator.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w := e.world(t, map[string]string{"a": "fa1"})
	d := deployer.New(testOptions(e))
	plan, err := d.Plan(context.Background(), w.desired)
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.Deploy(ctx, plan, []deployer.Artifact{w.arts["a"]})
	if !errors.Is(err, context.Canceled) || res.Failed != 1 {
		t.Errorf("deploy with cancelled context: %v, %s", err, res.Summary())
	}
	if m := e.mutating(); len(m) != 0 {
		t.Errorf("cancelled deploy made calls: %v", m)
	}
}

// TestDeployPacedUnderQuota deploys against the emulator with AWS's rate
// limits: the client-side limiter keeps every call under the quota, so
// not one is throttled.
func TestDeployPacedUnderQuota(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about 3 s of paced calls")
	}
	e := newTestEnv(t, emulator.Options{RateLimit: emulator.DefaultRateLimit()})
	fps := map[string]string{}
	for i := range 12 {
		fps[fmt.Sprintf("f%02d", i)] = "fp1"
	}
	w := e.world(t, fps)
	opts := testOptions(e)
	opts.Rate, opts.ReadRate, opts.Concurrency = deployer.DefaultRate, deployer.DefaultReadRate, 12
	if _, _, err := e.deploy(context.Background(), t, w, opts); err != nil {
		t.Fatal(err)
	}
	writes := 0
	for _, c := range e.srv.Calls() {
		if c.Status == 429 {
			t.Errorf("throttled: %+v", c)
		}
		if c.Op != "GetFunction" {
			writes++
		}
	}
	if writes != 48 {
		t.Errorf("%d shared-quota calls, want 48 (4 per function)", writes)
	}
	e.checkConverged(t, w)
}
