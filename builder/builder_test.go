package builder

import (
	"archive/zip"
	"bytes"
	"context"
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-multierror"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/lambctl/lamb/internal/failure"
	"github.com/lambctl/lamb/internal/s3cache"
	"github.com/lambctl/lamb/manifest"
)

// monorepo copies testdata/monorepo to a temporary directory and loads
// its manifest.
func monorepo(t *testing.T) *manifest.Manifest {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the go command")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	dir := filepath.Join(t.TempDir(), "repo")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "testdata", "monorepo"))); err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Load(filepath.Join(dir, "lamb.yaml"), manifest.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func targets(t *testing.T, m *manifest.Manifest, names ...string) []Target {
	t.Helper()
	var ts []Target
	for _, n := range names {
		fn, ok := m.Lookup(n)
		if !ok {
			t.Fatalf("no function %s in the sample monorepo", n)
		}
		ts = append(ts, Target{Function: fn, Fingerprint: "fp-" + n})
	}
	return ts
}

// counter counts go invocations and runs the real go command.
type counter struct {
	mu    sync.Mutex
	calls [][]string
}

func (c *counter) run(ctx context.Context, dir string, env, args []string, stdout, stderr io.Writer) error {
	c.mu.Lock()
	c.calls = append(c.calls, args)
	c.mu.Unlock()
	return execGo(ctx, dir, env, args, stdout, stderr)
}

func (c *counter) builds() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, a := range c.calls {
		if a[0] == "build" {
			n++
		}
	}
	return n
}

