package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lambctl/lamb/emulator/cloudwatch"
	"github.com/lambctl/lamb/emulator/httpapi"
	"github.com/lambctl/lamb/emulator/logs"
	"github.com/lambctl/lamb/emulator/rapi"
	"github.com/lambctl/lamb/internal/lambdaspec"

	"github.com/lambctl/lamb/emulator/awsjson"
)

// LogLine is one line of a function's logs (Options.Logs): what its code
// wrote to stdout or stderr, or a START, END or REPORT line.
type LogLine struct {
	// Function is the bare function name; its log group is
	// "/aws/lambda/" + Function.
	Function string
	// Version is the executed version ("$LATEST", "3").
	Version   string
	RequestID string
	// Stream is the log stream: AWS_LAMBDA_LOG_STREAM_NAME of the
	// environment that ran the invocation.
	Stream string
	Time   time.Time
	// Line is the line without its newline. It is the callee's to keep.
	Line []byte
}

// InvokeRecord describes one invocation, synchronous or asynchronous
// (Options.OnInvoke): what Lambda's CloudWatch metrics are made of.
type InvokeRecord struct {
	Function string
	// Resource is what was invoked: the function name, or NAME:QUALIFIER
	// for a version or an alias (CloudWatch's Resource dimension).
	Resource string
	// ExecutedVersion is the version that ran ("$LATEST", "3").
	ExecutedVersion string
	RequestID       string
	// InvocationType is "RequestResponse" or "Event".
	InvocationType string
	Start          time.Time
	// Duration is the function's run, as in REPORT; InitDuration the
	// init of a cold start.
	Duration     time.Duration
	InitDuration time.Duration
	ColdStart    bool
	MemoryMB     int
	MaxMemoryMB  int
	// FunctionError is "" or "Unhandled" (an error, a panic, a crash, a
	// timeout, code that would not start).
	FunctionError string
	TimedOut      bool
	// Throttled: the invoke was answered 429 without running (an injected
	// fault); nothing else is set but Function, Resource and Start.
	Throttled bool
	// Err: the runtime could not run the invocation at all (the caller
	// went away, the server is closing).
	Err error
}

// Retirer is implemented by runtimes that keep warm environments
// (rapi.Runner). After a function's code, configuration or aliases
// change, the server retires the environments that run none of the
// versions still in use: $LATEST and the versions aliases route to.
type Retirer interface {
	Retire(function string, current ...rapi.InvokeRequest)
}

var _ Retirer = (*rapi.Runner)(nil)

// emptyEvent is what a function gets for an invoke without a payload, as
// on Lambda.
var emptyEvent = []byte("{}")

// prepared is an invocation resolved to a version, holding its code (so
// that a concurrent update cannot remove it) until run releases it.
type prepared struct {
	req   rapi.InvokeRequest
	rec   InvokeRecord
	alias bool // the qualifier is an alias (CloudWatch's ExecutedVersion)
	arch  string
	code  string // the hex SHA-256 held in s.inflight
}

// prepareInvoke resolves function and qualifier to the version to run: an
// alias routes by weight. The function must be Active.
func (s *Server) prepareInvoke(function, qualifier string) (*prepared, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn, qual, err := s.lookupLocked(function, qualifier)
	if err != nil {
		return nil, err
	}
	c, err := s.resolveLocked(fn, qual)
	if err != nil {
		return nil, err
	}
	if a := fn.Aliases[qual]; a != nil {
		// Weighted routing picks the extra version with its weight.
		for v, w := range a.Weights {
			if rand.Float64() < w {
				if vc := fn.version(v); vc != nil {
					c = vc
				}
			}
		}
	}
	if c.State != "Active" {
		return nil, conflictState(c.State)
	}
	invoked := qual
	if invoked == "" {
		invoked = "$LATEST"
	}
	p := &prepared{req: s.runRequestLocked(fn, c, invoked), code: c.codeHex(), alias: fn.Aliases[qual] != nil}
	if len(c.Architectures) > 0 {
		p.arch = c.Architectures[0]
	}
	p.req.RequestID = awsjson.NewUUID()
	resource := fn.Name
	if qual != "" {
		resource += ":" + qual
	}
	p.rec = InvokeRecord{Function: fn.Name, Resource: resource, ExecutedVersion: c.Version, RequestID: p.req.RequestID, MemoryMB: c.MemorySize}
	s.inflight[p.code]++
	return p, nil
}

