package statefile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type state struct {
	Values map[string]string `json:"values"`
}

func TestSaveLoad(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sub", "s.json")
	var got state
	found, err := Load(path, &got)
	if err != nil || found {
		t.Fatalf("Load of a missing file = %v, %v", found, err)
	}
	want := state{Values: map[string]string{"a": "1"}}
	if err := Save(path, want); err != nil {
		t.Fatal(err)
	}
	// An earlier file with loose permissions is replaced by a 0600 one.
	os.Chmod(path, 0o644)
	if err := Save(path, want); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
	if found, err := Load(path, &got); err != nil || !found {
		t.Fatalf("Load = %v, %v", found, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	ents, _ := os.ReadDir(filepath.Dir(path))
	if len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}
}

func TestLoadErrorsDoNotQuoteContent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := map[string]string{
		"syntax": `{"values":{"a":hunter2}}`,
		"type":   `{"values":{"a":["hunter2"]}}`,
	}
	for name, content := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(dir, name+".json")
			os.WriteFile(path, []byte(content), 0o600)
			var s state
			_, err := Load(path, &s)
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "'h'") {
				t.Errorf("error quotes the file: %v", err)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error does not name the file: %v", err)
			}
		})
	}
}

func TestLoadRefusesADirectory(t *testing.T) {
	t.Parallel()
	var s state
	if _, err := Load(t.TempDir(), &s); err == nil {
		t.Error("no error for a directory")
	}
}

// TestErrorsNameRelativePaths: errors name a state path relative to the
// working directory when it is inside it, never by the host's absolute
// path (issue 11), and keep the os error for errors.Is.
func TestErrorsNameRelativePaths(t *testing.T) {
	// Not parallel: it changes the working directory.
	root := t.TempDir()
	t.Chdir(root)
	dir := filepath.Join(root, ".lamb", "local", "state")
	tests := []struct {
		name, path, want string
	}{
		{"inside", filepath.Join(dir, "ssm.json"), filepath.Join(".lamb", "local", "state", "ssm.json")},
		{"relative", "x.json", "x.json"},
		{"outside", "/elsewhere/x.json", "/elsewhere/x.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DisplayPath(tt.path); got != tt.want {
				t.Errorf("DisplayPath(%s) = %s, want %s", tt.path, got, tt.want)
			}
		})
	}
	err := PathError("write", filepath.Join(dir, "ssm.json"), &fs.PathError{Op: "open", Path: filepath.Join(dir, "ssm.json"), Err: fs.ErrPermission})
	if want := "write " + filepath.Join(".lamb", "local", "state", "ssm.json") + ": open: permission denied"; err.Error() != want || !errors.Is(err, fs.ErrPermission) {
		t.Errorf("PathError = %v, want %s", err, want)
	}
	// A write that fails names the file relative to the working directory.
	os.WriteFile(filepath.Join(root, "afile"), nil, 0o600)
	err = WriteAtomic(filepath.Join(root, "afile", "x.json"), []byte("{}"))
	if err == nil || strings.Contains(err.Error(), root) || !strings.Contains(err.Error(), filepath.Join("afile", "x.json")) {
		t.Errorf("WriteAtomic under a file: %v", err)
	}
}

// TestZeroFile: without a state directory nothing is read or written.
func TestZeroFile(t *testing.T) {
	t.Parallel()
	f := At("", "ssm.json")
	var s state
	if found, err := f.Load(&s); found || err != nil || f.Persistent() {
		t.Errorf("zero File: Load %v %v, Persistent %v", found, err, f.Persistent())
	}
	if err := f.Save(state{}); err != nil {
		t.Error(err)
	}
	dir := t.TempDir()
	g := At(dir, "s.json")
	if err := g.Save(state{Values: map[string]string{"a": "1"}}); err != nil || !g.Persistent() {
		t.Fatal(err)
	}
	if found, err := g.Load(&s); !found || err != nil || s.Values["a"] != "1" {
		t.Errorf("Load after Save: %v %v %v", found, err, s)
	}
}
