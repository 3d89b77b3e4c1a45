// Package httpapi puts an HTTP front in front of local Lambda functions, as
// API Gateway HTTP APIs and Lambda function URLs do: it turns each request
// into the payload format 2.0 event (events.APIGatewayV2HTTPRequest),
// invokes the routed function through an Invoker, and turns the function's
// answer into the HTTP response the way API Gateway does.
//
// Server serves a route table (internal/route) that can be swapped while
// it serves; FunctionURL sends every request to one function. The facts
// relied on and the rules decided where AWS documents none are in
// docs/http.md.
//
// The front serves browsers on purpose: it checks neither Host nor
// Origin. Which address it listens on is the caller's decision (lamb
// binds 127.0.0.1 unless told otherwise).
package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambctl/lamb/emulator/awsjson"
	"github.com/lambctl/lamb/internal/lambdaspec"
	"github.com/lambctl/lamb/internal/route"
)

// Invoker runs a function synchronously (RequestResponse) and returns its
// answer.
//
// function is a bare function name, qualifier "" ($LATEST), a version or
// an alias. payload is the event JSON. A function error (an error the
// handler returned, a panic, a crash, the function's own timeout) is a
// Result with FunctionError set, not a Go error; the error return is for
// an invoke that could not happen (no such function, no code, ...), which
// the front answers with a 500 and logs.
//
// The context carries no deadline of the front's: on AWS a function goes
// on running after API Gateway gave up on it, and so it does here; the
// front stops waiting at its integration timeout on its own.
type Invoker interface {
	Invoke(ctx context.Context, function, qualifier string, payload []byte) (Result, error)
}

// Result is a function's answer to a synchronous invoke.
type Result struct {
	// Payload is what the function returned (or its error document).
	Payload []byte
	// FunctionError is "" on success, otherwise Lambda's
	// X-Amz-Function-Error ("Unhandled").
	FunctionError string
}

const (
	// MaxRequestBody is the HTTP API payload quota: larger request bodies
	// are answered 413 without invoking anything.
	MaxRequestBody = 10 * 1024 * 1024
	// DefaultIntegrationTimeout is the HTTP API integration timeout, its
	// default and maximum: 30 seconds.
	DefaultIntegrationTimeout = 30 * time.Second
	// DefaultAPIID is the apiId of events when Options.APIID is empty.
	DefaultAPIID = "lamblocal0"
)

// Options configure a Server or a FunctionURL.
type Options struct {
	// AccountID is requestContext.accountId; pass the local Lambda's.
	// Default 123456789012.
	AccountID string
	// APIID is requestContext.apiId (a function URL's url-id);
	// default DefaultAPIID.
	APIID string
	// IntegrationTimeout is how long a Server waits for a function before
	// answering 503; 0 means DefaultIntegrationTimeout, a negative value
	// waits as long as the function runs (for debugging). A FunctionURL
	// has no integration timeout: it waits for the function, whose own
	// timeout bounds it.
	IntegrationTimeout time.Duration
	// Logger gets one Info line per request (method, path, route,
	// function, status, duration) and a Warn line with the reason for
	// every 5xx. Default: discard.
	Logger *slog.Logger
}

// front is what a Server and a FunctionURL share.
type front struct {
	inv       Invoker
	accountID string
	apiID     string
	timeout   time.Duration // <= 0: none
	log       *slog.Logger
	urlMode   bool

	// Replaced by tests for deterministic events.
	now   func() time.Time
	newID func() (requestID, traceID string)
}

func newFront(inv Invoker, opts Options, urlMode bool) front {
	f := front{inv: inv, accountID: opts.AccountID, apiID: opts.APIID, timeout: opts.IntegrationTimeout,
		log: opts.Logger, urlMode: urlMode, now: time.Now, newID: newIDs}
	if f.accountID == "" {
		f.accountID = awsjson.DefaultAccountID
	}
	if f.apiID == "" {
		f.apiID = DefaultAPIID
	}
	if f.timeout == 0 {
		f.timeout = DefaultIntegrationTimeout
	}
	if urlMode {
		f.timeout = -1
	}
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	return f
}

// Server is an HTTP API: it routes each request with a route.Table and
// invokes the route's target, a function name, optionally qualified
// ("orders-get:live").
type Server struct {
	front
	routes atomic.Pointer[route.Table]
}

var _ http.Handler = (*Server)(nil)

