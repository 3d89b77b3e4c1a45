package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lambctl/lamb/internal/lambdaspec"

	"github.com/lambctl/lamb/emulator/awsjson"
)

func (s *Server) arn(name string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", s.opts.Region, s.opts.AccountID, name)
}

func (s *Server) qarn(name, qual string) string {
	if qual == "" {
		return s.arn(name)
	}
	return s.arn(name) + ":" + qual
}

// parseName splits a FunctionName parameter (name, NAME:QUALIFIER, full or
// partial ARN) into the bare name and the qualifier it carries.
func (s *Server) parseName(in string) (name, qual string, err *apiError) {
	bad := validationErr(in, "functionName", "Member must satisfy regular expression pattern: "+functionNameRegex)
	parts := strings.Split(in, ":")
	switch {
	case strings.HasPrefix(in, "arn:"):
		if len(parts) < 7 || len(parts) > 8 || parts[2] != "lambda" || parts[5] != "function" {
			return "", "", bad
		}
		if parts[3] != s.opts.Region || parts[4] != s.opts.AccountID {
			return "", "", notFound(in)
		}
		parts = parts[6:]
	case len(parts) >= 3 && parts[1] == "function":
		if len(parts) > 4 {
			return "", "", bad
		}
		if parts[0] != s.opts.AccountID {
			return "", "", notFound(in)
		}
		parts = parts[2:]
	}
	if len(parts) > 2 || !reName.MatchString(parts[0]) {
		return "", "", bad
	}
	if len(parts) == 2 {
		if !reQualifier.MatchString(parts[1]) {
			return "", "", bad
		}
		qual = parts[1]
	}
	return parts[0], qual, nil
}

// target resolves the function of a request, and its qualifier from the
// name or the Qualifier query parameter. s.mu is held.
func (s *Server) targetLocked(q request) (*function, string, error) {
	return s.lookupLocked(q.function, q.r.URL.Query().Get("Qualifier"))
}

// lookupLocked resolves a FunctionName and a Qualifier parameter to the
// function and the qualifier to use. s.mu is held.
func (s *Server) lookupLocked(function, qualifier string) (*function, string, error) {
	name, qual, err := s.parseName(function)
	if err != nil {
		return nil, "", err
	}
	if p := qualifier; p != "" {
		if qual != "" && qual != p {
			return nil, "", invalidParam("The derived qualifier from the function name does not match the specified qualifier.")
		}
		if !reQualifier.MatchString(p) {
			return nil, "", validationErr(p, "qualifier", `Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)`)
		}
		qual = p
	}
	fn := s.st.Functions[name]
	if fn == nil {
		return nil, "", notFound(s.qarn(name, qual))
	}
	return fn, qual, nil
}

// resolveLocked finds the version a qualifier designates: "" and $LATEST,
// a version number, or an alias (its primary version).
func (s *Server) resolveLocked(fn *function, qual string) (*config, error) {
	if qual == "" {
		return fn.Latest, nil
	}
	if c := fn.version(qual); c != nil {
		return c, nil
	}
	if a := fn.Aliases[qual]; a != nil {
		if c := fn.version(a.FunctionVersion); c != nil {
			return c, nil
		}
	}
	return nil, notFound(s.qarn(fn.Name, qual))
}

// wire renders a version's configuration. invoked is the qualifier used to
// address it (an alias gives an alias ARN).
func (s *Server) wire(fn *function, c *config, qual string) wireConfig {
	arn := s.arn(fn.Name)
	if c.Version != "$LATEST" || qual != "" {
		if qual == "" {
			qual = c.Version
		}
		arn = s.qarn(fn.Name, qual)
	}
	w := wireConfig{
		FunctionName: fn.Name, FunctionArn: arn, Runtime: c.Runtime, Role: c.Role, Handler: c.Handler,
		CodeSize: c.CodeSize, Description: c.Description, Timeout: c.Timeout, MemorySize: c.MemorySize,
		LastModified: c.LastModified, CodeSha256: c.CodeSha256, Version: c.Version,
		TracingConfig: map[string]string{"Mode": "PassThrough"}, RevisionID: c.RevisionID,
		State: c.State, StateReason: c.StateReason, StateReasonCode: c.StateReasonCode,
		LastUpdateStatus: c.LastUpdateStatus, LastUpdateStatusReason: c.LastUpdateStatusReason,
		LastUpdateStatusReasonCode: c.LastUpdateStatusReasonCode,
		PackageType:                "Zip", Architectures: slices.Clone(c.Architectures),
		EphemeralStorage: map[string]int{"Size": 512},
		LoggingConfig:    map[string]string{"LogFormat": "Text", "LogGroup": "/aws/lambda/" + fn.Name},
	}
	if len(c.Environment) > 0 {
		w.Environment = &wireEnv{Variables: maps.Clone(c.Environment)}
	}
	return w
}