// runRequestLocked is what the runtime gets to run version c of fn: its
// code and configuration, which also identify its warm environments.
func (s *Server) runRequestLocked(fn *function, c *config, invoked string) rapi.InvokeRequest {
	return rapi.InvokeRequest{
		FunctionName: fn.Name, FunctionArn: s.qarn(fn.Name, invoked), Version: c.Version,
		CodeSha256: c.CodeSha256, ZipPath: s.codePath(c.codeHex()), Handler: c.Handler,
		MemoryMB: c.MemorySize, Timeout: time.Duration(c.Timeout) * time.Second,
		Environment: maps.Clone(c.Environment), Region: s.opts.Region,
	}
}

// retireLocked tells the runtime which versions of fn are in use now, so
// that it retires the warm environments of code and configuration that no
// longer are. fn nil: name was deleted.
func (s *Server) retireLocked(name string, fn *function) {
	rt, ok := s.opts.Runtime.(Retirer)
	if !ok {
		return
	}
	if fn == nil {
		rt.Retire(name)
		return
	}
	current := []rapi.InvokeRequest{s.runRequestLocked(fn, fn.Latest, "$LATEST")}
	for _, a := range fn.Aliases {
		for _, v := range append([]string{a.FunctionVersion}, slices.Collect(maps.Keys(a.Weights))...) {
			if c := fn.version(v); c != nil && c != fn.Latest {
				current = append(current, s.runRequestLocked(fn, c, a.Name))
			}
		}
	}
	rt.Retire(name, current...)
}

// run runs a prepared invocation and records it (Options.OnInvoke). Code
// that cannot start is a function error, as on AWS; the error return is
// for an invocation the runtime could not run at all.
func (s *Server) run(ctx context.Context, p *prepared, typ string, payload []byte, clientContext string) (*rapi.InvokeResult, error) {
	defer s.releaseCode(p.code)
	req := p.req
	req.Payload, req.ClientContext = payload, clientContext
	rec := p.rec
	rec.InvocationType, rec.Start = typ, time.Now()
	req.Logs = s.logSink(req.FunctionName, req.Version, rec.Start)
	res, err := s.opts.Runtime.Invoke(ctx, req)
	switch {
	case err != nil && ctx.Err() != nil:
		rec.Err = err
		s.record(rec, p.alias)
		return nil, fmt.Errorf("invoke %s: %w", req.FunctionArn, err)
	case err != nil:
		// The code could not start: AWS answers with a function error.
		res = startFailure(err, p.arch, req.RequestID)
		s.log.Warn("function did not start", "function", req.FunctionArn, "err", err)
		s.emitLogs(req, res.Logs)
	default:
		if hint := archHint(p.arch); hint != "" && bytes.Contains(res.Payload, []byte("Runtime.InvalidEntrypoint")) {
			res.Logs = append(res.Logs, hint+"\n"...)
			s.emitLogs(req, []byte(hint+"\n"))
			s.log.Warn("function did not start", "function", req.FunctionArn, "hint", hint)
		}
	}
	rec.Duration, rec.InitDuration, rec.ColdStart = res.Duration, res.InitDuration, res.ColdStart
	rec.MaxMemoryMB, rec.FunctionError, rec.TimedOut = res.MaxMemoryMB, res.FunctionError, res.TimedOut
	s.record(rec, p.alias)
	return res, nil
}

// logSink is where an invocation's log lines go, live: the logs store
// (group /aws/lambda/FUNCTION, the stream of the environment that ran it)
// and Options.Logs. Lines the runtime did not write (emitLogs) go to the
// invocation's last stream, or one of their own when no environment
// started, named as Lambda names streams.
func (s *Server) logSink(function, version string, start time.Time) func(rapi.LogLine) {
	group := logs.GroupName(function)
	var last atomic.Pointer[string]
	return func(l rapi.LogLine) {
		stream := l.Stream
		switch {
		case stream != "":
			last.Store(&stream)
		case last.Load() != nil:
			stream = *last.Load()
		default:
			stream = logs.StreamName(start, version)
			last.Store(&stream)
		}
		// Lambda's events keep the line's newline.
		s.svc.logs.Append(group, stream, []logs.Event{{Time: l.Time, Message: string(l.Line) + "\n"}})
		if s.opts.Logs != nil {
			s.opts.Logs(LogLine{Function: function, Version: version, RequestID: l.RequestID, Stream: stream, Time: l.Time, Line: l.Line})
		}
	}
}

