package route

import (
	"fmt"
	"net/url"
	"strings"
)

// Route is one entry of a Table: a key and what it routes to.
type Route struct {
	Key Key
	// Target is what the route leads to; for lamb a function name,
	// optionally qualified ("orders-get", "orders-get:live").
	Target string
}

// ConflictError is a route Table.Add refused because an earlier route
// matches exactly the same requests: the same method and the same path
// once parameter names are ignored ("GET /a/{x}" and "GET /a/{y}").
type ConflictError struct {
	Key      Key
	Target   string
	Existing Route
}

func (e *ConflictError) Error() string {
	if e.Key.String() == e.Existing.Key.String() {
		return fmt.Sprintf("route %q (%s) is already routed to %s", e.Key, e.Target, e.Existing.Target)
	}
	return fmt.Sprintf("route %q (%s) is the same route as %q (%s): only parameter names differ", e.Key, e.Target, e.Existing.Key, e.Existing.Target)
}

// Table is a set of routes. Build it with Add, then Match against it; a
// Table that is no longer added to is safe for concurrent Match calls. To
// change the routes of a running server, build a new Table and swap it in.
// The zero Table is empty and ready to use.
type Table struct {
	routes []Route
	shapes map[string]int // shape → index in routes
}

// Add adds the route key → target. It refuses a key whose method and path
// shape an earlier route already has (*ConflictError) and an empty target.
// "ANY /x" and "GET /x" are different routes and may both be added: a GET
// request goes to the GET route, every other method to ANY.
func (t *Table) Add(key Key, target string) error {
	if !key.def && key.method == "" {
		return fmt.Errorf("route: the zero Key is not a route; use Parse")
	}
	if target == "" {
		return fmt.Errorf("route %q: no target", key)
	}
	sh := key.shape()
	if i, ok := t.shapes[sh]; ok {
		return &ConflictError{Key: key, Target: target, Existing: t.routes[i]}
	}
	if t.shapes == nil {
		t.shapes = map[string]int{}
	}
	t.shapes[sh] = len(t.routes)
	t.routes = append(t.routes, Route{Key: key, Target: target})
	return nil
}

// Len is the number of routes.
func (t *Table) Len() int { return len(t.routes) }

// Routes returns the routes in the order they were added.
func (t *Table) Routes() []Route {
	return append([]Route(nil), t.routes...)
}

// Match finds the route for a request with API Gateway's priorities:
//
//  1. a route whose path matches without a greedy parameter;
//  2. a route with a greedy parameter ({proxy+});
//  3. the $default route.
//
// Within 1 and 2 the most specific path wins, compared segment by segment
// from the left: literal text beats {param} beats {greedy+}. Between
// routes of the same path shape, the request's own method beats ANY.
//
// path is the request path as sent, percent-encoded (url.URL.EscapedPath):
// it is split on "/" first and each segment decoded after, so "%2F" stays
// inside a segment. A {param} matches one non-empty segment; a {greedy+}
// matches one or more segments, the rest of the path. Parameter values are
// decoded; a greedy one is the decoded rest of the path ("a/b/c").
// Matching is exact and case-sensitive: "/orders/" does not match
// "GET /orders".
//
// ok is false when nothing matches (API Gateway answers 404 then).
// params is nil when the route has no parameters.
func (t *Table) Match(method, path string) (target string, key Key, params map[string]string, ok bool) {
	if t == nil {
		return "", Key{}, nil, false
	}
	req := splitPath(path)
	best := -1
	var def *Route
	for i := range t.routes {
		r := &t.routes[i]
		if r.Key.def {
			def = r
			continue
		}
		if r.Key.method != method && r.Key.method != Any {
			continue
		}
		if !r.Key.matches(req) {
			continue
		}
		if best < 0 || r.Key.beats(t.routes[best].Key) {
			best = i
		}
	}
	if best < 0 {
		if def == nil {
			return "", Key{}, nil, false
		}
		return def.Target, def.Key, nil, true
	}
	r := t.routes[best]
	return r.Target, r.Key, r.Key.params(req), true
}

// splitPath splits an escaped request path into its raw segments: "/" has
// none, "/a/b" has "a" and "b", "/a/" has "a" and "".
func splitPath(path string) []string {
	path = strings.TrimPrefix(path, "/")
	if path == "" {
		return nil
	}
	return strings.Split(path, "/")
}

func unescape(seg string) string {
	if s, err := url.PathUnescape(seg); err == nil {
		return s
	}
	return seg
}

// matches reports whether the raw request segments req match k.
func (k Key) matches(req []string) bool {
	if k.Greedy() {
		if len(req) < len(k.segs) {
			return false
		}
	} else if len(req) != len(k.segs) {
		return false
	}
	for i, s := range k.segs {
		switch s.kind {
		case literal:
			if unescape(req[i]) != s.text {
				return false
			}
		case param:
			if req[i] == "" {
				return false
			}
		case greedy:
			// One or more segments, not nothing: "/a/" does not match
			// "/a/{proxy+}".
			return strings.Join(req[i:], "/") != ""
		}
	}
	return true
}

// params extracts k's parameters from request segments k matches.
func (k Key) params(req []string) map[string]string {
	var m map[string]string
	for i, s := range k.segs {
		if s.kind == literal {
			continue
		}
		if m == nil {
			m = map[string]string{}
		}
		if s.kind == greedy {
			m[s.text] = unescape(strings.Join(req[i:], "/"))
			break
		}
		m[s.text] = unescape(req[i])
	}
	return m
}

// beats reports whether k is a more specific match than o, for two keys
// that both match the same request.
func (k Key) beats(o Key) bool {
	if g, og := k.Greedy(), o.Greedy(); g != og {
		return !g
	}
	for i := 0; i < len(k.segs) && i < len(o.segs); i++ {
		if a, b := k.segs[i].kind, o.segs[i].kind; a != b {
			return a < b
		}
	}
	// Same shape (a Table holds one route per shape and method).
	return k.method != Any && o.method == Any
}