func unzip(t *testing.T, zipPath, dir string) map[string]string {
	t.Helper()
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	names := map[string]string{}
	for _, f := range zr.File {
		names[f.Name] = f.Mode().String()
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, f.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return names
}

func bootstrapPath(t *testing.T, zipPath string) string {
	t.Helper()
	dir := t.TempDir()
	unzip(t, zipPath, dir)
	bi, err := buildinfo.ReadFile(filepath.Join(dir, "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	return bi.Path
}

func TestBuildMonorepo(t *testing.T) {
	m := monorepo(t)
	cacheDir := t.TempDir()
	c := &counter{}
	var progress bytes.Buffer
	opts := Options{Root: m.Root, CacheDir: cacheDir, Jobs: 2, Progress: &progress, run: c.run}
	ts := targets(t, m, "orders-get", "users-get", "pricing", "mailer")

	arts, err := New(opts).Build(context.Background(), ts)
	if err != nil {
		t.Fatalf("build: %v\n%s", err, progress.String())
	}
	// orders/get and users/get both link a "get": two invocations for
	// arm64, one for pricing (x86_64).
	if n := c.builds(); n != 3 {
		t.Errorf("go build ran %d times, want 3: %q", n, c.calls)
	}
	for i, a := range arts {
		fn := ts[i].Function
		if a.Function != fn.Name || a.Fingerprint != ts[i].Fingerprint || a.Cached {
			t.Errorf("artifact %d = %+v", i, a)
		}
		if a.Path != filepath.Join(m.Root, ".lamb", "dist", fn.Name+".zip") {
			t.Errorf("%s: path %s", fn.Name, a.Path)
		}
		fi, err := os.Stat(a.Path)
		if err != nil || fi.Size() != a.Size {
			t.Errorf("%s: zip %v, size %d", fn.Name, err, a.Size)
		}
		if sum, _ := fileSha256(a.Path); sum != a.CodeSha256 || len(sum) != 44 {
			t.Errorf("%s: code_sha256 %s, zip sha %s", fn.Name, a.CodeSha256, sum)
		}
		// Each zip holds the binary of its own package: the get/get
		// collision did not overwrite one with the other.
		if got, want := bootstrapPath(t, a.Path), "example.com/shop/"+fn.Dir; got != want {
			t.Errorf("%s: bootstrap built from %s, want %s", fn.Name, got, want)
		}
	}
	if got, want := arts[2].Architecture, "x86_64"; got != want {
		t.Errorf("pricing architecture %s, want %s", got, want)
	}
	// Build outputs have mode 0644, as any build output (issue 11 #16).
	modes := map[string]string{}
	wantModes := map[string]string{}
	outputs := []string{filepath.Join(m.Root, ".lamb", "dist", "artifacts.json")}
	for _, a := range arts {
		outputs = append(outputs, a.Path)
	}
	cached, _ := filepath.Glob(filepath.Join(cacheDir, "*", "*"))
	outputs = append(outputs, cached...)
	for _, p := range outputs {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		modes[p], wantModes[p] = fi.Mode().String(), "-rw-r--r--"
	}
	if diff := cmp.Diff(wantModes, modes); diff != "" || len(cached) != 8 {
		t.Errorf("modes of the outputs (-want +got):\n%s\n%d cache files", diff, len(cached))
	}
	wantEntries := map[string]string{"bootstrap": "-rwxr-xr-x", "config/rates.json": "-rw-r--r--"}
	if diff := cmp.Diff(wantEntries, unzip(t, arts[2].Path, "")); diff != "" {
		t.Errorf("pricing zip entries (-want +got):\n%s", diff)
	}

	// artifacts.json lists them with paths relative to the root.
	listed, err := ReadManifest(filepath.Join(m.Root, ".lamb", "dist", "artifacts.json"), m.Root)
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 4 || listed[0].Function != "mailer" || listed[0].Path != arts[3].Path {
		t.Errorf("artifacts.json = %+v", listed)
	}
	raw, _ := os.ReadFile(filepath.Join(m.Root, ".lamb", "dist", "artifacts.json"))
	if !strings.Contains(string(raw), `"path": ".lamb/dist/mailer.zip"`) {
		t.Errorf("artifacts.json paths not relative to the root:\n%s", raw)
	}

	t.Run("up to date", func(t *testing.T) {
		c.calls = nil
		again, err := New(opts).Build(context.Background(), ts)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.calls) != 0 {
			t.Errorf("go ran %d times for an up-to-date build", len(c.calls))
		}
		for i := range again {
			if !again[i].Cached {
				t.Errorf("%s: not cached", again[i].Function)
			}
			again[i].Cached = false
		}
		if diff := cmp.Diff(arts, again); diff != "" {
			t.Errorf("artifacts (-first +second):\n%s", diff)
		}
	})

	t.Run("artifact cache", func(t *testing.T) {
		// Another checkout (a new dist directory) with the same
		// fingerprints: copied from the cache, go never runs.
		c.calls = nil
		o := opts
		o.OutDir = t.TempDir()
		got, err := New(o).Build(context.Background(), ts)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.calls) != 0 {
			t.Errorf("go ran %d times on a cache hit", len(c.calls))
		}
		for i, a := range got {
			if !a.Cached || a.CodeSha256 != arts[i].CodeSha256 || a.Path != filepath.Join(o.OutDir, a.Function+".zip") {
				t.Errorf("cache hit %+v, built %+v", a, arts[i])
			}
		}
	})

	t.Run("force", func(t *testing.T) {
		// --force runs go, which relinks nothing, and nothing is re-zipped.
		c.calls = nil
		before, _ := os.Stat(arts[0].Path)
		o := opts
		o.Force = true
		got, err := New(o).Build(context.Background(), ts)
		if err != nil {
			t.Fatal(err)
		}
		if n := c.builds(); n != 3 {
			t.Errorf("go build ran %d times, want 3", n)
		}
		after, _ := os.Stat(arts[0].Path)
		if !before.ModTime().Equal(after.ModTime()) {
			t.Errorf("zip rewritten although its binary did not change")
		}
		for i, a := range got {
			if a.Cached || a.CodeSha256 != arts[i].CodeSha256 {
				t.Errorf("forced %+v, built %+v", a, arts[i])
			}
		}
	})

	t.Run("new fingerprint", func(t *testing.T) {
		// A changed file: the fingerprint changes and the zip follows.
		if err := os.WriteFile(filepath.Join(m.Root, "config", "rates.json"), []byte(`{"currency":"EUR","defaultRegion":"eu","taxBasisPoints":{"eu":1900}}`), 0o644); err != nil {
			t.Fatal(err)
		}
		c.calls = nil
		ts2 := []Target{{Function: ts[2].Function, Fingerprint: "fp-pricing-2"}}
		got, err := New(opts).Build(context.Background(), ts2)
		if err != nil {
			t.Fatal(err)
		}
		if n := c.builds(); n != 1 {
			t.Errorf("go build ran %d times, want 1", n)
		}
		if got[0].Cached || got[0].CodeSha256 == arts[2].CodeSha256 {
			t.Errorf("rates.json changed but the zip did not: %+v", got[0])
		}
		// Other functions stay listed in artifacts.json.
		listed, _ := ReadManifest(filepath.Join(m.Root, ".lamb", "dist", "artifacts.json"), m.Root)
		if len(listed) != 4 {
			t.Errorf("artifacts.json has %d artifacts, want 4", len(listed))
		}
	})
}

// TestBootstrapAsksForRuntimeAPI unzips an artifact built for the host
// architecture and runs its bootstrap against a fake Runtime API.
func TestBootstrapAsksForRuntimeAPI(t *testing.T) {
	m := monorepo(t)
	var fn string
	for _, f := range m.Functions {
		if c, err := f.BuildConfig(); err == nil && c.GOARCH == runtime.GOARCH && len(f.Files) > 0 {
			fn = f.Name
		}
	}
	if fn == "" || runtime.GOOS != "linux" {
		t.Skipf("no function of the sample builds for %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	arts, err := New(Options{Root: m.Root, NoCache: true}).Build(context.Background(), targets(t, m, fn))
	if err != nil {
		t.Fatal(err)
	}
	taskRoot := t.TempDir()
	unzip(t, arts[0].Path, taskRoot)

	asked := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case asked <- r.Method + " " + r.URL.Path:
		default:
		}
		// Hold the long poll until the test ends.
		<-r.Context().Done()
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(taskRoot, "bootstrap"))
	cmd.Dir = taskRoot
	cmd.Env = []string{
		"AWS_LAMBDA_RUNTIME_API=" + strings.TrimPrefix(srv.URL, "http://"),
		"LAMBDA_TASK_ROOT=" + taskRoot,
		"_HANDLER=bootstrap",
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case got := <-asked:
		if want := "GET /2018-06-01/runtime/invocation/next"; got != want {
			t.Errorf("bootstrap asked %q, want %q", got, want)
		}
	case err := <-exited:
		t.Fatalf("bootstrap exited before asking for an event: %v\n%s", err, stderr.String())
	case <-ctx.Done():
		t.Fatal("bootstrap never asked for an event")
	}
	cancel()
	<-exited
}

func TestCompileErrors(t *testing.T) {
	m := monorepo(t)
	// A package users-get imports, and mailer itself, no longer compile.
	writeTestFiles(t, m.Root, map[string]string{
		"internal/auth/broken.go":   "package auth\n\nfunc broken() int { return \"x\" }\n",
		"functions/mailer/extra.go": "package main\n\nfunc unused() { x := 1 }\n",
	})
	c := &counter{}
	ts := targets(t, m, "mailer", "users-get", "worker")
	var mu sync.Mutex
	states := map[string][]string{}
	onState := func(fn string, s State) {
		mu.Lock()
		defer mu.Unlock()
		states[fn] = append(states[fn], s.String())
	}
	arts, err := New(Options{Root: m.Root, NoCache: true, run: c.run, OnState: onState}).Build(context.Background(), ts)
	var merr *multierror.Error
	if !errors.As(err, &merr) || len(merr.Errors) != 2 {
		t.Fatalf("err = %v, want 2 errors", err)
	}
	wants := []struct{ fn, msg string }{
		{"mailer", "functions/mailer/extra.go:3:17: declared and not used: x"},
		{"users-get", "internal/auth/broken.go:3:28: cannot use \"x\""},
	}
	for i, w := range wants {
		var fe *failure.Error
		var ce *CompileError
		if !errors.As(merr.Errors[i], &fe) || fe.Function != w.fn || fe.Op != "build" || !errors.As(fe, &ce) || !strings.Contains(ce.Output, w.msg) {
			t.Errorf("error %d = %v, want function %s with %q", i, merr.Errors[i], w.fn, w.msg)
		}
	}
	// One failure a function; the compiler's lines are continuation lines.
	wantMsg := "mailer: build: go build ./functions/mailer failed:\n" +
		"    # example.com/shop/functions/mailer\n" +
		"    functions/mailer/extra.go:3:17: declared and not used: x"
	if got := merr.Errors[0].Error(); got != wantMsg {
		t.Errorf("message:\n%s\nwant:\n%s", got, wantMsg)
	}
	if strings.Contains(merr.Errors[0].Error(), "auth") || strings.Contains(merr.Errors[1].Error(), "mailer") {
		t.Errorf("one function's error carries the other's output:\n%v", err)
	}
	if arts[2].Path == "" || bootstrapPath(t, arts[2].Path) != "example.com/shop/functions/orders/worker" {
		t.Errorf("worker did not build: %+v", arts[2])
	}
	if arts[0].Path != "" || arts[1].Path != "" {
		t.Errorf("failed functions have artifacts: %+v", arts[:2])
	}
	// worker is built again after the go command's failure (rebuilt for
	// nothing: the go command had linked it) and then zipped.
	wantStates := map[string][]string{
		"mailer":    {"building", "failed"},
		"users-get": {"building", "failed"},
		"worker":    {"building", "building", "zipping", "done"},
	}
	if diff := cmp.Diff(wantStates, states); diff != "" {
		t.Errorf("states (-want +got):\n%s", diff)
	}
	listed, _ := ReadManifest(filepath.Join(m.Root, ".lamb", "dist", "artifacts.json"), m.Root)
	if len(listed) != 1 || listed[0].Function != "worker" {
		t.Errorf("artifacts.json = %+v, want worker only", listed)
	}
}

func TestLoadErrorRetries(t *testing.T) {
	m := monorepo(t)
	// An import that does not resolve stops the go command before it
	// builds anything; the other function still gets built.
	writeTestFiles(t, m.Root, map[string]string{
		"functions/mailer/extra.go": "package main\n\nimport _ \"example.com/shop/internal/nope\"\n",
	})
	c := &counter{}
	arts, err := New(Options{Root: m.Root, NoCache: true, run: c.run}).Build(context.Background(), targets(t, m, "mailer", "worker"))
	if err == nil || !strings.Contains(err.Error(), "mailer: build: go build ./functions/mailer failed:") || !strings.Contains(err.Error(), "internal/nope") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "worker") {
		t.Errorf("worker reported as failed: %v", err)
	}
	if arts[1].Path == "" {
		t.Errorf("worker not built")
	}
	if n := c.builds(); n != 2 {
		t.Errorf("go build ran %d times, want 2", n)
	}
}

