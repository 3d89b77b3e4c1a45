package deployer_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/deployer"
	"github.com/lambctl/lamb/emulator"
	"github.com/lambctl/lamb/manifest"
)

// TestAliasOnLatest moves aliases to $LATEST by hand (as a CloudFormation
// alias or a revert leaves them): the plan reports them, in both modes,
// and the deploy publishes and points them at the version; a rollout from
// $LATEST moves the alias at once (Lambda splits traffic only between
// published versions).
func TestAliasOnLatest(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, emulator.Options{})
	ctx := context.Background()
	w := e.world(t, map[string]string{"all": "fa1", "code": "fc1", "rollout": "fr1"})
	w.edit("code", func(f *manifest.Function) { f.Manage, f.Tags = manifest.ManageCode, nil })
	e.createWith(t, "code", w.arts["code"], nil)
	for i := range w.desired {
		if w.desired[i].Function.Name == "rollout" {
			w.desired[i].Rollout = &deployer.Rollout{Steps: []int{10, 100}, Interval: time.Hour}
		}
	}
	opts := testOptions(e) // no CloudWatch: a rollout that shifted would fail
	if _, _, err := e.deploy(ctx, t, w, opts); err != nil {
		t.Fatal(err)
	}
	toLatest := func(name string) {
		t.Helper()
		_, err := e.client.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(name), Name: aws.String("live"), FunctionVersion: aws.String("$LATEST")})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"all", "code", "rollout"} {
		toLatest(name)
	}
	w.set(t, e, "rollout", "fr2")

	plan, err := deployer.New(opts).Plan(ctx, w.desired)
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ Label, Reasons, Rollout string }
	got := map[string]row{}
	for _, p := range plan.Functions {
		got[p.Name] = row{Label: p.Label(), Reasons: strings.Join(p.Reasons, "\n"), Rollout: p.Rollout}
	}
	onLatest := "alias live points to $LATEST, not a published version: publish and point it at the version"
	want := map[string]row{
		"all":     {Label: "update alias", Reasons: onLatest},
		"code":    {Label: "update alias", Reasons: onLatest},
		"rollout": {Label: "update code", Reasons: "fingerprint changed: fr1 → fr2", Rollout: "skipped (alias on $LATEST): the alias moves at once after the smoke events"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}

	e.srv.ResetCalls()
	_, res, err := e.deploy(ctx, t, w, opts)
	if err != nil {
		t.Fatal(err)
	}
	calls := e.mutating()
	slicesSortByFunction(calls)
	wantCalls := []string{
		"PublishVersion all", "UpdateAlias all",
		"PublishVersion code", "UpdateAlias code",
		"UpdateFunctionCode rollout", "PublishVersion rollout", "UpdateAlias rollout", "TagResource rollout",
	}
	if diff := cmp.Diff(wantCalls, calls); diff != "" {
		t.Errorf("mutating calls (-want +got):\n%s", diff)
	}
	versions := map[string]string{}
	for _, r := range res.Functions {
		versions[r.Name] = r.Version
	}
	if diff := cmp.Diff(map[string]string{"all": "1", "code": "1", "rollout": "2"}, versions); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}
	if r := res.Functions[2].Rollout; r == nil || r.Skipped != "alias on $LATEST" || r.Gate != "" {
		t.Errorf("rollout result %+v", r)
	}
	for _, name := range []string{"all", "code", "rollout"} {
		if v, weights := e.alias(t, name); v != versions[name] || weights != nil {
			t.Errorf("%s: alias on %s %v, want %s alone", name, v, weights, versions[name])
		}
	}
	e.checkConverged(t, w)
}
