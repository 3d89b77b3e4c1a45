package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/emulator/logs"
)

// lockedBuffer is a buffer a test reads while lamb writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// logsServer is a local CloudWatch Logs (emulator/logs) over HTTP.
func logsServer(t *testing.T) (*logs.Store, string) {
	t.Helper()
	st, err := logs.New(logs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := httptest.NewServer(st)
	t.Cleanup(srv.Close)
	return st, srv.URL
}

// invokeLines are the lines one invoke writes.
func invokeLines(t0 time.Time, id string, lines ...string) []logs.Event {
	var evs []logs.Event
	add := func(msg string) {
		evs = append(evs, logs.Event{Time: t0.Add(time.Duration(len(evs)) * time.Millisecond), Message: msg})
	}
	add("START RequestId: " + id + " Version: $LATEST\n")
	for _, l := range lines {
		add(l + "\n")
	}
	add("END RequestId: " + id + "\n")
	add("REPORT RequestId: " + id + "\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 7 MB\n")
	return evs
}

// TestLogs reads a function's logs through the real SDK client: time and
// request id on each line, --since, --filter.
func TestLogs(t *testing.T) {
	t.Parallel()
	st, url := logsServer(t)
	t0 := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	st.Append("/aws/lambda/orders-get", "2026/03/04/[$LATEST]aaaa", append(
		[]logs.Event{{Time: t0.Add(-time.Second), Message: "init: loading\n"}},
		invokeLines(t0, "11111111-1111-4111-8111-111111111111", "order not found", `{"level":"ERROR","requestId":"11111111-1111-4111-8111-111111111111","msg":"boom"}`)...))
	st.Append("/aws/lambda/orders-get", "2026/03/04/[$LATEST]bbbb", invokeLines(t0.Add(time.Minute), "22222222-2222-4222-8222-222222222222", "ERROR: store down"))
	st.Append("/aws/lambda/other", "2026/03/04/[$LATEST]cccc", invokeLines(t0, "33333333-3333-4333-8333-333333333333", "not mine"))

	since := t0.Add(-time.Hour).Format(time.RFC3339)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"all", []string{"--since", since}, `2026-03-04T09:59:59.000Z - init: loading
2026-03-04T10:00:00.000Z 11111111-1111-4111-8111-111111111111 START RequestId: 11111111-1111-4111-8111-111111111111 Version: $LATEST
2026-03-04T10:00:00.001Z 11111111-1111-4111-8111-111111111111 order not found
2026-03-04T10:00:00.002Z 11111111-1111-4111-8111-111111111111 {"level":"ERROR","requestId":"11111111-1111-4111-8111-111111111111","msg":"boom"}
2026-03-04T10:00:00.003Z 11111111-1111-4111-8111-111111111111 END RequestId: 11111111-1111-4111-8111-111111111111
2026-03-04T10:00:00.004Z 11111111-1111-4111-8111-111111111111 REPORT RequestId: 11111111-1111-4111-8111-111111111111	Duration: 1.00 ms	Billed Duration: 1 ms	Memory Size: 128 MB	Max Memory Used: 7 MB
2026-03-04T10:01:00.000Z 22222222-2222-4222-8222-222222222222 START RequestId: 22222222-2222-4222-8222-222222222222 Version: $LATEST
2026-03-04T10:01:00.001Z 22222222-2222-4222-8222-222222222222 ERROR: store down
2026-03-04T10:01:00.002Z 22222222-2222-4222-8222-222222222222 END RequestId: 22222222-2222-4222-8222-222222222222
2026-03-04T10:01:00.003Z 22222222-2222-4222-8222-222222222222 REPORT RequestId: 22222222-2222-4222-8222-222222222222	Duration: 1.00 ms	Billed Duration: 1 ms	Memory Size: 128 MB	Max Memory Used: 7 MB
`},
		{"since", []string{"--since", t0.Add(30 * time.Second).Format(time.RFC3339)}, `2026-03-04T10:01:00.000Z 22222222-2222-4222-8222-222222222222 START RequestId: 22222222-2222-4222-8222-222222222222 Version: $LATEST
2026-03-04T10:01:00.001Z 22222222-2222-4222-8222-222222222222 ERROR: store down
2026-03-04T10:01:00.002Z 22222222-2222-4222-8222-222222222222 END RequestId: 22222222-2222-4222-8222-222222222222
2026-03-04T10:01:00.003Z 22222222-2222-4222-8222-222222222222 REPORT RequestId: 22222222-2222-4222-8222-222222222222	Duration: 1.00 ms	Billed Duration: 1 ms	Memory Size: 128 MB	Max Memory Used: 7 MB
`},
		// A filtered line outside START and END has no request id to show.
		{"filter", []string{"--since", since, "--filter", "ERROR"}, `2026-03-04T10:00:00.002Z 11111111-1111-4111-8111-111111111111 {"level":"ERROR","requestId":"11111111-1111-4111-8111-111111111111","msg":"boom"}
2026-03-04T10:01:00.001Z - ERROR: store down
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := lambRun(t, nil, append([]string{"logs", "orders-get", "--endpoint", url}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if diff := cmp.Diff(tt.want, stdout); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("no group", func(t *testing.T) {
		t.Parallel()
		code, _, stderr := lambRun(t, nil, "logs", "nosuch", "--endpoint", url)
		if code != exitFailed || !strings.Contains(stderr, "lamb: logs: /aws/lambda/nosuch: no such log group") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
}

// TestLogsFollow: --follow prints new events as they come, each once.
func TestLogsFollow(t *testing.T) {
	t.Parallel()
	st, url := logsServer(t)
	now := time.Now().UTC().Truncate(time.Millisecond)
	st.Append("/aws/lambda/worker", "s1", invokeLines(now, "44444444-4444-4444-8444-444444444444", "first"))
	ctx, cancel := context.WithCancel(context.Background())
	out := &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"logs", "worker", "--endpoint", url, "--follow", "--poll", "5ms"}, proc{Stdout: out, Stderr: out, Getenv: func(string) string { return "" }})
	}()
	waitFor := func(s string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(out.String(), s) {
			if time.Now().After(deadline) {
				cancel()
				t.Fatalf("%q not printed within 20s; output:\n%s", s, out.String())
			}
			time.Sleep(5 * time.Millisecond) // polling lamb's output, with a deadline
		}
	}
	waitFor("first")
	// Same millisecond as the last event seen, and later.
	st.Append("/aws/lambda/worker", "s1", []logs.Event{{Time: now.Add(3 * time.Millisecond), Message: "same millisecond\n"}})
	st.Append("/aws/lambda/worker", "s2", invokeLines(now.Add(time.Second), "55555555-5555-4555-8555-555555555555", "later event"))
	waitFor("REPORT RequestId: 55555555")
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, out.String())
	}
	for _, s := range []string{"first", "same millisecond", "later event", "START RequestId: 44444444", "REPORT RequestId: 44444444"} {
		if n := strings.Count(out.String(), s); n != 1 {
			t.Errorf("%q printed %d times, want once:\n%s", s, n, out.String())
		}
	}
}

func TestParseSince(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		in   string
		want time.Time
		err  bool
	}{
		{"10m", now.Add(-10 * time.Minute), false},
		{"2h30m", now.Add(-150 * time.Minute), false},
		{"0s", now, false},
		{"2026-03-01T00:00:00Z", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), false},
		{"-5m", time.Time{}, true},
		{"yesterday", time.Time{}, true},
	} {
		got, err := parseSince(tt.in, now)
		if (err != nil) != tt.err || !got.Equal(tt.want) {
			t.Errorf("parseSince(%q) = %v, %v", tt.in, got, err)
		}
	}
}
