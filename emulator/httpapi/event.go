package httpapi

import (
	"encoding/base64"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambctl/lamb/internal/route"
)

// EventInfo is what NewEvent needs besides the request itself.
type EventInfo struct {
	// RouteKey is the matched route ("POST /orders"); "" means $default.
	RouteKey string
	// PathParameters are the matched route's parameters, if any.
	PathParameters map[string]string
	AccountID      string
	APIID          string
	RequestID      string
	// TraceID, when set, is sent as the x-amzn-trace-id header
	// ("Root=1-...").
	TraceID string
	Time    time.Time
}

// timeLayout is requestContext.time's layout: "12/Mar/2020:19:03:58 +0000".
const timeLayout = "02/Jan/2006:15:04:05 -0700"

// NewEvent turns an HTTP request whose body has been read into the event
// API Gateway sends a Lambda proxy integration with payload format 2.0 (see
// docs/http.md for each field's source):
//
//   - rawPath is the path as sent (percent-encoded), requestContext.http.path
//     the decoded path; rawQueryString the query as sent;
//   - headers are lower-cased, repeated headers joined with ","; the Cookie
//     header is not among them: its cookies are split into cookies;
//     host, x-forwarded-for (the client's address appended),
//     x-forwarded-port, x-forwarded-proto and x-amzn-trace-id are set as
//     API Gateway sets them;
//   - queryStringParameters are decoded, repeated names joined with ",";
//   - the body is a string when the content type is textual (text/*,
//     application/json, application/xml, application/javascript) and the
//     bytes are valid UTF-8; any other body is base64 with isBase64Encoded;
//   - stage is $default.
func NewEvent(r *http.Request, body []byte, info EventInfo) events.APIGatewayV2HTTPRequest {
	routeKey := info.RouteKey
	if routeKey == "" {
		routeKey = route.Default
	}
	sourceIP := r.RemoteAddr
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		sourceIP = host
	}
	ev := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              routeKey,
		RawPath:               r.URL.EscapedPath(),
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies(r.Header),
		Headers:               headers(r, body, sourceIP, info.TraceID),
		QueryStringParameters: query(r.URL.RawQuery),
		PathParameters:        info.PathParameters,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     routeKey,
			AccountID:    info.AccountID,
			Stage:        route.Default,
			RequestID:    info.RequestID,
			APIID:        info.APIID,
			DomainName:   r.Host,
			DomainPrefix: domainPrefix(r.Host),
			Time:         info.Time.UTC().Format(timeLayout),
			TimeEpoch:    info.Time.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      r.URL.Path,
				Protocol:  r.Proto,
				SourceIP:  sourceIP,
				UserAgent: r.UserAgent(),
			},
		},
	}
	if ev.RawPath == "" {
		ev.RawPath, ev.RequestContext.HTTP.Path = "/", "/"
	}
	if len(body) > 0 {
		if IsText(r.Header.Get("Content-Type")) && utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body = base64.StdEncoding.EncodeToString(body)
			ev.IsBase64Encoded = true
		}
	}
	return ev
}

// IsText reports whether API Gateway passes a body of this Content-Type
// as a string rather than base64: text/*, application/json,
// application/xml and application/javascript, whatever their parameters.
// Everything else, including no Content-Type and
// application/x-www-form-urlencoded, is binary.
func IsText(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt, _, _ = strings.Cut(contentType, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
	}
	switch mt {
	case "application/json", "application/xml", "application/javascript":
		return true
	}
	return strings.HasPrefix(mt, "text/")
}

func headers(r *http.Request, body []byte, sourceIP, traceID string) map[string]string {
	h := make(map[string]string, len(r.Header)+5)
	for name, vals := range r.Header {
		ln := strings.ToLower(name)
		if ln == "cookie" {
			continue
		}
		h[ln] = strings.Join(vals, ",")
	}
	h["host"] = r.Host
	if _, ok := h["content-length"]; !ok && len(body) > 0 {
		h["content-length"] = strconv.Itoa(len(body))
	}
	if xff := h["x-forwarded-for"]; xff != "" {
		h["x-forwarded-for"] = xff + ", " + sourceIP
	} else {
		h["x-forwarded-for"] = sourceIP
	}
	proto, port := "http", "80"
	if r.TLS != nil {
		proto, port = "https", "443"
	}
	if _, p, err := net.SplitHostPort(r.Host); err == nil && p != "" {
		port = p
	}
	h["x-forwarded-port"] = port
	h["x-forwarded-proto"] = proto
	if traceID != "" {
		h["x-amzn-trace-id"] = traceID
	}
	return h
}

// cookies splits the Cookie headers into their "name=value" pairs.
func cookies(h http.Header) []string {
	var out []string
	for _, line := range h.Values("Cookie") {
		for c := range strings.SplitSeq(line, ";") {
			if c = strings.TrimSpace(c); c != "" {
				out = append(out, c)
			}
		}
	}
	return out
}

// query decodes a raw query; repeated names are joined with ",". Pairs
// that do not decode are left out, as url.ParseQuery leaves them.
func query(raw string) map[string]string {
	if raw == "" {
		return nil
	}
	vals, _ := url.ParseQuery(raw)
	if len(vals) == 0 {
		return nil
	}
	m := make(map[string]string, len(vals))
	for k, v := range vals {
		m[k] = strings.Join(v, ",")
	}
	return m
}

// domainPrefix is the first label of the host name: "abc" for
// "abc.execute-api.us-east-1.amazonaws.com", "localhost" for
// "localhost:8080".
func domainPrefix(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	prefix, _, _ := strings.Cut(host, ".")
	return prefix
}
