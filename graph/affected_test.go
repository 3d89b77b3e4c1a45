package graph

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lambctl/lamb/internal/failure"
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
			{Name: "a", Package: "example.com/r/functions/a", Fingerprint: cur[0].Fingerprint, Code: true, Reasons: []string{"internal/shared: shared.go changed"}},
			{Name: "c", Package: "example.com/r/functions/b", Fingerprint: cur[1].Fingerprint, Code: true, Reasons: []string{"new in the manifest"}},
		},
		Removed: []string{"b"},
		Prints:  cur,
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
	fns := []manifest.Function{fn("a")}
	outside := newRepo(t, nil)
	if _, err := Affected(ctx, &manifest.Manifest{Root: outside, Functions: fns}, "HEAD", fns); !errors.Is(err, ErrNotGitRepo) {
		t.Errorf("outside git: %v, want ErrNotGitRepo", err)
	}

	empty := newRepo(t, nil)
	gitInit(t, empty)
	full := newRepo(t, nil)
	gitInit(t, full)
	gitCommit(t, full, "one")
	writeFiles(t, full, map[string]string{"functions/a/x.go": "package main\n"})
	gitCommit(t, full, "two")
	run(t, full, nil, "git", "checkout", "-q", "--orphan", "unrelated")
	gitCommit(t, full, "unrelated root")
	run(t, full, nil, "git", "checkout", "-q", "main")
	shallow := filepath.Join(t.TempDir(), "shallow")
	run(t, full, nil, "git", "clone", "-q", "--depth", "1", "file://"+full, shallow)

	tests := []struct {
		name, dir, ref string
		want           []string // in the message
		notWant        string
	}{
		{"no commits", empty, "HEAD", []string{`"HEAD"`, "no commits yet", "commit first"}, "shallow"},
		{"typo in a full clone", full, "nope", []string{`"nope" is not a commit`, "check the name (git branch -a / git tag)"}, "shallow"},
		{"history too short in a full clone", full, "HEAD~5", []string{`"HEAD~5" is not a commit`, "check the name"}, "shallow"},
		{"option-like ref", full, "-h", []string{`"-h" is not a commit`}, "shallow"},
		{"unrelated history", full, "unrelated", []string{"no common history"}, "shallow"},
		{"history missing in a shallow clone", shallow, "HEAD~1", []string{`"HEAD~1" is not a commit`, "a shallow clone", "git fetch --deepen=100", "fetch-depth: 0"}, "check the name"},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
			_, err := Affected(ctx, &manifest.Manifest{Root: tt.dir, Functions: fns}, tt.ref, fns)
			if !errors.Is(err, ErrRefNotFound) {
				t.Fatalf("err = %v, want ErrRefNotFound", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), tt.notWant) {
				t.Errorf("message %q says %q", err, tt.notWant)
			}
		})
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