// listed drops the fields list operations leave out.
func listed(w wireConfig) wireConfig {
	w.State, w.StateReason, w.StateReasonCode = "", "", ""
	w.LastUpdateStatus, w.LastUpdateStatusReason, w.LastUpdateStatusReasonCode = "", "", ""
	return w
}

type createInput struct {
	FunctionName  string
	Runtime       string
	Role          string
	Handler       string
	Description   string
	Timeout       *int
	MemorySize    *int
	Publish       bool
	PackageType   string
	Code          *codeInput
	Environment   *wireEnv
	Architectures []string
	Tags          map[string]string
}

func (s *Server) createFunction(q request) error {
	var in createInput
	if err := readCodeBody(q, maxCreateBody, &in, func(zip []byte) {
		if in.Code == nil { // cannot be: the ZipFile was in it
			in.Code = &codeInput{}
		}
		in.Code.ZipFile = zip
	}, "Code"); err != nil {
		return err
	}
	name, qual, aerr := s.parseName(in.FunctionName)
	if aerr != nil {
		return aerr
	}
	*q.logName = name
	if qual != "" {
		return invalidParam("Unqualified function name expected, got %s", in.FunctionName)
	}
	if in.PackageType != "" && in.PackageType != "Zip" {
		return invalidParam("Container images are not supported by lamb's emulator; use a .zip file archive.")
	}
	c := &config{Version: "$LATEST", Runtime: in.Runtime, Role: in.Role, Handler: in.Handler,
		Description: in.Description, Timeout: 3, MemorySize: 128, Architectures: in.Architectures}
	if in.Timeout != nil {
		c.Timeout = *in.Timeout
	}
	if in.MemorySize != nil {
		c.MemorySize = *in.MemorySize
	}
	if len(c.Architectures) == 0 {
		c.Architectures = []string{lambdaspec.ArchX86_64}
	}
	if in.Environment != nil && len(in.Environment.Variables) > 0 {
		c.Environment = in.Environment.Variables
	}
	if err := firstErr(
		validateRole(c.Role), validateMemory(c.MemorySize), validateTimeout(c.Timeout),
		validateArchitectures(c.Architectures), validateDescription(c.Description), validateHandler(c.Handler),
	); err != nil {
		return err
	}
	if c.Runtime == "" || c.Handler == "" {
		return invalidParam("Runtime and Handler are mandatory parameters for functions created with deployment packages.")
	}
	if err := firstErr(validateRuntime(c.Runtime), validateEnv(c.Environment), validateTags(in.Tags)); err != nil {
		return err
	}
	if in.Code == nil {
		return invalidParam("Please provide a source for function code.")
	}
	zip, sha, err := s.loadCode(q.r.Context(), q.op, *in.Code)
	if err != nil {
		return err
	}
	defer s.releaseCode(hexOf(sha))
	c.CodeSha256, c.CodeSize = sha, int64(len(zip))
	c.LastModified = lastModified(time.Now())
	c.RevisionID = awsjson.NewUUID()
	c.State, c.StateReason, c.StateReasonCode = "Pending", "The function is being created.", "Creating"

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.Functions[name] != nil {
		return errf(http.StatusConflict, "ResourceConflictException", "Function already exist: %s", name)
	}
	if s.codeStorageLocked()+c.CodeSize > s.opts.CodeStorageLimit {
		return errf(http.StatusBadRequest, "CodeStorageExceededException", "Code storage limit exceeded.")
	}
	fn := &function{Name: name, Latest: c, NextVersion: 1}
	if len(in.Tags) > 0 {
		fn.Tags = maps.Clone(in.Tags)
	}
	s.st.Functions[name] = fn
	out := c
	if in.Publish {
		out = s.publishLocked(fn, "")
	}
	s.startTransitionLocked(fn, "create", q.op)
	if err := s.saveLocked(); err != nil {
		return err
	}
	writeJSON(q.w, http.StatusCreated, s.wire(fn, out, ""))
	return nil
}

