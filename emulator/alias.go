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
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/lambctl/lamb/emulator/rapi"
)

func (s *Server) wireAlias(fn *function, a *alias) wireAlias {
	w := wireAlias{AliasArn: s.qarn(fn.Name, a.Name), Name: a.Name, FunctionVersion: a.FunctionVersion,
		Description: a.Description, RevisionID: a.RevisionID}
	if len(a.Weights) > 0 {
		w.RoutingConfig = &wireRouting{AdditionalVersionWeights: maps.Clone(a.Weights)}
	}
	return w
}

// checkAliasTargetLocked validates an alias's primary version and routing.
func (s *Server) checkAliasTargetLocked(fn *function, primary string, weights map[string]float64) error {
	if primary != "$LATEST" && fn.version(primary) == nil {
		return notFound(s.qarn(fn.Name, primary))
	}
	if len(weights) == 0 {
		return nil
	}
	if len(weights) > 1 {
		return validationErr(fmt.Sprint(weights), "routingConfig.additionalVersionWeights", "Member must have length less than or equal to 1")
	}
	if primary == "$LATEST" {
		return invalidParam("$LATEST is not supported for an alias pointing to more than 1 version")
	}
	for v, w := range weights {
		if w < 0 || w > 1 {
			return validationErr(fmt.Sprint(w), "routingConfig.additionalVersionWeights", "Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0]")
		}
		if v == primary {
			return invalidParam("Invalid function version %s. Function version %s is already included in routing configuration.", v, v)
		}
		if v == "$LATEST" || fn.version(v) == nil {
			return invalidParam("Function version %s does not exist or is $LATEST; routing needs a published version.", v)
		}
	}
	return nil
}

type aliasInput struct {
	Name            string
	FunctionVersion *string
	Description     *string
	RoutingConfig   *wireRouting
	RevisionId      string
}

