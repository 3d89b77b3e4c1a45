package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
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
	"github.com/lambctl/lamb/emulator"
	"github.com/lambctl/lamb/graph"
	"github.com/lambctl/lamb/internal/ghactions"
	"github.com/lambctl/lamb/manifest"
)

// withEnv makes getenv read env for the test.
func withEnv(t *testing.T, env map[string]string) {
	t.Helper()
	old := getenv
	getenv = func(k string) string { return env[k] }
	t.Cleanup(func() { getenv = old })
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

	withEnv(t, map[string]string{"GITHUB_OUTPUT": out}) // not in Actions
	if err := writeGitHubOutputs([]string{"a"}); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(out); string(data) != "earlier=1\n" {
		t.Fatalf("wrote outputs outside GitHub Actions: %q", data)
	}

	withEnv(t, map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": out})
	if err := writeGitHubOutputs([]string{"prod-api", "prod-billing"}); err != nil {
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

	if err := writeGitHubOutputs(nil); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(out)
	got, _ = ghactions.ParseOutputs(string(data))
	if got["any_changed"] != "false" || got["count"] != "0" || got["functions"] != "[]" || got["matrix"] != `{"include":[]}` {
		t.Errorf("outputs for no functions: %q", got)
	}

	withEnv(t, map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": filepath.Join(dir, "missing", "out")})
	if err := writeGitHubOutputs([]string{"a"}); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}

func TestWriteGitHubSummary(t *testing.T) {
	summary := filepath.Join(t.TempDir(), "summary.md")
	withEnv(t, map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary})
	plan := &deployer.Plan{Functions: []deployer.FunctionPlan{
		{Name: "prod-api", Action: deployer.ActionUpdate, Code: true, Config: []deployer.Change{{Field: "memory", From: "128", To: "256"}}, Reasons: []string{"internal/auth changed"}},
		{Name: "prod-cron", Action: deployer.ActionNoChange},
	}}
	if err := writeGitHubSummary(planSummary("prod", plan)); err != nil {
		t.Fatal(err)
	}
	res := &deployer.Result{Functions: []deployer.FunctionResult{
		{Name: "prod-api", Outcome: deployer.Updated, Version: "4"},
		{Name: "prod-cron", Outcome: deployer.Unchanged, Version: "2"},
	}}
	spent := map[string]time.Duration{"prod-api": 1500 * time.Millisecond}
	if err := writeGitHubSummary(deploySummary("prod", res, func(n string) time.Duration { return spent[n] }, 2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := writeGitHubSummary(affectedSummary([]string{"prod-api"})); err != nil {
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

func fnsNamed(names ...string) []manifest.Function {
	var fns []manifest.Function
	for _, n := range names {
		fns = append(fns, manifest.Function{Name: n})
	}
	return fns
}

func TestShardFunctions(t *testing.T) {
	fns := fnsNamed("a", "b", "c", "d", "e")
	cost := map[string]int{"a": 10, "b": 1, "c": 1, "d": 5, "e": 5}
	costOf := func(f manifest.Function) int { return cost[f.Name] }

	all, err := shardFunctions(fns, "", costOf)
	if err != nil || len(all) != len(fns) {
		t.Fatalf("no spec: %d functions, %v; want all", len(all), err)
	}
	var got [][]string
	for k := 1; k <= 2; k++ {
		sel, err := shardFunctions(fns, fmt.Sprintf("%d/2", k), costOf)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range sel {
			names = append(names, f.Name)
		}
		got = append(got, names)
	}
	// LPT: a(10)→1, d(5)→2, e(5)→2 (10), b(1)→1 (11), c(1)→2 (11).
	want := [][]string{{"a", "b"}, {"c", "d", "e"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("shards mismatch (-want +got):\n%s", diff)
	}

	for _, bad := range []string{"0/2", "3/2", "x", "1/0"} {
		_, err := shardFunctions(fns, bad, nil)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != exitUsage {
			t.Errorf("--shard %s: error %v, want a usage error", bad, err)
		}
	}
}

func TestClosureCost(t *testing.T) {
	prints := []graph.Print{{
		Function: "api",
		Inputs: graph.Inputs{
			Packages: map[string]graph.PackageInputs{
				"m/functions/api": {Files: map[string]string{"main.go": "x", "h.go": "y"}},
				"m/internal/auth": {Files: map[string]string{"auth.go": "z"}, Embeds: map[string]string{"k.pem": "w"}},
			},
			Modules: map[string]string{"github.com/aws/aws-lambda-go": "v1.47.0"},
		},
	}}
	cost := closureCost(prints)
	if got := cost(manifest.Function{Name: "api"}); got != 5 {
		t.Errorf("cost(api) = %d, want 5 (4 files + 1 module)", got)
	}
	if got := cost(manifest.Function{Name: "unknown"}); got != 1 {
		t.Errorf("cost(unknown) = %d, want 1", got)
	}
}

func TestShardByClosureWithoutSpec(t *testing.T) {
	fns := fnsNamed("a", "b")
	got, err := shardByClosure(context.Background(), nil, fns, "")
	if err != nil || len(got) != 2 {
		t.Errorf("shardByClosure(no spec) = %v, %v", got, err)
	}
	if _, err := shardByClosure(context.Background(), nil, fns, "9/2"); err == nil {
		t.Error("shardByClosure(9/2) succeeded")
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
		&builder.FunctionError{Function: "prod-api", Err: &builder.CompileError{
			Package: "example.com/services/functions/api",
			Output:  "# example.com/services/functions/api\nfunctions/api/main.go:12:2: undefined: foo\n",
		}},
		&builder.FunctionError{Function: "prod-api", Err: errors.New("zip: disk full")},
	)
	err := errors.Join(merr, fmt.Errorf("build: %w", build))

	got := errorAnnotations(m, err, ws)
	want := []ghactions.Annotation{
		{Level: ghactions.Error, File: "repo/lamb.yaml", Line: 3, Col: 5, Message: `unknown field "memroy"`},
		{Level: ghactions.Error, File: "repo/lamb.yaml", Line: 9, Message: "timeout: must be 1-900, got 0"},
		{Level: ghactions.Error, File: "repo/services/functions/api/main.go", Line: 12, Col: 2, Title: "lamb: prod-api does not compile", Message: "undefined: foo"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("annotations mismatch (-want +got):\n%s", diff)
	}

	var buf bytes.Buffer
	withEnv(t, map[string]string{})
	annotateError(&buf, m, err)
	if buf.Len() != 0 {
		t.Errorf("annotations outside GitHub Actions: %q", buf.String())
	}
	withEnv(t, map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": ws})
	annotateError(&buf, m, err)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 || !slices.ContainsFunc(lines, func(l string) bool {
		return l == "::error file=repo/services/functions/api/main.go,line=12,col=2,title=lamb%3A prod-api does not compile::undefined: foo"
	}) {
		t.Errorf("annotateError wrote:\n%s", buf.String())
	}
}

func TestAnnotateManifestErrors(t *testing.T) {
	ws := t.TempDir()
	withEnv(t, map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": ws})
	err := errors.Join(
		usageError(manifest.Errors{{Pos: manifest.Pos{File: filepath.Join(ws, "lamb.yaml"), Line: 2, Col: 3}, Msg: "bad, very: bad"}}),
		&builder.FunctionError{Function: "f", Err: &builder.CompileError{Output: "main.go:1:1: x\n"}},
	)
	var buf bytes.Buffer
	annotateManifestErrors(&buf, err)
	if diff := cmp.Diff("::error file=lamb.yaml,line=2,col=3::bad, very: bad\n", buf.String()); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	buf.Reset()
	annotateManifestErrors(&buf, errors.New("plain"))
	if buf.Len() != 0 {
		t.Errorf("annotated a plain error: %q", buf.String())
	}
}

func TestModuleDir(t *testing.T) {
	root := t.TempDir()
	sub := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := moduleDir(root, "a/b"); got != sub {
		t.Errorf("no go.mod: moduleDir = %s, want %s", got, sub)
	}
	os.WriteFile(filepath.Join(root, "go.mod"), []byte("module x\n"), 0o644)
	if got := moduleDir(root, "a/b"); got != root {
		t.Errorf("root go.mod: moduleDir = %s, want %s", got, root)
	}
	os.WriteFile(filepath.Join(root, "a", "go.mod"), []byte("module y\n"), 0o644)
	if got := moduleDir(root, "a/b"); got != filepath.Join(root, "a") {
		t.Errorf("nested go.mod: moduleDir = %s, want %s", got, filepath.Join(root, "a"))
	}
}

func TestNewArtifactCacheURL(t *testing.T) {
	c, err := newArtifactCache(context.Background(), "", &bytes.Buffer{})
	if c != nil || err != nil {
		t.Errorf("empty URL: %v, %v; want nil, nil", c, err)
	}
	_, err = newArtifactCache(context.Background(), "https://bucket/x", &bytes.Buffer{})
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != exitUsage {
		t.Errorf("bad URL: error %v, want a usage error", err)
	}
}

func TestLockedWriter(t *testing.T) {
	var buf bytes.Buffer
	a, b := lockedWriter(&buf), lockedWriter(&buf)
	if a.(*locked).mu != b.(*locked).mu {
		t.Error("two locked writers of one buffer do not share a lock")
	}
	if lockedWriter(a) != a {
		t.Error("a locked writer was wrapped again")
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(2)
		go func() { defer wg.Done(); fmt.Fprintln(a, "from a") }()
		go func() { defer wg.Done(); fmt.Fprintln(b, "from b") }()
	}
	wg.Wait()
	if n := strings.Count(buf.String(), "\n"); n != 16 {
		t.Errorf("%d lines, want 16", n)
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

func TestShardAffected(t *testing.T) {
	// Functions that cannot be fingerprinted cost 1 each: the shards split
	// them by name.
	m := &manifest.Manifest{Root: t.TempDir(), Functions: fnsNamed("a", "b", "c", "d")}
	res := func() *graph.AffectedResult {
		return &graph.AffectedResult{Functions: []graph.AffectedFunction{{Name: "d"}, {Name: "a"}, {Name: "b"}, {Name: "c"}}}
	}
	ctx := context.Background()
	var got [][]string
	for _, spec := range []string{"", "1/2", "2/2"} {
		r := res()
		if err := shardAffected(ctx, m, r, spec); err != nil {
			t.Fatal(err)
		}
		got = append(got, affectedNames(r))
	}
	want := [][]string{{"d", "a", "b", "c"}, {"a", "c"}, {"d", "b"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("shards (-want +got):\n%s", diff)
	}
	err := shardAffected(ctx, m, res(), "0/1")
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != exitUsage {
		t.Errorf("--shard 0/1: %v, want a usage error", err)
	}
}

func TestProbeEmulator(t *testing.T) {
	old := probeTimeout
	probeTimeout = 200 * time.Millisecond
	t.Cleanup(func() { probeTimeout = old })

	srv, err := emulator.New(emulator.Options{Version: "v1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	lamb := httptest.NewServer(srv)
	t.Cleanup(lamb.Close)

	answer := func(status int, body string) string {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/_lamb/info" || r.Method != http.MethodGet {
				http.NotFound(w, r)
				return
			}
			w.WriteHeader(status)
			fmt.Fprint(w, body)
		}))
		t.Cleanup(s.Close)
		return s.URL
	}
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	host := emulator.HostArch()
	for _, tc := range []struct {
		name, endpoint string
		want           *emulator.Info
	}{
		{"lamb local", lamb.URL, &emulator.Info{Emulator: "lamb", Version: "v1.2.3", HostArch: host}},
		{"trailing slash", lamb.URL + "/", &emulator.Info{Emulator: "lamb", Version: "v1.2.3", HostArch: host}},
		{"arm64 emulator", answer(200, `{"emulator":"lamb","version":"x","host_arch":"arm64"}`), &emulator.Info{Emulator: "lamb", Version: "x", HostArch: "arm64"}},
		{"not found", answer(404, `{"message":"not found"}`), nil},
		{"server error", answer(500, `{"emulator":"lamb","host_arch":"x86_64"}`), nil},
		{"not JSON", answer(200, `<html>hello</html>`), nil},
		{"other emulator", answer(200, `{"emulator":"moto","host_arch":"x86_64"}`), nil},
		{"unknown arch", answer(200, `{"emulator":"lamb","host_arch":"riscv64"}`), nil},
		{"no answer", hang.URL, nil},
		{"connection refused", closed.URL, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := probeEmulator(context.Background(), tc.endpoint)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("probeEmulator(%s) (-want +got):\n%s", tc.endpoint, diff)
			}
		})
	}
}

func TestTargetFunctions(t *testing.T) {
	fns := []manifest.Function{{Name: "a", Architecture: "arm64"}, {Name: "b", Architecture: "x86_64"}}
	archs := func(fns []manifest.Function) []string {
		var out []string
		for _, f := range fns {
			out = append(out, f.Architecture)
		}
		return out
	}
	if diff := cmp.Diff([]string{"arm64", "x86_64"}, archs((&target{}).functions(fns))); diff != "" {
		t.Errorf("AWS target (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"x86_64", "x86_64"}, archs((&target{Arch: "x86_64"}).functions(fns))); diff != "" {
		t.Errorf("emulator target (-want +got):\n%s", diff)
	}
	if fns[0].Architecture != "arm64" {
		t.Errorf("functions changed its argument: %q", fns[0].Architecture)
	}
}
