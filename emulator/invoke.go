package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/lambctl/lamb/emulator/rapi"
	"github.com/lambctl/lamb/internal/lambdaspec"
)

// invokeHTTP answers Invoke: it resolves the version, then hands the code
// to the Runtime.
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
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errf(http.StatusRequestEntityTooLarge, "RequestTooLargeException", "Request must be smaller than %d bytes for the InvokeFunction operation", maxInvokePayload)
		}
		return invalidParam("read request: %v", err)
	}
	if len(payload) > 0 && !json.Valid(payload) {
		return errf(http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json: Could not parse payload into json: Unexpected character")
	}

	s.mu.Lock()
	fn, qual, err := s.targetLocked(q)
	var c *config
	if err == nil {
		c, err = s.resolveLocked(fn, qual)
	}
	if err == nil && qual != "" && fn.Aliases[qual] != nil {
		// Weighted routing picks the extra version with its weight.
		for v, w := range fn.Aliases[qual].Weights {
			if rand.Float64() < w {
				if vc := fn.version(v); vc != nil {
					c = vc
				}
			}
		}
	}
	var req rapi.InvokeRequest
	var arch string
	if err == nil && len(c.Architectures) > 0 {
		arch = c.Architectures[0]
	}
	if err == nil && c.State != "Active" {
		err = conflictState(c.State)
	}
	if err == nil {
		invoked := qual
		if invoked == "" {
			invoked = "$LATEST"
		}
		req = rapi.InvokeRequest{
			FunctionName: fn.Name, FunctionArn: s.qarn(fn.Name, invoked), Version: c.Version,
			CodeSha256: c.CodeSha256, ZipPath: s.codePath(c.codeHex()), Handler: c.Handler,
			MemoryMB: c.MemorySize, Timeout: time.Duration(c.Timeout) * time.Second,
			Environment: maps.Clone(c.Environment), Region: s.opts.Region, Payload: payload,
			ClientContext: q.r.Header.Get("X-Amz-Client-Context"),
		}
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if typ == "DryRun" {
		q.w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if s.opts.Runtime == nil {
		return serviceErr("no runtime: this emulator was started without a function runtime, it cannot run code")
	}
	if typ == "Event" {
		s.bg.Add(1)
		go func() {
			defer s.bg.Done()
			if _, err := s.opts.Runtime.Invoke(s.bgCtx, req); err != nil {
				s.log.Error("event invoke", "function", req.FunctionName, "err", err)
			}
		}()
		q.w.WriteHeader(http.StatusAccepted)
		return nil
	}
	res, ierr := s.opts.Runtime.Invoke(q.r.Context(), req)
	if ierr != nil {
		if q.r.Context().Err() != nil {
			return serviceErr("invoke %s: %v", req.FunctionArn, ierr)
		}
		// The code could not start: AWS answers with a function error.
		res = startFailure(ierr, arch)
		s.log.Warn("function did not start", "function", req.FunctionArn, "err", ierr)
	} else if hint := archHint(arch); hint != "" && bytes.Contains(res.Payload, []byte("Runtime.InvalidEntrypoint")) {
		res.Logs = append(res.Logs, hint+"\n"...)
		s.log.Warn("function did not start", "function", req.FunctionArn, "hint", hint)
	}
	h := q.w.Header()
	h.Set("X-Amz-Executed-Version", req.Version)
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
func startFailure(err error, arch string) *rapi.InvokeResult {
	msg := "Error: " + err.Error()
	if hint := archHint(arch); hint != "" {
		msg += " (" + hint + ")"
	}
	payload, _ := json.Marshal(map[string]string{"errorType": "Runtime.InvalidEntrypoint", "errorMessage": msg})
	return &rapi.InvokeResult{Payload: payload, FunctionError: "Unhandled", Logs: []byte(msg + "\n")}
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
