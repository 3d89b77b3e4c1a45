package devloop

import (
	"context"
	"net"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lambctl/lamb/internal/devloop/dlvrpc"
	"github.com/lambctl/lamb/manifest"
)

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestDebug runs orders-get under Delve in lamb dev: a breakpoint set
// through Delve's API stops the HTTP request in the handler; continuing
// lets the answer through.
func TestDebug(t *testing.T) {
	if testing.Short() {
		t.Skip("builds functions")
	}
	dlv, err := FindDlv("")
	if err != nil {
		t.Skipf("Delve is not installed: %v", err)
	}
	root := copySample(t)
	out := &syncBuffer{}
	port := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l, err := Start(ctx, Options{
		Load: func() (*manifest.Manifest, error) {
			return manifest.Load(filepath.Join(root, "lamb.yaml"), manifest.LoadOptions{})
		},
		Names:     []string{"orders-get"},
		Out:       out,
		Debug:     "orders-get",
		DebugPort: port,
		Dlv:       dlv,
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	defer func() {
		cancel()
		<-done
		l.Close()
		if t.Failed() {
			t.Logf("lamb dev output:\n%s", out.String())
		}
	}()
	if got, want := l.Debugger(), "127.0.0.1:"+strconv.Itoa(port); got != want {
		t.Fatalf("Debugger() = %s, want %s", got, want)
	}
	// A warm-up invoke, which the function never sees, starts it under
	// Delve before any request.
	want := "lamb dev: orders-get runs under Delve: dlv connect " + l.Debugger()
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q within 2 minutes", want)
		}
		time.Sleep(20 * time.Millisecond) // polling the output, with a deadline
	}
	c, err := dlvrpc.Dial(l.Debugger(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Halt(); err != nil {
		t.Fatalf("halt: %v", err)
	}
	bp, err := c.Break("main.(*handler).handle")
	if err != nil {
		t.Fatalf("create breakpoint: %v", err)
	}
	// Built without -trimpath: the source's path on this machine, as an
	// editor sends it.
	if want := filepath.Join(root, "functions", "orders", "get", "main.go"); bp.File != want {
		t.Errorf("breakpoint in %s:%d, want %s", bp.File, bp.Line, want)
	}
	stopped := c.Continue()

	type answer struct {
		code int
		body string
	}
	answered := make(chan answer, 1)
	go func() {
		code, body := get(t, l.HTTPURL()+"/orders/ord_1001")
		answered <- answer{code, body}
	}()
	select {
	case stop := <-stopped:
		if stop.Err != nil {
			t.Fatalf("continue: %v", stop.Err)
		}
		th := stop.State.CurrentThread
		if th == nil || th.Breakpoint == nil || th.Breakpoint.ID != bp.ID || th.Function == nil || th.Function.Name != "main.(*handler).handle" {
			t.Fatalf("stopped at %+v, want the breakpoint in main.(*handler).handle", th)
		}
	case a := <-answered:
		t.Fatalf("the request was answered (%d %s) without stopping at the breakpoint", a.code, a.body)
	case <-time.After(2 * time.Minute):
		t.Fatal("the breakpoint was not hit within 2 minutes")
	}
	select {
	case a := <-answered:
		t.Fatalf("answered while stopped at the breakpoint: %d %s", a.code, a.body)
	default:
	}
	c.Continue() // ends only at the next stop
	select {
	case a := <-answered:
		if a.code != 200 || !strings.Contains(a.body, `"id":"ord_1001"`) {
			t.Fatalf("after continuing: %d %s", a.code, a.body)
		}
	case <-time.After(time.Minute):
		t.Fatal("no answer within a minute of continuing")
	}
	// The request ran in the environment the warm-up started: no init.
	if !regexp.MustCompile(`(?m)^orders-get \| REPORT .*Max Memory Used: \d+ MB$`).MatchString(out.String()) {
		t.Errorf("the first request was a cold start (or no REPORT line):\n%s", out.String())
	}
}
