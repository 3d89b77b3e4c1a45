// Package route parses API Gateway HTTP API route keys ("POST /orders",
// "GET /orders/{id}", "ANY /users/{proxy+}", "$default") and matches
// requests against a table of them with API Gateway's precedence.
//
// Sources: Amazon API Gateway Developer Guide, "Working with routes for
// HTTP APIs" (path variables, greedy variables, ANY, $default and the
// routing priorities). The rules this package adds where that page is
// silent are listed in docs/http.md.
//
// It imports only the standard library: the manifest validates route keys
// with it and the local HTTP front (emulator/httpapi) routes with it.
package route

import (
	"fmt"
	"strings"
)

// Default is the route key of the catch-all route.
const Default = "$default"

// Any is the method that matches every method a path has no route for.
const Any = "ANY"

// Methods are the methods a route key may name, in alphabetical order.
var Methods = []string{Any, "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"}

type segKind uint8

// The kinds, in order of precedence: a literal segment is more specific
// than a parameter, which is more specific than a greedy parameter.
const (
	literal segKind = iota
	param
	greedy
)

type segment struct {
	kind segKind
	text string // the literal, or the parameter's name
}

// Key is a parsed route key. The zero Key is not valid; get one from Parse.
type Key struct {
	method string
	path   string
	segs   []segment
	def    bool
}

// IsDefault reports whether k is the $default route.
func (k Key) IsDefault() bool { return k.def }

// Method is the key's method ("GET", "ANY"), "" for $default.
func (k Key) Method() string { return k.method }

// Path is the key's path template ("/orders/{id}"), "" for $default.
func (k Key) Path() string { return k.path }

// String is the route key as API Gateway writes it, which is also the
// routeKey of the events it sends: "GET /orders/{id}" or "$default".
func (k Key) String() string {
	if k.def {
		return Default
	}
	return k.method + " " + k.path
}

// Params are the names of the key's path parameters, in path order.
func (k Key) Params() []string {
	var names []string
	for _, s := range k.segs {
		if s.kind != literal {
			names = append(names, s.text)
		}
	}
	return names
}

// Greedy reports whether the key ends with a greedy parameter ({proxy+}).
func (k Key) Greedy() bool {
	return len(k.segs) > 0 && k.segs[len(k.segs)-1].kind == greedy
}

// shape is the key with parameter names erased: two keys with the same
// shape match exactly the same requests ("GET /a/{x}" and "GET /a/{y}").
func (k Key) shape() string {
	if k.def {
		return Default
	}
	var b strings.Builder
	b.WriteString(k.method)
	b.WriteByte(' ')
	for _, s := range k.segs {
		b.WriteByte('/')
		switch s.kind {
		case literal:
			b.WriteString(s.text)
		case param:
			b.WriteString("{}")
		case greedy:
			b.WriteString("{+}")
		}
	}
	if len(k.segs) == 0 {
		b.WriteByte('/')
	}
	return b.String()
}

// SyntaxError is a route key Parse rejected. Offset is the byte offset of
// the offending part in Key, so a caller that knows where Key sits in a
// file can point at the exact column.
type SyntaxError struct {
	Key    string
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("route key %q: %s", e.Key, e.Msg)
}

// Parse parses a route key. It is strict: the method is one of Methods in
// upper case, separated from the path by one space; the path starts with
// "/", has no empty segments (no "//", no trailing "/" but for the root
// "/"), each segment is either literal text (letters, digits and
// -._~!$&'()*+,;=:@, no percent-encoding) or a whole-segment parameter
// {name} whose name is an identifier; a greedy parameter {name+} may only
// be the last segment; no parameter name appears twice.
func Parse(s string) (Key, error) {
	bad := func(off int, format string, args ...any) (Key, error) {
		return Key{}, &SyntaxError{Key: s, Offset: off, Msg: fmt.Sprintf(format, args...)}
	}
	switch {
	case s == "":
		return bad(0, "empty; want \"METHOD /path\" or %q", Default)
	case s == Default:
		return Key{def: true}, nil
	case strings.EqualFold(s, Default):
		return bad(0, "want %q in lower case", Default)
	case strings.TrimSpace(s) != s:
		return bad(0, "leading or trailing space")
	}
	method, path, ok := strings.Cut(s, " ")
	if !ok {
		if strings.HasPrefix(s, "/") {
			return bad(0, "no method; want \"METHOD %s\" (METHOD one of %s)", s, strings.Join(Methods, ", "))
		}
		return bad(0, "want \"METHOD /path\" or %q", Default)
	}
	if !isMethod(method) {
		if up := strings.ToUpper(method); isMethod(up) {
			return bad(0, "method %q must be upper case: %s", method, up)
		}
		return bad(0, "unknown method %q (want one of %s)", method, strings.Join(Methods, ", "))
	}
	off := len(method) + 1
	if !strings.HasPrefix(path, "/") {
		return bad(off, "path %q must start with \"/\"", path)
	}
	k := Key{method: method, path: path}
	if path == "/" {
		return k, nil
	}
	seen := map[string]bool{}
	rest := path[1:]
	off++
	for {
		seg, more, found := strings.Cut(rest, "/")
		if seg == "" {
			if !found {
				return bad(off-1, "path %q ends with \"/\"", path)
			}
			return bad(off, "empty segment (\"//\") in path %q", path)
		}
		sg, err := parseSegment(seg)
		if err != "" {
			return bad(off, "%s", err)
		}
		if sg.kind != literal {
			if seen[sg.text] {
				return bad(off, "parameter %q appears twice", sg.text)
			}
			seen[sg.text] = true
		}
		if sg.kind == greedy && found {
			return bad(off, "greedy parameter %q must be the last segment", seg)
		}
		k.segs = append(k.segs, sg)
		if !found {
			return k, nil
		}
		off += len(seg) + 1
		rest = more
	}
}

func isMethod(m string) bool {
	for _, x := range Methods {
		if m == x {
			return true
		}
	}
	return false
}

// parseSegment parses one path segment; the string is the error, if any.
func parseSegment(seg string) (segment, string) {
	open := strings.IndexByte(seg, '{')
	end := strings.IndexByte(seg, '}')
	switch {
	case open < 0 && end < 0:
		for i := 0; i < len(seg); i++ {
			if !isPathChar(seg[i]) {
				return segment{}, fmt.Sprintf("character %q is not allowed in segment %q", seg[i], seg)
			}
		}
		return segment{kind: literal, text: seg}, ""
	case open < 0:
		return segment{}, fmt.Sprintf("\"}\" without \"{\" in segment %q", seg)
	case end < 0:
		return segment{}, fmt.Sprintf("unclosed \"{\" in segment %q", seg)
	case open != 0 || end != len(seg)-1:
		return segment{}, fmt.Sprintf("segment %q mixes text and a parameter; a parameter must be a whole segment", seg)
	}
	name := seg[1 : len(seg)-1]
	kind := param
	if n, ok := strings.CutSuffix(name, "+"); ok {
		name, kind = n, greedy
	}
	if name == "" {
		return segment{}, fmt.Sprintf("parameter %q has no name", seg)
	}
	if !isIdent(name) {
		return segment{}, fmt.Sprintf("parameter name %q is not an identifier (letters, digits and _, not starting with a digit)", name)
	}
	return segment{kind: kind, text: name}, ""
}

func isIdent(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// isPathChar reports whether c may appear in a literal segment: RFC 3986's
// pchar without percent-encoding.
func isPathChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,;=:@", c) >= 0
}
