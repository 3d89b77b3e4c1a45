package emulator

import (
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/lambctl/lamb/emulator/awsjson"
)

// The request policy (docs/emulator.md, "Who can call it"). The local
// Lambda runs code it is sent and answers with functions' environments, so
// a web page must not be able to talk to it:
//   - the Host header must name this server: the address the connection
//     came in on, a loopback name (localhost, 127.0.0.1, [::1]) with that
//     port, or one of Options.AllowedHosts — a DNS-rebinding page sends its
//     own name;
//   - a request with an Origin header is refused unless that origin is this
//     server, and so is one whose Sec-Fetch-Site says another site sent it —
//     browsers send both, the AWS clients neither;
//   - a body must have the type the AWS clients send: application/json for
//     the JSON operations, and for Invoke no type, application/octet-stream
//     or application/json; for the neighbour services (services.go) their
//     protocol's type — never the types a page can send cross-site without
//     asking first (text/plain, forms), except the AWS Query protocol's
//     form, which must then carry a SigV4 Authorization header.

// bodyKind is what an operation accepts as its request body.
type bodyKind int

const (
	// bodyIgnored: the operation does not read a body (reads, deletes).
	bodyIgnored bodyKind = iota
	// bodyJSON: application/json, as the SDKs and the CLI send.
	bodyJSON
	// bodyPayload: Invoke's payload. The Go SDK sends
	// application/octet-stream (none when empty), the AWS CLI v2 no type
	// at all; application/json is what other SDKs send.
	bodyPayload
	// bodyObject: S3 object data and S3's XML: any type, but not the ones a
	// page can POST cross-site without a preflight.
	bodyObject
	// bodyAmzJSON: the AWS JSON 1.1 neighbours (Parameter Store, Secrets
	// Manager, CloudWatch Logs): application/x-amz-json-1.1, which the Go
	// SDK and the AWS CLI send.
	bodyAmzJSON
	// bodyCBOR: CloudWatch over rpcv2Cbor (the Go SDK): application/cbor;
	// no type only without a body (the SDK sends none for an empty input).
	bodyCBOR
	// bodyQuery: the AWS Query protocol (STS; CloudWatch from the AWS CLI
	// v2.9): a POST of application/x-www-form-urlencoded. A page can send
	// that type cross-site without a preflight, so the request must also
	// be signed as the SDKs and the CLI sign it — an Authorization header
	// of SigV4 (AWS4-HMAC-SHA256), which a page cannot add without one.
	bodyQuery
)

// refusal is why a request was refused.
type refusal struct {
	status int
	typ    string
	msg    string
}

var (
	errHost = &refusal{http.StatusForbidden, "AccessDeniedException",
		"lamb: request refused: its Host header does not name this server (allowed: its own address, and localhost, 127.0.0.1 or [::1] with its port; more with emulator.Options.AllowedHosts); see docs/emulator.md"}
	errOrigin = &refusal{http.StatusForbidden, "AccessDeniedException",
		"lamb: request refused: it comes from a web page of another origin (Origin or Sec-Fetch-Site header); see docs/emulator.md"}
	errUnsigned = &refusal{http.StatusForbidden, "AccessDeniedException",
		"lamb: request refused: an AWS Query call must be a POST signed with SigV4 (Authorization: AWS4-HMAC-SHA256 ...), as the AWS SDKs and CLI send it (any credentials do); see docs/emulator.md"}
)

func errContentType(mediaType string, kind bodyKind) *refusal {
	want := "application/json"
	switch kind {
	case bodyPayload:
		want = "no Content-Type, application/octet-stream or application/json"
	case bodyObject:
		want = "a type other than text/plain, application/x-www-form-urlencoded or multipart/form-data"
	case bodyAmzJSON:
		want = awsjson.ContentType
	case bodyCBOR:
		want = "application/cbor"
	case bodyQuery:
		want = "application/x-www-form-urlencoded"
	}
	if mediaType == "" {
		mediaType = "none"
	}
	return &refusal{http.StatusUnsupportedMediaType, "UnsupportedMediaTypeException",
		"lamb: request refused: Content-Type " + mediaType + " is not what AWS clients send for this operation (" + want + "); see docs/emulator.md"}
}

// checkCaller applies the Host and Origin rules to every request; each
// route checks the body type it reads (checkContentType).
func (s *Server) checkCaller(r *http.Request) *refusal {
	if !s.hostAllowed(r, r.Host) {
		return errHost
	}
	return s.checkOrigin(r)
}

// hostAllowed reports whether host (a Host header, or an origin's host)
// names this server for request r.
func (s *Server) hostAllowed(r *http.Request, host string) bool {
	host = strings.ToLower(host)
	name, port, err := net.SplitHostPort(host)
	if err != nil {
		name, port = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), "80"
	}
	for _, a := range s.opts.AllowedHosts {
		a = strings.ToLower(a)
		if a == host || a == name {
			return true
		}
	}
	ip := net.ParseIP(name)
	loopback := name == "localhost" || ip != nil && ip.IsLoopback()
	switch local := r.Context().Value(http.LocalAddrContextKey).(type) {
	case *net.TCPAddr:
		if port != strconv.Itoa(local.Port) {
			return false
		}
		return loopback || ip != nil && ip.Equal(local.IP)
	case nil:
		// Called in-process, without a connection: no page can reach it,
		// but the Host still has to look like this machine.
		return loopback
	default:
		// A Unix socket: browsers cannot connect to one.
		return true
	}
}

// checkOrigin refuses requests a browser sent on behalf of another site.
func (s *Server) checkOrigin(r *http.Request) *refusal {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return errOrigin
	}
	origins, ok := r.Header["Origin"]
	if !ok {
		return nil
	}
	for _, o := range origins {
		u, err := url.Parse(o)
		if err != nil || u.Scheme != "http" || u.Host == "" || u.Path != "" || !s.hostAllowed(r, u.Host) {
			return errOrigin
		}
	}
	return nil
}

// simpleTypes are the body types a page may send cross-site without a
// CORS preflight.
var simpleTypes = []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"}

func checkContentType(r *http.Request, kind bodyKind) *refusal {
	if kind == bodyIgnored {
		return nil
	}
	ct := r.Header.Get("Content-Type")
	mt := ""
	if ct != "" {
		var err error
		if mt, _, err = mime.ParseMediaType(ct); err != nil {
			return errContentType("(unparsable)", kind)
		}
	}
	switch kind {
	case bodyJSON:
		if mt == "application/json" {
			return nil
		}
	case bodyPayload:
		if mt == "" || mt == "application/octet-stream" || mt == "application/json" {
			return nil
		}
	case bodyObject:
		if r.Method != http.MethodPost || !slices.Contains(simpleTypes, mt) {
			return nil
		}
	case bodyAmzJSON:
		if mt == awsjson.ContentType {
			return nil
		}
	case bodyCBOR:
		if mt == "application/cbor" || mt == "" && r.ContentLength == 0 {
			return nil
		}
	case bodyQuery:
		if mt != "application/x-www-form-urlencoded" {
			break
		}
		if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
			return errUnsigned
		}
		return nil
	}
	return errContentType(mt, kind)
}

func (e *refusal) write(w http.ResponseWriter) {
	errf(e.status, e.typ, "%s", e.msg).write(w)
}
