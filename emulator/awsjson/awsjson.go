// Package awsjson is the server side of the AWS JSON 1.1 protocol that the
// local Lambda's neighbour services (Parameter Store, Secrets Manager,
// CloudWatch Logs) speak: one POST / per call, the operation named by
// X-Amz-Target ("AmazonSSM.GetParameter"), JSON bodies in both directions,
// and errors as a JSON body whose "__type" names the error shape.
//
// A Service dispatches X-Amz-Target to typed operations (Op), bounds the
// request body and writes AWS's answer shapes; Dispatch puts several
// services and the Lambda API behind one listener.
package awsjson

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// ContentType is the media type of AWS JSON 1.1 requests and answers.
const ContentType = "application/x-amz-json-1.1"

// DefaultMaxBody bounds a request body when Service.MaxBody is 0.
const DefaultMaxBody = 1 << 20

// Error is an error answered to the client: HTTP status (400 when 0) and a
// body {"__type": Type, "message": Message}. The SDKs turn Type into their
// typed error (ssm's *types.ParameterNotFound, ...).
//
// Message reaches the client and logs: it must never hold a secret value.
type Error struct {
	Status  int
	Type    string
	Message string
	// MessageKey is the member that carries Message, as the service models
	// the error shape: "message" (the default) or "Message".
	MessageKey string
}

func (e *Error) Error() string {
	if e.Message == "" {
		return e.Type
	}
	return e.Type + ": " + e.Message
}

// Errorf returns a 400 error of the given type.
func Errorf(typ, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Type: typ, Message: fmt.Sprintf(format, args...)}
}

// Handler answers one operation: body is the request's JSON; the result is
// marshalled as the answer. An error that is not an *Error answers 500
// InternalFailure without its text (it may name files or values).
type Handler func(ctx context.Context, body []byte) (any, error)

// Op adapts a typed operation into a Handler: the body is decoded into In
// (SerializationException when it is not JSON of that shape) and Out is the
// answer.
func Op[In, Out any](f func(context.Context, *In) (*Out, error)) Handler {
	return func(ctx context.Context, body []byte) (any, error) {
		in := new(In)
		if err := Decode(body, in); err != nil {
			return nil, err
		}
		out, err := f(ctx, in)
		if err != nil {
			return nil, err
		}
		return out, nil
	}
}

// Decode reads a request body into v. An empty body is an empty object.
// Errors never quote the body: it may hold a secret.
func Decode(body []byte, v any) error {
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return Errorf("SerializationException", "member %s has the wrong type (%s expected)", te.Field, te.Type)
		}
		return Errorf("SerializationException", "the request body is not a valid JSON object")
	}
	return nil
}

// Service serves one AWS JSON 1.1 service.
type Service struct {
	// Target is the X-Amz-Target prefix before the dot: "AmazonSSM".
	Target string
	// Ops maps operation names ("GetParameter") to their handlers.
	Ops map[string]Handler
	// MaxBody bounds request bodies; 0 means DefaultMaxBody. Larger bodies
	// answer 413 RequestEntityTooLargeException.
	MaxBody int64
	// Unsupported names operations the service refuses with a reason
	// instead of UnknownOperationException (e.g. an event-stream call).
	Unsupported map[string]*Error
}

// Match reports whether r is a call to this service: X-Amz-Target is
// "<Target>.<operation>".
func (s *Service) Match(r *http.Request) bool {
	return MatchTarget(r, s.Target)
}

// MatchTarget reports whether r's X-Amz-Target is "<prefix>.<something>".
func MatchTarget(r *http.Request, prefix string) bool {
	t := r.Header.Get("X-Amz-Target")
	return len(t) > len(prefix)+1 && t[len(prefix)] == '.' && t[:len(prefix)] == prefix
}

// ServeHTTP answers one call.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-amzn-RequestId", NewUUID())
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), s.Target+".")
	h, ok := s.Ops[op]
	if r.Method != http.MethodPost || !s.Match(r) {
		ok = false
	}
	if !ok {
		if e := s.Unsupported[op]; e != nil && r.Method == http.MethodPost {
			WriteError(w, e)
			return
		}
		WriteError(w, Errorf("UnknownOperationException", "lamb local does not implement %s", r.Header.Get("X-Amz-Target")))
		return
	}
	limit := s.MaxBody
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		WriteError(w, Errorf("SerializationException", "read request body: %v", err))
		return
	}
	if int64(len(body)) > limit {
		WriteError(w, &Error{Status: http.StatusRequestEntityTooLarge, Type: "RequestEntityTooLargeException",
			Message: "request body exceeds " + strconv.FormatInt(limit, 10) + " bytes"})
		return
	}
	out, err := h(r.Context(), body)
	if err != nil {
		WriteError(w, err)
		return
	}
	WriteJSON(w, http.StatusOK, out)
}

// Endpoint is s's calls, for a service built on s to embed: it gives the
// service Match, ServeHTTP and Refuse, and nothing else of s.
func (s *Service) Endpoint() Endpoint { return Endpoint{s} }

// Endpoint answers a Service's calls (Service.Endpoint).
type Endpoint struct{ api *Service }

// Match reports whether r is a call of the service (its X-Amz-Target).
func (e Endpoint) Match(r *http.Request) bool { return e.api.Match(r) }

// ServeHTTP answers a call.
func (e Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) { e.api.ServeHTTP(w, r) }

// Refuse is the Service's Refuse.
func (e Endpoint) Refuse(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	e.api.Refuse(w, r, status, code, message)
}

// Refuse answers r with an error that is not the service's own — the
// local Lambda's request policy refused r — as an AWS JSON 1.1 error of
// type code.
func (s *Service) Refuse(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	w.Header().Set("x-amzn-RequestId", NewUUID())
	WriteError(w, &Error{Status: status, Type: code, Message: message})
}

// WriteError answers err: an *Error as it says, anything else as 500
// InternalFailure without its text.
func WriteError(w http.ResponseWriter, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Status: http.StatusInternalServerError, Type: "InternalFailure",
			Message: "lamb local failed to complete the request"}
	}
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	body := map[string]string{"__type": e.Type}
	if e.Message != "" {
		key := e.MessageKey
		if key == "" {
			key = "message"
		}
		body[key] = e.Message
	}
	WriteJSON(w, status, body)
}

// WriteJSON answers v as an AWS JSON 1.1 body.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"__type":"InternalFailure","message":"lamb local could not encode the answer"}`)
	}
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// NewUUID returns a random UUID (version 4): the shape of AWS request IDs,
// Lambda's revision IDs and Secrets Manager's version IDs.
func NewUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Matcher is a handler that recognises its own calls on a shared listener.
type Matcher interface {
	http.Handler
	Match(r *http.Request) bool
}

// Dispatch serves each request with the first service that matches it, and
// with fallback (the Lambda API) otherwise.
func Dispatch(fallback http.Handler, services ...Matcher) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, s := range services {
			if s.Match(r) {
				s.ServeHTTP(w, r)
				return
			}
		}
		fallback.ServeHTTP(w, r)
	})
}

// EpochSeconds is a timestamp as AWS JSON 1.1 writes it: seconds since the
// Unix epoch, with milliseconds as the fraction.
func EpochSeconds(unixMilli int64) json.Number {
	sign := ""
	if unixMilli < 0 {
		sign, unixMilli = "-", -unixMilli
	}
	sec, ms := unixMilli/1000, unixMilli%1000
	if ms == 0 {
		return json.Number(sign + strconv.FormatInt(sec, 10))
	}
	return json.Number(fmt.Sprintf("%s%d.%03d", sign, sec, ms))
}
