package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// wantEvent is the event of a request sent by the Go client to Host
// api.test from 127.0.0.1, before the case's own changes.
func wantEvent(method, rawPath, routeKey string) events.APIGatewayV2HTTPRequest {
	return events.APIGatewayV2HTTPRequest{
		Version:  "2.0",
		RouteKey: routeKey,
		RawPath:  rawPath,
		Headers: map[string]string{
			"accept-encoding":   "gzip",
			"host":              "api.test",
			"user-agent":        "test-agent",
			"x-amzn-trace-id":   "Root=1-69b30d1e-0123456789abcdef01234567",
			"x-forwarded-for":   "127.0.0.1",
			"x-forwarded-port":  "80",
			"x-forwarded-proto": "http",
		},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     routeKey,
			AccountID:    "123456789012",
			Stage:        "$default",
			RequestID:    "JKJaXmPLvHcESHA=",
			APIID:        "lamblocal0",
			DomainName:   "api.test",
			DomainPrefix: "api",
			Time:         "12/Mar/2026:19:03:58 +0000",
			TimeEpoch:    1773342238390,
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: method, Path: rawPath, Protocol: "HTTP/1.1", SourceIP: "127.0.0.1", UserAgent: "test-agent",
			},
		},
	}
}

func TestEvent(t *testing.T) {
	t.Parallel()
	inv := &fakeInvoker{t: t}
	_, ts := serve(t, inv, table(t,
		"POST /orders", "orders-create",
		"GET /orders/{id}", "orders-get",
		"ANY /users/{proxy+}", "users:live",
		"$default", "fallback",
	), Options{})

	tests := []struct {
		name        string
		method, url string // url is the path and query
		body        []byte
		header      map[string][]string
		function    string
		qualifier   string
		want        func(*events.APIGatewayV2HTTPRequest)
	}{
		{
			name: "json body", method: "POST", url: "/orders", body: []byte(`{"item":"book","qty":2}`),
			header: map[string][]string{"Content-Type": {"application/json"}}, function: "orders-create",
			want: func(e *events.APIGatewayV2HTTPRequest) {
				*e = wantEvent("POST", "/orders", "POST /orders")
				e.Headers["content-type"] = "application/json"
				e.Headers["content-length"] = "23"
				e.Body = `{"item":"book","qty":2}`
			},
		},
		{
			name: "path parameter, query and repeated headers", method: "GET", url: "/orders/42?expand=items&expand=buyer&q=a%20b&flag",
			header: map[string][]string{"X-Multi": {"one", "two"}, "Accept": {"text/html, application/json"}}, function: "orders-get",
			want: func(e *events.APIGatewayV2HTTPRequest) {
				*e = wantEvent("GET", "/orders/42", "GET /orders/{id}")
				e.RawQueryString = "expand=items&expand=buyer&q=a%20b&flag"
				e.QueryStringParameters = map[string]string{"expand": "items,buyer", "q": "a b", "flag": ""}
				e.PathParameters = map[string]string{"id": "42"}
				e.Headers["x-multi"] = "one,two"
				e.Headers["accept"] = "text/html, application/json"
			},
		},
		{
			name: "cookies leave the headers", method: "GET", url: "/orders/7",
			header: map[string][]string{"Cookie": {"session=abc; theme=dark", "lang=en"}}, function: "orders-get",
			want: func(e *events.APIGatewayV2HTTPRequest) {
				*e = wantEvent("GET", "/orders/7", "GET /orders/{id}")
				e.Cookies = []string{"session=abc", "theme=dark", "lang=en"}
				e.PathParameters = map[string]string{"id": "7"}
			},
		},
		{
			name: "encoded path", method: "GET", url: "/orders/a%2Fb%20c", function: "orders-get",
			want: func(e *events.APIGatewayV2HTTPRequest) {
				*e = wantEvent("GET", "/orders/a%2Fb%20c", "GET /orders/{id}")
				e.RequestContext.HTTP.Path = "/orders/a/b c"
				e.PathParameters = map[string]string{"id": "a/b c"}
			},
		},
		{
			name: "greedy route with a qualifier", method: "DELETE", url: "/users/u1/keys/k2", function: "users", qualifier: "live",
			want: func(e *events.APIGatewayV2HTTPRequest) {
				*e = wantEvent("DELETE", "/users/u1/keys/k2", "ANY /users/{proxy+}")
				e.PathParameters = map[string]string{"proxy": "u1/keys/k2"}
			},
		},
		{
			name: "default route", method: "PUT", url: "/elsewhere?x=1", body: []byte("hello"),
			header: map[string][]string{"Content-Type": {"text/plain; charset=utf-8"}}, function: "fallback",
			want: func(e *events.APIGatewayV2HTTPRequest) {
				*e = wantEvent("PUT", "/elsewhere", "$default")
				e.RawQueryString = "x=1"
				e.QueryStringParameters = map[string]string{"x": "1"}
				e.Headers["content-type"] = "text/plain; charset=utf-8"
				e.Headers["content-length"] = "5"
				e.Body = "hello"
			},
		},
		{
			name: "binary content type is base64", method: "POST", url: "/orders", body: []byte("\x89PNG\r\n\x1a\n"),
			header: map[string][]string{"Content-Type": {"image/png"}}, function: "orders-create",
			want: func(e *events.APIGatewayV2HTTPRequest) {
				*e = wantEvent("POST", "/orders", "POST /orders")
				e.Headers["content-type"] = "image/png"
				e.Headers["content-length"] = "8"
				e.Body = base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\n"))
				e.IsBase64Encoded = true
			},
		},
		{
			name: "form posts are base64", method: "POST", url: "/orders", body: []byte("a=1&b=2"),
			header: map[string][]string{"Content-Type": {"application/x-www-form-urlencoded"}}, function: "orders-create",
			want: func(e *events.APIGatewayV2HTTPRequest) {
				*e = wantEvent("POST", "/orders", "POST /orders")
				e.Headers["content-type"] = "application/x-www-form-urlencoded"
				e.Headers["content-length"] = "7"
				e.Body = base64.StdEncoding.EncodeToString([]byte("a=1&b=2"))
				e.IsBase64Encoded = true
			},
		},
		{
			name: "no content type is base64", method: "POST", url: "/orders", body: []byte("plain"), function: "orders-create",
			want: func(e *events.APIGatewayV2HTTPRequest) {
				*e = wantEvent("POST", "/orders", "POST /orders")
				e.Headers["content-length"] = "5"
				e.Body = base64.StdEncoding.EncodeToString([]byte("plain"))
				e.IsBase64Encoded = true
			},
		},
		{
			name: "text that is not utf-8 is base64", method: "POST", url: "/orders", body: []byte("caf\xe9"),
			header: map[string][]string{"Content-Type": {"text/plain; charset=latin1"}}, function: "orders-create",
			want: func(e *events.APIGatewayV2HTTPRequest) {
				*e = wantEvent("POST", "/orders", "POST /orders")
				e.Headers["content-type"] = "text/plain; charset=latin1"
				e.Headers["content-length"] = "4"
				e.Body = base64.StdEncoding.EncodeToString([]byte("caf\xe9"))
				e.IsBase64Encoded = true
			},
		},
		{
			name: "x-forwarded-for is appended to, x-forwarded-proto is set", method: "GET", url: "/orders/1", function: "orders-get",
			header: map[string][]string{"X-Forwarded-For": {"203.0.113.7"}, "X-Forwarded-Proto": {"https"}},
			want: func(e *events.APIGatewayV2HTTPRequest) {
				*e = wantEvent("GET", "/orders/1", "GET /orders/{id}")
				e.PathParameters = map[string]string{"id": "1"}
				e.Headers["x-forwarded-for"] = "203.0.113.7, 127.0.0.1"
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := newRequest(t, tt.method, ts.URL+tt.url, bytes.NewReader(tt.body))
			if tt.body == nil {
				req.Body = nil
			}
			req.Host = "api.test"
			req.Header.Set("User-Agent", "test-agent")
			for k, v := range tt.header {
				req.Header[k] = v
			}
			res := do(t, req)
			if res.Status != 200 {
				t.Fatalf("status %d: %s", res.Status, res.Body)
			}
			var got events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal([]byte(res.Body), &got); err != nil {
				t.Fatalf("echoed event: %v\n%s", err, res.Body)
			}
			var want events.APIGatewayV2HTTPRequest
			tt.want(&want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("event (-want +got):\n%s", diff)
			}
			var found bool
			for _, c := range inv.Calls() {
				if c.Event.RawPath == got.RawPath && c.Event.RequestContext.HTTP.Method == tt.method && c.Event.Body == got.Body {
					found = true
					if c.Function != tt.function || c.Qualifier != tt.qualifier {
						t.Errorf("invoked %q qualifier %q, want %q %q", c.Function, c.Qualifier, tt.function, tt.qualifier)
					}
				}
			}
			if !found {
				t.Errorf("no invoke recorded for %s %s", tt.method, tt.url)
			}
		})
	}
}

