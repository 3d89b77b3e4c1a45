package rapi

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lambctl/lamb/emulator/awsjson"
)

// Defaults applied to an InvokeRequest's zero fields, as on AWS.
const (
	defaultHandler = "bootstrap"
	defaultMemory  = 128
	defaultTimeout = 3 * time.Second
	// initTimeout bounds the init phase (bootstrap start to its first
	// /next), like AWS's 10 s init limit for on-demand functions.
	initTimeout = 10 * time.Second
)

// Runner runs function environments and routes invokes to them. It is safe
// for concurrent use.
type Runner struct {
	opts    RunnerOptions
	workDir string
	ownDir  bool
	log     *slog.Logger

	mu     sync.Mutex
	closed bool
	idle   map[string][]*environment // by environment key, most recently used last
	all    map[*environment]struct{}
	code   map[string]*code // extracted packages by code identity
	bg     sync.WaitGroup   // shutdowns of retired environments

	testHookReaped func() // called after an idle environment was reaped
}

// NewRunner returns a Runner. Close it to kill every process it started.
func NewRunner(opts RunnerOptions) (*Runner, error) {
	r := &Runner{
		opts: opts,
		idle: map[string][]*environment{},
		all:  map[*environment]struct{}{},
		code: map[string]*code{},
		log:  opts.Logger,
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.opts.MaxUnzipped <= 0 {
		r.opts.MaxUnzipped = DefaultMaxUnzipped
	}
	if r.opts.IdleTimeout == 0 {
		r.opts.IdleTimeout = DefaultIdleTimeout
	}
	if r.opts.PATH == "" {
		r.opts.PATH = os.Getenv("PATH")
	}
	if opts.WorkDir == "" {
		d, err := os.MkdirTemp("", "lamb-rapi-")
		if err != nil {
			return nil, fmt.Errorf("runner work dir: %w", err)
		}
		r.workDir, r.ownDir = d, true
	} else {
		// Absolute: the code dir is both the bootstrap's path and its cwd.
		d, err := filepath.Abs(opts.WorkDir)
		if err != nil {
			return nil, fmt.Errorf("runner work dir: %w", err)
		}
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("runner work dir: %w", err)
		}
		r.workDir = d
	}
	return r, nil
}

// ErrClosed is returned by Invoke after Close.
var ErrClosed = errors.New("runner closed")

// Invoke runs req in a warm environment if one is idle, else in a new one
// (a cold start). One invoke runs at a time per environment; concurrent
// invokes of the same function start more environments, as AWS scales out.
//
// A function error, panic, timeout or crash is reported in the result with
// FunctionError "Unhandled"; the error return is for failures to run the
// function at all (unreadable package, closed runner, cancelled ctx).
func (r *Runner) Invoke(ctx context.Context, req InvokeRequest) (*InvokeResult, error) {
	req = withDefaults(req)
	key := envKey(req)
	id := req.RequestID
	if id == "" {
		id = awsjson.NewUUID()
	}

	for attempt := 0; ; attempt++ {
		res, err := r.invokeOnce(ctx, key, id, req)
		if errors.Is(err, errEnvLost) && attempt < 3 {
			continue // a warm environment died idle; take another or start one
		}
		if errors.Is(err, errEnvLost) {
			err = fmt.Errorf("invoke %s: %w", req.FunctionName, err)
		}
		return res, err
	}
}

