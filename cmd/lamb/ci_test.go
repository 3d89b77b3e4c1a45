package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-multierror"

	"github.com/lambctl/lamb/builder"
	"github.com/lambctl/lamb/deployer"
	"github.com/lambctl/lamb/graph"
	"github.com/lambctl/lamb/internal/failure"
	"github.com/lambctl/lamb/internal/ghactions"
	"github.com/lambctl/lamb/manifest"
)

// withEnv returns options whose environment is env.
func withEnv(env map[string]string) *globalOptions {
	return withStderr(env, io.Discard)
}

// withStderr returns options whose environment is env and stderr stderr.
func withStderr(env map[string]string, stderr io.Writer) *globalOptions {
	return &globalOptions{stdout: io.Discard, stderr: &lockedWriter{w: stderr}, getenv: func(k string) string { return env[k] }}
}

func TestMatrixJSON(t *testing.T) {
	tests := []struct {
		names []string
		want  string
	}{
		{nil, `{"include":[]}`},
		{[]string{"api"}, `{"include":[{"function":"api"}]}`},
		{[]string{"prod-api", `we"ird`}, `{"include":[{"function":"prod-api"},{"function":"we\"ird"}]}`},
	}
	for _, tt := range tests {
		if got := matrixJSON(tt.names); got != tt.want {
			t.Errorf("matrixJSON(%q) = %s, want %s", tt.names, got, tt.want)
		}
	}
	if got := functionsJSON(nil); got != "[]" {
		t.Errorf("functionsJSON(nil) = %s, want []", got)
	}
	var buf bytes.Buffer
	if err := writeMatrix(&buf, []string{"a"}); err != nil || buf.String() != `{"include":[{"function":"a"}]}`+"\n" {
		t.Errorf("writeMatrix = %q, %v", buf.String(), err)
	}
}

