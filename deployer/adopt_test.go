package deployer_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/deployer"
	"github.com/lambctl/lamb/emulator"
)

// TestAdopt deploys functions created by another tool (no lamb tags): the
// plan says adopt; the deploy uploads code only where the live CodeSha256
// is not the artifact's (issue 13).
func TestAdopt(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, emulator.Options{})
	ctx := context.Background()
	w := e.world(t, map[string]string{"same": "fs1", "other": "fo1"})
	// same: created with the very zip lamb builds; other: with other code.
	e.createWith(t, "same", w.arts["same"], nil)
	e.createWith(t, "other", e.artifact(t, "other", "by-terraform"), nil)

	plan, err := deployer.New(testOptions(e)).Plan(ctx, w.desired)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"other adopt", "same adopt"}, actions(plan)); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
	text, _ := renderPlan(t, plan)
	checkGolden(t, "plan-adopt.txt", text)

	e.srv.ResetCalls()
	_, res, err := e.deploy(ctx, t, w, testOptions(e))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.Summary(), "created 0, updated 2, unchanged 0, failed 0"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	got := e.mutating()
	slicesSortByFunction(got)
	want := []string{
		"UpdateFunctionConfiguration other", "UpdateFunctionCode other", "PublishVersion other", "UpdateAlias other", "CreateAlias other", "TagResource other",
		"UpdateFunctionConfiguration same", "PublishVersion same", "UpdateAlias same", "CreateAlias same", "TagResource same",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mutating calls (-want +got):\n%s", diff)
	}
	e.checkConverged(t, w)
}
