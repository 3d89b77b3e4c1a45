package graph

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/manifest"
)

// refreshRepo is a small module: a imports lib and ships a manifest file,
// b embeds a file.
var refreshRepo = map[string]string{
	"go.mod":              "module example.com/r\n\ngo 1.24\n",
	"functions/a/main.go": "package main\n\nimport \"example.com/r/lib\"\n\nfunc main() { lib.Hello() }\n",
	"functions/b/main.go": "package main\n\nimport _ \"embed\"\n\n//go:embed msg.txt\nvar msg string\n\nfunc main() { println(msg) }\n",
	"functions/b/msg.txt": "hello\n",
	"lib/lib.go":          "package lib\n\nfunc Hello() { println(\"hi\") }\n",
	"lib/lib_test.go":     "package lib\n",
	"config/x.json":       "{}\n",
}

// TestTrackerRefresh edits a tracked repository and checks that Refresh
// either gives exactly the prints a package load gives, or refuses.
func TestTrackerRefresh(t *testing.T) {
	isolateCache(t)
	tests := []struct {
		name    string
		edits   map[string]string // "" removes
		refresh bool              // Refresh can do it without a package load
	}{
		{"code of a dependency", map[string]string{"lib/lib.go": "package lib\n\nfunc Hello() { println(\"hello\") }\n"}, true},
		{"a comment", map[string]string{"lib/lib.go": "package lib\n\nfunc Hello() { println(\"hi\") } // greets\n"}, true},
		{"code of a main package", map[string]string{"functions/a/main.go": "package main\n\nimport \"example.com/r/lib\"\n\nfunc main() { lib.Hello(); lib.Hello() }\n"}, true},
		{"an embedded file", map[string]string{"functions/b/msg.txt": "bye\n"}, true},
		{"a manifest file", map[string]string{"config/x.json": "{\"a\":1}\n"}, true},
		{"a manifest file removed", map[string]string{"config/x.json": ""}, true},
		{"a test file", map[string]string{"lib/lib_test.go": "package lib\n\nimport \"testing\"\n\nfunc TestX(t *testing.T) {}\n"}, true},
		{"a new test file", map[string]string{"lib/more_test.go": "package lib\n"}, true},
		{"code and a manifest file", map[string]string{"lib/lib.go": "package lib\n\nfunc Hello() { println(\"ho\") }\n", "config/x.json": "[]\n"}, true},
		{"an import added", map[string]string{"lib/lib.go": "package lib\n\nimport \"os\"\n\nfunc Hello() { println(os.Args[0]) }\n"}, false},
		{"a build constraint", map[string]string{"lib/lib.go": "//go:build linux\n\npackage lib\n\nfunc Hello() { println(\"hi\") }\n"}, false},
		{"an embed pattern", map[string]string{"functions/b/main.go": "package main\n\nimport _ \"embed\"\n\n//go:embed *.txt\nvar msg string\n\nfunc main() { println(msg) }\n"}, false},
		{"a new Go file", map[string]string{"lib/more.go": "package lib\n\nfunc More() {}\n"}, false},
		{"a Go file removed", map[string]string{"lib/lib.go": "package lib\n\nfunc Hello() {}\n", "functions/a/main.go": ""}, false},
		{"go.mod", map[string]string{"go.mod": "module example.com/r\n\ngo 1.25\n"}, false},
		{"a file outside the packages", map[string]string{"README.md": "# r\n", "docs/a.md": "a\n"}, true},
		{"a new file below a package", map[string]string{"functions/b/static/x.txt": "x\n"}, false},
		{"a new package", map[string]string{"lib/sub/sub.go": "package sub\n"}, false},
		{"go.work", map[string]string{"go.work": "go 1.24\n\nuse .\n"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeFiles(t, dir, refreshRepo)
			m := &manifest.Manifest{Root: dir}
			a, b := fn("a"), fn("b")
			a.Files = []string{"config/x.json"}
			fns := []manifest.Function{a, b}
			ctx := context.Background()
			tr := NewTracker()
			_, err := tr.Fingerprints(ctx, m, fns)
			if err != nil {
				t.Fatal(err)
			}
			writeFiles(t, dir, tt.edits)
			var changed []string
			for p := range tt.edits {
				changed = append(changed, filepath.Join(dir, filepath.FromSlash(p)))
			}
			if got := tr.Refresh(changed); got != tt.refresh {
				t.Fatalf("Refresh = %v, want %v", got, tt.refresh)
			}
			if !tt.refresh {
				// Refused: every print may be out of date, none is kept.
				for _, f := range fns {
					if _, ok := tr.Print(dir, f); ok {
						t.Errorf("%s: a print kept after a refused Refresh", f.Name)
					}
				}
				return
			}
			want, err := Fingerprints(ctx, m, fns)
			if err != nil {
				t.Fatal(err)
			}
			for i, f := range fns {
				got, ok := tr.Print(dir, f)
				if !ok {
					t.Fatalf("%s: not tracked after Refresh", f.Name)
				}
				if diff := cmp.Diff(want[i], got); diff != "" {
					t.Errorf("%s: refreshed print (-package load +refresh):\n%s", f.Name, diff)
				}
			}
		})
	}
}

// TestTrackerPrint hands out a print only for the function as it was
// fingerprinted.
func TestTrackerPrint(t *testing.T) {
	isolateCache(t)
	dir := t.TempDir()
	writeFiles(t, dir, refreshRepo)
	m := &manifest.Manifest{Root: dir}
	tr := NewTracker()
	a := fn("a")
	if _, err := tr.Fingerprints(context.Background(), m, []manifest.Function{a}); err != nil {
		t.Fatal(err)
	}
	if _, ok := tr.Print(dir, a); !ok {
		t.Fatal("no print for the function fingerprinted")
	}
	other := a
	other.Architecture = "x86_64"
	withFiles := a
	withFiles.Files = []string{"config/x.json"}
	for name, f := range map[string]manifest.Function{"another architecture": other, "other files": withFiles} {
		if _, ok := tr.Print(dir, f); ok {
			t.Errorf("%s: a print of the function as it was", name)
		}
	}
	if _, ok := tr.Print(t.TempDir(), a); ok {
		t.Error("a print for another root")
	}
	tr.Forget("a")
	if _, ok := tr.Print(dir, a); ok {
		t.Error("a print after Forget")
	}
}
