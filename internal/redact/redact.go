// Package redact is the one home of how lamb keeps environment values and
// secrets out of what it prints: errors, plans, summaries. A value is
// hidden in every encoding in which it can come back — as written,
// JSON-escaped (once or twice, with or without HTML escaping), Go-quoted,
// URL-encoded, HTML-escaped and Markdown-escaped — and never where it is
// part of a word lamb must keep (a function name, a resource name, lamb's
// own words): with TABLE=orders, "orders-create" stays as it is.
package redact

import (
	"encoding/json"
	"html"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/lambctl/lamb/internal/ghactions"
)

// Hidden replaces a value.
const Hidden = "(hidden)"

// MinLen is the shortest value hidden: shorter ones ("1", "on", "us")
// are too common to be secrets and would garble every message.
const MinLen = 4

// Redactor hides a set of values. The zero value and nil hide nothing.
type Redactor struct {
	forms []string // every encoding of every value, longest first
	keep  []string // words never redacted
}

// New returns a Redactor for values (values shorter than MinLen are
// ignored).
func New(values ...string) *Redactor {
	r := &Redactor{}
	r.Add(values...)
	return r
}

// Add hides values too.
func (r *Redactor) Add(values ...string) {
	for _, v := range values {
		if len(v) < MinLen {
			continue
		}
		for _, f := range Forms(v) {
			if !slices.Contains(r.forms, f) {
				r.forms = append(r.forms, f)
			}
		}
	}
	slices.SortStableFunc(r.forms, func(a, b string) int { return len(b) - len(a) })
}

// Keep never redacts words (function names, aliases, resource ARNs):
// an occurrence of a value inside one of them stays.
func (r *Redactor) Keep(words ...string) {
	for _, w := range words {
		if w != "" && !slices.Contains(r.keep, w) {
			r.keep = append(r.keep, w)
		}
	}
	slices.SortStableFunc(r.keep, func(a, b string) int { return len(b) - len(a) })
}

// Empty reports whether r hides nothing.
func (r *Redactor) Empty() bool { return r == nil || len(r.forms) == 0 }

// String returns s with every form of every value replaced by Hidden,
// except inside kept words.
func (r *Redactor) String(s string) string {
	if r.Empty() || s == "" {
		return s
	}
	// Bytes of s inside words that must stay as written.
	kept := make([]bool, len(s))
	for _, w := range r.keep {
		for i := 0; ; {
			j := strings.Index(s[i:], w)
			if j < 0 {
				break
			}
			for k := i + j; k < i+j+len(w); k++ {
				kept[k] = true
			}
			i += j + 1
		}
	}
	inKept := func(a, b int) bool {
		for k := a; k < b; k++ {
			if !kept[k] {
				return false
			}
		}
		return true
	}
	// Mark every byte covered by a form outside kept words, longest forms
	// first; then rebuild s with each covered run replaced once.
	cover := make([]bool, len(s))
	any := false
	for _, f := range r.forms {
		for i := 0; ; {
			j := strings.Index(s[i:], f)
			if j < 0 {
				break
			}
			a, b := i+j, i+j+len(f)
			if !inKept(a, b) {
				for k := a; k < b; k++ {
					cover[k] = true
				}
				any = true
			}
			i = a + 1
		}
	}
	if !any {
		return s
	}
	var out strings.Builder
	for i := 0; i < len(s); {
		if !cover[i] {
			out.WriteByte(s[i])
			i++
			continue
		}
		for i < len(s) && cover[i] {
			i++
		}
		out.WriteString(Hidden)
	}
	return out.String()
}

// Error returns err with its message redacted (nil stays nil). The
// result unwraps to err, so errors.Is and errors.As still see the cause.
func (r *Redactor) Error(err error) error {
	if err == nil || r.Empty() {
		return err
	}
	msg := r.String(err.Error())
	if msg == err.Error() {
		return err
	}
	return &redacted{msg: msg, err: err}
}

type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }

// Forms returns the encodings in which v can come back in text lamb
// prints, v itself first.
func Forms(v string) []string {
	jsonInner := func(s string, escapeHTML bool) string {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(escapeHTML)
		enc.Encode(s)
		q := strings.TrimSuffix(b.String(), "\n")
		return q[1 : len(q)-1]
	}
	quoted := strconv.Quote(v)
	forms := []string{
		v,
		jsonInner(v, true),
		jsonInner(v, false),
		jsonInner(jsonInner(v, true), true),
		jsonInner(jsonInner(v, false), false),
		quoted[1 : len(quoted)-1],
		url.QueryEscape(v),
		url.PathEscape(v),
		html.EscapeString(v),
		ghactions.Cell(v),
	}
	var out []string
	for _, f := range forms {
		if f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}
