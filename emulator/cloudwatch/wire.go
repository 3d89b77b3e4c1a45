package cloudwatch

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"

	"github.com/fxamacker/cbor/v2"

	"github.com/lambctl/lamb/emulator/awsjson"
)

// The rpcv2Cbor wire (smithy.protocols#rpcv2Cbor, as smithy-go's
// transport/http/protocol/rpcv2 client speaks it): POST
// /service/GraniteServiceVersion20100801/operation/<Op>, Smithy-Protocol:
// rpc-v2-cbor, CBOR bodies with timestamps as tag 1 epoch seconds. The
// service is awsQueryCompatible, so errors also carry X-Amzn-Query-Error.
const (
	serviceShape  = "GraniteServiceVersion20100801"
	cborPathInfix = "/service/" + serviceShape + "/operation/"
	shapeNS       = "com.amazonaws.cloudwatch#"
	// apiVersion is the query protocol's Version.
	apiVersion = "2010-08-01"
	xmlNS      = "http://monitoring.amazonaws.com/doc/2010-08-01/"
	// signingName is the SigV4 service name in the credential scope.
	signingName = "monitoring"
)

// Request bodies are bounded: 1 MB on the wire (CloudWatch's PutMetricData
// limit, the largest of the operations served) and 4 MB once a gzip
// Content-Encoding (which the SDK uses for PutMetricData bodies over
// 10 KB) is undone.
const (
	maxBody    = 1 << 20
	maxDecoded = 4 << 20
)

// CBOR decoding is bounded too: no request served has more than 1000
// elements in a list (PutMetricData's MetricData) or 32 levels of nesting.
var (
	decMode = mustDecMode(cbor.DecOptions{
		MaxNestedLevels:   32,
		MaxArrayElements:  2048,
		MaxMapPairs:       2048,
		FieldNameMatching: cbor.FieldNameMatchingCaseSensitive,
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
	})
	encMode = mustEncMode(cbor.EncOptions{
		Time:          cbor.TimeUnixDynamic,
		TimeTag:       cbor.EncTagRequired,
		NilContainers: cbor.NilContainerAsEmpty,
	})
)

func mustDecMode(o cbor.DecOptions) cbor.DecMode {
	m, err := o.DecMode()
	if err != nil {
		panic(err)
	}
	return m
}

func mustEncMode(o cbor.EncOptions) cbor.EncMode {
	m, err := o.EncMode()
	if err != nil {
		panic(err)
	}
	return m
}

// operation is one API operation: a fresh input to decode into, and what
// it does.
type operation struct {
	newInput func() any
	run      func(s *Service, in any) (any, error)
}

func op[I, O any](f func(*Service, *I) (*O, error)) operation {
	return operation{
		newInput: func() any { return new(I) },
		run: func(s *Service, in any) (any, error) {
			out, err := f(s, in.(*I))
			if err != nil {
				return nil, err
			}
			return out, nil
		},
	}
}

var operations = map[string]operation{
	"GetMetricData":  op((*Service).getMetricData),
	"PutMetricData":  op((*Service).putMetricData),
	"ListMetrics":    op((*Service).listMetrics),
	"PutMetricAlarm": op((*Service).putMetricAlarm),
	"DescribeAlarms": op((*Service).describeAlarms),
	"SetAlarmState":  op((*Service).setAlarmState),
	"DeleteAlarms":   op((*Service).deleteAlarms),
}

// cborOperation is the operation an rpcv2Cbor request names, if r is one.
func cborOperation(r *http.Request) (string, bool) {
	if !strings.EqualFold(r.Header.Get("Smithy-Protocol"), "rpc-v2-cbor") {
		return "", false
	}
	i := strings.Index(r.URL.Path, cborPathInfix)
	if i < 0 {
		return "", false
	}
	return r.URL.Path[i+len(cborPathInfix):], true
}