func TestBuildCancel(t *testing.T) {
	m := monorepo(t)
	ctx, cancel := context.WithCancel(context.Background())
	var started atomic.Bool
	run := func(ctx context.Context, dir string, env, args []string, stdout, stderr io.Writer) error {
		started.Store(true)
		cancel()
		return execGo(ctx, dir, env, args, stdout, stderr)
	}
	_, err := New(Options{Root: m.Root, NoCache: true, run: run}).Build(ctx, targets(t, m, "mailer"))
	if !started.Load() || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// pidWriter cancels when the first line, a process id, is written.
type pidWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	pid    int
	cancel func()
}

func (w *pidWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if line, _, ok := strings.Cut(w.buf.String(), "\n"); ok && w.pid == 0 {
		w.pid, _ = strconv.Atoi(line)
		w.cancel()
	}
	return len(p), nil
}

// TestExecGoCancel checks that cancelling stops the go command and the
// processes it started: `go run` of a program that sleeps.
func TestExecGoCancel(t *testing.T) {
	if testing.Short() || runtime.GOOS == "windows" {
		t.Skip("runs the go command")
	}
	dir := t.TempDir()
	writeTestFiles(t, dir, map[string]string{
		"go.mod":  "module sleeper\n\ngo 1.22\n",
		"main.go": "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n\t\"time\"\n)\n\nfunc main() {\n\tfmt.Println(os.Getpid())\n\ttime.Sleep(time.Hour)\n}\n",
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &pidWriter{cancel: cancel}
	var stderr bytes.Buffer
	err := execGo(ctx, dir, os.Environ(), []string{"run", "."}, w, &stderr)
	if err == nil {
		t.Fatalf("go run ended without error: %s", stderr.String())
	}
	w.mu.Lock()
	pid := w.pid
	w.mu.Unlock()
	if pid == 0 {
		t.Fatalf("the program never started: %v\n%s", err, stderr.String())
	}
	// The program is gone (or a zombie waiting for a reaper).
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err == nil {
		if f := strings.Fields(string(stat)); len(f) > 2 && f[2] != "Z" {
			t.Errorf("process %d still running after cancel: %s", pid, stat)
		}
	}
}

func TestBuildBadTargets(t *testing.T) {
	root := t.TempDir()
	writeTestFiles(t, root, map[string]string{"go.mod": "module example.com/x\n", "fn/main.go": "package main\nfunc main() {}\n"})
	c := &counter{}
	ts := []Target{
		{Function: manifest.Function{Name: "gone", Dir: "nope", Package: "./nope", Architecture: "arm64"}, Fingerprint: "a"},
		{Function: manifest.Function{Name: "leak", Dir: "fn", Package: "./fn", Architecture: "arm64", Files: []string{"../x"}}, Fingerprint: "b"},
		{Function: manifest.Function{Name: "arch", Dir: "fn", Package: "./fn", Architecture: "amd64"}, Fingerprint: "c"},
	}
	_, err := New(Options{Root: root, NoCache: true, run: c.run}).Build(context.Background(), ts)
	var merr *multierror.Error
	if !errors.As(err, &merr) || len(merr.Errors) != 3 {
		t.Fatalf("err = %v, want 3 errors", err)
	}
	want := "gone: build: package ./nope: no such directory\n" +
		"leak: build: files: ../x: resolves outside the repository\n" +
		`arch: build: architecture "amd64": want x86_64 or arm64`
	if diff := cmp.Diff(want, err.Error()); diff != "" || !errors.Is(merr.Errors[1], ErrEscape) {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if len(c.calls) != 0 {
		t.Errorf("go ran for invalid targets: %q", c.calls)
	}
}

// TestReproducible builds the same function in two directories, the second
// with an empty build cache, and gets the same zip bytes.
func TestReproducible(t *testing.T) {
	m1 := monorepo(t)
	m2 := monorepo(t)
	env2 := append(os.Environ(), "GOCACHE="+t.TempDir())
	build := func(m *manifest.Manifest, env []string) Artifact {
		t.Helper()
		arts, err := New(Options{Root: m.Root, NoCache: true, Env: env}).Build(context.Background(), targets(t, m, "mailer"))
		if err != nil {
			t.Fatal(err)
		}
		return arts[0]
	}
	a1, a2 := build(m1, nil), build(m2, env2)
	if a1.CodeSha256 != a2.CodeSha256 || a1.Size != a2.Size {
		t.Errorf("different zips: %+v, %+v", a1, a2)
	}
	z1, _ := os.ReadFile(a1.Path)
	z2, _ := os.ReadFile(a2.Path)
	if !bytes.Equal(z1, z2) {
		t.Error("different zip bytes")
	}
	// SOURCE_DATE_EPOCH changes the timestamps, hence the bytes.
	a3 := build(m1, append(os.Environ(), "SOURCE_DATE_EPOCH=1700000000"))
	if a3.CodeSha256 == a1.CodeSha256 {
		t.Error("SOURCE_DATE_EPOCH did not change the zip")
	}
}

var _ RemoteCache = (*s3cache.Cache)(nil)

// TestSharedCache builds in one checkout with a shared cache (s3cache on an
// in-process S3) and gets the zip in another checkout, with an empty local
// cache, without running go.
func TestSharedCache(t *testing.T) {
	m1 := monorepo(t)
	m2 := monorepo(t)
	backend := s3mem.New()
	if err := backend.CreateBucket("cache"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	defer srv.Close()
	client := s3.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("lamb", "lamb", ""),
	}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.UsePathStyle = true
	})
	remote := s3cache.New(client, s3cache.Location{Bucket: "cache", Prefix: "lamb"}, s3cache.Options{})

	c := &counter{}
	built, err := New(Options{Root: m1.Root, CacheDir: t.TempDir(), Remote: remote, run: c.run}).Build(context.Background(), targets(t, m1, "worker"))
	if err != nil {
		t.Fatal(err)
	}
	c.calls = nil
	var progress bytes.Buffer
	got, err := New(Options{Root: m2.Root, CacheDir: t.TempDir(), Remote: remote, Progress: &progress, run: c.run}).Build(context.Background(), targets(t, m2, "worker"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.calls) != 0 {
		t.Errorf("go ran %d times on a shared cache hit", len(c.calls))
	}
	want := built[0]
	want.Path, want.Cached = filepath.Join(m2.Root, ".lamb", "dist", "worker.zip"), true
	if diff := cmp.Diff(want, got[0]); diff != "" {
		t.Errorf("artifact (-want +got):\n%s\n%s", diff, progress.String())
	}
}

// TestSharedPackage builds two functions of one package: one binary, two
// identical zips.
func TestSharedPackage(t *testing.T) {
	m := monorepo(t)
	ts := targets(t, m, "worker")
	second := ts[0]
	second.Function.Name = "worker-2"
	ts = append(ts, second)
	c := &counter{}
	arts, err := New(Options{Root: m.Root, NoCache: true, run: c.run}).Build(context.Background(), ts)
	if err != nil {
		t.Fatal(err)
	}
	if n := c.builds(); n != 1 || strings.Count(strings.Join(c.calls[0], " "), "./functions/orders/worker") != 1 {
		t.Errorf("go build calls: %q", c.calls)
	}
	if arts[0].CodeSha256 != arts[1].CodeSha256 || arts[0].Path == arts[1].Path {
		t.Errorf("artifacts: %+v", arts)
	}
}

// notifyWriter closes ch at its first write.
type notifyWriter struct {
	once sync.Once
	ch   chan struct{}
}

func (w *notifyWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.ch) })
	return len(p), nil
}

