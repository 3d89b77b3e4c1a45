// Package progress reports the state of many functions moving through a
// build or deploy.
//
// On a terminal it keeps a small live display redrawn in place: how many
// functions are queued, building, zipping, deploying, done or failed, which
// ones are in flight, and the elapsed time. Anywhere else (CI logs, pipes)
// it prints one plain line per state change. In quiet mode only failures
// are printed. A Reporter is safe for concurrent use.
package progress

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"
)

// State is where a function is.
type State int

const (
	Queued State = iota
	Building
	Zipping
	Deploying
	Done
	Failed
	numStates
)

var stateNames = [numStates]string{"queued", "building", "zipping", "deploying", "done", "failed"}

func (s State) String() string {
	if s < 0 || s >= numStates {
		return fmt.Sprintf("State(%d)", int(s))
	}
	return stateNames[s]
}

// Mode is how a Reporter prints.
type Mode int

const (
	// Plain prints one line per state change.
	Plain Mode = iota
	// Live redraws a display in place; for terminals.
	Live
	// Quiet prints failures only.
	Quiet
)

// IsTerminal reports whether w is a terminal (an *os.File on a tty).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// TermWidth returns the width of the terminal w, or 0 when w is not one.
func TermWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok {
		return 0
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return width
}

// ModeFor picks the mode for w: Quiet when quiet, Live on a terminal
// unless ci (the CI environment variable is set), Plain otherwise.
func ModeFor(w io.Writer, quiet, ci bool) Mode {
	switch {
	case quiet:
		return Quiet
	case !ci && IsTerminal(w):
		return Live
	}
	return Plain
}

// Options configure a Reporter.
type Options struct {
	Mode Mode
	// Width is the terminal width in Live mode; 0 asks the terminal (80
	// when it cannot tell).
	Width int
	// Refresh is how often the live display redraws to advance the elapsed
	// time; 0 means 200ms, negative never (redraws on changes only).
	Refresh time.Duration
	// Now returns the current time; default time.Now.
	Now func() time.Time
	// Deploys says the run deploys what it builds: a function set Done
	// from Queued, Building or Zipping (built or found in a cache, its
	// deploy still to come) is queued instead, so done means deployed.
	Deploys bool
}

// Reporter tracks functions' states and prints them.
type Reporter struct {
	mu     sync.Mutex
	w      io.Writer
	o      Options
	start  time.Time
	fns    map[string]*fn
	order  []string // names in the order first seen
	drawn  int      // lines of the live display currently on screen
	used   [numStates]bool
	closed bool
	stop   chan struct{}
	done   chan struct{}
}

type fn struct {
	state State
	since time.Time
	spent [numStates]time.Duration
	err   error
}

// New returns a Reporter writing to w.
func New(w io.Writer, o Options) *Reporter {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Mode == Live && o.Width <= 0 {
		o.Width = TermWidth(w)
		if o.Width <= 0 {
			o.Width = 80
		}
	}
	if o.Refresh == 0 {
		o.Refresh = 200 * time.Millisecond
	}
	r := &Reporter{w: w, o: o, start: o.Now(), fns: map[string]*fn{}}
	if o.Mode == Live && o.Refresh > 0 {
		r.stop, r.done = make(chan struct{}), make(chan struct{})
		go r.tick()
	}
	return r
}

func (r *Reporter) tick() {
	defer close(r.done)
	t := time.NewTicker(r.o.Refresh)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			r.mu.Lock()
			if !r.closed {
				r.redraw(nil)
			}
			r.mu.Unlock()
		}
	}
}

// Add registers functions as queued.
func (r *Reporter) Add(names ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.o.Now()
	for _, n := range names {
		if _, ok := r.fns[n]; ok {
			continue
		}
		r.fns[n] = &fn{state: Queued, since: now}
		r.order = append(r.order, n)
	}
	if r.o.Mode == Live {
		r.redraw(nil)
	}
}

// Set moves a function to state s (registering it if new). Moving to the
// state it is in prints nothing.
func (r *Reporter) Set(name string, s State) { r.set(name, s, nil) }

// Fail moves a function to Failed with err; failures print in every mode.
func (r *Reporter) Fail(name string, err error) { r.set(name, Failed, err) }

func (r *Reporter) set(name string, s State, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.o.Now()
	f, ok := r.fns[name]
	if s == Done && r.o.Deploys && ok && f.state < Deploying {
		s = Queued // built (or found in a cache): its deploy is still to come
	}
	if !ok {
		f = &fn{state: s, since: now}
		r.fns[name] = f
		r.order = append(r.order, name)
	} else {
		if f.state == s && err == nil {
			return
		}
		f.spent[f.state] += now.Sub(f.since)
		f.state, f.since = s, now
	}
	f.err = err
	r.used[s] = true
	var line string
	switch {
	case s == Failed && err != nil:
		line = fmt.Sprintf("%s: failed: %v", name, err)
	case s == Failed:
		line = name + ": failed"
	default:
		line = name + ": " + s.String()
	}
	switch r.o.Mode {
	case Plain:
		fmt.Fprintf(r.w, "[%6s] %s\n", r.elapsed(now), line)
	case Quiet:
		if s == Failed {
			fmt.Fprintln(r.w, line)
		}
	case Live:
		var above []string
		if s == Failed {
			above = []string{line}
		}
		r.redraw(above)
	}
}

