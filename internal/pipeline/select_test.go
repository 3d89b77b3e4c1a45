package pipeline

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/emulator"
	"github.com/lambctl/lamb/emulator/emulatortest"
	"github.com/lambctl/lamb/graph"
	"github.com/lambctl/lamb/internal/failure"
	"github.com/lambctl/lamb/internal/lambdaspec"
	"github.com/lambctl/lamb/internal/shard"
	"github.com/lambctl/lamb/manifest"
)

func fnsNamed(names ...string) []manifest.Function {
	var fns []manifest.Function
	for _, n := range names {
		fns = append(fns, manifest.Function{Name: n, Key: n, Architecture: "arm64"})
	}
	return fns
}

// printOfCost is a print whose ClosureCost is cost (cost files in one package).
func printOfCost(name string, cost int) graph.Print {
	files := map[string]string{}
	for i := range cost {
		files[fmt.Sprint(i)] = "x"
	}
	return graph.Print{Function: name, Fingerprint: "fp-" + name, Inputs: graph.Inputs{Packages: map[string]graph.PackageInputs{"p": {Files: files}}}}
}

func TestShard(t *testing.T) {
	t.Parallel()
	fns := fnsNamed("a", "b", "c", "d", "e")
	prints := map[string]graph.Print{}
	for n, c := range map[string]int{"a": 10, "b": 1, "c": 1, "d": 5, "e": 5} {
		prints[n] = printOfCost(n, c)
	}
	if got := Shard(fns, prints, shard.Spec{}); len(got) != len(fns) {
		t.Fatalf("no spec: %d functions, want all", len(got))
	}
	var got [][]string
	for k := 1; k <= 2; k++ {
		var names []string
		for _, f := range Shard(fns, prints, shard.Spec{Index: k, Count: 2}) {
			names = append(names, f.Name)
		}
		got = append(got, names)
	}
	// LPT: a(10)→1, d(5)→2, e(5)→2 (10), b(1)→1 (11), c(1)→2 (11).
	want := [][]string{{"a", "b"}, {"c", "d", "e"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("shards mismatch (-want +got):\n%s", diff)
	}
	// Without prints every function costs 1: the shards split by name.
	var byName [][]string
	for k := 1; k <= 2; k++ {
		var names []string
		for _, f := range Shard(fnsNamed("d", "a", "b", "c"), nil, shard.Spec{Index: k, Count: 2}) {
			names = append(names, f.Name)
		}
		byName = append(byName, names)
	}
	if diff := cmp.Diff([][]string{{"a", "c"}, {"d", "b"}}, byName); diff != "" {
		t.Errorf("shards without prints (-want +got):\n%s", diff)
	}
}

func TestClosureCost(t *testing.T) {
	t.Parallel()
	p := graph.Print{
		Function: "api",
		Inputs: graph.Inputs{
			Packages: map[string]graph.PackageInputs{
				"m/functions/api": {Files: map[string]string{"main.go": "x", "h.go": "y"}},
				"m/internal/auth": {Files: map[string]string{"auth.go": "z"}, Embeds: map[string]string{"k.pem": "w"}},
			},
			Modules: map[string]string{"github.com/aws/aws-lambda-go": "v1.47.0"},
		},
	}
	if got := ClosureCost(p); got != 5 {
		t.Errorf("ClosureCost(api) = %d, want 5 (4 files + 1 module)", got)
	}
	if got := ClosureCost(graph.Print{}); got != 1 {
		t.Errorf("ClosureCost(none) = %d, want 1", got)
	}
}

func TestSelectUsageErrors(t *testing.T) {
	t.Parallel()
	m := &manifest.Manifest{Root: t.TempDir(), Functions: fnsNamed("a", "b")}
	for _, o := range []SelectOptions{
		{Names: []string{"nope"}},
		{Shard: "3/2"},
		{Shard: "x"},
		{Since: "HEAD"}, // not a git repository
	} {
		_, err := Select(context.Background(), m, o)
		if !failure.IsUsage(err) {
			t.Errorf("Select(%+v) = %v, want a usage error", o, err)
		}
	}
	s, err := Select(context.Background(), m, SelectOptions{Names: []string{"b"}})
	if err != nil || len(s.Functions) != 1 || s.Functions[0].Name != "b" {
		t.Errorf("Select(b) = %+v, %v", s, err)
	}
}

// TestRetarget: only the functions whose architecture changes lose their
// print, and the selection's zips go to .lamb/dist-host for this machine.
func TestRetarget(t *testing.T) {
	t.Parallel()
	host, err := lambdaspec.HostArch()
	if err != nil {
		t.Skip(err)
	}
	other := lambdaspec.ArchARM64
	if host == other {
		other = lambdaspec.ArchX86_64
	}
	m := &manifest.Manifest{Root: "/r", Functions: []manifest.Function{{Name: "a", Architecture: host}, {Name: "b", Architecture: other}}}
	s := &Selection{Manifest: m, Functions: append([]manifest.Function(nil), m.Functions...), prints: map[string]graph.Print{
		"a": {Function: "a", Fingerprint: "fa"}, "b": {Function: "b", Fingerprint: "fb"},
	}}
	if got := s.distDir(); got != "/r/.lamb/dist" {
		t.Errorf("distDir before Retarget = %s", got)
	}
	s.Retarget(host)
	if _, ok := s.Print("a"); !ok {
		t.Error("a lost its print although its architecture did not change")
	}
	if _, ok := s.Print("b"); ok {
		t.Error("b kept its print for the other architecture")
	}
	if s.Functions[1].Architecture != host || m.Functions[1].Architecture != other {
		t.Errorf("architectures: selection %s, manifest %s", s.Functions[1].Architecture, m.Functions[1].Architecture)
	}
	if got := s.distDir(); got != "/r/.lamb/dist-host" {
		t.Errorf("distDir after Retarget = %s", got)
	}
}

func TestProbeEmulator(t *testing.T) {
	t.Parallel()
	lamb := emulatortest.New(t, emulatortest.WithOptions(emulator.Options{Version: "v1.2.3"}))

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

	host, _ := lambdaspec.HostArch()
	for _, tc := range []struct {
		name, endpoint string
		want           *emulator.Info
	}{
		{"lamb local", lamb.URL, &emulator.Info{Emulator: "lamb", Version: "v1.2.3", HostArch: host, S3Endpoint: emulator.S3Endpoint(lamb.URL), S3Bucket: emulator.DefaultS3Bucket}},
		{"trailing slash", lamb.URL + "/", &emulator.Info{Emulator: "lamb", Version: "v1.2.3", HostArch: host, S3Endpoint: emulator.S3Endpoint(lamb.URL), S3Bucket: emulator.DefaultS3Bucket}},
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
			t.Parallel()
			got := ProbeEmulator(context.Background(), tc.endpoint, 200*time.Millisecond)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ProbeEmulator(%s) (-want +got):\n%s", tc.endpoint, diff)
			}
		})
	}
}