func firstErr(errs ...*apiError) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// startTransitionLocked puts $LATEST in Pending or InProgress and arms the
// timer that completes it. Faults may fail or slow it.
func (s *Server) startTransitionLocked(fn *function, kind, op string) {
	f := s.takeFaultLocked(op, fn.Name, func(f *Fault) bool { return f.Status == 0 && !f.Drop && (f.FailTransition || f.Delay > 0) })
	delay, fail := s.opts.TransitionDelay, false
	if f != nil {
		if f.Delay > 0 {
			delay = f.Delay
		}
		fail = f.FailTransition
	}
	s.seq++
	fn.Transition = &transition{Seq: s.seq, Due: time.Now().Add(delay), Fail: fail, Kind: kind}
	if kind == "update" {
		c := fn.Latest
		c.LastUpdateStatus = "InProgress"
		c.LastUpdateStatusReason = "The function is being updated."
		c.LastUpdateStatusReasonCode = ""
	}
	s.armTransition(fn)
}

func (s *Server) armTransition(fn *function) {
	t := fn.Transition
	name, seq := fn.Name, t.Seq
	s.seq = max(s.seq, seq)
	if old := s.timers[name]; old != nil {
		old.Stop()
	}
	s.timers[name] = time.AfterFunc(max(time.Until(t.Due), 0), func() { s.completeTransition(name, seq) })
}

func (s *Server) completeTransition(name string, seq int) {
	defer func() { // after the unlock: the change is written outside s.mu
		if err := s.persist(); err != nil {
			s.log.Error("persist transition", "function", name, "err", err)
		}
	}()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	fn := s.st.Functions[name]
	if fn == nil || fn.Transition == nil || fn.Transition.Seq != seq {
		return
	}
	t := fn.Transition
	fn.Transition = nil
	delete(s.timers, name)
	c := fn.Latest
	c.RevisionID = awsjson.NewUUID()
	switch {
	case t.Kind == "create" && t.Fail:
		c.State, c.StateReason, c.StateReasonCode = "Failed", "The function could not be created (injected fault).", "InternalError"
		c.LastUpdateStatus, c.LastUpdateStatusReason, c.LastUpdateStatusReasonCode = "Failed", "The function could not be created (injected fault).", "InternalError"
	case t.Kind == "create":
		c.State, c.StateReason, c.StateReasonCode = "Active", "", ""
		c.LastUpdateStatus, c.LastUpdateStatusReason, c.LastUpdateStatusReasonCode = "Successful", "", ""
	case t.Fail:
		c.LastUpdateStatus, c.LastUpdateStatusReason, c.LastUpdateStatusReasonCode = "Failed", "The function could not be updated (injected fault).", "InternalError"
	default:
		c.LastUpdateStatus, c.LastUpdateStatusReason, c.LastUpdateStatusReasonCode = "Successful", "", ""
	}
	s.saveLocked() // fails only when closed, which returned above
}

// getFunction answers GetFunction: the configuration, where to download
// the code, and the tags.
func (s *Server) getFunction(q request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn, c, cfg, err := s.getLocked(q)
	if err != nil {
		return err
	}
	out := map[string]any{
		"Configuration": cfg,
		// The Host was checked (policy.go): it names this server.
		"Code": map[string]string{"RepositoryType": "S3", "Location": "http://" + q.r.Host + "/_lamb/code/" + c.codeHex()},
	}
	if len(fn.Tags) > 0 {
		out["Tags"] = maps.Clone(fn.Tags)
	}
	writeJSON(q.w, http.StatusOK, out)
	return nil
}

func (s *Server) getFunctionConfiguration(q request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _, cfg, err := s.getLocked(q)
	if err != nil {
		return err
	}
	writeJSON(q.w, http.StatusOK, cfg)
	return nil
}

// getLocked resolves the function and version a Get addresses.
func (s *Server) getLocked(q request) (*function, *config, wireConfig, error) {
	fn, qual, err := s.targetLocked(q)
	if err != nil {
		return nil, nil, wireConfig{}, err
	}
	c, err := s.resolveLocked(fn, qual)
	if err != nil {
		return nil, nil, wireConfig{}, err
	}
	return fn, c, s.wire(fn, c, qual), nil
}

