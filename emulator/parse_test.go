package emulator

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseName(t *testing.T) {
	t.Parallel()
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
