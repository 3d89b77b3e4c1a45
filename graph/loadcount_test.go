package graph

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lambctl/lamb/manifest"
)

// goCounter puts a go command first on PATH that logs its arguments and
// runs the real one; count returns how many go processes ran since the
// last call, by verb ("list", "env", ...).
func goCounter(t *testing.T) (count func() map[string]int) {
	t.Helper()
	real, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	log := filepath.Join(bin, "log")
	script := "#!/bin/sh\necho \"$1\" >>'" + log + "'\nexec '" + real + "' \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return func() map[string]int {
		t.Helper()
		data, err := os.ReadFile(log)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		os.Remove(log)
		n := map[string]int{}
		for _, verb := range strings.Fields(string(data)) {
			n[verb]++
		}
		return n
	}
}

// TestLoadCount is issue 10's load budget: each build configuration's
// package graph is loaded once per side. go/packages runs two go list per
// load (its go version query and the list itself) and the graph one go env:
// for two configurations, Fingerprints runs 4 go list, Affected 8 with the
// base not cached and 4 with it cached, and nothing when given the prints.
func TestLoadCount(t *testing.T) {
	isolateCache(t)
	dir := newRepo(t, map[string]string{"lamb.yaml": `version: 1
defaults:
  runtime: provided.al2023
  architecture: arm64
functions:
  a:
    package: ./functions/a
  a2:
    package: ./functions/a
  b:
    package: ./functions/b
    architecture: x86_64
`})
	gitInit(t, dir)
	gitCommit(t, dir, "base")
	writeFiles(t, dir, map[string]string{"internal/shared/shared.go": "package shared\n\nfunc Greet() string { return \"hi\" }\n"})
	m, err := manifest.Load(filepath.Join(dir, "lamb.yaml"), manifest.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	count := goCounter(t)

	if _, err := Fingerprints(ctx, m, m.Functions); err != nil {
		t.Fatal(err)
	}
	fp := count()
	res, err := Affected(ctx, m, "HEAD", m.Functions)
	if err != nil {
		t.Fatal(err)
	}
	cold := count()
	res2, err := Affected(ctx, m, "HEAD", m.Functions)
	if err != nil {
		t.Fatal(err)
	}
	warm := count()
	res3, err := AffectedWith(ctx, m, "HEAD", m.Functions, res2.Prints)
	if err != nil {
		t.Fatal(err)
	}
	given := count()
	t.Logf("go processes: Fingerprints %v, Affected not cached %v, cached %v, with prints %v", fp, cold, warm, given)
	// Loads per call: one per configuration and side. Each runs one go env
	// and, through go/packages, at most two go list.
	for _, c := range []struct {
		name  string
		n     map[string]int
		loads int
	}{
		{"Fingerprints", fp, 2},
		{"Affected, base not cached", cold, 4},
		{"Affected, base cached", warm, 2},
		{"AffectedWith the working tree's prints, base cached", given, 0},
	} {
		if c.n["env"] != c.loads || c.n["list"] < c.loads || c.n["list"] > 2*c.loads || len(c.n) > 2 {
			t.Errorf("%s: go processes %v, want %d loads: %d go env and at most %d go list", c.name, c.n, c.loads, c.loads, 2*c.loads)
		}
	}
	if diff := cmp.Diff(res, res2); diff != "" {
		t.Errorf("cached result differs (-cold +warm):\n%s", diff)
	}
	if diff := cmp.Diff(res2, res3); diff != "" {
		t.Errorf("result with prints given differs (-computed +given):\n%s", diff)
	}
	if len(res.Functions) != 2 || len(res.Prints) != 3 {
		t.Errorf("affected %d, prints %d; want 2 (a, a2) and 3", len(res.Functions), len(res.Prints))
	}
}