// Match reports whether r is a CloudWatch request this package serves: an
// rpcv2Cbor request for CloudWatch's service shape, or a query-protocol
// form whose SigV4 credential scope names the "monitoring" service (an
// unsigned form is matched by its Version=2010-08-01; to read it, Match
// buffers the body, at most 1 MB, and puts it back in r.Body). Lambda's
// REST-JSON and the JSON 1.1 services (X-Amz-Target) never match, and
// neither does STS's query protocol (scope "sts", Version 2011-06-15).
func Match(r *http.Request) bool {
	if _, ok := cborOperation(r); ok {
		return r.Method == http.MethodPost
	}
	if r.Header.Get("X-Amz-Target") != "" || !isForm(r) {
		return false
	}
	if svc := scopeService(r.Header.Get("Authorization")); svc != "" {
		return svc == signingName
	}
	if r.URL.Query().Get("Version") == apiVersion {
		return true
	}
	if r.Body == nil || r.Method != http.MethodPost {
		return false
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil || len(b) > maxBody || r.Header.Get("Content-Encoding") != "" {
		return false
	}
	form, err := url.ParseQuery(string(b))
	return err == nil && form.Get("Version") == apiVersion
}

// Match is the package's Match, so that a Service is a handler that
// recognises its own requests on a shared listener (awsjson.Matcher).
func (s *Service) Match(r *http.Request) bool { return Match(r) }

func isForm(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return r.Method == http.MethodGet && r.URL.Query().Get("Action") != ""
	}
	return strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded")
}

// scopeService is the service of a SigV4 Authorization header's credential
// scope (Credential=AKID/DATE/REGION/SERVICE/aws4_request), or "".
func scopeService(auth string) string {
	_, cred, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return ""
	}
	cred, _, _ = strings.Cut(cred, ",")
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if len(parts) != 5 || parts[4] != "aws4_request" {
		return ""
	}
	return parts[3]
}

// ServeHTTP answers CloudWatch requests in whichever protocol they came:
// rpcv2Cbor (the Go SDK) or query (the AWS CLI v2.9). Mount it where Match
// reports true.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := awsjson.NewUUID()
	w.Header().Set("X-Amzn-Requestid", id)
	if name, ok := cborOperation(r); ok {
		s.serveCBOR(w, r, name)
		return
	}
	s.serveQuery(w, r, id)
}

func (s *Service) serveCBOR(w http.ResponseWriter, r *http.Request, name string) {
	out, err := s.callCBOR(r, name)
	if err != nil {
		writeCBORError(w, asAPIError(err))
		return
	}
	writeCBOR(w, http.StatusOK, out)
}

// asAPIError is err as answered to the client: an *apiError as it is,
// anything else as InternalServiceFault.
func asAPIError(err error) *apiError {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = internalErr("%v", err)
	}
	return ae
}

// writeCBORError answers an error in rpcv2Cbor: the shape in __type and,
// the service being query-compatible, the query code in
// X-Amzn-Query-Error.
func writeCBORError(w http.ResponseWriter, ae *apiError) {
	w.Header().Set("X-Amzn-Query-Error", ae.code+";"+ae.fault())
	writeCBOR(w, ae.status, map[string]string{"__type": shapeNS + ae.shape, "message": ae.message})
}