func (r *Runner) invokeOnce(ctx context.Context, key, id string, req InvokeRequest) (*InvokeResult, error) {
	e, cold, err := r.acquire(key, req)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", req.FunctionName, err)
	}
	// The environment's log lines go to req.Logs until it is released.
	e.setSink(req.Logs, id)
	res := &InvokeResult{RequestID: id, ColdStart: cold}
	if cold {
		f, err := e.start(ctx, req, id)
		if err != nil {
			e.clearSink()
			r.discard(e)
			return nil, fmt.Errorf("invoke %s: %w", req.FunctionName, err)
		}
		if f != nil {
			// The runtime failed its init: report it as AWS does.
			e.appendLog(fmt.Appendf(nil, "START RequestId: %s Version: %s\n", id, req.Version))
			e.appendLog([]byte(f.log))
			r.discard(e)
			res.InitDuration = f.initDuration
			res.FunctionError = "Unhandled"
			res.Payload = f.payload
			res.TimedOut = failureType(f.payload) == "Sandbox.Timedout"
			res.Logs = e.takeLogs()
			stream := e.clearSink()
			r.finish(res, req, e, stream, "error", failureType(f.payload))
			return res, nil
		}
		res.InitDuration = e.initDuration
	}
	out, err := e.invoke(ctx, req, id)
	if err != nil {
		e.clearSink()
		r.discard(e)
		if errors.Is(err, errEnvLost) {
			e.takeLogs()
			return nil, err
		}
		return nil, fmt.Errorf("invoke %s: %w", req.FunctionName, err)
	}
	res.Duration = out.duration
	res.MaxMemoryMB = out.maxMemMB
	res.Payload = out.payload
	res.TimedOut = out.status == "timeout"
	if out.isError {
		res.FunctionError = "Unhandled"
	}
	res.Logs = e.takeLogs()
	stream := e.clearSink()
	if out.fatal {
		// Timeout, crash or oversized response: the environment is gone
		// and the next invoke is a cold start.
		r.discard(e)
	} else {
		e.finishInvoke()
	}
	r.finish(res, req, e, stream, out.status, out.errorType)
	return res, nil
}

// finish writes the END and REPORT lines (to the logs and to req.Logs)
// and the billed duration.
func (r *Runner) finish(res *InvokeResult, req InvokeRequest, e *environment, stream, status, errorType string) {
	res.BilledDuration = res.Duration.Truncate(time.Millisecond)
	if res.BilledDuration < res.Duration || res.BilledDuration == 0 {
		res.BilledDuration += time.Millisecond
	}
	var b strings.Builder
	fmt.Fprintf(&b, "END RequestId: %s\n", res.RequestID)
	fmt.Fprintf(&b, "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB",
		res.RequestID, ms(res.Duration), res.BilledDuration.Milliseconds(), req.MemoryMB, res.MaxMemoryMB)
	if res.ColdStart {
		fmt.Fprintf(&b, "\tInit Duration: %.2f ms", ms(res.InitDuration))
	}
	// Lambda adds the status when the environment failed.
	if status != "" {
		fmt.Fprintf(&b, "\tStatus: %s", status)
	}
	if errorType != "" {
		fmt.Fprintf(&b, "\tError Type: %s", errorType)
	}
	b.WriteString("\n")
	res.Logs = append(res.Logs, b.String()...)
	if req.Logs != nil {
		now := time.Now()
		for line := range strings.Lines(b.String()) {
			req.Logs(LogLine{RequestID: res.RequestID, Stream: stream, Time: now, Line: []byte(strings.TrimSuffix(line, "\n"))})
		}
	}
	r.log.Debug("invoke", "function", req.FunctionName, "version", req.Version, "requestId", res.RequestID,
		"cold", res.ColdStart, "error", res.FunctionError, "duration", res.Duration, "pid", e.pid)
}

// failureType is the errorType of an error payload.
func failureType(payload []byte) string {
	var p struct {
		Type string `json:"errorType"`
	}
	json.Unmarshal(payload, &p)
	return p.Type
}

func ms(d time.Duration) float64 { return math.Round(float64(d.Microseconds())/10) / 100 }

