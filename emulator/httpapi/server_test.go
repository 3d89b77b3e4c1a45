package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/internal/lambdaspec"
)

// answering is an invoker whose function answers payload (or fails).
func answering(t *testing.T, payload, functionError string, err error) *fakeInvoker {
	return &fakeInvoker{t: t, answer: func(context.Context, string, []byte) (Result, error) {
		return Result{Payload: []byte(payload), FunctionError: functionError}, err
	}}
}

// pick keeps the headers a test looks at.
func pick(h http.Header, names ...string) http.Header {
	out := http.Header{}
	for _, n := range names {
		if v := h.Values(n); len(v) > 0 {
			out[http.CanonicalHeaderKey(n)] = v
		}
	}
	return out
}

var answerHeaders = []string{"Content-Type", "Content-Length", "Set-Cookie", "X-Custom", "Apigw-Requestid", "Transfer-Encoding"}

func TestAnswers(t *testing.T) {
	t.Parallel()
	const ise = `{"message":"Internal Server Error"}`
	iseHeader := http.Header{"Content-Type": {"application/json"}, "Content-Length": {"35"}, "Apigw-Requestid": {"JKJaXmPLvHcESHA="}}
	tests := []struct {
		name          string
		payload       string
		functionError string
		err           error
		want          response
	}{
		{
			name:    "a response with headers and cookies",
			payload: `{"statusCode":201,"headers":{"content-type":"application/json","x-custom":"a,b"},"cookies":["a=1; Path=/","b=2; HttpOnly"],"body":"{\"id\":\"o-1\"}"}`,
			want: response{201, http.Header{"Content-Type": {"application/json"}, "Content-Length": {"12"}, "X-Custom": {"a,b"},
				"Set-Cookie": {"a=1; Path=/", "b=2; HttpOnly"}, "Apigw-Requestid": {"JKJaXmPLvHcESHA="}}, `{"id":"o-1"}`},
		},
		{
			name:    "aws-lambda-go's APIGatewayV2HTTPResponse with its nulls",
			payload: `{"statusCode":404,"headers":null,"multiValueHeaders":null,"body":"nope","cookies":null}`,
			want:    response{404, http.Header{"Content-Type": {"text/plain; charset=utf-8"}, "Content-Length": {"4"}, "Apigw-Requestid": {"JKJaXmPLvHcESHA="}}, "nope"},
		},
		{
			name:    "a base64 body is decoded",
			payload: `{"statusCode":200,"headers":{"Content-Type":"image/png"},"body":"iVBORw0KGgo=","isBase64Encoded":true}`,
			want:    response{200, http.Header{"Content-Type": {"image/png"}, "Content-Length": {"8"}, "Apigw-Requestid": {"JKJaXmPLvHcESHA="}}, "\x89PNG\r\n\x1a\n"},
		},
		{
			name:    "no body, no content type",
			payload: ` { "statusCode" : 204 } `,
			want:    response{204, http.Header{"Apigw-Requestid": {"JKJaXmPLvHcESHA="}}, ""},
		},
		{
			name:    "the function's framing headers are replaced",
			payload: `{"statusCode":200,"headers":{"Content-Length":"999","Transfer-Encoding":"chunked"},"body":"abc"}`,
			want:    response{200, http.Header{"Content-Type": {"text/plain; charset=utf-8"}, "Content-Length": {"3"}, "Apigw-Requestid": {"JKJaXmPLvHcESHA="}}, "abc"},
		},
		{
			name:    "multiValueHeaders is ignored",
			payload: `{"statusCode":200,"multiValueHeaders":{"X-Custom":["a","b"]},"body":"x"}`,
			want:    response{200, http.Header{"Content-Type": {"text/plain; charset=utf-8"}, "Content-Length": {"1"}, "Apigw-Requestid": {"JKJaXmPLvHcESHA="}}, "x"},
		},
		{
			name:    "an object without statusCode is the body, as is",
			payload: `{"message": "Hello from Lambda!"}`,
			want:    response{200, http.Header{"Content-Type": {"application/json"}, "Content-Length": {"33"}, "Apigw-Requestid": {"JKJaXmPLvHcESHA="}}, `{"message": "Hello from Lambda!"}`},
		},
		{
			name:    "a string answer keeps its quotes",
			payload: `"Hello, world!"`,
			want:    response{200, http.Header{"Content-Type": {"application/json"}, "Content-Length": {"15"}, "Apigw-Requestid": {"JKJaXmPLvHcESHA="}}, `"Hello, world!"`},
		},
		{
			name:    "a number",
			payload: `42`,
			want:    response{200, http.Header{"Content-Type": {"application/json"}, "Content-Length": {"2"}, "Apigw-Requestid": {"JKJaXmPLvHcESHA="}}, `42`},
		},
		{
			name:    "an array",
			payload: `[1,2]`,
			want:    response{200, http.Header{"Content-Type": {"application/json"}, "Content-Length": {"5"}, "Apigw-Requestid": {"JKJaXmPLvHcESHA="}}, `[1,2]`},
		},
		{
			name:    "null (a Go handler that returns only an error)",
			payload: `null`,
			want:    response{200, http.Header{"Content-Type": {"application/json"}, "Content-Length": {"4"}, "Apigw-Requestid": {"JKJaXmPLvHcESHA="}}, `null`},
		},
		{name: "not JSON", payload: `hello`, want: response{500, iseHeader, ise}},
		{name: "empty answer", payload: ``, want: response{500, iseHeader, ise}},
		{name: "body is not a string", payload: `{"statusCode":200,"body":{"a":1}}`, want: response{500, iseHeader, ise}},
		{name: "statusCode is a string", payload: `{"statusCode":"200","body":"x"}`, want: response{500, iseHeader, ise}},
		{name: "statusCode is not an integer", payload: `{"statusCode":200.5}`, want: response{500, iseHeader, ise}},
		{name: "statusCode is null", payload: `{"statusCode":null}`, want: response{500, iseHeader, ise}},
		{name: "statusCode out of range", payload: `{"statusCode":99}`, want: response{500, iseHeader, ise}},
		{name: "header values are not strings", payload: `{"statusCode":200,"headers":{"X-N":1}}`, want: response{500, iseHeader, ise}},
		{name: "cookies are not strings", payload: `{"statusCode":200,"cookies":"a=1"}`, want: response{500, iseHeader, ise}},
		{name: "bad base64", payload: `{"statusCode":200,"body":"%%%","isBase64Encoded":true}`, want: response{500, iseHeader, ise}},
		{
			name: "function error", functionError: "Unhandled",
			payload: `{"errorMessage":"boom","errorType":"errorString"}`,
			want:    response{500, iseHeader, ise},
		},
		{
			name: "function timeout is a function error", functionError: "Unhandled",
			payload: `{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: x Error: Task timed out after 3.00 seconds"}`,
			want:    response{500, iseHeader, ise},
		},
		{name: "the invoke fails", err: errors.New("function not found"), want: response{500, iseHeader, ise}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, ts := serve(t, answering(t, tt.payload, tt.functionError, tt.err), table(t, "ANY /x", "fn"), Options{})
			got := do(t, newRequest(t, "GET", ts.URL+"/x", nil))
			got.Header = pick(got.Header, answerHeaders...)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	inv := &fakeInvoker{t: t}
	_, ts := serve(t, inv, table(t, "GET /a", "fn"), Options{})
	_, empty := serve(t, inv, nil, Options{})
	want := response{404, http.Header{"Content-Type": {"application/json"}, "Content-Length": {"23"}, "Apigw-Requestid": {"JKJaXmPLvHcESHA="}}, `{"message":"Not Found"}`}
	for _, u := range []string{ts.URL + "/b", ts.URL + "/a/", empty.URL + "/a"} {
		got := do(t, newRequest(t, "GET", u, nil))
		got.Header = pick(got.Header, answerHeaders...)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("GET %s (-want +got):\n%s", u, diff)
		}
	}
	if got := do(t, newRequest(t, "POST", ts.URL+"/a", nil)); got.Status != 404 {
		t.Errorf("POST /a: status %d, want 404", got.Status)
	}
	if n := len(inv.Calls()); n != 0 {
		t.Errorf("%d invokes for unrouted requests", n)
	}
}

// TestSetRoutes swaps tables while requests run; every answer comes from
// one table or the other, never a mix, and -race sees no race.
func TestSetRoutes(t *testing.T) {
	t.Parallel()
	inv := &fakeInvoker{t: t, answer: func(_ context.Context, fn string, _ []byte) (Result, error) {
		return Result{Payload: []byte(fmt.Sprintf("%q", fn))}, nil
	}}
	a := table(t, "GET /v", "v1")
	b := table(t, "GET /v", "v2", "GET /new", "new")
	s, ts := serve(t, inv, a, Options{})
	if got := do(t, newRequest(t, "GET", ts.URL+"/new", nil)); got.Status != 404 {
		t.Fatalf("GET /new before the swap: %d", got.Status)
	}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				got := do(t, newRequest(t, "GET", ts.URL+"/v", nil))
				if got.Body != `"v1"` && got.Body != `"v2"` {
					t.Errorf("GET /v = %d %s", got.Status, got.Body)
				}
			}
		}()
		if i == 1 {
			s.SetRoutes(b)
		}
	}
	wg.Wait()
	if got := do(t, newRequest(t, "GET", ts.URL+"/v", nil)); got.Body != `"v2"` {
		t.Errorf("GET /v after the swap = %s", got.Body)
	}
	if got := do(t, newRequest(t, "GET", ts.URL+"/new", nil)); got.Body != `"new"` {
		t.Errorf("GET /new after the swap = %d %s", got.Status, got.Body)
	}
	if s.Routes() != b {
		t.Error("Routes() is not the table set last")
	}
}

