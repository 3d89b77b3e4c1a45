package graph

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lambctl/lamb/manifest"
)

const yamlAB = `version: 1
defaults:
  runtime: provided.al2023
  architecture: arm64
functions:
  a:
    package: ./functions/a
  b:
    package: ./functions/b
`

// TestAffected runs Affected on a manifest that lives in a subdirectory of
// the git repository, through a commit and uncommitted edits.
func TestAffected(t *testing.T) {
	isolateCache(t)
	ctx := context.Background()
	top := t.TempDir()
	gitInit(t, top)
	root := filepath.Join(top, "svc")
	writeFiles(t, root, baseRepo)
	writeFiles(t, root, map[string]string{"lamb.yaml": yamlAB})
	base := gitCommit(t, top, "base")

	// Now: b removed from the manifest, c added, shared edited (uncommitted).
	writeFiles(t, root, map[string]string{
		"lamb.yaml":                 strings.Replace(yamlAB, "  b:\n    package: ./functions/b\n", "  c:\n    package: ./functions/b\n", 1),
		"internal/shared/shared.go": "package shared\n\nfunc Greet() string { return \"hi\" }\n",
	})
	m, err := manifest.Load(filepath.Join(root, "lamb.yaml"), manifest.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Affected(ctx, m, "HEAD", m.Functions)
	if err != nil {
		t.Fatal(err)
	}
	cur := prints(t, root, m.Functions...)
	want := &AffectedResult{
		Base: base,
		Functions: []AffectedFunction{
			{Name: "a", Package: "example.com/r/functions/a", Fingerprint: cur[0].Fingerprint, Reasons: []string{"internal/shared: shared.go changed"}},
			{Name: "c", Package: "example.com/r/functions/b", Fingerprint: cur[1].Fingerprint, Reasons: []string{"new function (not in the manifest at base)"}},
		},
		Removed: []string{"b"},
	}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("Affected (-want +got):\n%s", diff)
	}

	// The worktree is gone.
	if wts := run(t, top, nil, "git", "worktree", "list", "--porcelain"); strings.Count(wts, "worktree ") != 1 {
		t.Errorf("worktrees left behind:\n%s", wts)
	}

	// The base is cached: a second run reads it (proved by tampering with it).
	cacheDir := filepath.Join(os.Getenv("XDG_CACHE_HOME"), "lamb", "affected")
	entries, err := os.ReadDir(cacheDir)
	if err != nil || len(entries) != 1 {
		t.Fatalf("cache entries = %v, %v; want 1", entries, err)
	}
	res2, err := Affected(ctx, m, base, m.Functions)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, res2); diff != "" {
		t.Errorf("cached Affected (-want +got):\n%s", diff)
	}
	name := filepath.Join(cacheDir, entries[0].Name())
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	tampered := strings.Replace(string(data), `"names":["a","b"]`, `"names":["a","b","gone"]`, 1)
	if tampered == string(data) {
		t.Fatalf("cache entry has no names: %s", data)
	}
	if err := os.WriteFile(name, []byte(tampered), 0o644); err != nil {
		t.Fatal(err)
	}
	res3, err := Affected(ctx, m, base, m.Functions)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"b", "gone"}, res3.Removed); diff != "" {
		t.Errorf("the cache was not read: removed (-want +got):\n%s", diff)
	}
}

func TestAffectedNothingChanged(t *testing.T) {
	isolateCache(t)
	dir := newRepo(t, nil)
	gitInit(t, dir)
	gitCommit(t, dir, "base")
	writeFiles(t, dir, map[string]string{"functions/a/README.md": "docs\n"})
	gitCommit(t, dir, "docs")
	fns := []manifest.Function{fn("a"), fn("b")}
	res, err := Affected(context.Background(), &manifest.Manifest{Root: dir, Functions: fns}, "HEAD~1", fns)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Functions) != 0 || len(res.Removed) != 0 {
		t.Errorf("affected = %+v, want nothing", res)
	}
}

func TestAffectedErrors(t *testing.T) {
	isolateCache(t)
	ctx := context.Background()
	dir := newRepo(t, nil)
	fns := []manifest.Function{fn("a")}
	m := &manifest.Manifest{Root: dir, Functions: fns}
	if _, err := Affected(ctx, m, "HEAD", fns); !errors.Is(err, ErrNotGitRepo) {
		t.Errorf("outside git: %v, want ErrNotGitRepo", err)
	}
	gitInit(t, dir)
	gitCommit(t, dir, "base")
	for _, ref := range []string{"nope", "HEAD~5", "-h"} {
		_, err := Affected(ctx, m, ref, fns)
		if !errors.Is(err, ErrRefNotFound) {
			t.Errorf("ref %q: %v, want ErrRefNotFound", ref, err)
			continue
		}
		if !strings.Contains(err.Error(), ref) || !strings.Contains(err.Error(), "fetch-depth: 0") {
			t.Errorf("ref %q: message %q does not say which ref and how to fix it", ref, err)
		}
	}
}

// TestAffectedCancelRemovesWorktree: Ctrl-C while the base is being
// fingerprinted still removes the temporary worktree.
func TestAffectedCancelRemovesWorktree(t *testing.T) {
	isolateCache(t)
	dir := newRepo(t, nil)
	gitInit(t, dir)
	gitCommit(t, dir, "base")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wt string
	testHookWorktree = func(d string) { wt = d; cancel() }
	defer func() { testHookWorktree = nil }()
	fns := []manifest.Function{fn("a")}
	_, err := Affected(ctx, &manifest.Manifest{Root: dir, Functions: fns}, "HEAD", fns)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if wt == "" {
		t.Fatal("no worktree was made")
	}
	if _, err := os.Stat(wt); !os.IsNotExist(err) {
		t.Errorf("worktree %s left behind: %v", wt, err)
	}
	if wts := run(t, dir, nil, "git", "worktree", "list", "--porcelain"); strings.Count(wts, "worktree ") != 1 {
		t.Errorf("git still lists worktrees:\n%s", wts)
	}
	if entries, _ := os.ReadDir(filepath.Join(os.Getenv("XDG_CACHE_HOME"), "lamb", "affected")); len(entries) != 0 {
		t.Errorf("a cancelled run was cached: %v", entries)
	}
}