// TestBuildLock: a build waits for another build of the same repository.
func TestBuildLock(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no build lock on windows")
	}
	root := t.TempDir()
	buildDir := filepath.Join(root, ".lamb", "build")
	if err := os.MkdirAll(buildDir, 0o755); err != nil {
		t.Fatal(err)
	}
	unlock, err := lockFile(filepath.Join(buildDir, "lock"), func() { t.Error("lock taken") })
	if err != nil {
		t.Fatal(err)
	}
	w := &notifyWriter{ch: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, err := New(Options{Root: root, NoCache: true, Progress: w}).Build(context.Background(), nil)
		done <- err
	}()
	select {
	case <-w.ch: // it says it is waiting
	case err := <-done:
		t.Fatalf("build finished while another held the lock: %v", err)
	}
	unlock()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestNoFingerprint: a target without a fingerprint is always built and
// never cached.
func TestNoFingerprint(t *testing.T) {
	m := monorepo(t)
	ts := targets(t, m, "worker")
	ts[0].Fingerprint = ""
	cacheDir := t.TempDir()
	c := &counter{}
	for i := 0; i < 2; i++ {
		arts, err := New(Options{Root: m.Root, CacheDir: cacheDir, run: c.run}).Build(context.Background(), ts)
		if err != nil {
			t.Fatal(err)
		}
		if arts[0].Cached {
			t.Errorf("build %d: cached without a fingerprint", i)
		}
	}
	if n := c.builds(); n != 2 {
		t.Errorf("go build ran %d times, want 2", n)
	}
	if info, _ := CacheInfo(cacheDir); info.Entries != 0 {
		t.Errorf("artifact cache holds %d entries", info.Entries)
	}
}

