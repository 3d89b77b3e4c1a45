package rapi

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// lineLog collects what InvokeRequest.Logs gets.
type lineLog struct {
	mu    sync.Mutex
	lines []LogLine
}

func (l *lineLog) add(line LogLine) {
	l.mu.Lock()
	l.lines = append(l.lines, line)
	l.mu.Unlock()
}

func (l *lineLog) take() []LogLine {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.lines
	l.lines = nil
	return out
}

// TestInvokeLogSink: every line of an invocation's logs reaches
// InvokeRequest.Logs, in order, with its request ID and log stream —
// exactly the lines of InvokeResult.Logs, cold (with the init output) and
// warm, and with the request ID the caller chose.
func TestInvokeLogSink(t *testing.T) {
	t.Parallel()
	r := newTestRunner(t, RunnerOptions{})
	var sink lineLog
	for i, id := range []string{"", "11111111-2222-4333-8444-555555555555"} {
		req := probeReq(`{"action":"log","ms":3}`)
		req.Logs = sink.add
		req.RequestID = id
		res := invoke(t, r, req)
		if id != "" && res.RequestID != id {
			t.Errorf("RequestID %s, want the caller's %s", res.RequestID, id)
		}
		lines := sink.take()
		var text strings.Builder
		stream := ""
		for _, l := range lines {
			text.Write(l.Line)
			text.WriteByte('\n')
			if l.RequestID != res.RequestID || l.Time.IsZero() {
				t.Errorf("line %q: request %s time %v, want %s", l.Line, l.RequestID, l.Time, res.RequestID)
			}
			if stream == "" {
				stream = l.Stream
			}
			if l.Stream != stream || !strings.Contains(l.Stream, "/[$LATEST]") {
				t.Errorf("line %q: stream %q", l.Line, l.Stream)
			}
		}
		if diff := cmp.Diff(string(res.Logs), text.String()); diff != "" {
			t.Errorf("invoke %d: sink lines differ from InvokeResult.Logs (-logs +sink):\n%s", i, diff)
		}
		if cold := strings.HasPrefix(text.String(), "probe: init\n"); cold != res.ColdStart {
			t.Errorf("invoke %d: cold %v, sink starts %q", i, res.ColdStart, lines[0].Line)
		}
	}
	// A timeout is a result that says so, and its lines reach the sink too.
	req := probeReq(`{"action":"sleep","ms":3000}`)
	req.Timeout = 200 * time.Millisecond
	req.Logs = sink.add
	res := invoke(t, r, req)
	if !res.TimedOut || res.FunctionError != "Unhandled" {
		t.Errorf("timeout: TimedOut %v FunctionError %q", res.TimedOut, res.FunctionError)
	}
	lines := sink.take()
	if len(lines) == 0 || !strings.HasPrefix(string(lines[len(lines)-1].Line), "REPORT RequestId: "+res.RequestID) {
		t.Errorf("timeout: sink lines %q", lines)
	}
}

// TestRetire: after a function's code changes, running invocations finish
// on the old code, idle environments of the old code are shut down at
// once, and busy ones when their invocation ends; environments of the
// current code stay warm.
func TestRetire(t *testing.T) {
	t.Parallel()
	r := newTestRunner(t, RunnerOptions{})
	old := probeReq(`{"action":"echo"}`)

	// An environment of the old code busy in a slow invocation, and one
	// idle.
	busyDone := make(chan *InvokeResult)
	slow := probeReq(`{"action":"sleep","ms":1000}`)
	started := make(chan struct{})
	slow.Logs = func(l LogLine) {
		if strings.HasPrefix(string(l.Line), "probe: action=sleep") {
			close(started)
		}
	}
	go func() {
		res, err := r.Invoke(context.Background(), slow)
		if err != nil {
			t.Error(err)
		}
		busyDone <- res
	}()
	<-started
	idle := decodeReply(t, invoke(t, r, old))

	current := probeReq(`{"action":"echo"}`)
	current.CodeSha256 = "sha-2"
	fresh := decodeReply(t, invoke(t, r, current))
	r.Retire("probe", current)

	waitGone(t, idle.PID)
	busy := decodeReply(t, <-busyDone) // finished on the old code
	if busy.PID == idle.PID || busy.PID == fresh.PID {
		t.Fatalf("pids: idle %d busy %d fresh %d", idle.PID, busy.PID, fresh.PID)
	}
	waitGone(t, busy.PID)
	if again := decodeReply(t, invoke(t, r, current)); again.PID != fresh.PID {
		t.Errorf("current code's environment retired: pid %d, want %d", again.PID, fresh.PID)
	}
	// The old code runs again only in a new environment.
	if res := invoke(t, r, old); !res.ColdStart {
		t.Error("a retired environment was reused")
	}
	// Without current, every environment of the function goes.
	r.Retire("probe")
	waitGone(t, fresh.PID)
}

// waitGone polls until the process has exited, for at most 10 s.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for processAlive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("pid %d still alive", pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