func TestWriteGitHubOutputs(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "output")
	if err := os.WriteFile(out, []byte("earlier=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	g := withEnv(map[string]string{"GITHUB_OUTPUT": out}) // not in Actions
	if err := writeGitHubOutputs(g, []string{"a"}); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(out); string(data) != "earlier=1\n" {
		t.Fatalf("wrote outputs outside GitHub Actions: %q", data)
	}

	g = withEnv(map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": out})
	if err := writeGitHubOutputs(g, []string{"prod-api", "prod-billing"}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ghactions.ParseOutputs(string(data))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"earlier":     "1",
		"functions":   `["prod-api","prod-billing"]`,
		"count":       "2",
		"any_changed": "true",
		"matrix":      `{"include":[{"function":"prod-api"},{"function":"prod-billing"}]}`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outputs mismatch (-want +got):\n%s", diff)
	}

	if err := writeGitHubOutputs(g, nil); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(out)
	got, _ = ghactions.ParseOutputs(string(data))
	if got["any_changed"] != "false" || got["count"] != "0" || got["functions"] != "[]" || got["matrix"] != `{"include":[]}` {
		t.Errorf("outputs for no functions: %q", got)
	}

	g = withEnv(map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": filepath.Join(dir, "missing", "out")})
	if err := writeGitHubOutputs(g, []string{"a"}); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}

func TestWriteGitHubSummary(t *testing.T) {
	summary := filepath.Join(t.TempDir(), "summary.md")
	g := withEnv(map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary})
	plan := &deployer.Plan{Functions: []deployer.FunctionPlan{
		{Name: "prod-api", Action: deployer.ActionUpdate, Code: true, Config: []deployer.Change{{Field: "memory", From: "128", To: "256"}}, Reasons: []string{"internal/auth changed"}},
		{Name: "prod-cron", Action: deployer.ActionNoChange},
	}}
	if err := writeGitHubSummary(g, planSummary("prod", plan)); err != nil {
		t.Fatal(err)
	}
	res := &deployer.Result{Functions: []deployer.FunctionResult{
		{Name: "prod-api", Outcome: deployer.Updated, Version: "4"},
		{Name: "prod-cron", Outcome: deployer.Unchanged, Version: "2"},
	}}
	spent := map[string]time.Duration{"prod-api": 1500 * time.Millisecond}
	if err := writeGitHubSummary(g, deploySummary("prod", res, func(n string) time.Duration { return spent[n] }, 2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := writeGitHubSummary(g, affectedSummary([]string{"prod-api"})); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	want := `## lamb plan (prod)

1 of 2 functions change.

| Function | Action | Code | Configuration | Reasons |
|---|---|---|---|---|
| prod-api | update code + config | yes | memory: 128 → 256 | internal/auth changed |
| prod-cron | no change |  |  |  |

## lamb deploy (prod)

1 updated, 1 unchanged in 2s.

| Function | Outcome | Version | Time | Error |
|---|---|---|---:|---|
| prod-api | updated | 4 | 1.5s |  |
| prod-cron | unchanged | 2 | - |  |

## lamb affected

1 function:

- prod-api

`
	if diff := cmp.Diff(want, string(data)); diff != "" {
		t.Errorf("summary mismatch (-want +got):\n%s", diff)
	}
}

func TestErrorAnnotations(t *testing.T) {
	ws := t.TempDir()
	root := filepath.Join(ws, "repo")
	mod := filepath.Join(root, "services")
	if err := os.MkdirAll(filepath.Join(mod, "functions", "api"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module example.com/services\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := &manifest.Manifest{Root: root, Functions: []manifest.Function{{Name: "prod-api", Key: "api", Dir: "services/functions/api"}}}

	merr := usageError(manifest.Errors{
		{Pos: manifest.Pos{File: filepath.Join(root, "lamb.yaml"), Line: 3, Col: 5}, Msg: "unknown field \"memroy\""},
		{Pos: manifest.Pos{File: filepath.Join(root, "lamb.yaml"), Line: 9}, Msg: "timeout: must be 1-900, got 0"},
	})
	var build *multierror.Error
	build = multierror.Append(build,
		&failure.Error{Function: "prod-api", Op: "build", Err: &builder.CompileError{
			Package: "example.com/services/functions/api",
			Output:  "# example.com/services/functions/api\nfunctions/api/main.go:12:2: undefined: foo\n",
		}},
		&failure.Error{Function: "prod-api", Op: "build", Err: errors.New("zip: disk full")},
	)
	err := errors.Join(merr, fmt.Errorf("build: %w", build))

	got := errorAnnotations(m, err, ws, ws)
	want := []ghactions.Annotation{
		{Level: ghactions.Error, File: "repo/lamb.yaml", Line: 3, Col: 5, Message: `unknown field "memroy"`},
		{Level: ghactions.Error, File: "repo/lamb.yaml", Line: 9, Message: "timeout: must be 1-900, got 0"},
		{Level: ghactions.Error, File: "repo/services/functions/api/main.go", Line: 12, Col: 2, Title: "lamb: prod-api does not compile", Message: "undefined: foo"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("annotations mismatch (-want +got):\n%s", diff)
	}

	var buf bytes.Buffer
	annotateError(withStderr(map[string]string{}, &buf), m, err)
	if buf.Len() != 0 {
		t.Errorf("annotations outside GitHub Actions: %q", buf.String())
	}
	annotateError(withStderr(map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": ws}, &buf), m, err)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 || !slices.ContainsFunc(lines, func(l string) bool {
		return l == "::error file=repo/services/functions/api/main.go,line=12,col=2,title=lamb%3A prod-api does not compile::undefined: foo"
	}) {
		t.Errorf("annotateError wrote:\n%s", buf.String())
	}
}

func TestAnnotateManifestErrors(t *testing.T) {
	ws := t.TempDir()
	var buf bytes.Buffer
	g := withStderr(map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": ws}, &buf)
	err := errors.Join(
		usageError(manifest.Errors{{Pos: manifest.Pos{File: filepath.Join(ws, "lamb.yaml"), Line: 2, Col: 3}, Msg: "bad, very: bad"}}),
		&failure.Error{Function: "f", Op: "build", Err: &builder.CompileError{Output: "main.go:1:1: x\n"}},
	)
	annotateManifestErrors(g, err)
	if diff := cmp.Diff("::error file=lamb.yaml,line=2,col=3::bad, very: bad\n", buf.String()); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	buf.Reset()
	annotateManifestErrors(g, errors.New("plain"))
	if buf.Len() != 0 {
		t.Errorf("annotated a plain error: %q", buf.String())
	}
}

func TestNewArtifactCacheURL(t *testing.T) {
	c, err := newArtifactCache(context.Background(), withEnv(nil), "")
	if c != nil || err != nil {
		t.Errorf("empty URL: %v, %v; want nil, nil", c, err)
	}
	_, err = newArtifactCache(context.Background(), withEnv(nil), "https://bucket/x")
	if !failure.IsUsage(err) {
		t.Errorf("bad URL: error %v, want a usage error", err)
	}
}

func TestLockedWriter(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w := &lockedWriter{w: &buf}
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() { defer wg.Done(); fmt.Fprintln(w, "a whole line") }()
	}
	wg.Wait()
	if got := strings.Count(buf.String(), "a whole line\n"); got != 16 {
		t.Errorf("%d whole lines, want 16:\n%s", got, buf.String())
	}
}

func TestOutputNames(t *testing.T) {
	res := &graph.AffectedResult{Functions: []graph.AffectedFunction{{Name: "a"}, {Name: "b"}}}
	if diff := cmp.Diff([]string{"a", "b"}, affectedNames(res)); diff != "" {
		t.Errorf("affectedNames (-want +got):\n%s", diff)
	}
	plan := &deployer.Plan{Functions: []deployer.FunctionPlan{
		{Name: "a", Action: deployer.ActionCreate},
		{Name: "b", Action: deployer.ActionNoChange},
		{Name: "c", Action: deployer.ActionUpdate},
	}}
	if diff := cmp.Diff([]string{"a", "c"}, changedNames(plan)); diff != "" {
		t.Errorf("changedNames (-want +got):\n%s", diff)
	}
	if got := changedNames(&deployer.Plan{}); got == nil || len(got) != 0 {
		t.Errorf("changedNames(empty) = %#v, want an empty slice", got)
	}
	r := &deployer.Result{Functions: []deployer.FunctionResult{
		{Name: "a", Outcome: deployer.Created},
		{Name: "b", Outcome: deployer.Unchanged},
		{Name: "c", Outcome: deployer.Failed},
		{Name: "d", Outcome: deployer.Updated},
	}}
	if diff := cmp.Diff([]string{"a", "d"}, deployedNames(r)); diff != "" {
		t.Errorf("deployedNames (-want +got):\n%s", diff)
	}
}