func (s *Server) createAlias(q request) error {
	var in aliasInput
	if err := readBody(q, 1<<20, &in); err != nil {
		return err
	}
	if err := validateAliasName(in.Name); err != nil {
		return err
	}
	if in.FunctionVersion == nil || *in.FunctionVersion == "" {
		return validationErr("null", "functionVersion", "Member must not be null")
	}
	a := &alias{Name: in.Name, FunctionVersion: *in.FunctionVersion, RevisionID: newUUID()}
	if in.Description != nil {
		if err := validateDescription(*in.Description); err != nil {
			return err
		}
		a.Description = *in.Description
	}
	if in.RoutingConfig != nil && len(in.RoutingConfig.AdditionalVersionWeights) > 0 {
		a.Weights = maps.Clone(in.RoutingConfig.AdditionalVersionWeights)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fn, qual, err := s.targetLocked(q)
	if err != nil {
		return err
	}
	if qual != "" {
		return invalidParam("Unqualified function name expected")
	}
	if fn.Aliases[a.Name] != nil {
		return errf(http.StatusConflict, "ResourceConflictException", "Alias already exists: %s", s.qarn(fn.Name, a.Name))
	}
	if err := s.checkAliasTargetLocked(fn, a.FunctionVersion, a.Weights); err != nil {
		return err
	}
	if fn.Aliases == nil {
		fn.Aliases = map[string]*alias{}
	}
	fn.Aliases[a.Name] = a
	if err := s.saveLocked(); err != nil {
		return err
	}
	writeJSON(q.w, http.StatusCreated, s.wireAlias(fn, a))
	return nil
}

func (s *Server) listAliases(q request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn, _, err := s.targetLocked(q)
	if err != nil {
		return err
	}
	filter := q.r.URL.Query().Get("FunctionVersion")
	items := []wireAlias{}
	for _, n := range slices.Sorted(maps.Keys(fn.Aliases)) {
		if a := fn.Aliases[n]; filter == "" || a.FunctionVersion == filter {
			items = append(items, s.wireAlias(fn, a))
		}
	}
	return writePage(q, "Aliases", items)
}

// alias answers GetAlias, UpdateAlias and DeleteAlias.
func (s *Server) alias(q request) error {
	var in aliasInput
	if q.op == "UpdateAlias" {
		if err := readBody(q, 1<<20, &in); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fn, _, err := s.targetLocked(q)
	if err != nil {
		return err
	}
	a := fn.Aliases[q.alias]
	if a == nil {
		return errf(http.StatusNotFound, "ResourceNotFoundException", "Cannot find alias arn: %s", s.qarn(fn.Name, q.alias))
	}
	switch q.op {
	case "GetAlias":
		writeJSON(q.w, http.StatusOK, s.wireAlias(fn, a))
		return nil
	case "DeleteAlias":
		delete(fn.Aliases, a.Name)
		if err := s.saveLocked(); err != nil {
			return err
		}
		q.w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if in.RevisionId != "" && in.RevisionId != a.RevisionID {
		return preconditionFailed()
	}
	next := *a
	if in.FunctionVersion != nil {
		next.FunctionVersion = *in.FunctionVersion
	}
	if in.Description != nil {
		if err := validateDescription(*in.Description); err != nil {
			return err
		}
		next.Description = *in.Description
	}
	if in.RoutingConfig != nil {
		next.Weights = nil
		if len(in.RoutingConfig.AdditionalVersionWeights) > 0 {
			next.Weights = maps.Clone(in.RoutingConfig.AdditionalVersionWeights)
		}
	}
	if err := s.checkAliasTargetLocked(fn, next.FunctionVersion, next.Weights); err != nil {
		return err
	}
	next.RevisionID = newUUID()
	fn.Aliases[a.Name] = &next
	if err := s.saveLocked(); err != nil {
		return err
	}
	writeJSON(q.w, http.StatusOK, s.wireAlias(fn, &next))
	return nil
}

// tags answers TagResource, ListTags and UntagResource on function ARNs.
func (s *Server) tags(q request) error {
	var in struct{ Tags map[string]string }
	if q.op == "TagResource" {
		if err := readBody(q, 1<<20, &in); err != nil {
			return err
		}
		if err := validateTags(in.Tags); err != nil {
			return err
		}
	}
	if !strings.HasPrefix(q.function, "arn:") {
		return validationErr(q.function, "resource", "Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*):lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:(function:[a-zA-Z0-9-_]+(:(\\$LATEST|[a-zA-Z0-9-_]+))?|layer:[a-zA-Z0-9-_]+)")
	}
	name, qual, aerr := s.parseName(q.function)
	if aerr != nil {
		return aerr
	}
	if qual != "" {
		return invalidParam("Tags on function aliases and versions are not supported. Please specify a function ARN.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fn := s.st.Functions[name]
	if fn == nil {
		return notFound(s.arn(name))
	}
	switch q.op {
	case "ListTags":
		tags := maps.Clone(fn.Tags)
		if tags == nil {
			tags = map[string]string{}
		}
		writeJSON(q.w, http.StatusOK, map[string]any{"Tags": tags})
		return nil
	case "TagResource":
		next := maps.Clone(fn.Tags)
		if next == nil {
			next = map[string]string{}
		}
		maps.Copy(next, in.Tags)
		if err := validateTags(next); err != nil {
			return err
		}
		fn.Tags = next
	default:
		for _, k := range q.r.URL.Query()["tagKeys"] {
			delete(fn.Tags, k)
		}
	}
	fn.Latest.RevisionID = newUUID()
	if err := s.saveLocked(); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

// invoke answers Invoke: it resolves the version, then hands the code to
// the Runtime.
func (s *Server) invoke(q request) error {
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

// fetchS3 reads a deployment package from Options.S3Endpoint.
func (s *Server) fetchS3(ctx context.Context, bucket, key, version string) ([]byte, error) {
	if s.opts.S3Endpoint == "" {
		return nil, invalidParam("Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error Message: no S3 endpoint is configured for this emulator")
	}
	cl := s3.New(s3.Options{
		Region:       s.opts.Region,
		BaseEndpoint: aws.String(s.opts.S3Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("lamb", "lamb", ""),
	})
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if version != "" {
		in.VersionId = aws.String(version)
	}
	out, err := cl.GetObject(ctx, in)
	if err != nil {
		code := "InternalError"
		var nsk *s3types.NoSuchKey
		var nsb *s3types.NoSuchBucket
		switch {
		case errors.As(err, &nsk):
			code = "NoSuchKey"
		case errors.As(err, &nsb):
			code = "NoSuchBucket"
		}
		return nil, invalidParam("Error occurred while GetObject. S3 Error Code: %s. S3 Error Message: %v", code, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(io.LimitReader(out.Body, maxUnzipped+1))
	if err != nil {
		return nil, invalidParam("Error occurred while GetObject: %v", err)
	}
	if len(b) > maxUnzipped {
		return nil, invalidParam("Unzipped size must be smaller than %d bytes", maxUnzipped)
	}
	return b, nil
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

func hostArchitecture() string {
	if runtime.GOARCH == "amd64" {
		return "x86_64"
	}
	return runtime.GOARCH
}

// archHint explains a start failure of code for another architecture.
func archHint(arch string) string {
	if host := hostArchitecture(); arch != "" && arch != host {
		return fmt.Sprintf("the function is built for %s and this machine runs %s: deploy code built for this machine, e.g. with lamb deploy --local", arch, host)
	}
	return ""
}
