package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambctl/lamb/internal/route"
)

// fixedTime is the clock of every test event.
var fixedTime = time.Date(2026, 3, 12, 19, 3, 58, 390_000_000, time.UTC)

// call is one invoke the fake received.
type call struct {
	Function, Qualifier string
	Event               events.APIGatewayV2HTTPRequest
}

// fakeInvoker stands in for the local Lambda. By default it echoes: it
// answers a response whose body is the event it got, so a test reads the
// event back from the HTTP response. answer replaces that.
type fakeInvoker struct {
	t      *testing.T
	answer func(ctx context.Context, function string, payload []byte) (Result, error)

	mu    sync.Mutex
	calls []call
}

func (f *fakeInvoker) Invoke(ctx context.Context, function, qualifier string, payload []byte) (Result, error) {
	var ev events.APIGatewayV2HTTPRequest
	dec := json.NewDecoder(strings.NewReader(string(payload)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		f.t.Errorf("the event does not decode into events.APIGatewayV2HTTPRequest: %v\n%s", err, payload)
	}
	f.mu.Lock()
	f.calls = append(f.calls, call{function, qualifier, ev})
	f.mu.Unlock()
	if f.answer != nil {
		return f.answer(ctx, function, payload)
	}
	b, _ := json.Marshal(events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: string(payload),
		Headers: map[string]string{"Content-Type": "application/json"}})
	return Result{Payload: b}, nil
}

func (f *fakeInvoker) Calls() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

// deterministic fixes the clock and ids of a front.
func deterministic(f *front) {
	f.now = func() time.Time { return fixedTime }
	f.newID = func() (string, string) { return "JKJaXmPLvHcESHA=", "Root=1-69b30d1e-0123456789abcdef01234567" }
}

func table(t *testing.T, routes ...string) *route.Table {
	t.Helper()
	var tb route.Table
	for i := 0; i < len(routes); i += 2 {
		k, err := route.Parse(routes[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := tb.Add(k, routes[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	return &tb
}

// serve starts a Server on a real listener.
func serve(t *testing.T, inv Invoker, routes *route.Table, opts Options) (*Server, *httptest.Server) {
	t.Helper()
	s := New(inv, routes, opts)
	deterministic(&s.front)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts
}

type response struct {
	Status int
	Header http.Header
	Body   string
}

// do sends a request and reads the whole response.
func do(t *testing.T, req *http.Request) response {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{res.StatusCode, res.Header, string(b)}
}

func newRequest(t *testing.T, method, url string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// syncBuffer is a bytes.Buffer safe for a logger and a test.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newTextLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
}