// TestSelectionRefresh is lamb dev's fingerprinting: the first selection
// loads packages through a tracker, the next takes refreshed prints from
// it after an edit, and fingerprints what it has no print of (here a
// function retargeted to another architecture).
func TestSelectionRefresh(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	dir := t.TempDir()
	for name, text := range map[string]string{
		"go.mod":    "module example.com/r\n\ngo 1.24\n",
		"a/main.go": "package main\n\nfunc main() { println(\"a\") }\n",
		"b/main.go": "package main\n\nfunc main() { println(\"b\") }\n",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m := &manifest.Manifest{Root: dir, Functions: []manifest.Function{
		{Name: "a", Key: "a", Package: "./a", Dir: "a", Architecture: "arm64"},
		{Name: "b", Key: "b", Package: "./b", Dir: "b", Architecture: "arm64"},
	}}
	ctx := context.Background()
	tr := graph.NewTracker()
	first, err := Select(ctx, m, SelectOptions{Fingerprint: true, Tracker: tr})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := first.Print("a")
	edited := filepath.Join(dir, "a", "main.go")
	if err := os.WriteFile(edited, []byte("package main\n\nfunc main() { println(\"a2\") }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	next, err := Select(ctx, m, SelectOptions{Tracker: tr})
	if err != nil {
		t.Fatal(err)
	}
	next.Retarget("x86_64") // b: another configuration, never a tracked print of arm64
	next.Functions[0].Architecture = "arm64"
	if !next.Refresh([]string{edited}) {
		t.Fatal("Refresh refused an edit of a function's code")
	}
	if _, ok := next.Print("b"); ok {
		t.Error("b took the print of another architecture")
	}
	if err := next.Fingerprint(ctx); err != nil {
		t.Fatal(err)
	}
	want, err := graph.Fingerprints(ctx, m, next.Functions)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range want {
		got, _ := next.Print(w.Function)
		if diff := cmp.Diff(w, got); diff != "" {
			t.Errorf("%s (-package load +selection):\n%s", w.Function, diff)
		}
	}
	if after, _ := next.Print("a"); after.Fingerprint == before.Fingerprint {
		t.Error("a's print did not change with its code")
	}
}