// TestUncompressed builds stored zips (lamb dev's) next to compressed ones
// in one dist directory and one artifact cache: the same bootstrap, every
// entry stored, and neither kind ever taken for the other.
func TestUncompressed(t *testing.T) {
	m := monorepo(t)
	cache := t.TempDir()
	c := &counter{}
	build := func(stored bool) Artifact {
		t.Helper()
		arts, err := New(Options{Root: m.Root, CacheDir: cache, Uncompressed: stored, run: c.run}).Build(context.Background(), targets(t, m, "mailer"))
		if err != nil {
			t.Fatal(err)
		}
		return arts[0]
	}
	methods := func(a Artifact) (map[string]uint16, []byte) {
		t.Helper()
		zr, err := zip.OpenReader(a.Path)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		got := map[string]uint16{}
		var boot []byte
		for _, f := range zr.File {
			got[f.Name] = f.Method
			if f.Name == "bootstrap" {
				rc, err := f.Open()
				if err != nil {
					t.Fatal(err)
				}
				boot, err = io.ReadAll(rc)
				rc.Close()
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		return got, boot
	}
	deflated := build(false) // both go to dist/mailer.zip: read each at once
	deflatedMethods, deflatedBoot := methods(deflated)
	stored := build(true)
	if stored.Cached {
		t.Error("the stored zip came from the cache of the compressed one")
	}
	gotMethods, storedBoot := methods(stored)
	for name, m := range gotMethods {
		if m != zip.Store {
			t.Errorf("stored zip: %s has method %d, want %d (store)", name, m, zip.Store)
		}
	}
	if deflatedMethods["bootstrap"] != zip.Deflate {
		t.Errorf("compressed zip: bootstrap has method %d, want deflate", deflatedMethods["bootstrap"])
	}
	if !bytes.Equal(storedBoot, deflatedBoot) {
		t.Error("the stored and the compressed zip hold different bootstraps")
	}
	if stored.Size <= deflated.Size || stored.CodeSha256 == deflated.CodeSha256 {
		t.Errorf("stored zip %d bytes (%s), compressed %d bytes (%s)", stored.Size, stored.CodeSha256, deflated.Size, deflated.CodeSha256)
	}
	// Each kind again: from the artifact cache, each its own bytes, no go.
	c.calls = nil
	for _, tt := range []struct {
		stored bool
		want   Artifact
	}{{false, deflated}, {true, stored}} {
		got := build(tt.stored)
		if !got.Cached || got.CodeSha256 != tt.want.CodeSha256 || got.Size != tt.want.Size {
			t.Errorf("uncompressed=%v again: %+v, want the cached %+v", tt.stored, got, tt.want)
		}
	}
	if n := c.builds(); n != 0 {
		t.Errorf("go build ran %d times for zips the cache holds", n)
	}
}
