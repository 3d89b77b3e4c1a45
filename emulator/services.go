package emulator

import (
	"fmt"
	"net/http"

	"github.com/lambctl/lamb/emulator/awsjson"
	"github.com/lambctl/lamb/emulator/cloudwatch"
	"github.com/lambctl/lamb/emulator/logs"
	"github.com/lambctl/lamb/emulator/secretsmanager"
	"github.com/lambctl/lamb/emulator/ssm"
	"github.com/lambctl/lamb/emulator/sts"
)

// The local Lambda's neighbours (docs/local-services.md, docs/cloudwatch.md):
// Parameter Store, Secrets Manager, STS, CloudWatch Logs and CloudWatch
// metrics and alarms, served on the Lambda API's own listener so that every
// client takes the one endpoint URL. A request is theirs by its protocol's
// marks — X-Amz-Target (AWS JSON 1.1), Smithy-Protocol and CloudWatch's
// path (rpcv2Cbor), a form POST / with the service's Version or SigV4 scope
// (AWS Query) — which Lambda's REST paths never carry. The request policy
// (policy.go) applies to them as to the Lambda API.

// neighbour is a service served beside the Lambda API.
type neighbour interface {
	awsjson.Matcher
	// Refuse answers a request the policy refused, in the protocol the
	// request came in, so that the client reports the reason.
	Refuse(w http.ResponseWriter, r *http.Request, status int, code, message string)
}

// services are the neighbours of one Server, built over its state
// directory (covered by its lock), region and account.
type services struct {
	params   *ssm.Service
	secrets  *secretsmanager.Service
	logs     *logs.Store
	metrics  *cloudwatch.Service
	identity *sts.Service
	// byTarget are the AWS JSON 1.1 services, matched by X-Amz-Target;
	// byForm the AWS Query ones, which read the form to match.
	byTarget []neighbour
	byForm   []neighbour
	// unknown answers an X-Amz-Target no service serves.
	unknown *awsjson.Service
}

func newServices(o Options) (*services, error) {
	v := &services{identity: sts.New(sts.Options{AccountID: o.AccountID}), unknown: &awsjson.Service{}}
	var err error
	if v.params, err = ssm.New(ssm.Options{StateDir: o.StateDir, Region: o.Region, AccountID: o.AccountID}); err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	if v.secrets, err = secretsmanager.New(secretsmanager.Options{StateDir: o.StateDir, Region: o.Region, AccountID: o.AccountID}); err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	if v.metrics, err = cloudwatch.New(cloudwatch.Options{StateDir: o.StateDir, Region: o.Region, AccountID: o.AccountID}); err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	if v.logs, err = logs.New(logs.Options{StateDir: o.StateDir, Region: o.Region, AccountID: o.AccountID, Logger: o.Logger}); err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	v.byTarget = []neighbour{v.params, v.secrets, v.logs}
	v.byForm = []neighbour{v.identity, v.metrics}
	return v, nil
}

// match is the neighbour r is a call of, or nil for the Lambda API (and
// lamb's own paths). The protocol decides where to look: X-Amz-Target
// (AWS JSON 1.1), Smithy-Protocol (rpcv2Cbor), else a form POST / (AWS
// Query, whose services read the form to match).
func (v *services) match(r *http.Request) neighbour {
	var candidates []neighbour
	switch protocolBody(r) {
	case bodyAmzJSON:
		candidates = v.byTarget
	case bodyCBOR:
		candidates = []neighbour{v.metrics}
	default:
		if r.URL.Path != "/" || r.Method != http.MethodPost && r.Method != http.MethodGet {
			return nil
		}
		candidates = v.byForm
	}
	for _, n := range candidates {
		if n.Match(r) {
			return n
		}
	}
	if protocolBody(r) == bodyAmzJSON {
		return v.unknown
	}
	return nil
}

// close writes what the logs store holds.
func (v *services) close() error {
	return v.logs.Close()
}

// protocolBody is the body a neighbour's call must have: by its protocol.
func protocolBody(r *http.Request) bodyKind {
	switch {
	case r.Header.Get("X-Amz-Target") != "":
		return bodyAmzJSON
	case r.Header.Get("Smithy-Protocol") != "":
		return bodyCBOR
	}
	return bodyQuery
}

// serveNeighbour applies the request policy to a neighbour's call and
// serves it.
func (s *Server) serveNeighbour(w http.ResponseWriter, r *http.Request, n neighbour) {
	e := s.checkCaller(r)
	if e == nil {
		e = checkContentType(r, protocolBody(r))
	}
	if e != nil {
		s.log.Warn("refused request", "method", r.Method, "path", r.URL.Path, "target", r.Header.Get("X-Amz-Target"),
			"host", r.Host, "origin", r.Header.Get("Origin"), "reason", e.msg)
		n.Refuse(w, r, e.status, e.typ, e.msg)
		return
	}
	n.ServeHTTP(w, r)
}
