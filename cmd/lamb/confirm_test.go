package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfirmOnTerminal: a stage with confirm: true shows the plan on a
// terminal and deploys only after "yes".
func TestConfirmOnTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a function")
	}
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "repo")
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	copyTree(t, filepath.Join(wd, "..", "..", "testdata", "monorepo"), dir)
	manifest := `version: 1
defaults: {alias: live}
functions:
  probe: {package: ./functions/ops/probe}
stages:
  prod: {prefix: prod-, confirm: true}
`
	if err := os.WriteFile(filepath.Join(dir, "lamb.yaml"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	deploy := func(answer string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"-C", dir, "--stage", "prod", "deploy", "--local"},
			proc{Stdin: strings.NewReader(answer), Stdout: &out, Stderr: &errb, Terminal: true, Getenv: func(string) string { return "" }})
		return code, out.String(), errb.String()
	}
	code, out, stderr := deploy("no\n")
	if code != exitFailed || !strings.Contains(stderr, "prod-probe  create") || !strings.Contains(stderr, "Deploy 1 change(s) to stage prod? Only yes is accepted: ") ||
		!strings.Contains(stderr, "lamb: deploy to stage prod: not confirmed, nothing changed") || out != "" {
		t.Fatalf("answer no: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
	code, out, stderr = deploy("yes\n")
	if code != exitOK || !strings.Contains(out, "prod-probe  created") {
		t.Fatalf("answer yes: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
}