// Logf prints a free-form line: as is in Plain mode, above the display in
// Live mode, not at all in Quiet mode.
func (r *Reporter) Logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	line := strings.TrimRight(fmt.Sprintf(format, args...), "\n")
	switch r.o.Mode {
	case Plain:
		fmt.Fprintln(r.w, line)
	case Live:
		r.redraw(strings.Split(line, "\n"))
	}
}

// Writer returns an io.Writer whose lines become Logf lines, for packages
// that report progress as plain text (builder.Options.Progress).
func (r *Reporter) Writer() io.Writer { return &lineWriter{r: r} }

type lineWriter struct {
	mu  sync.Mutex
	r   *Reporter
	buf []byte
}

func (lw *lineWriter) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	lw.buf = append(lw.buf, p...)
	for {
		i := bytes.IndexByte(lw.buf, '\n')
		if i < 0 {
			break
		}
		lw.r.Logf("%s", lw.buf[:i])
		lw.buf = lw.buf[i+1:]
	}
	return len(p), nil
}

// Spent returns how long name has been in state s in total, including the
// current stay: the per-phase timings of -v and of job summaries.
func (r *Reporter) Spent(name string, s State) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	f, ok := r.fns[name]
	if !ok || s < 0 || s >= numStates {
		return 0
	}
	d := f.spent[s]
	if f.state == s && s != Done && s != Failed {
		d += r.o.Now().Sub(f.since)
	}
	return d
}

// WriteTimings writes, for -v, one line per function (in the order first
// seen) with the time it spent in each phase it went through:
//
//	orders-get: queued 1.2s, building 3.4s, zipping 120ms, deploying 2.1s
func (r *Reporter) WriteTimings(w io.Writer) error {
	r.mu.Lock()
	now := r.o.Now()
	var b strings.Builder
	for _, n := range r.order {
		f := r.fns[n]
		var parts []string
		for s := Queued; s < Done; s++ {
			d := f.spent[s]
			if f.state == s {
				d += now.Sub(f.since)
			}
			if d > 0 {
				parts = append(parts, s.String()+" "+round(d))
			}
		}
		if len(parts) > 0 {
			fmt.Fprintf(&b, "%s: %s\n", n, strings.Join(parts, ", "))
		}
	}
	r.mu.Unlock()
	_, err := io.WriteString(w, b.String())
	return err
}

func round(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(10 * time.Millisecond).String()
}

// Counts returns how many functions are in each state.
func (r *Reporter) Counts() map[State]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := map[State]int{}
	for _, f := range r.fns {
		c[f.state]++
	}
	return c
}

// Close stops the live display, leaving its final frame on screen. Later
// calls print nothing.
func (r *Reporter) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	if r.o.Mode == Live {
		r.redraw(nil)
	}
	r.closed = true
	r.mu.Unlock()
	if r.stop != nil {
		close(r.stop)
		<-r.done
	}
}

func (r *Reporter) elapsed(now time.Time) string {
	return now.Sub(r.start).Round(100 * time.Millisecond).String()
}

// redraw erases the live display, prints the lines above (log lines that
// scroll away) and draws the display again. r.mu is held.
func (r *Reporter) redraw(above []string) {
	if r.closed {
		for _, l := range above {
			fmt.Fprintln(r.w, l)
		}
		return
	}
	var b strings.Builder
	if r.drawn > 0 {
		// To the start of the display's first line, then clear to the end
		// of the screen.
		fmt.Fprintf(&b, "\r\x1b[%dA\x1b[J", r.drawn)
	}
	for _, l := range above {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	lines := r.frame(r.o.Now())
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	r.drawn = len(lines)
	io.WriteString(r.w, b.String())
}

// frame renders the live display at now, each line cut one column short
// of the width so that no terminal wraps it.
func (r *Reporter) frame(now time.Time) []string {
	width := r.o.Width - 1
	var counts [numStates]int
	active := map[State][]string{}
	for _, n := range r.order {
		f := r.fns[n]
		counts[f.state]++
		if f.state == Building || f.state == Zipping || f.state == Deploying {
			active[f.state] = append(active[f.state], n)
		}
	}
	var parts []string
	for s := Queued; s < numStates; s++ {
		// Phases this run has not used (deploying in a build) are left out.
		if s != Queued && s != Done && !r.used[s] {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %d", s, counts[s]))
	}
	lines := []string{fit(fmt.Sprintf("lamb %s  %s", r.elapsed(now), strings.Join(parts, "  ")), width)}
	for _, s := range []State{Building, Zipping, Deploying} {
		names := active[s]
		if len(names) == 0 {
			continue
		}
		slices.Sort(names)
		lines = append(lines, fit(fmt.Sprintf("  %s: %s", s, strings.Join(names, ", ")), width))
	}
	return lines
}

// fit cuts s to width columns (runes), marking a cut with "…".
func fit(s string, width int) string {
	if width <= 0 || utf8.RuneCountInString(s) <= width {
		return s
	}
	if width == 1 {
		return "…"
	}
	rs := []rune(s)
	return string(rs[:width-1]) + "…"
}