// New returns a Server for routes (nil: no routes yet; every request is
// 404 until SetRoutes). inv must not be nil.
func New(inv Invoker, routes *route.Table, opts Options) *Server {
	s := &Server{front: newFront(inv, opts, false)}
	s.routes.Store(routes)
	return s
}

// SetRoutes replaces the route table; requests already routed finish on
// the old one. The Server only reads the table: do not Add to it after.
func (s *Server) SetRoutes(t *route.Table) { s.routes.Store(t) }

// Routes is the current route table.
func (s *Server) Routes() *route.Table { return s.routes.Load() }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target, key, params, ok := s.routes.Load().Match(r.Method, r.URL.EscapedPath())
	if !ok {
		reqID, _ := s.newID()
		status := s.writeMessage(w, reqID, http.StatusNotFound, "Not Found")
		s.log.Info("http", "method", r.Method, "path", r.URL.RequestURI(), "status", status, "requestId", reqID)
		return
	}
	s.serve(w, r, target, key.String(), params)
}

// FunctionURL is a Lambda function URL: every request goes to one
// function, with routeKey and stage $default. To serve it under a path
// prefix, wrap it in http.StripPrefix: rawPath is the path it sees.
type FunctionURL struct {
	front
	target string
}

var _ http.Handler = (*FunctionURL)(nil)

// NewFunctionURL returns the function URL of target (a function name,
// optionally qualified). inv must not be nil.
func NewFunctionURL(inv Invoker, target string, opts Options) *FunctionURL {
	return &FunctionURL{front: newFront(inv, opts, true), target: target}
}

func (u *FunctionURL) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.serve(w, r, u.target, route.Default, nil)
}

// serve runs one request routed to target.
func (f *front) serve(w http.ResponseWriter, r *http.Request, target, routeKey string, params map[string]string) {
	began := time.Now()
	reqID, traceID := f.newID()
	status, why := f.run(w, r, target, routeKey, params, reqID, traceID, f.now())
	f.log.Info("http", "method", r.Method, "path", r.URL.RequestURI(), "route", routeKey, "function", target,
		"status", status, "duration", time.Since(began).Round(time.Millisecond), "requestId", reqID)
	if why != "" {
		f.log.Warn("http: "+why, "method", r.Method, "path", r.URL.RequestURI(), "route", routeKey, "function", target,
			"status", status, "requestId", reqID)
	}
}

// run answers the request and returns the status and, for a 5xx, why.
func (f *front) run(w http.ResponseWriter, r *http.Request, target, routeKey string, params map[string]string, reqID, traceID string, start time.Time) (int, string) {
	if r.ContentLength > MaxRequestBody {
		return f.writeMessage(w, reqID, http.StatusRequestEntityTooLarge, "Request Entity Too Large"), ""
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return f.writeMessage(w, reqID, http.StatusRequestEntityTooLarge, "Request Entity Too Large"), ""
		}
		return f.writeMessage(w, reqID, http.StatusBadRequest, "Bad Request"), ""
	}
	ev := NewEvent(r, body, EventInfo{RouteKey: routeKey, PathParameters: params, AccountID: f.accountID,
		APIID: f.apiID, RequestID: reqID, TraceID: traceID, Time: start})
	payload, err := MarshalEvent(ev)
	if err != nil {
		return f.failure(w, reqID), err.Error()
	}
	if len(payload) > lambdaspec.SyncPayloadLimit {
		why := fmt.Sprintf("the event is %d bytes, over Lambda's %d-byte limit on a synchronous invoke's payload", len(payload), lambdaspec.SyncPayloadLimit)
		if f.urlMode {
			return f.writeMessage(w, reqID, http.StatusRequestEntityTooLarge, "Request Entity Too Large"), ""
		}
		// Lambda refuses the invoke; API Gateway answers an invoke
		// Lambda refused with a 500.
		return f.failure(w, reqID), why
	}

	fn, qual := splitTarget(target)
	type outcome struct {
		res Result
		err error
	}
	done := make(chan outcome, 1)
	ctx := context.WithoutCancel(r.Context())
	go func() {
		res, err := f.inv.Invoke(ctx, fn, qual, payload)
		done <- outcome{res, err}
	}()
	var expired <-chan time.Time
	if f.timeout > 0 {
		t := time.NewTimer(f.timeout)
		defer t.Stop()
		expired = t.C
	}
	var o outcome
	select {
	case o = <-done:
	case <-expired:
		return f.writeMessage(w, reqID, http.StatusServiceUnavailable, "Service Unavailable"),
			fmt.Sprintf("no answer within the %s integration timeout (the function goes on running)", f.timeout)
	case <-r.Context().Done():
		return 499, "" // the client went away; nothing to answer
	}
	if o.err != nil {
		return f.failure(w, reqID), fmt.Sprintf("invoke: %v", o.err)
	}
	if o.res.FunctionError != "" {
		return f.failure(w, reqID), "function error: " + summarizeError(o.res)
	}
	a, err := parseAnswer(o.res.Payload)
	if err != nil {
		return f.failure(w, reqID), fmt.Sprintf("the function's answer does not match the format API Gateway expects: %v", err)
	}
	for _, n := range a.notes {
		f.log.Warn("http: "+n, "function", target, "requestId", reqID)
	}
	h := w.Header()
	for k, v := range a.header {
		h[k] = v
	}
	f.stamp(h, reqID)
	w.WriteHeader(a.status)
	w.Write(a.body)
	return a.status, ""
}