// blocking is an invoker whose function answers only when released.
type blocking struct {
	t       *testing.T
	started chan struct{}
	release chan struct{}
	ctxErr  chan error
}

func newBlocking(t *testing.T) *blocking {
	return &blocking{t: t, started: make(chan struct{}, 1), release: make(chan struct{}), ctxErr: make(chan error, 1)}
}

func (b *blocking) Invoke(ctx context.Context, _, _ string, _ []byte) (Result, error) {
	b.started <- struct{}{}
	<-b.release
	b.ctxErr <- ctx.Err()
	return Result{Payload: []byte(`"late"`)}, nil
}

func TestIntegrationTimeout(t *testing.T) {
	t.Parallel()
	inv := newBlocking(t)
	_, ts := serve(t, inv, table(t, "GET /slow", "slow"), Options{IntegrationTimeout: 50 * time.Millisecond})
	got := do(t, newRequest(t, "GET", ts.URL+"/slow", nil))
	want := response{503, http.Header{"Content-Type": {"application/json"}, "Content-Length": {"33"}, "Apigw-Requestid": {"JKJaXmPLvHcESHA="}}, `{"message":"Service Unavailable"}`}
	got.Header = pick(got.Header, answerHeaders...)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// The function runs on, as on AWS, and its context was not cancelled
	// by the front giving up or the client leaving.
	<-inv.started
	close(inv.release)
	if err := <-inv.ctxErr; err != nil {
		t.Errorf("the invoke's context was cancelled: %v", err)
	}
}

