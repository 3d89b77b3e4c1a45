package route

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	t.Parallel()
	type parsed struct {
		Method, Path, String string
		Default, Greedy      bool
		Params               []string
	}
	tests := []struct {
		in   string
		want parsed
	}{
		{"$default", parsed{String: "$default", Default: true}},
		{"GET /", parsed{Method: "GET", Path: "/", String: "GET /"}},
		{"POST /orders", parsed{Method: "POST", Path: "/orders", String: "POST /orders"}},
		{"GET /orders/{id}", parsed{Method: "GET", Path: "/orders/{id}", String: "GET /orders/{id}", Params: []string{"id"}}},
		{"ANY /users/{proxy+}", parsed{Method: "ANY", Path: "/users/{proxy+}", String: "ANY /users/{proxy+}", Greedy: true, Params: []string{"proxy"}}},
		{"ANY /{proxy+}", parsed{Method: "ANY", Path: "/{proxy+}", String: "ANY /{proxy+}", Greedy: true, Params: []string{"proxy"}}},
		{"DELETE /a/{b}/c/{d_2}", parsed{Method: "DELETE", Path: "/a/{b}/c/{d_2}", String: "DELETE /a/{b}/c/{d_2}", Params: []string{"b", "d_2"}}},
		{"PATCH /v1.2/x-y_z~:@!$&'()*+,;=", parsed{Method: "PATCH", Path: "/v1.2/x-y_z~:@!$&'()*+,;=", String: "PATCH /v1.2/x-y_z~:@!$&'()*+,;="}},
		{"HEAD /_/{_x}", parsed{Method: "HEAD", Path: "/_/{_x}", String: "HEAD /_/{_x}", Params: []string{"_x"}}},
		{"OPTIONS /a", parsed{Method: "OPTIONS", Path: "/a", String: "OPTIONS /a"}},
		{"PUT /a", parsed{Method: "PUT", Path: "/a", String: "PUT /a"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			k, err := Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			got := parsed{Method: k.Method(), Path: k.Path(), String: k.String(), Default: k.IsDefault(), Greedy: k.Greedy(), Params: k.Params()}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		offset int
		msg    string
	}{
		{"", 0, `route key "": empty; want "METHOD /path" or "$default"`},
		{"$DEFAULT", 0, `route key "$DEFAULT": want "$default" in lower case`},
		{" GET /a", 0, `route key " GET /a": leading or trailing space`},
		{"GET /a ", 0, `route key "GET /a ": leading or trailing space`},
		{"GET", 0, `route key "GET": want "METHOD /path" or "$default"`},
		{"/orders", 0, `route key "/orders": no method; want "METHOD /orders" (METHOD one of ANY, DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT)`},
		{"get /a", 0, `route key "get /a": method "get" must be upper case: GET`},
		{"FETCH /a", 0, `route key "FETCH /a": unknown method "FETCH" (want one of ANY, DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT)`},
		{"GET a", 4, `route key "GET a": path "a" must start with "/"`},
		{"GET  /a", 4, `route key "GET  /a": path " /a" must start with "/"`},
		{"GET /a/", 6, `route key "GET /a/": path "/a/" ends with "/"`},
		{"GET /a//b", 7, `route key "GET /a//b": empty segment ("//") in path "/a//b"`},
		{"GET //", 5, `route key "GET //": empty segment ("//") in path "//"`},
		{"GET /a b", 5, `route key "GET /a b": character ' ' is not allowed in segment "a b"`},
		{"GET /a%20b", 5, `route key "GET /a%20b": character '%' is not allowed in segment "a%20b"`},
		{"GET /a?x=1", 5, `route key "GET /a?x=1": character '?' is not allowed in segment "a?x=1"`},
		{"GET /{}", 5, `route key "GET /{}": parameter "{}" has no name`},
		{"GET /{+}", 5, `route key "GET /{+}": parameter "{+}" has no name`},
		{"GET /a/{id", 7, `route key "GET /a/{id": unclosed "{" in segment "{id"`},
		{"GET /a/id}", 7, `route key "GET /a/id}": "}" without "{" in segment "id}"`},
		{"GET /a/x{id}", 7, `route key "GET /a/x{id}": segment "x{id}" mixes text and a parameter; a parameter must be a whole segment`},
		{"GET /a/{id}.json", 7, `route key "GET /a/{id}.json": segment "{id}.json" mixes text and a parameter; a parameter must be a whole segment`},
		{"GET /{a}{b}", 5, `route key "GET /{a}{b}": segment "{a}{b}" mixes text and a parameter; a parameter must be a whole segment`},
		{"GET /{1a}", 5, `route key "GET /{1a}": parameter name "1a" is not an identifier (letters, digits and _, not starting with a digit)`},
		{"GET /{a-b}", 5, `route key "GET /{a-b}": parameter name "a-b" is not an identifier (letters, digits and _, not starting with a digit)`},
		{"GET /{a+b}", 5, `route key "GET /{a+b}": parameter name "a+b" is not an identifier (letters, digits and _, not starting with a digit)`},
		{"GET /{a++}", 5, `route key "GET /{a++}": parameter name "a+" is not an identifier (letters, digits and _, not starting with a digit)`},
		{"ANY /{proxy+}/x", 5, `route key "ANY /{proxy+}/x": greedy parameter "{proxy+}" must be the last segment`},
		{"GET /{id}/x/{id}", 12, `route key "GET /{id}/x/{id}": parameter "id" appears twice`},
		{"GET /{id}/{id+}", 10, `route key "GET /{id}/{id+}": parameter "id" appears twice`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tt.in)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) = %v, want a *SyntaxError", tt.in, err)
			}
			if diff := cmp.Diff(tt.msg, err.Error()); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
			if se.Offset != tt.offset {
				t.Errorf("offset %d, want %d (%q)", se.Offset, tt.offset, tt.in[min(se.Offset, len(tt.in)):])
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

// FuzzParse checks that Parse never panics, that what it accepts is
// canonical (String gives the input back) and stable under re-parsing, and
// that its errors point inside the key.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"$default", "GET /", "POST /orders", "GET /orders/{id}", "ANY /users/{proxy+}",
		"GET /a//b", "get /a", "GET /{a}/{a}", "GET /{p+}/x", "GET /a{b}", "GET /{", "GET /}", "PUT /%41"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := Parse(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q): %T, want *SyntaxError", s, err)
			}
			if se.Offset < 0 || se.Offset > len(s) {
				t.Fatalf("Parse(%q): offset %d outside the key", s, se.Offset)
			}
			return
		}
		if k.String() != s {
			t.Fatalf("Parse(%q).String() = %q, not canonical", s, k.String())
		}
		k2, err := Parse(k.String())
		if err != nil || k2.shape() != k.shape() {
			t.Fatalf("re-parse of %q: %v, shape %q vs %q", s, err, k2.shape(), k.shape())
		}
		var tb Table
		if err := tb.Add(k, "fn"); err != nil {
			t.Fatalf("Add(%q): %v", s, err)
		}
	})
}
