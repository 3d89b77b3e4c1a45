package awsjson

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type echoIn struct {
	Name  string
	Count int
}

type echoOut struct {
	Greeting string
}

func testService() *Service {
	return &Service{
		Target:  "Test_1",
		MaxBody: 64,
		Ops: map[string]Handler{
			"Echo": Op(func(_ context.Context, in *echoIn) (*echoOut, error) {
				if in.Name == "" {
					return nil, &Error{Type: "MissingName", Message: "Name is required", MessageKey: "Message"}
				}
				if in.Name == "boom" {
					return nil, io.ErrUnexpectedEOF
				}
				return &echoOut{Greeting: "hello " + in.Name}, nil
			}),
		},
		Unsupported: map[string]*Error{"Stream": Errorf("InvalidOperationException", "not here")},
	}
}

func TestServe(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(testService())
	t.Cleanup(srv.Close)
	tests := []struct {
		name       string
		method     string
		target     string
		body       string
		wantStatus int
		want       map[string]any
	}{
		{"ok", "POST", "Test_1.Echo", `{"Name":"ada"}`, 200, map[string]any{"Greeting": "hello ada"}},
		{"empty body is an empty object", "POST", "Test_1.Echo", ``, 400,
			map[string]any{"__type": "MissingName", "Message": "Name is required"}},
		{"unknown fields ignored", "POST", "Test_1.Echo", `{"Name":"ada","X":1}`, 200, map[string]any{"Greeting": "hello ada"}},
		{"unknown op", "POST", "Test_1.Nope", `{}`, 400,
			map[string]any{"__type": "UnknownOperationException", "message": "lamb local does not implement Test_1.Nope"}},
		{"unsupported op", "POST", "Test_1.Stream", `{}`, 400,
			map[string]any{"__type": "InvalidOperationException", "message": "not here"}},
		{"GET", "GET", "Test_1.Echo", ``, 400,
			map[string]any{"__type": "UnknownOperationException", "message": "lamb local does not implement Test_1.Echo"}},
		{"bad JSON does not quote the body", "POST", "Test_1.Echo", `{"Name":s3cret`, 400,
			map[string]any{"__type": "SerializationException", "message": "the request body is not a valid JSON object"}},
		{"wrong type", "POST", "Test_1.Echo", `{"Count":"x"}`, 400,
			map[string]any{"__type": "SerializationException", "message": "member Count has the wrong type (int expected)"}},
		{"too large", "POST", "Test_1.Echo", `{"Name":"` + strings.Repeat("a", 64) + `"}`, 413,
			map[string]any{"__type": "RequestEntityTooLargeException", "message": "request body exceeds 64 bytes"}},
		{"internal errors hide their text", "POST", "Test_1.Echo", `{"Name":"boom"}`, 500,
			map[string]any{"__type": "InternalFailure", "message": "lamb local failed to complete the request"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequest(tt.method, srv.URL+"/", strings.NewReader(tt.body))
			req.Header.Set("X-Amz-Target", tt.target)
			req.Header.Set("Content-Type", ContentType)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			if ct := resp.Header.Get("Content-Type"); ct != ContentType {
				t.Errorf("Content-Type = %q", ct)
			}
			if id := resp.Header.Get("x-amzn-RequestId"); len(id) != 36 {
				t.Errorf("x-amzn-RequestId = %q", id)
			}
		})
	}
}

func TestMatchAndDispatch(t *testing.T) {
	t.Parallel()
	fallback := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "lambda") })
	h := Dispatch(fallback, testService())
	tests := []struct {
		target string
		want   string
	}{
		{"Test_1.Echo", `{"Greeting":"hello x"}`},
		{"Test_1", "lambda"},
		{"Test_1.", "lambda"},
		{"Test_10.Echo", "lambda"},
		{"", "lambda"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest("POST", "/", strings.NewReader(`{"Name":"x"}`))
			req.Header.Set("X-Amz-Target", tt.target)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if got := rec.Body.String(); got != tt.want {
				t.Errorf("body = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEpochSeconds(t *testing.T) {
	t.Parallel()
	tests := map[int64]string{0: "0", 1500: "1.500", 1700000000123: "1700000000.123", -1: "-0.001", -1500: "-1.500", 42000: "42"}
	for in, want := range tests {
		if got := EpochSeconds(in); string(got) != want {
			t.Errorf("EpochSeconds(%d) = %s, want %s", in, got, want)
		}
	}
}

func TestNewUUID(t *testing.T) {
	t.Parallel()
	a, b := NewUUID(), NewUUID()
	if a == b || len(a) != 36 || a[14] != '4' {
		t.Errorf("ids %q %q", a, b)
	}
}
