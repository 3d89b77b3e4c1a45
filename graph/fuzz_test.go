package graph

import (
	"slices"
	"testing"
)

// FuzzDiff: two prints differ in fingerprint exactly when Diff gives a
// reason other than the fallback, and reasons are sorted and stable.
func FuzzDiff(f *testing.F) {
	f.Add("auth.go", "h1", "h2", "github.com/x/y", "v1.0.0", "v1.1.0", "1.25", "1.26", "config/a.json", "x", "y")
	f.Add("a.go", "h", "h", "m", "v1", "v1", "1.26", "1.26", "f", missing, "y")
	f.Fuzz(func(t *testing.T, file, h1, h2, mod, v1, v2, go1, go2, mf, m1, m2 string) {
		mk := func(h, v, g, m string) Print {
			p := Print{Inputs: Inputs{
				Directives: map[string]string{"go": g},
				Packages:   map[string]PackageInputs{"example.com/r/p": {Name: "p", Files: map[string]string{file: h}}},
				Modules:    map[string]string{mod: v},
				Files:      map[string]string{mf: m},
			}}
			p.Fingerprint = p.Inputs.sum()
			return p
		}
		a, b := mk(h1, v1, go1, m1), mk(h2, v2, go2, m2)
		r := Diff(a, b)
		if (a.Fingerprint == b.Fingerprint) != (len(r) == 0) {
			t.Fatalf("fingerprints equal=%v but reasons %q", a.Fingerprint == b.Fingerprint, r)
		}
		if slices.Contains(r, "fingerprint changed") {
			t.Fatalf("a difference Diff cannot explain: %q", r)
		}
		if !slices.IsSorted(r) {
			t.Fatalf("reasons not sorted: %q", r)
		}
		if !slices.Equal(r, Diff(a, b)) {
			t.Fatalf("reasons not stable")
		}
	})
}
