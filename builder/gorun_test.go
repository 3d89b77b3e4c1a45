package builder

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseBuildJSON(t *testing.T) {
	stdout := `{"ImportPath":"example.com/x/b","Action":"build-output","Output":"# example.com/x/b\n"}
{"ImportPath":"example.com/x/b","Action":"build-output","Output":"b/main.go:2:14: declared and not used: x\n"}
{"ImportPath":"example.com/x/b","Action":"build-fail"}
not json
{"ImportPath":"example.com/x/nope","Action":"build-output","Output":"b/main.go:2:8: no required module provides package example.com/x/nope\n"}
{"ImportPath":"example.com/x/nope","Action":"build-fail"}
`
	got := parseBuildJSON([]byte(stdout), []byte("go: something else\n"))
	want := buildReport{
		failed: []string{"example.com/x/b", "example.com/x/nope"},
		output: map[string]string{
			"example.com/x/b":    "# example.com/x/b\nb/main.go:2:14: declared and not used: x\n",
			"example.com/x/nope": "b/main.go:2:8: no required module provides package example.com/x/nope\n",
		},
		other: "not json\ngo: something else",
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(buildReport{})); diff != "" {
		t.Errorf("parseBuildJSON (-want +got):\n%s", diff)
	}
}

func TestParseDeps(t *testing.T) {
	got := parseDeps([]byte("m/a m/lib fmt\nm/b\n\n"))
	want := map[string][]string{"m/a": {"m/a", "m/lib", "fmt"}, "m/b": {"m/b"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parseDeps (-want +got):\n%s", diff)
	}
}

func FuzzParseBuildJSON(f *testing.F) {
	f.Add(`{"ImportPath":"a","Action":"build-fail"}`, "")
	f.Add(`{"ImportPath":"a","Action":"build-output","Output":"x\n"}`+"\n{", "err")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, stdout, stderr string) {
		r := parseBuildJSON([]byte(stdout), []byte(stderr))
		for _, p := range r.failed {
			if p == "" {
				t.Fatal("an empty import path failed")
			}
		}
		if strings.TrimSpace(stderr) != "" && !strings.Contains(r.other, strings.TrimSpace(stderr)) {
			t.Fatalf("stderr %q lost", stderr)
		}
		for p := range r.output {
			if p == "" {
				t.Fatal("output for an empty import path")
			}
		}
	})
}