func TestNoIntegrationTimeout(t *testing.T) {
	t.Parallel()
	inv := newBlocking(t)
	_, ts := serve(t, inv, table(t, "GET /slow", "slow"), Options{IntegrationTimeout: -1})
	res := make(chan response, 1)
	go func() { res <- do(t, newRequest(t, "GET", ts.URL+"/slow", nil)) }()
	<-inv.started
	close(inv.release)
	if got := <-res; got.Status != 200 || got.Body != `"late"` {
		t.Errorf("got %d %s, want the function's answer", got.Status, got.Body)
	}
}

func TestBodyLimits(t *testing.T) {
	t.Parallel()
	inv := &fakeInvoker{t: t, answer: func(context.Context, string, []byte) (Result, error) {
		return Result{Payload: []byte(`"ok"`)}, nil
	}}
	_, ts := serve(t, inv, table(t, "POST /up", "up"), Options{})
	tests := []struct {
		name    string
		size    int
		chunked bool
		ctype   string
		status  int
		body    string
	}{
		// A 4.5 MB binary body is 6 MB of base64: over Lambda's limit,
		// which API Gateway reports as a 500.
		{"event over 6 MB", 4_800_000, false, "application/octet-stream", 500, `{"message":"Internal Server Error"}`},
		{"text under 6 MB", 5_000_000, false, "text/plain", 200, `"ok"`},
		{"over 10 MB", MaxRequestBody + 1, false, "text/plain", 413, `{"message":"Request Entity Too Large"}`},
		{"over 10 MB, chunked", MaxRequestBody + 1, true, "text/plain", 413, `{"message":"Request Entity Too Large"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := bytes.Repeat([]byte("a"), tt.size)
			req := newRequest(t, "POST", ts.URL+"/up", bytes.NewReader(body))
			if tt.chunked {
				req.ContentLength = -1
				req.Body = io.NopCloser(struct{ io.Reader }{bytes.NewReader(body)})
				req.GetBody = nil
			}
			req.Header.Set("Content-Type", tt.ctype)
			got := do(t, req)
			if got.Status != tt.status || got.Body != tt.body {
				t.Errorf("got %d %.80s, want %d %s", got.Status, got.Body, tt.status, tt.body)
			}
		})
	}
	if lambdaspec.SyncPayloadLimit >= MaxRequestBody {
		t.Errorf("the test assumes Lambda's limit (%d) is under API Gateway's (%d)", lambdaspec.SyncPayloadLimit, MaxRequestBody)
	}
}

func TestFunctionURL(t *testing.T) {
	t.Parallel()
	inv := &fakeInvoker{t: t}
	u := NewFunctionURL(inv, "orders-api:live", Options{APIID: "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4"})
	deterministic(&u.front)
	mux := http.NewServeMux()
	mux.Handle("/fn/orders-api/", http.StripPrefix("/fn/orders-api", u))
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)

	req := newRequest(t, "PATCH", ts.URL+"/fn/orders-api/orders/o-1?dry=1", strings.NewReader(`{"qty":3}`))
	req.Host = "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4.lambda-url.us-east-1.on.aws"
	req.Header.Set("User-Agent", "test-agent")
	req.Header.Set("Content-Type", "application/json")
	got := do(t, req)
	if got.Status != 200 {
		t.Fatalf("status %d: %s", got.Status, got.Body)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal([]byte(got.Body), &ev); err != nil {
		t.Fatal(err)
	}
	want := wantEvent("PATCH", "/orders/o-1", "$default")
	want.RawQueryString = "dry=1"
	want.QueryStringParameters = map[string]string{"dry": "1"}
	want.Body = `{"qty":3}`
	want.Headers["host"] = req.Host
	want.Headers["content-type"] = "application/json"
	want.Headers["content-length"] = "9"
	want.RequestContext.DomainName = req.Host
	want.RequestContext.DomainPrefix = "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4"
	want.RequestContext.APIID = "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4"
	if diff := cmp.Diff(want, ev); diff != "" {
		t.Errorf("event (-want +got):\n%s", diff)
	}
	if c := inv.Calls(); len(c) != 1 || c[0].Function != "orders-api" || c[0].Qualifier != "live" {
		t.Errorf("calls %+v, want one of orders-api:live", c)
	}
	if id := got.Header.Get("X-Amzn-Requestid"); id != "JKJaXmPLvHcESHA=" {
		t.Errorf("x-amzn-requestid %q", id)
	}

	// A function error is a 502 on a function URL.
	bad := NewFunctionURL(answering(t, `{"errorMessage":"boom"}`, "Unhandled", nil), "f", Options{})
	deterministic(&bad.front)
	rec := httptest.NewRecorder()
	bad.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	gotErr := response{rec.Code, pick(rec.Result().Header, "Content-Type", "X-Amzn-Requestid"), rec.Body.String()}
	wantErr := response{502, http.Header{"Content-Type": {"text/plain; charset=utf-8"}, "X-Amzn-Requestid": {"JKJaXmPLvHcESHA="}}, "Internal Server Error"}
	if diff := cmp.Diff(wantErr, gotErr); diff != "" {
		t.Errorf("function error (-want +got):\n%s", diff)
	}
}

func TestSplitTarget(t *testing.T) {
	t.Parallel()
	for in, want := range map[string][2]string{
		"orders":      {"orders", ""},
		"orders:live": {"orders", "live"},
		"orders:3":    {"orders", "3"},
		"arn:aws:lambda:us-east-1:123456789012:function:orders": {"arn:aws:lambda:us-east-1:123456789012:function:orders", ""},
	} {
		f, q := splitTarget(in)
		if got := [2]string{f, q}; got != want {
			t.Errorf("splitTarget(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLogs checks the request line and the reason given for a 5xx.
func TestLogs(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	inv := answering(t, `{"errorType":"errorString","errorMessage":"no such order"}`, "Unhandled", nil)
	s := New(inv, table(t, "GET /orders/{id}", "orders-get"), Options{Logger: newTextLogger(&buf)})
	deterministic(&s.front)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/orders/9", nil))
	out := buf.String()
	for _, want := range []string{
		`level=INFO msg=http method=GET path=/orders/9 route="GET /orders/{id}" function=orders-get status=500`,
		`level=WARN msg="http: function error: errorString: no such order" method=GET path=/orders/9`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

func TestNewIDs(t *testing.T) {
	t.Parallel()
	req, trace := newIDs()
	if len(req) != 16 || !strings.HasSuffix(req, "=") || strings.HasSuffix(req, "==") {
		t.Errorf("request id %q, want 16 base64 characters ending in one =", req)
	}
	if len(trace) != len("Root=1-69b30d1e-0123456789abcdef01234567") || !strings.HasPrefix(trace, "Root=1-") {
		t.Errorf("trace id %q", trace)
	}
	if r2, _ := newIDs(); r2 == req {
		t.Errorf("two request ids are the same: %q", req)
	}
}
