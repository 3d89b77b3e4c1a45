package manifest

import (
	"errors"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
)

// The YAML parser stops at the first syntax error. To report more than
// that one problem, parseRecovering blanks the entry around the error (its
// line and the lines indented below it; line numbers are kept) and parses
// again, until the document parses. Then it keeps only the blanked entries
// still needed, and narrows an entry blanked for an error whose cause was
// elsewhere (the parser often reports an unclosed bracket at the next
// line). Each entry left blanked reports the error found in it; the other
// checks run on the rest.

// maxParses bounds the parses recovering may cost for a small manifest;
// larger ones get fewer (a parse of 1 MiB takes a second).
const maxParses = 32

// syntaxError is a parse failure at a 1-based line.
type syntaxError struct {
	err  *Error
	line int
}

// parseOnce parses src; duplicate keys are left to the converter, which
// reports every one.
func (c *converter) parseOnce(src string) (*ast.File, *syntaxError) {
	f, err := parser.Parse(lexer.Tokenize(src), 0, parser.AllowDuplicateMapKey())
	if err == nil {
		return f, nil
	}
	var ye yaml.Error
	if errors.As(err, &ye) {
		p := c.pos(ye.GetToken())
		return nil, &syntaxError{err: &Error{Pos: p, Msg: oneLine(ye.GetMessage())}, line: p.Line}
	}
	p := Pos{File: c.file, Line: 1, Col: 1}
	return nil, &syntaxError{err: &Error{Pos: p, Msg: oneLine(err.Error())}, line: 1}
}

// cut is a blanked entry and the error found in it.
type cut struct {
	first, last int // lines, 1-based
	err         *Error
}

// recovery is one search for the cuts that make a document parse.
type recovery struct {
	c      *converter
	text   *lineText
	parses int // left
}

// parse parses the text with cuts blanked; false when out of parses.
func (r *recovery) parse(cuts []cut) (*ast.File, *syntaxError, bool) {
	if r.parses <= 0 {
		return nil, nil, false
	}
	r.parses--
	f, e := r.c.parseOnce(r.text.blank(cuts).String())
	return f, e, true
}

// parseRecovering parses src and returns the syntax errors, with the
// document as parsed around them (nil when recovering failed: then only
// the first error is returned).
func (c *converter) parseRecovering(src string) (*ast.File, []*Error) {
	f, serr := c.parseOnce(src)
	if serr == nil {
		return f, nil
	}
	r := &recovery{c: c, text: newLineText(src), parses: maxParses}
	if n := len(src); n > 64<<10 {
		r.parses = max(2, maxParses*(64<<10)/n)
	}
	cuts, f, ok := r.repair(nil, serr, true)
	if !ok {
		return nil, []*Error{serr.err}
	}
	errs := make([]*Error, len(cuts))
	for i, ct := range cuts {
		errs[i] = ct.err
	}
	return f, errs
}

// repair finds cuts that, with fixed, make the text parse; serr is the
// error the text with fixed gives. narrow: try to narrow the cuts.
func (r *recovery) repair(fixed []cut, serr *syntaxError, narrow bool) ([]cut, *ast.File, bool) {
	var added []cut
	var f *ast.File
	for {
		cur := r.text.blank(append(fixed, added...))
		s := cur.entryLine(serr.line)
		if s == 0 {
			return nil, nil, false
		}
		b := cur.block(s)
		added = append(added, cut{first: b[0], last: b[1], err: serr.err})
		var ok bool
		if f, serr, ok = r.parse(append(fixed, added...)); !ok {
			return nil, nil, false
		}
		if serr == nil {
			break
		}
	}
	// Keep only the cuts still needed.
	for i := 0; i < len(added); i++ {
		without := append(append([]cut(nil), added[:i]...), added[i+1:]...)
		g, e, ok := r.parse(append(fixed, without...))
		if !ok {
			break
		}
		if e == nil {
			added, f = without, g
			i--
		}
	}
	if !narrow {
		return added, f, true
	}
	// Narrow a cut of several lines: without it, repair what is left.
	for i := 0; i < len(added); i++ {
		if added[i].first == added[i].last {
			continue
		}
		others := append(append(append([]cut(nil), fixed...), added[:i]...), added[i+1:]...)
		_, e, ok := r.parse(others)
		if !ok {
			break
		}
		if e == nil {
			continue
		}
		sub, g, ok := r.repair(others, e, false)
		if !ok || lines(sub) >= added[i].last-added[i].first+1 {
			continue
		}
		added = append(append(append([]cut(nil), added[:i]...), sub...), added[i+1:]...)
		f = g
		i += len(sub) - 1
	}
	return added, f, true
}

// lines counts the lines cuts blank.
func lines(cuts []cut) int {
	n := 0
	for _, c := range cuts {
		n += c.last - c.first + 1
	}
	return n
}

// lineText is a document as lines, some blanked.
type lineText struct {
	lines []string // without their line ends
	ends  []string
}

func newLineText(src string) *lineText {
	t := &lineText{}
	for len(src) > 0 {
		line, rest, found := strings.Cut(src, "\n")
		end := ""
		if found {
			end = "\n"
		}
		t.lines = append(t.lines, line)
		t.ends = append(t.ends, end)
		src = rest
	}
	return t
}

func (t *lineText) String() string {
	var b strings.Builder
	for i, l := range t.lines {
		b.WriteString(l)
		b.WriteString(t.ends[i])
	}
	return b.String()
}

// blank returns a copy of t with the lines of cuts emptied.
func (t *lineText) blank(cuts []cut) *lineText {
	out := &lineText{lines: append([]string(nil), t.lines...), ends: t.ends}
	for _, c := range cuts {
		for i := max(c.first, 1); i <= c.last && i <= len(out.lines); i++ {
			out.lines[i-1] = ""
		}
	}
	return out
}

// content reports whether line i (1-based) holds more than space and a
// comment; indent is its indentation.
func (t *lineText) content(i int) bool {
	s := strings.TrimLeft(t.lines[i-1], " \t")
	return s != "" && !strings.HasPrefix(s, "#")
}

func (t *lineText) indent(i int) int {
	l := t.lines[i-1]
	return len(l) - len(strings.TrimLeft(l, " \t"))
}

func (t *lineText) item(i int) bool {
	return strings.HasPrefix(strings.TrimLeft(t.lines[i-1], " \t"), "-")
}

// entryLine is the content line an error at line i belongs to: i, or the
// nearest content line before it (after it at the top); 0 when none.
func (t *lineText) entryLine(i int) int {
	i = min(max(i, 1), len(t.lines))
	for j := i; j >= 1; j-- {
		if t.content(j) {
			return j
		}
	}
	for j := i + 1; j <= len(t.lines); j++ {
		if t.content(j) {
			return j
		}
	}
	return 0
}

// block is the entry starting at line s: s and the lines after it indented
// more (and, for a key, the "- " items of its list at its own indentation).
func (t *lineText) block(s int) [2]int {
	end := s
	ind, key := t.indent(s), !t.item(s)
	for j := s + 1; j <= len(t.lines); j++ {
		if !t.content(j) {
			continue
		}
		if in := t.indent(j); in < ind || in == ind && !(key && t.item(j)) {
			break
		}
		end = j
	}
	return [2]int{s, end}
}
