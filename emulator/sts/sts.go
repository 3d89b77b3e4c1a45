// Package sts answers AWS STS GetCallerIdentity locally, over the AWS Query
// protocol the SDK's sts client (v1.52) and the AWS CLI speak: a
// form-encoded POST / with Action=GetCallerIdentity&Version=2011-06-15,
// answered in XML. The identity is fixed by Options; credentials are not
// checked. Other STS actions answer InvalidAction.
//
// There is no state to persist: the identity comes from Options.
package sts

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/lambctl/lamb/emulator/awsjson"
)

// APIVersion is STS's Query API version.
const APIVersion = "2011-06-15"

// Namespace is the XML namespace of STS answers.
const Namespace = "https://sts.amazonaws.com/doc/2011-06-15/"

// maxForm bounds the form a request may carry.
const maxForm = 64 << 10

// Options configure a Service.
type Options struct {
	// AccountID is the caller's account; default 123456789012 (the local
	// Lambda's).
	AccountID string
	// Arn is the caller's ARN; default arn:aws:iam::<AccountID>:root.
	Arn string
	// UserID is the caller's unique id; default AccountID (what AWS
	// answers for an account's root credentials).
	UserID string
}

// Service answers STS calls. It is safe for concurrent use.
type Service struct {
	opts Options
}

// New returns a Service.
func New(opts Options) *Service {
	if opts.AccountID == "" {
		opts.AccountID = awsjson.DefaultAccountID
	}
	if opts.Arn == "" {
		opts.Arn = "arn:aws:iam::" + opts.AccountID + ":root"
	}
	if opts.UserID == "" {
		opts.UserID = opts.AccountID
	}
	return &Service{opts: opts}
}

// Identity is what GetCallerIdentity answers.
func (s *Service) Identity() (account, arn, userID string) {
	return s.opts.AccountID, s.opts.Arn, s.opts.UserID
}

// Match reports whether r is an STS Query call: a POST (or GET) of / with
// no X-Amz-Target whose form has Version=2011-06-15, or
// Action=GetCallerIdentity and no Version. It reads the body of such a
// POST and puts it back for ServeHTTP (or the next handler).
func (s *Service) Match(r *http.Request) bool {
	if r.URL.Path != "/" || r.Header.Get("X-Amz-Target") != "" {
		return false
	}
	form, ok := peekForm(r)
	if !ok {
		return false
	}
	v := form.Get("Version")
	return v == APIVersion || (v == "" && form.Get("Action") == "GetCallerIdentity")
}

// peekForm reads the query and, for a form-encoded POST, the body (put
// back afterwards).
func peekForm(r *http.Request) (url.Values, bool) {
	form := r.URL.Query()
	switch r.Method {
	case http.MethodGet:
		return form, true
	case http.MethodPost:
	default:
		return nil, false
	}
	ct := r.Header.Get("Content-Type")
	if ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded") {
		return nil, false
	}
	if r.Body == nil {
		return form, true
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxForm+1))
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil || len(b) > maxForm {
		return nil, false
	}
	body, err := url.ParseQuery(string(b))
	if err != nil {
		return nil, false
	}
	for k, vs := range body {
		form[k] = append(form[k], vs...)
	}
	return form, true
}

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

type getCallerIdentityResponse struct {
	XMLName xml.Name `xml:"GetCallerIdentityResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Result  struct {
		Arn     string
		UserID  string `xml:"UserId"`
		Account string
	} `xml:"GetCallerIdentityResult"`
	ResponseMetadata responseMetadata
}

type errorResponse struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Error   struct {
		Type    string
		Code    string
		Message string
	}
	RequestID string `xml:"RequestId"`
}

// ServeHTTP answers an STS call.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := awsjson.NewUUID()
	w.Header().Set("x-amzn-RequestId", id)
	form, ok := peekForm(r)
	if !ok {
		writeError(w, id, http.StatusBadRequest, "InvalidAction", "lamb local answers STS as a form-encoded POST / (AWS Query protocol)")
		return
	}
	switch action := form.Get("Action"); action {
	case "GetCallerIdentity":
		var out getCallerIdentityResponse
		out.Xmlns = Namespace
		out.Result.Account, out.Result.Arn, out.Result.UserID = s.Identity()
		out.ResponseMetadata.RequestID = id
		writeXML(w, http.StatusOK, out)
	case "":
		writeError(w, id, http.StatusBadRequest, "MissingAction", "The request must contain the parameter Action")
	default:
		writeError(w, id, http.StatusBadRequest, "InvalidAction",
			"Could not find operation "+action+" for version "+APIVersion+" (lamb local answers GetCallerIdentity only)")
	}
}

// Refuse answers r with an error that is not STS's own — the local
// Lambda's request policy refused r — as an AWS Query ErrorResponse.
func (s *Service) Refuse(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	id := awsjson.NewUUID()
	w.Header().Set("x-amzn-RequestId", id)
	writeError(w, id, status, code, message)
}

func writeError(w http.ResponseWriter, id string, status int, code, msg string) {
	var e errorResponse
	e.Xmlns = Namespace
	e.Error.Type, e.Error.Code, e.Error.Message = "Sender", code, msg
	e.RequestID = id
	writeXML(w, status, e)
}

func writeXML(w http.ResponseWriter, status int, v any) {
	b, err := xml.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte("<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code></Error></ErrorResponse>")
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}