// emitLogs gives the log sink the lines of logs the runtime did not write.
func (s *Server) emitLogs(req rapi.InvokeRequest, logs []byte) {
	now := time.Now()
	for line := range strings.Lines(string(logs)) {
		req.Logs(rapi.LogLine{RequestID: req.RequestID, Time: now, Line: []byte(strings.TrimSuffix(line, "\n"))})
	}
}

// recordThrottle records an invoke answered 429 by a fault.
func (s *Server) recordThrottle(q request) {
	name, qual, err := s.parseName(q.function)
	if err != nil {
		return
	}
	if p := q.r.URL.Query().Get("Qualifier"); p != "" {
		qual = p
	}
	resource := name
	if qual != "" {
		resource += ":" + qual
	}
	typ := q.r.Header.Get("X-Amz-Invocation-Type")
	if typ == "" {
		typ = "RequestResponse"
	}
	s.mu.Lock()
	fn := s.st.Functions[name]
	alias := fn != nil && fn.Aliases[qual] != nil
	s.mu.Unlock()
	s.record(InvokeRecord{Function: name, Resource: resource, InvocationType: typ, Start: time.Now(), Throttled: true}, alias)
}

// record publishes an invocation: its AWS/Lambda metrics to the local
// CloudWatch, under the dimensions Lambda publishes them with
// (cloudwatch.InvokeDimensions; alias: the qualifier is an alias), and the
// record to Options.OnInvoke. An invocation that did not complete
// (InvokeRecord.Err) counts as an error, as a gate should see it.
func (s *Server) record(rec InvokeRecord, alias bool) {
	_, qual, _ := strings.Cut(rec.Resource, ":")
	d := cloudwatch.InvokeDimensions(rec.Function, qual, alias, rec.ExecutedVersion)
	switch {
	case rec.Throttled:
		s.svc.metrics.Record(rec.Start, d, 0, 0, 1, 0)
	case rec.FunctionError != "" || rec.Err != nil:
		s.svc.metrics.Record(rec.Start, d, 1, 1, 0, rec.Duration)
	default:
		s.svc.metrics.Record(rec.Start, d, 1, 0, 0, rec.Duration)
	}
	if s.opts.OnInvoke != nil {
		s.opts.OnInvoke(rec)
	}
}

