package deployer

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPlanOnly takes a part of a plan as copies, and TestResultMerge adds
// partial results up: lamb dev deploys each function on its own.
func TestPlanOnly(t *testing.T) {
	p := &Plan{Functions: []FunctionPlan{{Name: "a", Action: ActionUpdate}, {Name: "b", Action: ActionCreate}, {Name: "c", Action: ActionNoChange}}, large: "s3://bucket"}
	for _, tt := range []struct {
		names []string
		want  []string
	}{
		{[]string{"c", "a"}, []string{"a", "c"}}, // plan order
		{[]string{"b", "zz"}, []string{"b"}},
		{nil, nil},
	} {
		got := p.Only(tt.names...)
		var names []string
		for _, f := range got.Functions {
			names = append(names, f.Name)
		}
		if diff := cmp.Diff(tt.want, names); diff != "" {
			t.Errorf("Only(%v) (-want +got):\n%s", tt.names, diff)
		}
		if got.large != p.large {
			t.Errorf("Only(%v) lost the large-package route", tt.names)
		}
	}
	part := p.Only("a")
	p.Fail("a", errors.New("boom"))
	if part.Functions[0].Action != ActionUpdate {
		t.Error("failing a function of the plan changed the part taken before")
	}
}

func TestResultMerge(t *testing.T) {
	r := &Result{Functions: []FunctionResult{{Name: "a", Outcome: Updated}}, Updated: 1}
	r.Merge(&Result{Functions: []FunctionResult{{Name: "b", Outcome: Failed}, {Name: "c", Outcome: Created}}, Failed: 1, Created: 1, Orphaned: 2})
	r.Merge(nil)
	want := &Result{Functions: []FunctionResult{{Name: "a", Outcome: Updated}, {Name: "b", Outcome: Failed}, {Name: "c", Outcome: Created}}, Updated: 1, Failed: 1, Created: 1, Orphaned: 2}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("merged (-want +got):\n%s", diff)
	}
}