// acquire returns an idle environment for key, or a new one not yet started.
func (r *Runner) acquire(key string, req InvokeRequest) (*environment, bool, error) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, false, ErrClosed
	}
	if pool := r.idle[key]; len(pool) > 0 {
		e := pool[len(pool)-1]
		r.idle[key] = pool[:len(pool)-1]
		if len(r.idle[key]) == 0 {
			delete(r.idle, key)
		}
		if e.idleTimer != nil {
			e.idleTimer.Stop()
			e.idleTimer = nil
		}
		e.mu.Lock()
		e.busy = true
		e.mu.Unlock()
		r.mu.Unlock()
		return e, false, nil
	}
	e := newEnvironment(r, key, req.FunctionName)
	r.all[e] = struct{}{}
	r.mu.Unlock()

	c, err := r.codeFor(req)
	if err != nil {
		r.discard(e)
		return nil, false, err
	}
	e.code = c
	e.dir = c.dir
	return e, true, nil
}

// code is one extracted deployment package, shared by the environments
// running it (the code directory is read-only on Lambda too).
type code struct {
	key  string
	once sync.Once
	dir  string
	err  error
	refs int // environments using it; guarded by Runner.mu
}

// codeFor extracts req's package once per code identity and returns it
// with a reference held; releaseCode drops the reference, and the last one
// removes the directory.
func (r *Runner) codeFor(req InvokeRequest) (*code, error) {
	key := req.CodeSha256
	if st, err := os.Stat(req.ZipPath); err == nil {
		key += fmt.Sprintf("|%s|%d|%d", req.ZipPath, st.Size(), st.ModTime().UnixNano())
	}
	r.mu.Lock()
	c := r.code[key]
	if c == nil {
		c = &code{key: key}
		r.code[key] = c
	}
	c.refs++
	r.mu.Unlock()
	c.once.Do(func() {
		root, err := os.MkdirTemp(r.workDir, safeName(req.FunctionName)+"-")
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err // the work directory is the host's business
			}
			c.err = fmt.Errorf("code dir: %w", err)
			return
		}
		c.dir = filepath.Join(root, "task")
		if c.err = extractZip(req.ZipPath, c.dir, r.opts.MaxUnzipped, "the deployment package"); c.err != nil {
			os.RemoveAll(root)
		}
	})
	if c.err != nil {
		r.releaseCode(c)
		return nil, c.err
	}
	return c, nil
}

func (r *Runner) releaseCode(c *code) {
	r.mu.Lock()
	c.refs--
	last := c.refs == 0 && r.code[c.key] == c
	if last {
		delete(r.code, c.key)
	}
	r.mu.Unlock()
	if last && c.dir != "" {
		os.RemoveAll(filepath.Dir(c.dir))
	}
}

// release puts e back into the idle pool: its runtime is waiting on /next.
// A retired environment is shut down instead.
func (r *Runner) release(e *environment) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e.retired && !r.closed {
		r.bg.Go(func() { r.discard(e) })
		return
	}
	if r.closed || e.isDead() {
		return
	}
	r.idle[e.key] = append(r.idle[e.key], e)
	if r.opts.IdleTimeout > 0 {
		e.idleTimer = time.AfterFunc(r.opts.IdleTimeout, func() { r.reap(e) })
	}
}

