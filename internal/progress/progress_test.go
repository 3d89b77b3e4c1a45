package progress

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// clock is a fake time source advanced by the test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestPlain(t *testing.T) {
	var buf bytes.Buffer
	c := newClock()
	r := New(&buf, Options{Mode: Plain, Now: c.Now})
	r.Add("api", "billing")
	c.Advance(1200 * time.Millisecond)
	r.Set("api", Building)
	r.Set("api", Building) // no change: no line
	c.Advance(300 * time.Millisecond)
	r.Set("api", Zipping)
	r.Logf("go build -p 2 ./functions/api")
	r.Set("api", Done)
	c.Advance(61 * time.Second)
	r.Fail("billing", errors.New("compile error"))
	r.Close()
	r.Close()
	want := `[  1.2s] api: building
[  1.5s] api: zipping
go build -p 2 ./functions/api
[  1.5s] api: done
[1m2.5s] billing: failed: compile error
`
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestQuiet(t *testing.T) {
	var buf bytes.Buffer
	r := New(&buf, Options{Mode: Quiet})
	r.Add("a", "b")
	r.Set("a", Building)
	r.Logf("noise")
	r.Set("a", Done)
	r.Fail("b", errors.New("boom"))
	r.Set("c", Failed)
	r.Close()
	want := "b: failed: boom\nc: failed\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

// screen replays what the live display wrote, as a terminal would: it
// understands \r, \n, ESC[nA (cursor up) and ESC[J (clear to end of
// screen), and returns the lines left on screen.
func screen(t *testing.T, out string) []string {
	t.Helper()
	var lines []string
	row, col := 0, 0
	esc := regexp.MustCompile(`^\x1b\[(\d*)([AJ])`)
	for i := 0; i < len(out); {
		switch ch := out[i]; {
		case ch == '\r':
			col = 0
			i++
		case ch == '\n':
			row++
			col = 0
			i++
		case ch == 0x1b:
			m := esc.FindStringSubmatch(out[i:])
			if m == nil {
				t.Fatalf("unknown escape at %q", out[i:min(len(out), i+8)])
			}
			if m[2] == "A" {
				n, _ := strconv.Atoi(m[1])
				row = max(0, row-n)
			} else {
				if row < len(lines) {
					lines[row] = lines[row][:min(col, len(lines[row]))]
					lines = lines[:row+1]
				}
			}
			i += len(m[0])
		default:
			for len(lines) <= row {
				lines = append(lines, "")
			}
			l := []rune(lines[row])
			r, size := []rune(out[i:])[0], len(string([]rune(out[i:])[0]))
			if col < len(l) {
				l[col] = r
			} else {
				l = append(l, r)
			}
			lines[row] = string(l)
			col++
			i += size
		}
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

func TestLiveRedraw(t *testing.T) {
	var buf bytes.Buffer
	c := newClock()
	r := New(&buf, Options{Mode: Live, Width: 60, Refresh: -1, Now: c.Now})
	r.Add("api", "billing", "cron", "events")
	want := []string{"lamb 0s  queued 4  done 0"}
	if diff := cmp.Diff(want, screen(t, buf.String())); diff != "" {
		t.Errorf("first frame (-want +got):\n%s", diff)
	}

	c.Advance(2 * time.Second)
	r.Set("billing", Building)
	r.Set("api", Building)
	r.Set("cron", Deploying)
	want = []string{
		"lamb 2s  queued 1  building 2  deploying 1  done 0",
		"  building: api, billing",
		"  deploying: cron",
	}
	if diff := cmp.Diff(want, screen(t, buf.String())); diff != "" {
		t.Errorf("frame with work in flight (-want +got):\n%s", diff)
	}

	c.Advance(500 * time.Millisecond)
	r.Logf("cache hit: events")
	r.Fail("api", errors.New("main.go:3:1: syntax error"))
	r.Set("billing", Done)
	r.Set("cron", Done)
	r.Set("events", Done)
	r.Close()
	r.Set("late", Done) // after Close: nothing drawn
	want = []string{
		"cache hit: events",
		"api: failed: main.go:3:1: syntax error",
		"lamb 2.5s  queued 0  building 0  deploying 0  done 3  fail…",
	}
	if diff := cmp.Diff(want, screen(t, buf.String())); diff != "" {
		t.Errorf("final screen (-want +got):\n%s\nraw: %q", diff, buf.String())
	}

	// Wide enough: only phases in use show; failed once there is a failure.
	var wide bytes.Buffer
	r = New(&wide, Options{Mode: Live, Width: 200, Refresh: -1, Now: c.Now})
	r.Fail("x", nil)
	r.Close()
	want = []string{"x: failed", "lamb 0s  queued 0  done 0  failed 1"}
	if diff := cmp.Diff(want, screen(t, wide.String())); diff != "" {
		t.Errorf("failed count (-want +got):\n%s", diff)
	}
}

func TestLiveTicker(t *testing.T) {
	var buf syncBuffer
	r := New(&buf, Options{Mode: Live, Width: 80, Refresh: time.Millisecond})
	r.Add("a")
	r.Close() // stops the ticker goroutine and waits for it
	n := buf.Len()
	r.Set("a", Done)
	if buf.Len() != n {
		t.Error("the display changed after Close")
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Len()
}

func TestSpent(t *testing.T) {
	c := newClock()
	r := New(&bytes.Buffer{}, Options{Mode: Plain, Now: c.Now})
	r.Add("f")
	c.Advance(time.Second)
	r.Set("f", Building)
	c.Advance(3 * time.Second)
	r.Set("f", Zipping)
	c.Advance(time.Second)
	r.Set("f", Building) // back again: adds up
	c.Advance(2 * time.Second)
	if got := r.Spent("f", Building); got != 5*time.Second {
		t.Errorf("Spent(Building) while building = %v, want 5s", got)
	}
	r.Set("f", Deploying)
	c.Advance(4 * time.Second)
	r.Set("f", Done)
	c.Advance(time.Hour)
	got := map[State]time.Duration{}
	for s := Queued; s < numStates; s++ {
		got[s] = r.Spent("f", s)
	}
	want := map[State]time.Duration{Queued: time.Second, Building: 5 * time.Second, Zipping: time.Second, Deploying: 4 * time.Second, Done: 0, Failed: 0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Spent mismatch (-want +got):\n%s", diff)
	}
	if r.Spent("nope", Building) != 0 {
		t.Error("Spent of an unknown function is not 0")
	}
}

func TestConcurrent(t *testing.T) {
	for _, mode := range []Mode{Plain, Live, Quiet} {
		var buf syncBuffer
		r := New(&buf, Options{Mode: mode, Width: 40, Refresh: time.Millisecond})
		var wg sync.WaitGroup
		w := r.Writer()
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				name := fmt.Sprintf("fn%02d", i)
				r.Add(name)
				for _, s := range []State{Building, Zipping, Deploying, Done} {
					r.Set(name, s)
				}
				fmt.Fprintf(w, "log %d\n", i)
				_ = r.Spent(name, Building)
			}()
		}
		wg.Wait()
		r.Close()
		if diff := cmp.Diff(map[State]int{Done: 20}, r.Counts()); diff != "" {
			t.Errorf("mode %d: counts (-want +got):\n%s", mode, diff)
		}
		if mode == Plain {
			if n := strings.Count(buf.b.String(), "\n"); n != 20*4+20 {
				t.Errorf("plain mode printed %d lines, want %d", n, 20*5)
			}
		}
	}
}

func TestWriterSplitsLines(t *testing.T) {
	var buf bytes.Buffer
	r := New(&buf, Options{Mode: Plain})
	w := r.Writer()
	fmt.Fprint(w, "building 2 ")
	fmt.Fprint(w, "functions\ncache hit: a\nparti")
	if diff := cmp.Diff("building 2 functions\ncache hit: a\n", buf.String()); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestFit(t *testing.T) {
	tests := []struct {
		s     string
		width int
		want  string
	}{
		{"hello", 10, "hello"},
		{"hello", 5, "hello"},
		{"hello", 4, "hel…"},
		{"hello", 1, "…"},
		{"héllo wörld", 6, "héllo…"},
		{"x", 0, "x"},
	}
	for _, tt := range tests {
		if got := fit(tt.s, tt.width); got != tt.want {
			t.Errorf("fit(%q, %d) = %q, want %q", tt.s, tt.width, got, tt.want)
		}
	}
}

func TestModeFor(t *testing.T) {
	var buf bytes.Buffer
	if got := ModeFor(&buf, true, false); got != Quiet {
		t.Errorf("quiet: got %v", got)
	}
	if got := ModeFor(&buf, false, false); got != Plain {
		t.Errorf("buffer: got %v, want Plain", got)
	}
	if IsTerminal(&buf) {
		t.Error("a buffer is a terminal")
	}
}

func TestStateString(t *testing.T) {
	if Deploying.String() != "deploying" || State(42).String() != "State(42)" {
		t.Errorf("got %q, %q", Deploying, State(42))
	}
}

func TestWriteTimings(t *testing.T) {
	c := newClock()
	r := New(&bytes.Buffer{}, Options{Mode: Quiet, Now: c.Now})
	r.Add("b-fn", "a-fn")
	c.Advance(1200 * time.Millisecond)
	r.Set("b-fn", Building)
	c.Advance(3456 * time.Millisecond)
	r.Set("b-fn", Zipping)
	c.Advance(120 * time.Millisecond)
	r.Set("b-fn", Done)
	r.Set("a-fn", Deploying)
	c.Advance(2 * time.Second)
	r.Fail("a-fn", errors.New("boom"))
	r.Set("c-fn", Done) // never in a phase: no line
	var buf bytes.Buffer
	if err := r.WriteTimings(&buf); err != nil {
		t.Fatal(err)
	}
	want := "b-fn: queued 1.2s, building 3.46s, zipping 120ms\n" +
		"a-fn: queued 4.78s, deploying 2s\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestDeploys(t *testing.T) {
	// A deploy builds, then deploys: built is not done.
	var buf bytes.Buffer
	c := newClock()
	r := New(&buf, Options{Mode: Plain, Now: c.Now, Deploys: true})
	r.Add("api", "cfg", "cached")
	r.Set("cached", Done) // found in a cache: still queued, no line
	r.Set("api", Building)
	c.Advance(2 * time.Second)
	r.Set("api", Done) // built: waits for its deploy
	c.Advance(time.Second)
	r.Set("api", Deploying)
	r.Set("cfg", Deploying) // configuration only: never built
	c.Advance(time.Second)
	r.Set("api", Done)
	r.Set("cfg", Done)
	r.Set("cached", Deploying)
	r.Set("cached", Done)
	r.Close()
	want := `[    0s] api: building
[    2s] api: queued
[    3s] api: deploying
[    3s] cfg: deploying
[    4s] api: done
[    4s] cfg: done
[    4s] cached: deploying
[    4s] cached: done
`
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	var tb bytes.Buffer
	r.WriteTimings(&tb)
	wantT := "api: queued 1s, building 2s, deploying 1s\ncfg: queued 3s, deploying 1s\ncached: queued 4s\n"
	if diff := cmp.Diff(wantT, tb.String()); diff != "" {
		t.Errorf("timings (-want +got):\n%s", diff)
	}
}
