package emulator

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseName(t *testing.T) {
	s := &Server{opts: Options{Region: "us-east-1", AccountID: "123456789012"}}
	tests := []struct {
		in, name, qual, errType string
	}{
		{in: "fn", name: "fn"},
		{in: "fn:live", name: "fn", qual: "live"},
		{in: "fn:$LATEST", name: "fn", qual: "$LATEST"},
		{in: "fn:7", name: "fn", qual: "7"},
		{in: "arn:aws:lambda:us-east-1:123456789012:function:fn", name: "fn"},
		{in: "arn:aws:lambda:us-east-1:123456789012:function:fn:3", name: "fn", qual: "3"},
		{in: "123456789012:function:fn", name: "fn"},
		{in: "123456789012:function:fn:live", name: "fn", qual: "live"},
		{in: "arn:aws:lambda:eu-west-1:123456789012:function:fn", errType: "ResourceNotFoundException"},
		{in: "999999999999:function:fn", errType: "ResourceNotFoundException"},
		{in: "", errType: "ValidationException"},
		{in: "a b", errType: "ValidationException"},
		{in: strings.Repeat("f", 65), errType: "ValidationException"},
		{in: "fn:a:b", errType: "ValidationException"},
		{in: "fn:", errType: "ValidationException"},
		{in: "arn:aws:s3:::bucket", errType: "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			name, qual, err := s.parseName(tt.in)
			errType := ""
			if err != nil {
				errType = err.typ
			}
			if diff := cmp.Diff([]string{tt.name, tt.qual, tt.errType}, []string{name, qual, errType}); diff != "" {
				t.Errorf("parseName(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestRoute(t *testing.T) {
	tests := []struct {
		method, path, op, fn, alias string
	}{
		{"POST", "/2015-03-31/functions", "CreateFunction", "", ""},
		{"GET", "/2015-03-31/functions/", "ListFunctions", "", ""},
		{"GET", "/2015-03-31/functions/fn", "GetFunction", "fn", ""},
		{"GET", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Afn/configuration", "GetFunctionConfiguration", "arn:aws:lambda:us-east-1:123456789012:function:fn", ""},
		{"PUT", "/2015-03-31/functions/fn/code", "UpdateFunctionCode", "fn", ""},
		{"POST", "/2015-03-31/functions/fn/versions", "PublishVersion", "fn", ""},
		{"PUT", "/2015-03-31/functions/fn/aliases/live", "UpdateAlias", "fn", "live"},
		{"POST", "/2015-03-31/functions/fn%3Alive/invocations", "Invoke", "fn:live", ""},
		{"DELETE", "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Afn", "UntagResource", "arn:aws:lambda:us-east-1:123456789012:function:fn", ""},
		{"PATCH", "/2015-03-31/functions/fn", "", "", ""},
		{"GET", "/2015-03-31/functions/fn/policy", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			q, ok := route(httptest.NewRequest(tt.method, tt.path, nil))
			if !ok {
				q = request{}
			}
			if diff := cmp.Diff([]string{tt.op, tt.fn, tt.alias}, []string{q.op, q.function, q.alias}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseName(f *testing.F) {
	s := &Server{opts: Options{Region: "us-east-1", AccountID: "123456789012"}}
	for _, seed := range []string{"fn", "fn:live", "arn:aws:lambda:us-east-1:123456789012:function:fn:1", "123456789012:function:fn", "::", "arn:"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		name, qual, err := s.parseName(in)
		if err != nil {
			return
		}
		if !reName.MatchString(name) || (qual != "" && !reQualifier.MatchString(qual)) {
			t.Fatalf("parseName(%q) = %q, %q: invalid parts accepted", in, name, qual)
		}
		// The canonical forms parse back to the same parts.
		for _, form := range []string{s.qarn(name, qual), name + map[bool]string{true: ":" + qual}[qual != ""]} {
			n2, q2, err := s.parseName(form)
			if err != nil || n2 != name || q2 != qual {
				t.Fatalf("parseName(%q) = %q, %q, %v; want %q, %q", form, n2, q2, err, name, qual)
			}
		}
	})
}

func FuzzDecodeFaults(f *testing.F) {
	f.Add([]byte(`{"op":"UpdateFunctionCode","status":409,"count":2}`))
	f.Add([]byte(`[{"op":"CreateFunction","delay":"1s"},{"op":"GetFunction","drop":true}]`))
	f.Add([]byte(`{"op":"x","delay":5}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var fs []wireFault
		if err := decodeFaults(b, &fs); err != nil {
			return
		}
		for _, w := range fs {
			if w.toFault().Op == "" {
				t.Fatalf("fault without op accepted from %q", b)
			}
		}
	})
}