// checkPayload applies Invoke's payload rules: at most 6 MB of JSON, and
// {} for none, as Lambda sends.
func checkPayload(payload []byte) ([]byte, error) {
	if len(payload) > maxInvokePayload {
		return nil, errf(http.StatusRequestEntityTooLarge, "RequestTooLargeException", "Request must be smaller than %d bytes for the InvokeFunction operation", maxInvokePayload)
	}
	if len(bytes.TrimSpace(payload)) == 0 {
		return emptyEvent, nil
	}
	if !json.Valid(payload) {
		return nil, errf(http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json: Could not parse payload into json: Unexpected character")
	}
	return payload, nil
}

var errNoRuntime = serviceErr("no runtime: this emulator was started without a function runtime, it cannot run code")

// Invoke runs function (a name, an ARN or NAME:QUALIFIER) synchronously,
// as Invoke with InvocationType RequestResponse does: qualifier "" is
// $LATEST, or a version or an alias. It is the in-process way in (the HTTP
// front, lamb dev): *Server is an httpapi.Invoker. A function error is a
// Result with FunctionError set; the error return is for an invoke that
// could not happen (no such function, not Active, no runtime, ctx done).
// Its logs go to Options.Logs and a record to Options.OnInvoke.
func (s *Server) Invoke(ctx context.Context, function, qualifier string, payload []byte) (httpapi.Result, error) {
	res, err := s.invoke(ctx, function, qualifier, payload)
	if err != nil {
		return httpapi.Result{}, fmt.Errorf("emulator: invoke %s: %w", function, err)
	}
	return httpapi.Result{Payload: res.Payload, FunctionError: res.FunctionError}, nil
}

var _ httpapi.Invoker = (*Server)(nil)

func (s *Server) invoke(ctx context.Context, function, qualifier string, payload []byte) (*rapi.InvokeResult, error) {
	payload, err := checkPayload(payload)
	if err != nil {
		return nil, err
	}
	p, err := s.prepareInvoke(function, qualifier)
	if err != nil {
		return nil, err
	}
	if s.opts.Runtime == nil {
		s.releaseCode(p.code)
		return nil, errNoRuntime
	}
	return s.run(ctx, p, "RequestResponse", payload, "")
}

// invokeHTTP answers Invoke: RequestResponse runs the function and answers
// with its result, Event runs it in the background (202), DryRun checks
// the function can be invoked (204).
func (s *Server) invokeHTTP(q request) error {
	typ := q.r.Header.Get("X-Amz-Invocation-Type")
	if typ == "" {
		typ = "RequestResponse"
	}
	if typ != "RequestResponse" && typ != "Event" && typ != "DryRun" {
		return validationErr(typ, "invocationType", "Member must satisfy enum value set: [Event, RequestResponse, DryRun]")
	}
	logType := q.r.Header.Get("X-Amz-Log-Type")
	if logType != "" && logType != "None" && logType != "Tail" {
		return validationErr(logType, "logType", "Member must satisfy enum value set: [Tail, None]")
	}
	payload, err := io.ReadAll(http.MaxBytesReader(q.w, q.r.Body, maxInvokePayload))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return errf(http.StatusRequestEntityTooLarge, "RequestTooLargeException", "Request must be smaller than %d bytes for the InvokeFunction operation", maxInvokePayload)
	case err != nil:
		return invalidParam("read request: %v", err)
	}
	if payload, err = checkPayload(payload); err != nil {
		return err
	}
	p, err := s.prepareInvoke(q.function, q.r.URL.Query().Get("Qualifier"))
	if err != nil {
		return err
	}
	if typ != "DryRun" && s.opts.Runtime == nil {
		s.releaseCode(p.code)
		return errNoRuntime
	}
	// On AWS an invoke's request ID is the invocation's.
	q.w.Header().Set("x-amzn-RequestId", p.req.RequestID)
	clientContext := q.r.Header.Get("X-Amz-Client-Context")
	switch typ {
	case "DryRun":
		s.releaseCode(p.code)
		q.w.WriteHeader(http.StatusNoContent)
		return nil
	case "Event":
		s.bg.Go(func() {
			if _, err := s.run(s.bgCtx, p, typ, payload, clientContext); err != nil {
				s.log.Error("event invoke", "function", p.req.FunctionArn, "err", err)
			}
		})
		q.w.WriteHeader(http.StatusAccepted)
		return nil
	}
	res, err := s.run(q.r.Context(), p, typ, payload, clientContext)
	if err != nil {
		return serviceErr("%v", err)
	}
	h := q.w.Header()
	h.Set("X-Amz-Executed-Version", p.req.Version)
	if res.FunctionError != "" {
		h.Set("X-Amz-Function-Error", res.FunctionError)
	}
	if logType == "Tail" {
		h.Set("X-Amz-Log-Result", rapi.TailLog(res.Logs))
	}
	h.Set("Content-Type", "application/json")
	q.w.WriteHeader(http.StatusOK)
	q.w.Write(res.Payload)
	return nil
}

// startFailure is the result of an invoke whose code could not be started
// (a bad package, or a binary for another architecture).
func startFailure(err error, arch, requestID string) *rapi.InvokeResult {
	msg := "Error: " + err.Error()
	if hint := archHint(arch); hint != "" {
		msg += " (" + hint + ")"
	}
	payload, _ := json.Marshal(map[string]string{"errorType": "Runtime.InvalidEntrypoint", "errorMessage": msg})
	return &rapi.InvokeResult{Payload: payload, FunctionError: "Unhandled", Logs: []byte(msg + "\n"), RequestID: requestID}
}

// archHint explains a start failure of code for another architecture.
func archHint(arch string) string {
	host, err := lambdaspec.HostArch()
	if err != nil {
		return fmt.Sprintf("the function is built for %s and %v", arch, err)
	}
	if arch != "" && arch != host {
		return fmt.Sprintf("the function is built for %s and this machine runs %s: deploy code built for this machine, e.g. with lamb deploy --local", arch, host)
	}
	return ""
}