// page applies Marker (an index) and MaxItems to n items.
func page(q request, n int) (start, end int, next string, err error) {
	max := 50
	if m := q.r.URL.Query().Get("MaxItems"); m != "" {
		v, perr := strconv.Atoi(m)
		if perr != nil || v < 1 || v > 10000 {
			return 0, 0, "", validationErr(m, "maxItems", "Member must have value greater than or equal to 1")
		}
		max = min(v, 50)
	}
	if m := q.r.URL.Query().Get("Marker"); m != "" {
		v, perr := strconv.Atoi(m)
		if perr != nil || v < 0 || v > n {
			return 0, 0, "", invalidParam("Invalid marker: %s", m)
		}
		start = v
	}
	end = min(start+max, n)
	if end < n {
		next = strconv.Itoa(end)
	}
	return start, end, next, nil
}

// writePage answers a List call: the page of items that Marker and MaxItems
// select, under key, with NextMarker while more remain. The page is a copy,
// so an empty list is written as [] and never as null.
func writePage[T any](q request, key string, items []T) error {
	start, end, next, err := page(q, len(items))
	if err != nil {
		return err
	}
	out := map[string]any{key: append([]T{}, items[start:end]...)}
	if next != "" {
		out["NextMarker"] = next
	}
	writeJSON(q.w, http.StatusOK, out)
	return nil
}

func (s *Server) listFunctions(q request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := q.r.URL.Query().Get("FunctionVersion") == "ALL"
	var items []wireConfig
	for _, name := range slices.Sorted(maps.Keys(s.st.Functions)) {
		fn := s.st.Functions[name]
		items = append(items, listed(s.wire(fn, fn.Latest, "")))
		if all {
			for _, v := range fn.Versions {
				items = append(items, listed(s.wire(fn, v, "")))
			}
		}
	}
	return writePage(q, "Functions", items)
}

