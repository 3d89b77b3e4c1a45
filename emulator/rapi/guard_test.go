package rapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRuntimeAPIRefusesBrowsers: the Runtime API listens on loopback, where
// a web page can reach it too. A page must not be able to take a
// function's event (GET next), answer for it, or fail its init: the Host
// must be exactly AWS_LAMBDA_RUNTIME_API's address, and requests carrying
// an Origin or a cross-site Sec-Fetch-Site are refused.
func TestRuntimeAPIRefusesBrowsers(t *testing.T) {
	t.Parallel()
	e := newEnvironment(nil, "k", "fn")
	e.addr = "127.0.0.1:4321"
	close(e.dead) // a /next that got through would return at once
	h := e.handler()
	tests := []struct {
		name, method, path, host string
		header                   map[string]string
		status                   int
	}{
		{"DNS rebinding next", "GET", "/2018-06-01/runtime/invocation/next", "rebind.attacker.example:4321", nil, 403},
		{"localhost is not the address given", "GET", "/2018-06-01/runtime/invocation/next", "localhost:4321", nil, 403},
		{"cross-site next", "GET", "/2018-06-01/runtime/invocation/next", "127.0.0.1:4321", map[string]string{"Origin": "https://evil.example"}, 403},
		{"fetch metadata", "GET", "/2018-06-01/runtime/invocation/next", "127.0.0.1:4321", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"simple POST init error", "POST", "/2018-06-01/runtime/init/error", "127.0.0.1:4321", map[string]string{"Origin": "null", "Content-Type": "text/plain"}, 403},
		{"runtime's own request", "POST", "/2018-06-01/runtime/invocation/nope/response", "127.0.0.1:4321", nil, 400},
		{"runtime's next", "GET", "/2018-06-01/runtime/invocation/next", "127.0.0.1:4321", nil, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.path, strings.NewReader("{}"))
			r.Host = tt.host
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Errorf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if w.Code == http.StatusForbidden && strings.Contains(w.Body.String(), "evil") {
				t.Errorf("refusal echoes the request: %s", w.Body)
			}
		})
	}
}
