package sample

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestCopyOnlyTracked(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	src := t.TempDir()
	write := func(name string) {
		t.Helper()
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("lamb.yaml")
	write("functions/a/main.go")
	if out, err := exec.Command("sh", "-c", "cd "+src+" && git init -q && git add -A").CombinedOutput(); err != nil {
		t.Fatalf("git: %v: %s", err, out)
	}
	write(".lamb/local/state.json") // a quickstart run's state, untracked
	write("scratch.txt")            // untracked too
	dst := t.TempDir()
	if err := Copy(src, dst); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"lamb.yaml": true, "functions/a/main.go": true, ".lamb": false, "scratch.txt": false} {
		_, err := os.Stat(filepath.Join(dst, name))
		if got := err == nil; got != want {
			t.Errorf("%s copied: %v, want %v", name, got, want)
		}
	}
}
