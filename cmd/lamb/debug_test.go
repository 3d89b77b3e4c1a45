package main

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lambctl/lamb/internal/devloop"
	"github.com/lambctl/lamb/internal/devloop/dlvrpc"
)

// TestInvokeDebug is lamb invoke --debug: the function starts under
// Delve, the event waits until Enter; a breakpoint set through Delve's API
// stops the handler, continuing gives the answer.
func TestInvokeDebug(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a function")
	}
	if _, err := devloop.FindDlv(""); err != nil {
		t.Skipf("Delve is not installed: %v", err)
	}
	t.Parallel()
	root := filepath.Join(t.TempDir(), "repo")
	copyTree(t, filepath.Join("..", "..", "testdata", "monorepo"), root)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	stdin, enter := io.Pipe()
	defer enter.Close()
	stderr := &lockedBuffer{}
	g := &globalOptions{File: filepath.Join(root, "lamb.yaml"), Output: "text", stdin: stdin, stdout: io.Discard,
		stderr: &lockedWriter{w: stderr}, getenv: os.Getenv}
	type result struct {
		out *invokeOutput
		err error
	}
	done := make(chan result, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		out, err := invokeDebug(ctx, g, "orders-get", []byte(`{"pathParameters":{"id":"ord_1001"}}`), nil, port)
		done <- result{out, err}
	}()
	defer func() {
		if t.Failed() {
			t.Logf("stderr:\n%s", stderr.String())
		}
	}()
	poll(t, "the attach message", 5*time.Minute, func() bool {
		return strings.Contains(stderr.String(), "press Enter here to send the event")
	})
	c, err := dlvrpc.Dial(net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Halt(); err != nil {
		t.Fatalf("halt: %v", err)
	}
	bp, err := c.Break("main.(*handler).handle")
	if err != nil {
		t.Fatalf("break: %v", err)
	}
	stopped := c.Continue()
	select {
	case r := <-done:
		t.Fatalf("the invoke ended before the event was sent: %+v, %v", r.out, r.err)
	default:
	}
	io.WriteString(enter, "\n")
	select {
	case stop := <-stopped:
		if th := stop.State.CurrentThread; stop.Err != nil || th == nil || th.Breakpoint == nil || th.Breakpoint.ID != bp.ID {
			t.Fatalf("stopped at %+v (%v), want breakpoint %d", th, stop.Err, bp.ID)
		}
	case r := <-done:
		t.Fatalf("answered without stopping: %+v, %v", r.out, r.err)
	case <-time.After(2 * time.Minute):
		t.Fatal("the breakpoint was not hit within 2 minutes")
	}
	c.Continue()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatal(r.err)
		}
		if r.out.FunctionError != "" || !strings.Contains(string(r.out.Payload), `"statusCode":200`) || !strings.Contains(string(r.out.Payload), `ord_1001`) {
			t.Errorf("payload %s (error %q)", r.out.Payload, r.out.FunctionError)
		}
	case <-time.After(time.Minute):
		t.Fatal("no answer within a minute of continuing")
	}
}