// TestEventGolden pins one full event, as the function receives it, byte
// for byte.
func TestEventGolden(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("POST", "http://abc123defg.execute-api.us-east-1.amazonaws.com/orders/o-1/items?limit=10&tag=a&tag=b", strings.NewReader(`{"sku":"book-1","qty":2}`))
	r.RemoteAddr = "198.51.100.23:51234"
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("User-Agent", "curl/8.5.0")
	r.Header.Set("Accept", "*/*")
	r.Header.Add("Cookie", "session=s3cr3t-looking; theme=dark")
	r.Header.Add("X-Request-Tag", "a")
	r.Header.Add("X-Request-Tag", "b")
	body := []byte(`{"sku":"book-1","qty":2}`)
	ev := NewEvent(r, body, EventInfo{
		RouteKey: "POST /orders/{id}/items", PathParameters: map[string]string{"id": "o-1"},
		AccountID: "123456789012", APIID: "abc123defg", RequestID: "JKJaXmPLvHcESHA=",
		TraceID: "Root=1-69b30d1e-0123456789abcdef01234567", Time: fixedTime,
	})
	payload, err := MarshalEvent(ev)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := json.Indent(&got, payload, "", "  "); err != nil {
		t.Fatal(err)
	}
	golden(t, "testdata/event.json", append(got.Bytes(), '\n'))
	var back events.APIGatewayV2HTTPRequest
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ev, back); diff != "" {
		t.Errorf("the event does not survive a round trip (-sent +decoded):\n%s", diff)
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

func TestIsText(t *testing.T) {
	t.Parallel()
	for ct, want := range map[string]bool{
		"application/json":                  true,
		"application/json; charset=utf-8":   true,
		"Application/JSON":                  true,
		"application/xml":                   true,
		"application/javascript":            true,
		"text/plain":                        true,
		"text/html; charset=utf-8":          true,
		"text/csv;broken=":                  true,
		"":                                  false,
		"application/x-www-form-urlencoded": false,
		"application/octet-stream":          false,
		"application/vnd.api+json":          false,
		"image/png":                         false,
		"multipart/form-data; boundary=x":   false,
	} {
		if got := IsText(ct); got != want {
			t.Errorf("IsText(%q) = %v, want %v", ct, got, want)
		}
	}
}
