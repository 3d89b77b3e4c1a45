package devloop

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/lambctl/lamb/emulator"
	"golang.org/x/term"
)

// palette are the ANSI colours of function names on a terminal (no red:
// it is for errors).
var palette = []string{"36", "33", "35", "32", "34", "96", "93", "95", "92", "94"}

// Printer writes lamb dev's (and lamb local's) lines and the functions' log lines, each line
// whole, function log lines prefixed with the function's name (coloured
// on a terminal).
type Printer struct {
	mu     sync.Mutex
	w      io.Writer
	color  bool
	width  int            // of the widest function name, for alignment
	colors map[string]int // function → palette index
	// partial holds each function's unfinished last line.
	partial map[string][]byte
}

// IsTerminal reports whether w is a terminal that takes colours: a
// terminal file, and NO_COLOR not set (no-color.org).
func IsTerminal(w io.Writer, getenv func(string) string) bool {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return false
	}
	return getenv == nil || getenv("NO_COLOR") == "" && getenv("TERM") != "dumb"
}

func NewPrinter(w io.Writer, color bool) *Printer {
	return &Printer{w: w, color: color, colors: map[string]int{}, partial: map[string][]byte{}}
}

// setFunctions fixes the names' colours and the prefix width.
func (p *Printer) SetFunctions(names []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, n := range names {
		if _, ok := p.colors[n]; !ok {
			p.colors[n] = len(p.colors) % len(palette)
		}
		p.width = max(p.width, len(n))
	}
}

// Printf prints one of lamb dev's own lines (or several).
func (p *Printer) Printf(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	io.WriteString(p.w, s)
}

// Errorf prints a failure: "lamb dev: " and the message, continuation
// lines indented as they are.
func (p *Printer) Errorf(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	if p.color {
		s = "\x1b[31m" + strings.TrimRight(s, "\n") + "\x1b[0m"
	}
	p.Printf("%s", s)
}

// Log writes a function's log output; lines are prefixed, an unfinished
// last line waits for the rest of it (or Flush).
func (p *Printer) Log(function string, b []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	data := append(p.partial[function], b...)
	var out bytes.Buffer
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		p.prefix(&out, function)
		out.Write(data[:i+1])
		data = data[i+1:]
	}
	if len(data) > 0 {
		p.partial[function] = append([]byte(nil), data...)
	} else {
		delete(p.partial, function)
	}
	p.w.Write(out.Bytes())
}

// LogLine writes one line a function logged (emulator.Options.Logs).
func (p *Printer) LogLine(ll emulator.LogLine) {
	p.Log(ll.Function, append(ll.Line[:len(ll.Line):len(ll.Line)], '\n'))
}

// Flush ends a function's unfinished line.
func (p *Printer) Flush(function string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if rest := p.partial[function]; len(rest) > 0 {
		var out bytes.Buffer
		p.prefix(&out, function)
		out.Write(rest)
		out.WriteByte('\n')
		p.w.Write(out.Bytes())
		delete(p.partial, function)
	}
}

func (p *Printer) prefix(b *bytes.Buffer, function string) {
	pad := strings.Repeat(" ", max(p.width-len(function), 0))
	if p.color {
		c, ok := p.colors[function]
		if !ok {
			c = len(p.colors) % len(palette)
			p.colors[function] = c
		}
		fmt.Fprintf(b, "\x1b[%sm%s%s |\x1b[0m ", palette[c], function, pad)
		return
	}
	fmt.Fprintf(b, "%s%s | ", function, pad)
}
