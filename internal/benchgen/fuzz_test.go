package benchgen

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParseImporters checks that parsing never panics and that what it
// accepts survives a write/parse round trip.
func FuzzParseImporters(f *testing.F) {
	f.Add(importersTxt(Importers(7)))
	f.Add("internal/a 2 x,y\n")
	f.Add("internal/a 3 x,y\n")
	f.Add("internal/a 1 x\ninternal/a 1 y\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, content string) {
		m, err := parseImporters("importers.txt", []byte(content))
		if err != nil {
			return
		}
		again, err := parseImporters("importers.txt", []byte(importersTxt(m)))
		if err != nil {
			t.Fatalf("re-parsing written importers: %v", err)
		}
		if diff := cmp.Diff(m, again); diff != "" {
			t.Errorf("round trip changed the importers (-first +second):\n%s", diff)
		}
	})
}