// Retire shuts down the environments of function that run none of
// current — the function's versions as they are now, with their code and
// configuration (the requests Invoke would get): idle ones at once, busy
// ones when their invocation ends, so running invocations finish on the
// code they started with and the next ones start on the current code.
// Without current, every environment of function goes (it was deleted).
// It does not wait for the processes to exit; Close does.
func (r *Runner) Retire(function string, current ...InvokeRequest) {
	keep := map[string]bool{}
	for _, req := range current {
		keep[envKey(withDefaults(req))] = true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	for e := range r.all {
		if e.fn != function || keep[e.key] || e.retired {
			continue
		}
		e.retired = true
		pool := r.idle[e.key]
		i := slices.Index(pool, e)
		if i < 0 {
			continue // busy: release retires it
		}
		r.idle[e.key] = slices.Delete(pool, i, i+1)
		if len(r.idle[e.key]) == 0 {
			delete(r.idle, e.key)
		}
		if e.idleTimer != nil {
			e.idleTimer.Stop()
			e.idleTimer = nil
		}
		r.log.Debug("retiring environment", "function", function, "key", e.key, "pid", e.pid)
		r.bg.Go(func() { r.discard(e) })
	}
}

// reap discards e if it is still idle.
func (r *Runner) reap(e *environment) {
	r.mu.Lock()
	pool := r.idle[e.key]
	i := slices.Index(pool, e)
	if i < 0 {
		r.mu.Unlock()
		return
	}
	r.idle[e.key] = slices.Delete(pool, i, i+1)
	if len(r.idle[e.key]) == 0 {
		delete(r.idle, e.key)
	}
	r.mu.Unlock()
	r.log.Debug("reaping idle environment", "key", e.key, "pid", e.pid)
	r.discard(e)
	if r.testHookReaped != nil {
		r.testHookReaped()
	}
}

// discard kills e, waits for it and removes its code.
func (r *Runner) discard(e *environment) {
	r.mu.Lock()
	if pool := r.idle[e.key]; len(pool) > 0 {
		if i := slices.Index(pool, e); i >= 0 {
			r.idle[e.key] = slices.Delete(pool, i, i+1)
			if len(r.idle[e.key]) == 0 {
				delete(r.idle, e.key)
			}
		}
	}
	_, owned := r.all[e]
	delete(r.all, e)
	r.mu.Unlock()
	e.shutdown()
	if owned && e.code != nil {
		r.releaseCode(e.code)
	}
}

// Close kills every process and removes extracted code. Invokes in flight
// fail or report a crash.
func (r *Runner) Close() error {
	r.mu.Lock()
	r.closed = true
	for _, pool := range r.idle {
		for _, e := range pool {
			if e.idleTimer != nil {
				e.idleTimer.Stop()
			}
		}
	}
	envs := make([]*environment, 0, len(r.all))
	for e := range r.all {
		envs = append(envs, e)
	}
	r.all = map[*environment]struct{}{}
	r.idle = map[string][]*environment{}
	codes := r.code
	r.code = map[string]*code{}
	r.mu.Unlock()
	var wg sync.WaitGroup
	for _, e := range envs {
		wg.Go(e.shutdown)
	}
	wg.Wait()
	r.bg.Wait()
	var errs []error
	for _, c := range codes {
		if c.dir != "" {
			if err := os.RemoveAll(filepath.Dir(c.dir)); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if r.ownDir {
		if err := os.RemoveAll(r.workDir); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close runner: %w", err)
	}
	return nil
}

func withDefaults(req InvokeRequest) InvokeRequest {
	if req.Handler == "" {
		req.Handler = defaultHandler
	}
	if req.MemoryMB <= 0 {
		req.MemoryMB = defaultMemory
	}
	if req.Timeout <= 0 {
		req.Timeout = defaultTimeout
	}
	if req.Region == "" {
		req.Region = awsjson.DefaultRegion
	}
	if req.Version == "" {
		req.Version = "$LATEST"
	}
	if req.FunctionArn == "" {
		req.FunctionArn = fmt.Sprintf("arn:aws:lambda:%s:000000000000:function:%s", req.Region, req.FunctionName)
	}
	return req
}

// envKey identifies interchangeable environments: same function, version,
// code and configuration.
func envKey(req InvokeRequest) string {
	h := sha256.New()
	cfg := struct {
		Name, Version, Code, Handler, Region string
		Memory                               int
		Timeout                              time.Duration
		Env                                  map[string]string // json sorts keys
	}{req.FunctionName, req.Version, req.CodeSha256, req.Handler, req.Region, req.MemoryMB, req.Timeout, req.Environment}
	_ = json.NewEncoder(h).Encode(cfg)
	if req.CodeSha256 == "" {
		// Without a code identity, the package path stands in for it.
		io.WriteString(h, req.ZipPath)
	}
	return req.FunctionName + ":" + req.Version + ":" + hex.EncodeToString(h.Sum(nil))[:16]
}

func randomHex(n int) string {
	b := make([]byte, n/2)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func safeName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
	if len(s) > 64 {
		s = s[:64]
	}
	if s == "" {
		s = "fn"
	}
	return s
}