// TestAffectedManifestChanges is issue 10's second miss: a committed change
// of a function's manifest entry between REF and HEAD is reported — as
// code when it changes the build (each side fingerprinted with its own
// manifest's settings), as configuration otherwise, values of the
// environment never shown, not even in the cache.
func TestAffectedManifestChanges(t *testing.T) {
	isolateCache(t)
	const before = `version: 1
defaults:
  runtime: provided.al2023
  architecture: arm64
functions:
  conf:
    package: ./functions/a
    environment:
      TABLE: orders-secret-1
      DB_URL: {ssm: /orders-secret/db/url}
  ldflags:
    package: ./functions/a
  arch:
    package: ./functions/a
  files:
    package: ./functions/a
  cgo:
    package: ./functions/a
    architecture: x86_64
  moved:
    package: ./functions/a
  same:
    package: ./functions/a
    memory: 256
`
	const after = `version: 1
defaults:
  runtime: provided.al2023
  architecture: arm64
functions:
  conf:
    package: ./functions/a
    memory: 512
    timeout: 30
    role: arn:aws:iam::123456789012:role/x
    alias: live
    tags:
      team: core
    environment:
      TABLE: orders-secret-2
      DB_URL: {ssm: /orders-secret/db/url-v2}
  ldflags:
    package: ./functions/a
    build:
      ldflags: -X main.v=2
  arch:
    package: ./functions/a
    architecture: x86_64
  files:
    package: ./functions/a
    files: [config/rates.json]
  cgo:
    package: ./functions/a
    architecture: x86_64
    build:
      env:
        CGO_ENABLED: "1"
  moved:
    package: ./functions/b
  same:
    package: ./functions/a
    memory: 256
  added:
    package: ./functions/a
`
	dir := newRepo(t, map[string]string{"lamb.yaml": before})
	gitInit(t, dir)
	gitCommit(t, dir, "base")
	writeFiles(t, dir, map[string]string{"lamb.yaml": after})
	gitCommit(t, dir, "manifest")
	m, err := manifest.Load(filepath.Join(dir, "lamb.yaml"), manifest.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Affected(context.Background(), m, "HEAD~1", m.Functions)
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		Code    bool
		Reasons []string
	}
	gotByName := map[string]got{}
	for _, f := range res.Functions {
		gotByName[f.Name] = got{f.Code, f.Reasons}
	}
	want := map[string]got{
		"added": {true, []string{"new in the manifest"}},
		"arch":  {true, []string{"architecture arm64 → x86_64"}},
		"cgo":   {true, []string{`build environment CGO_ENABLED "0" → "1"`}},
		"conf": {false, []string{
			"config: alias (none) → live",
			"config: environment DB_URL changed (value hidden)",
			"config: environment TABLE changed (value hidden)",
			"config: memory 128 → 512",
			"config: role (none) → arn:aws:iam::123456789012:role/x",
			"config: tags team (none) → core",
			"config: timeout 3 → 30",
		}},
		"files":   {true, []string{"files: config/rates.json added"}},
		"ldflags": {true, []string{`build flag -ldflags "-s -w -buildid=" → "-s -w -buildid= -X main.v=2"`}},
		"moved": {true, []string{
			"package example.com/r/functions/a → example.com/r/functions/b",
			"package functions/a removed from closure",
			"package functions/b added to closure",
			"package internal/shared removed from closure",
		}},
	}
	for name, w := range want {
		slices.Sort(w.Reasons)
		want[name] = w
	}
	if diff := cmp.Diff(want, gotByName); diff != "" {
		t.Errorf("affected (-want +got):\n%s", diff)
	}
	if len(res.Prints) != len(m.Functions) {
		t.Errorf("Prints: %d for %d functions", len(res.Prints), len(m.Functions))
	}
	// No environment value, in the result or in the cache.
	var buf strings.Builder
	if err := res.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	cached, _ := filepath.Glob(filepath.Join(os.Getenv("XDG_CACHE_HOME"), "lamb", "affected", "*.json"))
	for _, name := range cached {
		b, _ := os.ReadFile(name)
		buf.Write(b)
	}
	if len(cached) == 0 {
		t.Error("nothing cached")
	}
	if strings.Contains(buf.String(), "orders-secret") {
		t.Errorf("an environment value is in the result or the cache")
	}
}

// TestAffectedHeadFailure: a function that cannot be fingerprinted in the
// working tree is a failure next to the result for the others.
func TestAffectedHeadFailure(t *testing.T) {
	isolateCache(t)
	dir := newRepo(t, nil)
	gitInit(t, dir)
	gitCommit(t, dir, "base")
	writeFiles(t, dir, map[string]string{
		"internal/shared/shared.go": "package shared\n\nfunc Greet() string { return \"hi\" }\n",
		"functions/b/main.go":       "package main\n\nimport \"example.com/r/internal/nope\"\n\nfunc main() { nope.X() }\n",
	})
	fns := []manifest.Function{fn("a"), fn("b")}
	res, err := Affected(context.Background(), &manifest.Manifest{Root: dir, Functions: fns}, "HEAD", fns)
	if res == nil {
		t.Fatalf("no result: %v", err)
	}
	var failed []string
	for _, e := range failure.Flatten(err) {
		name, ok := failure.FunctionOf(e)
		if !ok {
			t.Errorf("not a function's failure: %v", e)
		}
		failed = append(failed, name)
	}
	if diff := cmp.Diff([]string{"b"}, failed); diff != "" {
		t.Errorf("failed (-want +got):\n%s", diff)
	}
	if len(res.Functions) != 1 || res.Functions[0].Name != "a" {
		t.Errorf("affected = %+v, want a", res.Functions)
	}
	if len(res.Prints) != 2 || res.Prints[0].Fingerprint == "" || res.Prints[1].Fingerprint != "" {
		t.Errorf("prints = %+v", res.Prints)
	}
}
