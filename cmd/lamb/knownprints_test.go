package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lambctl/lamb/graph"
	"github.com/lambctl/lamb/manifest"
)

func TestKnownPrints(t *testing.T) {
	fns := []manifest.Function{{Name: "a"}, {Name: "b"}}
	tests := []struct {
		name  string
		known map[string]string
		want  []graph.Print
	}{
		{"none known: load the graph", nil, nil},
		{"one missing: load the graph", map[string]string{"a": "fa"}, nil},
		{"all known", map[string]string{"a": "fa", "b": "fb", "c": "fc"}, []graph.Print{{Function: "a", Fingerprint: "fa"}, {Function: "b", Fingerprint: "fb"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := knownPrints(fns, tt.known)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("knownPrints (-want +got):\n%s", diff)
			}
		})
	}
}
