package devloop

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/internal/sample"
	"github.com/lambctl/lamb/manifest"
)

// syncBuffer is an io.Writer tests read while the loop writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// copySample copies the sample monorepo as a fresh clone has it to a new
// directory and returns it.
func copySample(t testing.TB) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "repo")
	if err := sample.Copy(filepath.Join("..", "..", "testdata", "monorepo"), dst); err != nil {
		t.Fatal(err)
	}
	return dst
}

// edit replaces old with new in the file at path (relative to root).
func edit(t testing.TB, root, path, old, new string) {
	t.Helper()
	p := filepath.Join(root, path)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	if err := os.WriteFile(p, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

// appendTo appends text to the file at path (relative to root).
func appendTo(t testing.TB, root, path, text string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(root, path), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// get answers GET url: status and body.
func get(t testing.TB, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// nextReport waits for the loop's next reload report.
func nextReport(t testing.TB, reports <-chan *Report) *Report {
	t.Helper()
	select {
	case r := <-reports:
		return r
	case <-time.After(3 * time.Minute):
		t.Fatal("no reload within 3 minutes")
		return nil
	}
}

func startSample(t *testing.T, names ...string) (*Loop, string, *syncBuffer, chan *Report) {
	t.Helper()
	root := copySample(t)
	out := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	reports := make(chan *Report, 16)
	l, err := Start(ctx, Options{
		Load: func() (*manifest.Manifest, error) {
			return manifest.Load(filepath.Join(root, "lamb.yaml"), manifest.LoadOptions{})
		},
		Names:    names,
		Out:      out,
		OnReload: func(r *Report) { reports <- r },
	})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if t.Failed() {
			t.Logf("lamb dev output:\n%s", out.String())
		}
	})
	return l, root, out, reports
}

// TestLoop is the loop a developer lives in: serve over HTTP, edit a
// handler and get the new answer, break the build and keep the last good
// code, edit a shared package and reload exactly its importers.
func TestLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("builds functions")
	}
	l, root, out, reports := startSample(t, "orders-get", "orders-create", "users-get")
	if !strings.Contains(out.String(), "lamb dev: serving orders-create, orders-get, users-get in ") {
		t.Fatalf("first line: %q", out.String())
	}
	base := l.HTTPURL()
	if code, body := get(t, base+"/orders/ord_9999"); code != 404 || !strings.Contains(body, `order ord_9999 not found`) {
		t.Fatalf("GET /orders/ord_9999 = %d %s", code, body)
	}
	if !regexp.MustCompile(`(?m)^orders-get +\| START RequestId: `).MatchString(out.String()) {
		t.Errorf("no START line of orders-get in the output:\n%s", out.String())
	}

	// Edit the handler: the new answer comes, polled with a deadline.
	edit(t, root, "functions/orders/get/main.go", `"order "+id+" not found"`, `"no order "+id`)
	rep := nextReport(t, reports)
	if diff := cmp.Diff([]string{"orders-get"}, rep.Functions); diff != "" {
		t.Fatalf("reloaded (-want +got):\n%s", diff)
	}
	if r := rep.Reasons["orders-get"]; len(r) != 1 || !strings.HasPrefix(r[0], "functions/orders/get: main.go changed") {
		t.Errorf("reasons %q, want main.go changed", r)
	}
	if !rep.Refreshed {
		t.Error("a handler's code edited: packages were loaded, want the print refreshed from the file")
	}
	if code, body := get(t, base+"/orders/ord_9999"); code != 404 || !strings.Contains(body, `no order ord_9999`) {
		t.Fatalf("after the edit: GET /orders/ord_9999 = %d %s", code, body)
	}
	if !regexp.MustCompile(`(?m)^lamb dev: reloaded orders-get \(functions/orders/get: main.go changed.*\) in [0-9.]+m?s$`).MatchString(out.String()) {
		t.Errorf("no reload line:\n%s", out.String())
	}

	// Break the build: the compiler's message, and the last good code.
	edit(t, root, "functions/orders/get/main.go", `return httpx.JSON(http.StatusOK, o), nil`, `return httpx.JSON(http.StatusOK, o), undefinedThing`)
	rep = nextReport(t, reports)
	if len(rep.Functions) != 0 || rep.Failed["orders-get"] == nil {
		t.Fatalf("broken build: reloaded %v, failed %v", rep.Functions, rep.Failed)
	}
	if !strings.Contains(out.String(), "undefined: undefinedThing") || !strings.Contains(out.String(), "orders-get failed, still serving the last good code") {
		t.Errorf("no compiler message:\n%s", out.String())
	}
	if code, body := get(t, base+"/orders/ord_9999"); code != 404 || !strings.Contains(body, `no order ord_9999`) {
		t.Fatalf("with a broken build: GET /orders/ord_9999 = %d %s", code, body)
	}
	// Fixed again, the code is the code that is live: nothing to reload.
	edit(t, root, "functions/orders/get/main.go", `undefinedThing`, `nil`)

	// A shared package: exactly its importers.
	appendTo(t, root, "internal/orders/store.go", "\nvar _ = 1 // edited by TestLoop\n")
	rep = nextReport(t, reports)
	if diff := cmp.Diff([]string{"orders-create", "orders-get"}, rep.Functions); diff != "" {
		t.Errorf("shared package reloaded (-want +got):\n%s", diff)
	}
	if r := rep.Reasons["orders-create"]; len(r) != 1 || !strings.HasPrefix(r[0], "internal/orders: store.go changed") {
		t.Errorf("reasons %q, want store.go changed", r)
	}
	if !regexp.MustCompile(`(?m)^lamb dev: reloaded orders-create, orders-get \(internal/orders: store.go changed.*\) in `).MatchString(out.String()) {
		t.Errorf("no reload line for the shared package:\n%s", out.String())
	}
	if !rep.Refreshed {
		t.Error("a shared package's code edited: packages were loaded, want the prints refreshed from the file")
	}

	// A new file in the shared package changes what go list sees: a
	// package load, and still exactly its importers.
	if err := os.WriteFile(filepath.Join(root, "internal/orders/extra.go"), []byte("package orders\n\n// Extra is new.\nfunc Extra() string { return \"extra\" }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rep = nextReport(t, reports)
	if diff := cmp.Diff([]string{"orders-create", "orders-get"}, rep.Functions); diff != "" {
		t.Errorf("new file in a shared package: reloaded (-want +got):\n%s", diff)
	}
	if r := rep.Reasons["orders-get"]; !slices.Contains(r, "internal/orders: extra.go added") {
		t.Errorf("reasons %q, want extra.go added", r)
	}
	if rep.Refreshed {
		t.Error("a new file: the prints were refreshed, want a package load")
	}

	// A test file is in no build: fingerprints say nothing changed.
	appendTo(t, root, "internal/orders/orders_test.go", "\nvar _ = 1 // edited by TestLoop\n")
	appendTo(t, root, "functions/users/get/main.go", "\nvar _ = 1 // edited by TestLoop\n")
	if rep = nextReport(t, reports); !slices.Equal(rep.Functions, []string{"users-get"}) {
		t.Errorf("after a test file and users-get: reloaded %v", rep.Functions)
	}
}

// TestReloadOverflow: when the watcher lost events, every served function
// is fingerprinted again with a package load, and what changed reloads.
func TestReloadOverflow(t *testing.T) {
	if testing.Short() {
		t.Skip("builds functions")
	}
	root := copySample(t)
	ctx := context.Background()
	l, err := Start(ctx, Options{
		Load: func() (*manifest.Manifest, error) {
			return manifest.Load(filepath.Join(root, "lamb.yaml"), manifest.LoadOptions{})
		},
		Names: []string{"orders-get", "users-get"},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	// The loop does not Run: no batch of the watcher reaches it, as if lost.
	edit(t, root, "functions/users/get/main.go", `"Alan Turing"`, `"Alan M. Turing"`)
	rep := l.Reload(ctx, Batch{Overflow: true})
	if rep == nil {
		t.Fatal("no reload after an overflow")
	}
	if diff := cmp.Diff([]string{"users-get"}, rep.Functions); diff != "" || len(rep.Failed) > 0 {
		t.Errorf("reloaded (-want +got):\n%s\nfailed: %v", diff, rep.Failed)
	}
	if rep.Refreshed {
		t.Error("prints refreshed after lost events, want a package load")
	}
}
