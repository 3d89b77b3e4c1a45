package route

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustTable(t *testing.T, routes ...string) *Table {
	t.Helper()
	var tb Table
	for i := 0; i < len(routes); i += 2 {
		k, err := Parse(routes[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := tb.Add(k, routes[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	return &tb
}

func TestAddConflicts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		first, then string
		want        string // "" when both are accepted
	}{
		{"duplicate", "GET /a", "GET /a", `route "GET /a" (second) is already routed to first`},
		{"param names differ", "GET /a/{x}", "GET /a/{y}", `route "GET /a/{y}" (second) is the same route as "GET /a/{x}" (first): only parameter names differ`},
		{"greedy names differ", "ANY /u/{proxy+}", "ANY /u/{rest+}", `route "ANY /u/{rest+}" (second) is the same route as "ANY /u/{proxy+}" (first): only parameter names differ`},
		{"two defaults", "$default", "$default", `route "$default" (second) is already routed to first`},
		{"ANY and GET", "ANY /x", "GET /x", ""},
		{"GET and POST", "GET /x", "POST /x", ""},
		{"param and literal", "GET /a/{x}", "GET /a/b", ""},
		{"param and greedy", "GET /a/{x}", "GET /a/{x+}", ""},
		{"different depth", "GET /a/{x}", "GET /a/{x}/b", ""},
		{"root and greedy", "GET /", "GET /{proxy+}", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tb := mustTable(t, tt.first, "first")
			k, err := Parse(tt.then)
			if err != nil {
				t.Fatal(err)
			}
			err = tb.Add(k, "second")
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Add: %v", err)
				}
				if tb.Len() != 2 {
					t.Fatalf("Len = %d, want 2", tb.Len())
				}
				return
			}
			var ce *ConflictError
			if !errors.As(err, &ce) {
				t.Fatalf("Add = %v, want a *ConflictError", err)
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if ce.Existing.Target != "first" || ce.Existing.Key.String() != tt.first {
				t.Errorf("Existing = %v %q", ce.Existing.Key, ce.Existing.Target)
			}
			if tb.Len() != 1 {
				t.Errorf("Len = %d after a refused Add, want 1", tb.Len())
			}
		})
	}
}

func TestAddRefusesBadInput(t *testing.T) {
	t.Parallel()
	var tb Table
	if err := tb.Add(Key{}, "fn"); err == nil {
		t.Error("Add(Key{}) accepted the zero Key")
	}
	k, _ := Parse("GET /a")
	if err := tb.Add(k, ""); err == nil || err.Error() != `route "GET /a": no target` {
		t.Errorf("Add with no target = %v", err)
	}
}

func TestMatch(t *testing.T) {
	t.Parallel()
	// The first group is the example of "Working with routes for HTTP
	// APIs" (Routing API requests); the rest are lamb's tie-breaks.
	tb := mustTable(t,
		"GET /pets/dog/{id}", "dog",
		"GET /pets/{proxy+}", "pets",
		"ANY /{proxy+}", "any-proxy",
		"$default", "default",

		"GET /orders", "orders-list",
		"POST /orders", "orders-create",
		"GET /orders/{id}", "orders-get",
		"GET /orders/new", "orders-new",
		"ANY /orders/{id}", "orders-any",
		"GET /orders/{id}/items/{item}", "item",
		"GET /orders/{id}/items/first", "item-first",
		"GET /files/{name}/{rest+}", "files-deep",
		"GET /files/{rest+}", "files",
		"GET /", "root",
		"GET /a/{x}/c", "a-x-c",
		"GET /a/b/{y}", "a-b-y",
	)
	type match struct {
		Target, Key string
		Params      map[string]string
		OK          bool
	}
	tests := []struct {
		method, path string
		want         match
	}{
		// The documented example.
		{"GET", "/pets/dog/1", match{"dog", "GET /pets/dog/{id}", map[string]string{"id": "1"}, true}},
		{"GET", "/pets/cat/1", match{"pets", "GET /pets/{proxy+}", map[string]string{"proxy": "cat/1"}, true}},
		{"POST", "/test/5", match{"any-proxy", "ANY /{proxy+}", map[string]string{"proxy": "test/5"}, true}},
		// $default catches what nothing else does: "/" is not matched
		// by a greedy variable, which needs at least one segment.
		{"POST", "/", match{"default", "$default", nil, true}},
		{"GET", "/", match{"root", "GET /", nil, true}},

		{"GET", "/orders", match{"orders-list", "GET /orders", nil, true}},
		{"POST", "/orders", match{"orders-create", "POST /orders", nil, true}},
		{"PUT", "/orders", match{"any-proxy", "ANY /{proxy+}", map[string]string{"proxy": "orders"}, true}},
		// Literal beats parameter.
		{"GET", "/orders/new", match{"orders-new", "GET /orders/new", nil, true}},
		{"GET", "/orders/42", match{"orders-get", "GET /orders/{id}", map[string]string{"id": "42"}, true}},
		// The request's own method beats ANY on the same path...
		{"DELETE", "/orders/42", match{"orders-any", "ANY /orders/{id}", map[string]string{"id": "42"}, true}},
		// ...and a more specific path beats the method: GET /orders/new
		// exists, so POST /orders/new goes to ANY /orders/{id}.
		{"POST", "/orders/new", match{"orders-any", "ANY /orders/{id}", map[string]string{"id": "new"}, true}},
		// Trailing slash: not the same path; the greedy route takes it.
		{"GET", "/orders/", match{"any-proxy", "ANY /{proxy+}", map[string]string{"proxy": "orders/"}, true}},
		{"GET", "/orders/42/items/7", match{"item", "GET /orders/{id}/items/{item}", map[string]string{"id": "42", "item": "7"}, true}},
		{"GET", "/orders/42/items/first", match{"item-first", "GET /orders/{id}/items/first", map[string]string{"id": "42"}, true}},
		// Leftmost difference decides: literal b beats {x}.
		{"GET", "/a/b/c", match{"a-b-y", "GET /a/b/{y}", map[string]string{"y": "c"}, true}},
		{"GET", "/a/z/c", match{"a-x-c", "GET /a/{x}/c", map[string]string{"x": "z"}, true}},
		// Greedy routes: the more specific prefix wins.
		{"GET", "/files/x", match{"files", "GET /files/{rest+}", map[string]string{"rest": "x"}, true}},
		{"GET", "/files/x/y/z", match{"files-deep", "GET /files/{name}/{rest+}", map[string]string{"name": "x", "rest": "y/z"}, true}},
		// Decoding: %2F stays in its segment; values are decoded.
		{"GET", "/orders/a%2Fb", match{"orders-get", "GET /orders/{id}", map[string]string{"id": "a/b"}, true}},
		{"GET", "/orders/caf%C3%A9", match{"orders-get", "GET /orders/{id}", map[string]string{"id": "café"}, true}},
		{"GET", "/orders/%6Eew", match{"orders-new", "GET /orders/new", nil, true}},
		{"GET", "/pets/a%20b/c", match{"pets", "GET /pets/{proxy+}", map[string]string{"proxy": "a b/c"}, true}},
		// An empty segment is not a parameter value.
		{"GET", "/orders//items/7", match{"any-proxy", "ANY /{proxy+}", map[string]string{"proxy": "orders//items/7"}, true}},
		// Methods are case-sensitive.
		{"get", "/orders", match{"any-proxy", "ANY /{proxy+}", map[string]string{"proxy": "orders"}, true}},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			t.Parallel()
			target, key, params, ok := tb.Match(tt.method, tt.path)
			got := match{target, key.String(), params, ok}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Match(%s, %s) (-want +got):\n%s", tt.method, tt.path, diff)
			}
		})
	}
}

