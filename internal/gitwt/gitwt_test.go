package gitwt

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckout(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	top := t.TempDir()
	ctx := context.Background()
	run := func(args ...string) string {
		t.Helper()
		out, err := Git(ctx, top, args...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	write := func(name, s string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(top, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run("init", "-q", "-b", "main")
	run("config", "user.email", "t@example.com")
	run("config", "user.name", "t")
	write("go.work", "go 1.26\n")
	write("a.txt", "one\n")
	run("add", "-A")
	run("commit", "-q", "-m", "one")
	base := run("rev-parse", "HEAD")
	write("a.txt", "two\n")
	// A hook that would write a file if checkout hooks ran.
	if err := os.WriteFile(filepath.Join(top, ".git", "hooks", "post-checkout"), []byte("#!/bin/sh\ntouch \"$GIT_DIR/../hooked\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	w, err := Checkout(ctx, top, base)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(w.Path("a.txt"))
	if err != nil || string(b) != "one\n" {
		t.Errorf("a.txt at base = %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(top, "hooked")); err == nil {
		t.Error("a checkout hook ran")
	}
	t.Setenv("GOWORK", filepath.Join(top, "go.work"))
	if got := w.GoEnv(); len(got) != 1 || got[0] != "GOWORK="+w.Path("go.work") {
		t.Errorf("GoEnv = %q", got)
	}
	if got := w.Scrub("open " + w.Path("a.txt") + ": x"); got != "open a.txt: x" {
		t.Errorf("Scrub = %q", got)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(w.Dir); err == nil {
		t.Error("worktree left behind")
	}
	if out := run("worktree", "list"); strings.Contains(out, w.Dir) {
		t.Errorf("git still lists the worktree:\n%s", out)
	}
}