func writeCBOR(w http.ResponseWriter, status int, out any) {
	h := w.Header()
	h.Set("Smithy-Protocol", "rpc-v2-cbor")
	h.Set("Content-Type", "application/cbor")
	b, err := encMode.Marshal(out)
	if err != nil {
		status = http.StatusInternalServerError
		h.Set("X-Amzn-Query-Error", "InternalServiceError;Receiver")
		b, _ = encMode.Marshal(map[string]string{"__type": shapeNS + "InternalServiceFault", "message": "encode response"})
	}
	h.Set("Content-Length", fmt.Sprint(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// Refuse answers r with an error that is not CloudWatch's own — the local
// Lambda's request policy refused r — in the protocol r came in (rpcv2Cbor
// or query). code is the error's shape and query code alike.
func (s *Service) Refuse(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	id := awsjson.NewUUID()
	w.Header().Set("X-Amzn-Requestid", id)
	ae := &apiError{status: status, shape: code, code: code, message: message}
	if _, ok := cborOperation(r); ok {
		writeCBORError(w, ae)
		return
	}
	writeQueryError(w, id, ae)
}

func (s *Service) callCBOR(r *http.Request, name string) (any, error) {
	if r.Method != http.MethodPost {
		return nil, serializationErr("rpc-v2-cbor requests must be POST, not %s", r.Method)
	}
	o, ok := operations[name]
	if !ok {
		return nil, unknownOperation(name)
	}
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	in, err := decodeCBOR(o, body)
	if err != nil {
		return nil, err
	}
	return o.run(s, in)
}

// decodeCBOR decodes an rpcv2Cbor request body into o's input. An empty body
// is an empty input.
func decodeCBOR(o operation, body []byte) (any, error) {
	in := o.newInput()
	if len(body) == 0 {
		return in, nil
	}
	if err := decMode.Unmarshal(body, in); err != nil {
		return nil, serializationErr("cannot decode the CBOR request body: %v", err)
	}
	return in, nil
}

func (s *Service) serveQuery(w http.ResponseWriter, r *http.Request, id string) {
	name, out, err := s.callQuery(r)
	if err != nil {
		writeQueryError(w, id, asAPIError(err))
		return
	}
	var b bytes.Buffer
	b.WriteString(xmlHeader)
	fmt.Fprintf(&b, "<%sResponse xmlns=%q>", name, xmlNS)
	if v := reflect.ValueOf(out).Elem(); v.NumField() > 0 {
		writeXML(&b, name+"Result", v)
	}
	fmt.Fprintf(&b, "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>", id, name)
	writeQuery(w, http.StatusOK, &b)
}

// writeQueryError answers an error in the query protocol's ErrorResponse.
func writeQueryError(w http.ResponseWriter, id string, ae *apiError) {
	var b bytes.Buffer
	b.WriteString(xmlHeader)
	fmt.Fprintf(&b, `<ErrorResponse xmlns=%q><Error><Type>%s</Type><Code>%s</Code><Message>`, xmlNS, ae.fault(), ae.code)
	escapeXML(&b, ae.message)
	fmt.Fprintf(&b, "</Message></Error><RequestId>%s</RequestId></ErrorResponse>", id)
	writeQuery(w, ae.status, &b)
}

func writeQuery(w http.ResponseWriter, status int, b *bytes.Buffer) {
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("Content-Length", fmt.Sprint(b.Len()))
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

func (s *Service) callQuery(r *http.Request) (string, any, error) {
	body, err := readBody(r)
	if err != nil {
		return "", nil, err
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return "", nil, serializationErr("cannot parse the form body: %v", err)
	}
	for k, v := range r.URL.Query() {
		if _, ok := form[k]; !ok {
			form[k] = v
		}
	}
	name := form.Get("Action")
	if name == "" {
		return "", nil, missingParam("Action")
	}
	o, ok := operations[name]
	if !ok {
		return name, nil, unknownOperation(name)
	}
	in := o.newInput()
	if err := decodeForm(form, in); err != nil {
		return name, nil, err
	}
	out, err := o.run(s, in)
	return name, out, err
}

// readBody reads r's body within maxBody, undoing a gzip Content-Encoding
// within maxDecoded.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, serializationErr("cannot read the request body: %v", err)
	}
	if len(b) > maxBody {
		return nil, tooLarge(maxBody)
	}
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		return b, nil
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, serializationErr("cannot read the gzip request body: %v", err)
		}
		d, err := io.ReadAll(io.LimitReader(zr, maxDecoded+1))
		if err != nil {
			return nil, serializationErr("cannot read the gzip request body: %v", err)
		}
		if len(d) > maxDecoded {
			return nil, tooLarge(maxDecoded)
		}
		return d, nil
	default:
		return nil, serializationErr("unsupported Content-Encoding %q", enc)
	}
}
