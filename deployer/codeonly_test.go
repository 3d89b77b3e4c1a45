package deployer_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/deployer"
	"github.com/lambctl/lamb/emulator"
	"github.com/lambctl/lamb/manifest"
)

// TestCodeOnly deploys functions another tool created and configures
// (manage: code): lamb updates the code, publishes, moves the alias and
// writes its own tags; it never writes their configuration — a memory
// size changed by the other tool is left alone, and reaches the alias
// through a new version of $LATEST — and never creates one: the plan shows
// a function the other tool has not created yet without failing, the
// deploy fails it (issue 13).
func TestCodeOnly(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, emulator.Options{})
	ctx := context.Background()
	w := e.world(t, map[string]string{"orders": "fo1", "missing": "fm1", "billing": "fb1"})
	for i := range w.desired {
		w.desired[i].Function.Manage = manifest.ManageCode
	}
	// orders: never deployed by lamb; billing: lamb deployed it with
	// manage: all, so it carries lamb:project, which must go (lamb never
	// prunes a function it does not own).
	e.createWith(t, "orders", e.artifact(t, "orders", "by-terraform"), map[string]string{"owner": "terraform"})
	e.createWith(t, "billing", w.arts["billing"], map[string]string{deployer.TagProject: "shop/prod", deployer.TagFingerprint: "fb1", deployer.TagCodeSha256: w.arts["billing"].CodeSha256})
	setMemory := func(mb int32) {
		t.Helper()
		if _, err := e.client.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("orders"), MemorySize: aws.Int32(mb)}); err != nil {
			t.Fatal(err)
		}
		if err := lambda.NewFunctionUpdatedV2Waiter(e.client).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("orders")}, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	setMemory(256)
	opts := projectOptions(e, w)

	plan, err := deployer.New(opts).Plan(ctx, w.desired)
	if err != nil {
		t.Errorf("plan error %v, want none (missing is the other tool's to create)", err)
	}
	if diff := cmp.Diff([]string{"billing", "orders"}, plan.Changed()); diff != "" {
		t.Errorf("changed (-want +got):\n%s", diff)
	}
	text, js := renderPlan(t, plan)
	checkGolden(t, "plan-code-only.txt", text)
	checkGolden(t, "plan-code-only.json", js)

	e.srv.ResetCalls()
	_, res, err := e.deploy(ctx, t, w, opts)
	want := "missing: deploy: the function does not exist, and lamb manages only its code (manage: code): create it with the tool that owns it (Terraform, CDK, CloudFormation) before deploying"
	if err == nil || err.Error() != want {
		t.Errorf("deploy error %v\nwant %s", err, want)
	}
	if got := res.Summary(); got != "created 0, updated 2, unchanged 0, failed 1" {
		t.Errorf("summary %s", got)
	}
	w.desired = slices.DeleteFunc(w.desired, func(d deployer.Desired) bool { return d.Function.Name == "missing" })
	wantCalls := []string{
		"PublishVersion billing", "CreateAlias billing", "UntagResource billing",
		"UpdateFunctionCode orders", "PublishVersion orders", "UpdateAlias orders", "CreateAlias orders", "TagResource orders",
	}
	calls := e.mutating()
	slicesSortByFunction(calls)
	if diff := cmp.Diff(wantCalls, calls); diff != "" {
		t.Errorf("mutating calls (-want +got):\n%s", diff)
	}
	w.desired = slices.DeleteFunc(w.desired, func(d deployer.Desired) bool { return d.Function.Name == "billing" })
	got, err := e.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("orders")})
	if err != nil {
		t.Fatal(err)
	}
	wantTags := map[string]string{"owner": "terraform", deployer.TagFingerprint: "fo1", deployer.TagCodeSha256: w.arts["orders"].CodeSha256}
	if diff := cmp.Diff(wantTags, got.Tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	if m := aws.ToInt32(got.Configuration.MemorySize); m != 256 {
		t.Errorf("memory %d, want the other tool's 256", m)
	}
	if env := got.Configuration.Environment; env != nil && len(env.Variables) > 0 {
		t.Errorf("environment written: %v", env.Variables)
	}

	// The other tool changes the memory again: lamb leaves it, and
	// publishes $LATEST so that the alias serves it.
	setMemory(512)
	e.srv.ResetCalls()
	plan, res, err = e.deploy(ctx, t, w, opts)
	if err != nil {
		t.Fatal(err)
	}
	wantReasons := []string{"alias live points to version 1, whose memory is not $LATEST's: configuration changed outside lamb (managed elsewhere): publish"}
	if p := plan.Functions[0]; p.Label() != "update alias" || !cmp.Equal(wantReasons, p.Reasons) || len(p.Config) != 0 {
		t.Errorf("plan after the other tool's change: %s %q %v", p.Label(), p.Reasons, p.Config)
	}
	if diff := cmp.Diff([]string{"PublishVersion orders", "UpdateAlias orders"}, e.mutating()); diff != "" {
		t.Errorf("mutating calls (-want +got):\n%s", diff)
	}
	if res.Updated != 1 || res.Functions[0].Version != "2" {
		t.Errorf("result %s %+v", res.Summary(), res.Functions[0])
	}
	for _, q := range []string{"", "live"} {
		got, err = e.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("orders"), Qualifier: aws.String(q)})
		if err != nil || aws.ToInt32(got.Configuration.MemorySize) != 512 {
			t.Errorf("%q: memory %d (%v), want 512", q, aws.ToInt32(got.Configuration.MemorySize), err)
		}
	}
	e.srv.ResetCalls()
	if plan, _, err = e.deploy(ctx, t, w, opts); err != nil || plan.Functions[0].Action != deployer.ActionNoChange || len(e.mutating()) != 0 {
		t.Errorf("after publishing: %v, %s, %v", err, plan.Functions[0].Label(), e.mutating())
	}

	// A new build: code only, the configuration is the other tool's.
	w.set(t, e, "orders", "fo2")
	e.srv.ResetCalls()
	if _, _, err := e.deploy(ctx, t, w, opts); err != nil {
		t.Fatal(err)
	}
	wantCalls = []string{"UpdateFunctionCode orders", "PublishVersion orders", "UpdateAlias orders", "TagResource orders"}
	if diff := cmp.Diff(wantCalls, e.mutating()); diff != "" {
		t.Errorf("mutating calls (-want +got):\n%s", diff)
	}
	al, err := e.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("orders"), Qualifier: aws.String("live")})
	if err != nil || aws.ToString(al.Configuration.CodeSha256) != w.arts["orders"].CodeSha256 || aws.ToInt32(al.Configuration.MemorySize) != 512 {
		t.Errorf("alias version: %v, %v", al, err)
	}
}