func (s *Server) deleteFunction(q request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn, qual, err := s.targetLocked(q)
	if err != nil {
		return err
	}
	switch {
	case qual == "":
		delete(s.st.Functions, fn.Name)
		if t := s.timers[fn.Name]; t != nil {
			t.Stop()
			delete(s.timers, fn.Name)
		}
		s.retireLocked(fn.Name, nil)
	case qual == "$LATEST":
		return invalidParam("$LATEST version cannot be deleted without deleting the function.")
	case fn.Aliases[qual] != nil:
		return invalidParam("Deletion of aliases is not supported by DeleteFunction; use DeleteAlias.")
	default:
		i := slices.IndexFunc(fn.Versions, func(c *config) bool { return c.Version == qual })
		if i < 0 {
			return notFound(s.qarn(fn.Name, qual))
		}
		var refs []string
		for _, n := range slices.Sorted(maps.Keys(fn.Aliases)) {
			a := fn.Aliases[n]
			if _, ok := a.Weights[qual]; ok || a.FunctionVersion == qual {
				refs = append(refs, n)
			}
		}
		if len(refs) > 0 {
			return errf(http.StatusConflict, "ResourceConflictException", "Unable to delete version because the following aliases reference it: [%s]", strings.Join(refs, ", "))
		}
		fn.Versions = slices.Delete(fn.Versions, i, i+1)
		s.retireLocked(fn.Name, fn)
	}
	s.gcCodeLocked()
	if err := s.saveLocked(); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

// updatableLocked resolves the request's function and qualifier and applies
// checkUpdatableLocked: the target of every update and publish.
func (s *Server) updatableLocked(q request, revision string) (*function, error) {
	fn, qual, err := s.targetLocked(q)
	if err != nil {
		return nil, err
	}
	if err := s.checkUpdatableLocked(fn, qual, revision); err != nil {
		return nil, err
	}
	return fn, nil
}

// checkUpdatableLocked applies the checks every update and publish share:
// the revision precondition, then the transition in progress.
func (s *Server) checkUpdatableLocked(fn *function, qual, revision string) error {
	if qual != "" && qual != "$LATEST" {
		return invalidParam("Updating a published version or an alias is not supported: %s", s.qarn(fn.Name, qual))
	}
	if revision != "" && revision != fn.Latest.RevisionID {
		return preconditionFailed()
	}
	if fn.Latest.State == "Failed" {
		return conflictState("Failed")
	}
	if err := fn.Latest.busy(s.arn(fn.Name)); err != nil {
		return err
	}
	return nil
}

func (s *Server) finishUpdateLocked(q request, fn *function, publish bool) error {
	c := fn.Latest
	c.LastModified = lastModified(time.Now())
	c.RevisionID = awsjson.NewUUID()
	s.retireLocked(fn.Name, fn)
	s.startTransitionLocked(fn, "update", q.op)
	out := c
	if publish {
		out = s.publishLocked(fn, "")
	}
	s.gcCodeLocked()
	if err := s.saveLocked(); err != nil {
		return err
	}
	writeJSON(q.w, http.StatusOK, s.wire(fn, out, ""))
	return nil
}

type updateConfigInput struct {
	Role        *string
	Handler     *string
	Description *string
	Timeout     *int
	MemorySize  *int
	Runtime     *string
	Environment *wireEnv
	RevisionId  string
}

func (s *Server) updateConfiguration(q request) error {
	var in updateConfigInput
	if err := readBody(q, 1<<20, &in); err != nil {
		return err
	}
	var errs []*apiError
	if in.Role != nil {
		errs = append(errs, validateRole(*in.Role))
	}
	if in.MemorySize != nil {
		errs = append(errs, validateMemory(*in.MemorySize))
	}
	if in.Timeout != nil {
		errs = append(errs, validateTimeout(*in.Timeout))
	}
	if in.Description != nil {
		errs = append(errs, validateDescription(*in.Description))
	}
	if in.Handler != nil {
		errs = append(errs, validateHandler(*in.Handler))
	}
	if in.Runtime != nil {
		errs = append(errs, validateRuntime(*in.Runtime))
	}
	if in.Environment != nil {
		errs = append(errs, validateEnv(in.Environment.Variables))
	}
	if err := firstErr(errs...); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fn, err := s.updatableLocked(q, in.RevisionId)
	if err != nil {
		return err
	}
	c := fn.Latest
	set(&c.Role, in.Role)
	set(&c.Handler, in.Handler)
	set(&c.Description, in.Description)
	set(&c.Timeout, in.Timeout)
	set(&c.MemorySize, in.MemorySize)
	set(&c.Runtime, in.Runtime)
	if in.Environment != nil {
		c.Environment = nil
		if len(in.Environment.Variables) > 0 {
			c.Environment = maps.Clone(in.Environment.Variables)
		}
	}
	return s.finishUpdateLocked(q, fn, false)
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// readBody reads a JSON request body bounded to limit bytes into v.
func readBody(q request, limit int64, v any) error {
	b, err := readRaw(q, limit)
	if err != nil {
		return err
	}
	return decodeBody(b, v)
}

// readCodeBody is readBody of a request that may carry a deployment
// package inline, in the ZipFile member of the object at path (none: the
// top level): set receives the package after the rest of the body is
// decoded into v, when cutZipFile could take it out; otherwise
// encoding/json decodes it with the rest.
func readCodeBody(q request, limit int64, v any, set func([]byte), path ...string) error {
	b, err := readRaw(q, limit)
	if err != nil {
		return err
	}
	rest, zip, ok := cutZipFile(b, path...)
	if !ok {
		return decodeBody(b, v)
	}
	if err := decodeBody(rest, v); err != nil {
		return err
	}
	set(zip)
	return nil
}

// readRaw reads a request's JSON body, at most limit bytes; an empty body
// is {}.
func readRaw(q request, limit int64) ([]byte, error) {
	if q.r.ContentLength > limit {
		return nil, tooLarge(limit, q.op)
	}
	b, err := readAll(http.MaxBytesReader(q.w, q.r.Body, limit), q.r.ContentLength)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, tooLarge(limit, q.op)
	}
	if err != nil {
		return nil, invalidParam("read request: %v", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		b = []byte("{}")
	}
	// Reject an oversized ZipFile before decoding tens of megabytes of JSON.
	if i := bytes.Index(b, []byte(`"ZipFile":"`)); i >= 0 {
		rest := b[i+len(`"ZipFile":"`):]
		if n := bytes.IndexByte(rest, '"'); n > 0 && n/4*3-2 > maxZipFile {
			return nil, tooLarge(maxZipFile, q.op)
		}
	}
	return b, nil
}

func decodeBody(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return errf(http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json: %v", err)
	}
	return nil
}

// readAll reads r into a buffer sized by the request's Content-Length.
func readAll(r io.Reader, size int64) ([]byte, error) {
	if size <= 0 {
		return io.ReadAll(r)
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}