func TestMatchWithoutDefault(t *testing.T) {
	t.Parallel()
	tb := mustTable(t, "GET /a", "a", "ANY /b/{proxy+}", "b")
	for _, tc := range []struct{ method, path string }{
		{"POST", "/a"}, {"GET", "/a/"}, {"GET", "/b"}, {"GET", "/b/"}, {"GET", "/"}, {"GET", ""}, {"GET", "/c"},
	} {
		if target, key, params, ok := tb.Match(tc.method, tc.path); ok {
			t.Errorf("Match(%s, %q) = %q %v %v, want no match", tc.method, tc.path, target, key, params)
		}
	}
	var nilTable *Table
	if _, _, _, ok := nilTable.Match("GET", "/"); ok {
		t.Error("a nil Table matched")
	}
	if _, _, _, ok := new(Table).Match("GET", "/"); ok {
		t.Error("an empty Table matched")
	}
}

func TestRoutesKeepsOrder(t *testing.T) {
	t.Parallel()
	tb := mustTable(t, "POST /orders", "create", "$default", "d", "GET /orders/{id}", "get")
	var got []string
	for _, r := range tb.Routes() {
		got = append(got, r.Key.String()+" → "+r.Target)
	}
	want := []string{"POST /orders → create", "$default → d", "GET /orders/{id} → get"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// FuzzMatch checks that Match never panics and that a match carries
// exactly the route's parameters, each non-empty.
func FuzzMatch(f *testing.F) {
	for _, s := range []string{"/", "", "/orders/42", "/pets/a%2Fb/c", "//", "/a/%zz", "/files/x/y"} {
		f.Add("GET", s)
	}
	f.Fuzz(func(t *testing.T, method, path string) {
		tb := mustTable(t, "GET /orders/{id}", "a", "ANY /pets/{proxy+}", "b", "GET /files/{name}/{rest+}", "c", "POST /", "d", "ANY /{x}/{y}", "e")
		_, key, params, ok := tb.Match(method, path)
		if !ok {
			return
		}
		names := key.Params()
		if len(names) != len(params) {
			t.Fatalf("Match(%q, %q) = %v with params %v, want %v", method, path, key, params, names)
		}
		for _, n := range names {
			if params[n] == "" {
				t.Fatalf("Match(%q, %q) = %v: parameter %s is empty", method, path, key, n)
			}
		}
	})
}
