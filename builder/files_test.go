package builder

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExtraFiles(t *testing.T) {
	outside := t.TempDir()
	writeTestFiles(t, outside, map[string]string{"secret": "s"})
	root := t.TempDir()
	writeTestFiles(t, root, map[string]string{
		"config/rates.json":   "{}",
		"templates/a.txt":     "a",
		"templates/sub/b.txt": "b",
		"data/real.json":      "r",
	})
	link := func(target, name string) {
		t.Helper()
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	link(filepath.Join(root, "data", "real.json"), "inside.json")
	link("../data/real.json", "templates/rel.json")
	link(filepath.Join(outside, "secret"), "escape")
	link(outside, "escapedir")
	if err := os.MkdirAll(filepath.Join(root, "leaky"), 0o755); err != nil {
		t.Fatal(err)
	}
	link(filepath.Join(outside, "secret"), "leaky/secret")

	type entry struct{ Name, Src string }
	tests := []struct {
		name    string
		files   []string
		want    []entry
		wantErr string
	}{
		{name: "file", files: []string{"config/rates.json"},
			want: []entry{{"config/rates.json", "config/rates.json"}}},
		{name: "directory", files: []string{"templates"}, wantErr: "files: templates: not a regular file: a directory: list the files"},
		{name: "link in a directory", files: []string{"templates/rel.json"},
			want: []entry{{"templates/rel.json", "data/real.json"}}},
		{name: "link inside", files: []string{"inside.json"},
			want: []entry{{"inside.json", "data/real.json"}}},
		{name: "unclean path", files: []string{"./config//rates.json"},
			want: []entry{{"config/rates.json", "config/rates.json"}}},
		{name: "link outside", files: []string{"escape"}, wantErr: "resolves outside the repository"},
		{name: "link to directory outside", files: []string{"escapedir"}, wantErr: "resolves outside the repository"},
		{name: "link outside inside a directory", files: []string{"leaky/secret"}, wantErr: "leaky/secret: resolves outside"},
		{name: "dotdot", files: []string{"../x"}, wantErr: "resolves outside the repository"},
		{name: "absolute", files: []string{"/etc/passwd"}, wantErr: "resolves outside the repository"},
		{name: "missing", files: []string{"nope.json"}, wantErr: "no such file"},
		{name: "bootstrap", files: []string{"bootstrap"}, wantErr: "replace the function's bootstrap"},
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := extraFiles(root, tt.files)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				if strings.Contains(tt.wantErr, "outside") && !errors.Is(err, ErrEscape) {
					t.Errorf("err = %v, want ErrEscape", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var entries []entry
			for _, z := range got {
				rel, _ := filepath.Rel(realRoot, z.Src)
				entries = append(entries, entry{z.Name, filepath.ToSlash(rel)})
				if z.Mode != 0o644 {
					t.Errorf("%s: mode %v, want 0644", z.Name, z.Mode)
				}
			}
			if diff := cmp.Diff(tt.want, entries); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
		})
	}
}
