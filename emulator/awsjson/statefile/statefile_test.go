package statefile

import (
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