// failure answers a failed integration: API Gateway's 500, or a function
// URL's 502.
func (f *front) failure(w http.ResponseWriter, reqID string) int {
	if f.urlMode {
		h := w.Header()
		h.Set("Content-Type", "text/plain; charset=utf-8")
		f.stamp(h, reqID)
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, "Internal Server Error")
		return http.StatusBadGateway
	}
	return f.writeMessage(w, reqID, http.StatusInternalServerError, "Internal Server Error")
}

// writeMessage answers API Gateway's own {"message":"..."} JSON.
func (f *front) writeMessage(w http.ResponseWriter, reqID string, status int, msg string) int {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	f.stamp(h, reqID)
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"message":%q}`, msg)
	return status
}

// stamp adds the request id header API Gateway (apigw-requestid) or a
// function URL (x-amzn-requestid) puts on every response.
func (f *front) stamp(h http.Header, reqID string) {
	if reqID == "" {
		return
	}
	if f.urlMode {
		h.Set("X-Amzn-Requestid", reqID)
	} else {
		h.Set("Apigw-Requestid", reqID)
	}
}

// MarshalEvent is the JSON of an event as the front sends it: the
// aws-lambda-go encoding, without HTML escaping, and without the empty
// requestContext.authentication the events type always carries (API
// Gateway sends it only for mutual TLS, which the front does not do).
func MarshalEvent(ev events.APIGatewayV2HTTPRequest) ([]byte, error) {
	type context struct {
		events.APIGatewayV2HTTPRequestContext
		Authentication *events.APIGatewayV2HTTPRequestContextAuthentication `json:"authentication,omitempty"`
	}
	wire := struct {
		events.APIGatewayV2HTTPRequest
		RequestContext context `json:"requestContext"`
	}{ev, context{APIGatewayV2HTTPRequestContext: ev.RequestContext}}
	if ev.RequestContext.Authentication != (events.APIGatewayV2HTTPRequestContextAuthentication{}) {
		wire.RequestContext.Authentication = &ev.RequestContext.Authentication
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(wire); err != nil {
		return nil, fmt.Errorf("encode the event: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// splitTarget splits "name:qualifier"; anything else (a bare name, an
// ARN) is the function with no qualifier.
func splitTarget(target string) (function, qualifier string) {
	if strings.Count(target, ":") == 1 {
		function, qualifier, _ = strings.Cut(target, ":")
		return function, qualifier
	}
	return target, ""
}

// summarizeError is "errorType: errorMessage" of a function error
// document, bounded, or the start of the payload.
func summarizeError(res Result) string {
	var doc struct {
		Type    string `json:"errorType"`
		Message string `json:"errorMessage"`
	}
	s := string(res.Payload)
	if json.Unmarshal(res.Payload, &doc) == nil && (doc.Type != "" || doc.Message != "") {
		s = doc.Type + ": " + doc.Message
	}
	const max = 1024
	if len(s) > max {
		s = s[:max] + "…"
	}
	return strings.ReplaceAll(s, "\n", " ")
}

// newIDs returns an API Gateway style request id ("JKJaXmPLvHcESHA=")
// and an X-Ray trace id ("Root=1-<epoch hex>-<24 hex>").
func newIDs() (string, string) {
	var b [23]byte
	rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:11]),
		fmt.Sprintf("Root=1-%08x-%s", time.Now().Unix(), hex.EncodeToString(b[11:]))
}
