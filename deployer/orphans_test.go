package deployer_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/deployer"
	"github.com/lambctl/lamb/emulator"
)

// projectOptions are testOptions for project shop, stage prod, whose
// manifest has the functions of w.
func projectOptions(e *testEnv, w *world) deployer.Options {
	o := testOptions(e)
	o.Project, o.Stage = "shop", "prod"
	o.ManifestFunctions = []string{}
	for _, d := range w.desired {
		o.ManifestFunctions = append(o.ManifestFunctions, d.Function.Name)
	}
	return o
}

func actions(p *deployer.Plan) []string {
	var out []string
	for _, f := range p.Functions {
		out = append(out, f.Name+" "+string(f.Action))
	}
	return out
}

// createBy creates a function outside lamb, with tags.
func (e *testEnv) createBy(t *testing.T, name string, tags map[string]string) {
	t.Helper()
	e.createWith(t, name, e.artifact(t, name, "by-hand"), tags)
}

// createWith creates a function outside lamb (as Terraform would: 128 MB,
// no environment) with art's code and tags, and waits until it is Active.
func (e *testEnv) createWith(t *testing.T, name string, art deployer.Artifact, tags map[string]string) {
	t.Helper()
	ctx := context.Background()
	_, err := e.client.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Role: aws.String(fn(name).Role), Runtime: "provided.al2023", Handler: aws.String("bootstrap"),
		Architectures: []types.Architecture{types.ArchitectureArm64}, MemorySize: aws.Int32(128),
		Code: &types.FunctionCode{ZipFile: mustRead(t, art.Path)}, Tags: tags,
	})
	if err != nil {
		t.Fatal(err)
	}
	w := lambda.NewFunctionActiveV2Waiter(e.client, func(o *lambda.FunctionActiveV2WaiterOptions) { o.MinDelay = time.Millisecond })
	if err := w.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}, time.Minute); err != nil {
		t.Fatal(err)
	}
}

// TestOrphans removes a function from the manifest: plan lists it as an
// orphan, deploy leaves it, deploy --prune deletes it; functions without
// the project and stage's tag are never touched (issue 13).
func TestOrphans(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, emulator.Options{})
	ctx := context.Background()
	w := e.world(t, map[string]string{"a": "fa1", "b": "fb1", "c": "fc1"})
	if _, _, err := e.deploy(ctx, t, w, projectOptions(e, w)); err != nil {
		t.Fatal(err)
	}
	got, err := e.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("c")})
	if err != nil || got.Tags[deployer.TagProject] != "shop/prod" {
		t.Fatalf("c: tags %v, %v; want lamb:project=shop/prod", got.Tags, err)
	}
	// Functions lamb must leave alone: made by hand, another stage's,
	// deployed by a lamb without projects.
	e.createBy(t, "foreign", nil)
	e.createBy(t, "c-dev", map[string]string{deployer.TagProject: "shop/dev"})
	e.createBy(t, "legacy", map[string]string{deployer.TagFingerprint: "x", deployer.TagCodeSha256: "y"})

	w.desired = w.desired[:2] // c leaves the manifest
	opts := projectOptions(e, w)
	plan, err := deployer.New(opts).Plan(ctx, w.desired)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a no-change", "b no-change", "c orphan"}, actions(plan)); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
	text, js := renderPlan(t, plan)
	checkGolden(t, "plan-orphan.txt", text)
	checkGolden(t, "plan-orphan.json", js)
	if n := plan.Changes(); n != 0 {
		t.Errorf("Changes() = %d, want 0: an orphan is not a change to build", n)
	}

	// Without --prune the orphan stays.
	e.srv.ResetCalls()
	_, res, err := e.deploy(ctx, t, w, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.Summary(), "created 0, updated 0, unchanged 2, failed 0, 1 orphan left (--prune deletes it)"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	if m := e.mutating(); len(m) != 0 {
		t.Errorf("deploy without --prune made calls: %v", m)
	}

	// A function that loses its tag between plan and deploy is left alone.
	opts.Prune = true
	d := deployer.New(opts)
	plan, err = d.Plan(ctx, w.desired)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.UntagResource(ctx, &lambda.UntagResourceInput{Resource: got.Configuration.FunctionArn, TagKeys: []string{deployer.TagProject}}); err != nil {
		t.Fatal(err)
	}
	res, err = d.Deploy(ctx, plan, nil)
	if err == nil || !strings.Contains(err.Error(), `c: delete orphan: its lamb:project tag is now "", not "shop/prod": left alone`) || res.Failed != 1 {
		t.Errorf("deploy --prune of an untagged function: %v (%s)", err, res.Summary())
	}
	if _, err := e.client.TagResource(ctx, &lambda.TagResourceInput{Resource: got.Configuration.FunctionArn, Tags: map[string]string{deployer.TagProject: "shop/prod"}}); err != nil {
		t.Fatal(err)
	}

	e.srv.ResetCalls()
	_, res, err = e.deploy(ctx, t, w, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.Summary(), "created 0, updated 0, unchanged 2, failed 0, deleted 1"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	if diff := cmp.Diff([]string{"DeleteFunction c"}, e.mutating()); diff != "" {
		t.Errorf("mutating calls (-want +got):\n%s", diff)
	}
	for name, gone := range map[string]bool{"c": true, "foreign": false, "c-dev": false, "legacy": false, "a": false} {
		_, err := e.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
		if (err != nil) != gone {
			t.Errorf("%s: GetFunction error %v, want gone=%v", name, err, gone)
		}
	}
	e.checkConverged(t, w)
}

// TestProjectTagOfAnotherStage refuses to take over a function tagged for
// another stage, and tags a function deployed before projects existed.
func TestProjectTagOfAnotherStage(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, emulator.Options{})
	ctx := context.Background()
	w := e.world(t, map[string]string{"a": "fa1", "b": "fb1"})
	if _, _, err := e.deploy(ctx, t, w, testOptions(e)); err != nil { // no project
		t.Fatal(err)
	}
	a, err := e.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("a")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.TagResource(ctx, &lambda.TagResourceInput{Resource: a.Configuration.FunctionArn, Tags: map[string]string{deployer.TagProject: "shop/dev"}}); err != nil {
		t.Fatal(err)
	}
	e.srv.ResetCalls()
	plan, res, err := e.deploy(ctx, t, w, projectOptions(e, w))
	want := "a: plan: the function is tagged lamb:project=shop/dev, not shop/prod: it belongs to another project or stage (to move it, remove the tag)"
	if err == nil || err.Error() != want {
		t.Errorf("error %v\nwant %s", err, want)
	}
	if diff := cmp.Diff([]deployer.Change{{Field: "tags.lamb:project", To: "shop/prod"}}, plan.Functions[1].Config); diff != "" {
		t.Errorf("b's plan (-want +got):\n%s", diff)
	}
	if got := res.Summary(); got != "created 0, updated 1, unchanged 0, failed 1" {
		t.Errorf("summary %s", got)
	}
	if diff := cmp.Diff([]string{"TagResource b"}, e.mutating()); diff != "" {
		t.Errorf("mutating calls (-want +got):\n%s", diff)
	}
}
