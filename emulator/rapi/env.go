package rapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lambctl/lamb/emulator/logs"
)

// Runtime API headers (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html).
const (
	hdrRequestID     = "Lambda-Runtime-Aws-Request-Id"
	hdrDeadline      = "Lambda-Runtime-Deadline-Ms"
	hdrFunctionArn   = "Lambda-Runtime-Invoked-Function-Arn"
	hdrTraceID       = "Lambda-Runtime-Trace-Id"
	hdrClientContext = "Lambda-Runtime-Client-Context"
	hdrErrorType     = "Lambda-Runtime-Function-Error-Type"
	hdrErrorBody     = "Lambda-Runtime-Function-Error-Body" // trailer, base64
)

// maxLogBytes bounds the logs kept for one invoke.
const maxLogBytes = 8 << 20

// logSyncMarker is written by the runner into the function's output pipe:
// pipes are FIFO, so once the reader sees it, every byte the function wrote
// before the runner wrote the marker has been read.
var logSyncMarker = []byte("\x00lamb-rapi-log-sync\x00")

// environment is one execution environment: extracted code, a Runtime API
// server and the bootstrap process polling it.
type environment struct {
	r    *Runner
	key  string
	fn   string // the function's name
	dir  string // LAMBDA_TASK_ROOT, shared by environments of the same code
	code *code  // the extracted package, released on discard

	cmd          *exec.Cmd
	pid          int
	addr         string // the Runtime API's address: AWS_LAMBDA_RUNTIME_API
	srv          *http.Server
	serveDone    chan struct{}
	initDuration time.Duration
	idleTimer    *time.Timer // guarded by r.mu
	retired      bool        // guarded by r.mu: shut down when released
	stream       string      // the log stream name, set before logs flow

	nextCh    chan *invocation // hands an event to the runtime's /next
	backCh    chan struct{}    // the runtime called /next again after an invoke
	readyCh   chan struct{}    // first /next: init is done
	initErrCh chan []byte      // POST /runtime/init/error body
	exited    chan struct{}    // closed when the process has exited
	exitErr   error            // set before exited is closed
	dead      chan struct{}    // closed by shutdown
	once      sync.Once

	mu      sync.Mutex
	started bool // the runtime called /next once
	busy    bool // an Invoke owns the environment
	gone    bool // the process has exited
	cur     *invocation

	logMu    sync.Mutex
	logBuf   []byte
	logTrunc bool
	sink     func(LogLine) // guarded by logMu: the current invocation's Logs
	sinkID   string        // its request ID
	carry    []byte        // a partial line not yet given to sink
	logR     *os.File
	logWMu   sync.Mutex
	logW     *os.File // the runner's copy of the write end, for sync markers
	syncCh   chan struct{}
	logDone  chan struct{}
}

type invocation struct {
	id            string
	payload       []byte
	deadline      time.Time
	arn           string
	clientContext string
	traceID       string
	delivered     bool         // guarded by environment.mu
	answered      bool         // guarded by environment.mu
	done          chan outcome // buffered 1
}

type outcome struct {
	payload  []byte
	isError  bool
	fatal    bool // the environment cannot be reused
	duration time.Duration
	maxMemMB int
	// status is what the REPORT line adds after a failure of the
	// environment: "timeout", or "error" with errorType.
	status, errorType string
}

// errEnvLost: a warm environment exited before it took the event.
var errEnvLost = errors.New("environment exited before the invoke")

// failure is an init-phase failure reported as an invoke result.
type failure struct {
	payload      []byte
	log          string
	initDuration time.Duration
}

func newEnvironment(r *Runner, key, fn string) *environment {
	return &environment{
		r: r, key: key, fn: fn, busy: true,
		nextCh:    make(chan *invocation),
		backCh:    make(chan struct{}, 1),
		readyCh:   make(chan struct{}, 1),
		initErrCh: make(chan []byte, 1),
		exited:    make(chan struct{}),
		dead:      make(chan struct{}),
		syncCh:    make(chan struct{}, 1),
		logDone:   make(chan struct{}),
	}
}

func (e *environment) isDead() bool {
	select {
	case <-e.dead:
		return true
	default:
		return false
	}
}

// errorPayload renders an error the way Lambda's service reports it.
func errorPayload(errType, msg string) []byte {
	b, _ := json.Marshal(struct {
		Type    string `json:"errorType"`
		Message string `json:"errorMessage"`
	}{errType, msg})
	return b
}

// start runs the bootstrap and waits for its first /next. A non-nil failure
// means the function failed to initialise (a result, not an error).
func (e *environment) start(ctx context.Context, req InvokeRequest, id string) (*failure, error) {
	bootstrap := filepath.Join(e.dir, "bootstrap")
	if st, err := os.Stat(bootstrap); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		msg := fmt.Sprintf("RequestId: %s Error: Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]", id)
		return &failure{payload: errorPayload("Runtime.InvalidEntrypoint", msg), log: msg + "\nRuntime.InvalidEntrypoint\n"}, nil
	}
	t0, f, err := e.launch(req, id, bootstrap)
	if f != nil || err != nil {
		return f, err
	}
	return e.awaitInit(ctx, id, t0)
}

// launch starts the Runtime API server, the log reader and the bootstrap.
// Everything started here is stopped by shutdown; e.mu orders the two, so
// a Close racing with a cold start never leaves a process behind.
func (e *environment) launch(req InvokeRequest, id, bootstrap string) (time.Time, *failure, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.isDead() {
		return time.Time{}, nil, ErrClosed
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return time.Time{}, nil, fmt.Errorf("runtime api listener: %w", err)
	}
	e.addr = ln.Addr().String()
	e.srv = &http.Server{Handler: e.handler(), ReadHeaderTimeout: 10 * time.Second}
	e.serveDone = make(chan struct{})
	go func() {
		defer close(e.serveDone)
		e.srv.Serve(ln)
	}()

	e.logR, e.logW, err = os.Pipe()
	if err != nil {
		return time.Time{}, nil, fmt.Errorf("log pipe: %w", err)
	}
	e.stream = logs.StreamName(time.Now(), req.Version)
	go e.readLogs()

	cmd := exec.Command(bootstrap)
	cmd.Dir = e.dir
	cmd.Env = e.environ(req, e.addr)
	cmd.Stdout = e.logW
	cmd.Stderr = e.logW
	cmd.SysProcAttr = sysProcAttr()
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		e.closeLogW()
		// AWS reports a bootstrap that cannot be executed (wrong
		// architecture, say) as an invalid entrypoint.
		msg := fmt.Sprintf("RequestId: %s Error: fork/exec /var/task/bootstrap: %s", id, errors.Unwrap(err))
		if errors.Unwrap(err) == nil {
			msg = fmt.Sprintf("RequestId: %s Error: %v", id, err)
		}
		log := msg + "\nRuntime.InvalidEntrypoint\n"
		if errors.Is(err, syscall.ENOEXEC) {
			log += fmt.Sprintf("lamb: bootstrap cannot run on this machine (%s/%s): build the function for this machine's architecture (lamb deploy --local does)\n", runtime.GOOS, runtime.GOARCH)
		}
		return time.Time{}, &failure{payload: errorPayload("Runtime.InvalidEntrypoint", msg), log: log}, nil
	}
	e.cmd, e.pid = cmd, cmd.Process.Pid
	go func() {
		err := cmd.Wait()
		e.exitErr = err
		close(e.exited)
		e.closeLogW()
		e.mu.Lock()
		e.gone = true
		idle := !e.busy
		e.mu.Unlock()
		if idle {
			e.r.discard(e) // exited between invokes
		}
	}()
	return t0, nil, nil
}

// awaitInit waits for the runtime's first /next: the end of its init.
func (e *environment) awaitInit(ctx context.Context, id string, t0 time.Time) (*failure, error) {
	timer := time.NewTimer(initTimeout)
	defer timer.Stop()
	select {
	case <-e.readyCh:
		e.initDuration = time.Since(t0)
		e.syncLogs() // init output goes before START
		return nil, nil
	case body := <-e.initErrCh:
		d := time.Since(t0)
		e.kill()
		e.waitLogs()
		return &failure{payload: body, initDuration: d, log: fmt.Sprintf("RequestId: %s Error: init failed\n", id)}, nil
	case <-e.exited:
		d := time.Since(t0)
		e.waitLogs()
		select {
		case body := <-e.initErrCh:
			return &failure{payload: body, initDuration: d}, nil
		default:
		}
		msg := fmt.Sprintf("RequestId: %s Error: %s", id, exitReason(e.exitErr))
		return &failure{payload: errorPayload("Runtime.ExitError", msg), initDuration: d, log: msg + "\nRuntime.ExitError\n"}, nil
	case <-timer.C:
		d := time.Since(t0)
		e.kill()
		e.waitLogs()
		msg := fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", id, initTimeout.Seconds())
		return &failure{payload: errorPayload("Sandbox.Timedout", msg), initDuration: d,
			log: fmt.Sprintf("%s %s Task timed out after %.2f seconds\n", timestamp(), id, initTimeout.Seconds())}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func exitReason(err error) string {
	if err == nil {
		return "Runtime exited without providing a reason"
	}
	return "Runtime exited with error: " + err.Error()
}

func timestamp() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000Z") }

// environ is the bootstrap's environment: minimal, not the host's.
func (e *environment) environ(req InvokeRequest, addr string) []string {
	vars := map[string]string{"PATH": e.r.opts.PATH}
	for k, v := range req.Environment {
		vars[k] = v
	}
	reserved := map[string]string{
		"AWS_LAMBDA_RUNTIME_API":          addr,
		"AWS_LAMBDA_FUNCTION_NAME":        req.FunctionName,
		"AWS_LAMBDA_FUNCTION_VERSION":     req.Version,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(req.MemoryMB),
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + req.FunctionName,
		"AWS_LAMBDA_LOG_STREAM_NAME":      e.stream,
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_REGION":                      req.Region,
		"AWS_DEFAULT_REGION":              req.Region,
		"AWS_EXECUTION_ENV":               "AWS_Lambda_provided.al2023",
		"_HANDLER":                        req.Handler,
		"LAMBDA_TASK_ROOT":                e.dir,
		"LAMBDA_RUNTIME_DIR":              e.dir,
		"TZ":                              ":UTC",
		"LANG":                            "en_US.UTF-8",
	}
	for k, v := range reserved {
		vars[k] = v
	}
	env := make([]string, 0, len(vars))
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	slices.Sort(env)
	return env
}

// invoke hands one event to the running runtime and waits for its answer,
// its exit or the timeout.
func (e *environment) invoke(ctx context.Context, req InvokeRequest, id string) (outcome, error) {
	inv := &invocation{
		id:            id,
		payload:       req.Payload,
		arn:           req.FunctionArn,
		clientContext: decodeClientContext(req.ClientContext),
		traceID:       fmt.Sprintf("Root=1-%08x-%s;Sampled=0", time.Now().Unix(), randomHex(24)),
		done:          make(chan outcome, 1),
	}
	e.appendLog(fmt.Appendf(nil, "START RequestId: %s Version: %s\n", id, req.Version))
	start := time.Now()
	inv.deadline = start.Add(req.Timeout)
	e.mu.Lock()
	e.cur = inv
	e.mu.Unlock()
	timer := time.NewTimer(req.Timeout)
	defer timer.Stop()

	delivered := false
	for {
		var next chan *invocation
		if !delivered {
			next = e.nextCh
		}
		select {
		case next <- inv:
			delivered = true
			select { // a /next left over from an invoke that did not wait for it
			case <-e.backCh:
			default:
			}
			continue
		case o := <-inv.done:
			o.duration = time.Since(start)
			o.maxMemMB = maxMemoryMB(e.pid)
			if o.fatal {
				e.kill()
				e.waitLogs()
				return o, nil
			}
			// The invoke ends when the runtime asks for the next event (or
			// exits, as aws-lambda-go does after a panic): what it logs until
			// then belongs to this invoke.
			bound := time.NewTimer(time.Second)
			select {
			case <-e.backCh:
				e.syncLogs()
			case <-e.exited:
				e.waitLogs()
				o.fatal = true
			case <-bound.C:
				e.syncLogs()
			}
			bound.Stop()
			return o, nil
		case <-e.exited:
			if !delivered {
				// It died between invokes (after a panic, say): the event
				// never reached it.
				return outcome{}, errEnvLost
			}
			d := time.Since(start)
			e.waitLogs()
			select {
			case o := <-inv.done: // answered, then exited (a panic does that)
				o.duration, o.fatal = d, true
				return o, nil
			default:
			}
			msg := fmt.Sprintf("RequestId: %s Error: %s", id, exitReason(e.exitErr))
			e.appendLog([]byte(msg + "\nRuntime.ExitError\n"))
			return outcome{payload: errorPayload("Runtime.ExitError", msg), isError: true, fatal: true, duration: d, status: "error", errorType: "Runtime.ExitError"}, nil
		case <-timer.C:
			d := time.Since(start)
			mem := maxMemoryMB(e.pid)
			e.kill()
			e.waitLogs()
			secs := fmt.Sprintf("%.2f", req.Timeout.Seconds())
			e.appendLog(fmt.Appendf(nil, "%s %s Task timed out after %s seconds\n", timestamp(), id, secs))
			msg := fmt.Sprintf("RequestId: %s Error: Task timed out after %s seconds", id, secs)
			return outcome{payload: errorPayload("Sandbox.Timedout", msg), isError: true, fatal: true, duration: d, maxMemMB: mem, status: "timeout"}, nil
		case <-ctx.Done():
			return outcome{}, ctx.Err()
		}
	}
}

// decodeClientContext accepts the Invoke API's base64 X-Amz-Client-Context
// or raw JSON, and returns the JSON the runtime expects.
func decodeClientContext(s string) string {
	if s == "" || strings.HasPrefix(strings.TrimSpace(s), "{") {
		return s
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return string(b)
	}
	return s
}

// finishInvoke marks the Invoke done; the environment becomes idle once its
// runtime is back in /next.
func (e *environment) finishInvoke() {
	e.mu.Lock()
	e.busy = false
	e.cur = nil
	gone := e.gone
	e.mu.Unlock()
	if gone {
		e.r.discard(e)
	} else {
		// Idle at once: the next invoke waits for the runtime to come back
		// to /next, so back-to-back invokes stay warm.
		e.r.release(e)
	}
}

// kill kills the process group.
func (e *environment) kill() {
	e.mu.Lock()
	pid := e.pid
	e.mu.Unlock()
	if pid > 0 {
		killGroup(pid)
		<-e.exited
	}
}

// shutdown kills the process, stops the server and removes the code.
func (e *environment) shutdown() {
	e.once.Do(func() {
		e.mu.Lock()
		close(e.dead)
		srv, logR := e.srv, e.logR
		e.mu.Unlock()
		e.kill()
		if srv != nil {
			srv.Close()
			<-e.serveDone
		}
		if logR != nil {
			e.closeLogW()
			e.waitLogs()
			logR.Close()
		}
	})
}

// handler serves the Runtime API for this environment, to its runtime
// only. It listens on loopback, where web pages can reach it as well: a
// request must name the address AWS_LAMBDA_RUNTIME_API gives (a
// DNS-rebinding page sends its own name), and one a browser sent for a
// page (Origin, or Sec-Fetch-Site other than same-origin or none) is
// refused — runtimes send neither.
func (e *environment) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", e.handleNext)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", e.handleResponse)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", e.handleError)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", e.handleInitError)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		site := r.Header.Get("Sec-Fetch-Site")
		_, origin := r.Header["Origin"]
		if r.Host != e.addr || origin || site != "" && site != "same-origin" && site != "none" {
			writeStatus(w, http.StatusForbidden, "Forbidden", "lamb: request refused: only the function's runtime may call its Runtime API (Host must be AWS_LAMBDA_RUNTIME_API, no Origin)")
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func writeStatus(w http.ResponseWriter, code int, errType, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	if errType == "" {
		io.WriteString(w, `{"status":"OK"}`)
		return
	}
	w.Write(errorPayload(errType, msg))
}

func (e *environment) handleNext(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	first := !e.started
	e.started = true
	if cur := e.cur; cur != nil && cur.delivered && !cur.answered {
		// The runtime asked for the next event without answering this one.
		cur.answered = true
		cur.done <- outcome{isError: true, payload: errorPayload("Runtime.NoResponse",
			fmt.Sprintf("RequestId: %s Error: the runtime requested the next event without responding", cur.id))}
	}
	e.mu.Unlock()
	if first {
		e.readyCh <- struct{}{}
	} else {
		select {
		case e.backCh <- struct{}{}:
		default:
		}
	}
	select {
	case inv := <-e.nextCh:
		e.mu.Lock()
		inv.delivered = true
		e.mu.Unlock()
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set(hdrRequestID, inv.id)
		h.Set(hdrDeadline, strconv.FormatInt(inv.deadline.UnixMilli(), 10))
		h.Set(hdrFunctionArn, inv.arn)
		h.Set(hdrTraceID, inv.traceID)
		if inv.clientContext != "" {
			h.Set(hdrClientContext, inv.clientContext)
		}
		w.WriteHeader(http.StatusOK)
		w.Write(inv.payload)
	case <-r.Context().Done():
	case <-e.dead:
	}
}

// answer claims the current invocation id for a response or error post.
func (e *environment) answer(w http.ResponseWriter, id string) *invocation {
	e.mu.Lock()
	defer e.mu.Unlock()
	inv := e.cur
	if inv == nil || inv.id != id {
		writeStatus(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
		return nil
	}
	if inv.answered {
		writeStatus(w, http.StatusForbidden, "InvalidStateTransition", "State transition from RuntimeResponseSent to InvocationResponse failed for runtime. Error: State transition is not allowed")
		return nil
	}
	inv.answered = true
	return inv
}

func (e *environment) handleResponse(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxResponseBytes+1))
	if err != nil {
		writeStatus(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	inv := e.answer(w, r.PathValue("id"))
	if inv == nil {
		return
	}
	if len(body) > MaxResponseBytes {
		msg := fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", MaxResponseBytes)
		inv.done <- outcome{payload: errorPayload("Function.ResponseSizeTooLarge", msg), isError: true, fatal: true}
		writeStatus(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", msg)
		return
	}
	// aws-lambda-go streams the response; a failure mid-stream arrives as
	// trailers, readable once the body is consumed.
	if typ := r.Trailer.Get(hdrErrorType); typ != "" {
		payload, err := base64.StdEncoding.DecodeString(r.Trailer.Get(hdrErrorBody))
		if err != nil || !json.Valid(payload) {
			payload = errorPayload(typ, "the function's response stream failed")
		}
		inv.done <- outcome{payload: payload, isError: true}
		writeStatus(w, http.StatusAccepted, "", "")
		return
	}
	inv.done <- outcome{payload: body}
	writeStatus(w, http.StatusAccepted, "", "")
}

func (e *environment) handleError(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxResponseBytes))
	if err != nil {
		writeStatus(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	inv := e.answer(w, r.PathValue("id"))
	if inv == nil {
		return
	}
	if !json.Valid(body) {
		typ := r.Header.Get(hdrErrorType)
		if typ == "" {
			typ = "Runtime.Unknown"
		}
		body = errorPayload(typ, string(body))
	}
	inv.done <- outcome{payload: body, isError: true}
	writeStatus(w, http.StatusAccepted, "", "")
}

func (e *environment) handleInitError(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxResponseBytes))
	if err != nil {
		writeStatus(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	e.mu.Lock()
	started := e.started
	e.mu.Unlock()
	if started {
		writeStatus(w, http.StatusForbidden, "InvalidStateTransition", "State transition from Ready to InitError failed for runtime. Error: State transition is not allowed")
		return
	}
	typ := r.Header.Get(hdrErrorType)
	if typ == "" {
		typ = "Runtime.Unknown"
	}
	if !json.Valid(body) {
		body = errorPayload(typ, string(body))
	}
	select {
	case e.initErrCh <- body:
	default:
	}
	writeStatus(w, http.StatusAccepted, "", "")
}

// readLogs copies the function's output into the log buffer, watching for
// sync markers.
func (e *environment) readLogs() {
	defer close(e.logDone)
	buf := make([]byte, 32<<10)
	var carry []byte
	for {
		n, err := e.logR.Read(buf)
		if n > 0 {
			data := append(carry, buf[:n]...)
			for {
				i := bytes.Index(data, logSyncMarker)
				if i < 0 {
					break
				}
				e.appendLog(data[:i])
				data = data[i+len(logSyncMarker):]
				select {
				case e.syncCh <- struct{}{}:
				default:
				}
			}
			k := partialMarker(data)
			e.appendLog(data[:len(data)-k])
			carry = append([]byte(nil), data[len(data)-k:]...)
		}
		if err != nil {
			e.appendLog(carry)
			return
		}
	}
}

// partialMarker returns the length of the longest suffix of b that is a
// proper prefix of the sync marker.
func partialMarker(b []byte) int {
	for k := min(len(b), len(logSyncMarker)-1); k > 0; k-- {
		if bytes.HasPrefix(logSyncMarker, b[len(b)-k:]) {
			return k
		}
	}
	return 0
}

// syncLogs returns once everything the function wrote so far is in the
// log buffer.
func (e *environment) syncLogs() {
	e.logWMu.Lock()
	w := e.logW
	var err error
	if w != nil {
		_, err = w.Write(logSyncMarker)
	}
	e.logWMu.Unlock()
	if w == nil || err != nil {
		e.waitLogs()
		return
	}
	t := time.NewTimer(5 * time.Second) // a bound, not a synchronisation
	defer t.Stop()
	select {
	case <-e.syncCh:
	case <-e.logDone:
	case <-t.C:
	}
}

// waitLogs waits for the reader to reach the end of the pipe, which happens
// once the process group has exited; bounded in case a grandchild escaped.
func (e *environment) waitLogs() {
	t := time.NewTimer(2 * time.Second)
	defer t.Stop()
	select {
	case <-e.logDone:
	case <-t.C:
	}
}

func (e *environment) closeLogW() {
	e.logWMu.Lock()
	defer e.logWMu.Unlock()
	if e.logW != nil {
		e.logW.Close()
		e.logW = nil
	}
}

func (e *environment) appendLog(b []byte) {
	if len(b) == 0 {
		return
	}
	e.logMu.Lock()
	defer e.logMu.Unlock()
	if e.sink != nil {
		e.feedLocked(b)
	}
	if len(e.logBuf)+len(b) > maxLogBytes {
		if !e.logTrunc {
			e.logTrunc = true
			e.logBuf = append(e.logBuf, "[lamb: logs truncated at 8 MB]\n"...)
		}
		return
	}
	e.logBuf = append(e.logBuf, b...)
}

// setSink gives the log lines from now on to sink, as request id's; what
// the buffer holds already (written since the last invocation ended) goes
// first.
func (e *environment) setSink(sink func(LogLine), id string) {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	e.sink, e.sinkID, e.carry = sink, id, nil
	if sink != nil {
		e.feedLocked(e.logBuf)
	}
}

// clearSink ends setSink, giving sink the last partial line, and returns
// the log stream's name.
func (e *environment) clearSink() string {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	if e.sink != nil && len(e.carry) > 0 {
		e.sink(LogLine{RequestID: e.sinkID, Stream: e.stream, Time: time.Now(), Line: e.carry})
	}
	e.sink, e.sinkID, e.carry = nil, "", nil
	return e.stream
}

// feedLocked gives sink the complete lines of carry+b. e.logMu is held.
func (e *environment) feedLocked(b []byte) {
	now := time.Now()
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			e.carry = append(e.carry, b...)
			return
		}
		line := append(e.carry, b[:i]...)
		e.carry = nil
		e.sink(LogLine{RequestID: e.sinkID, Stream: e.stream, Time: now, Line: line})
		b = b[i+1:]
	}
}

// takeLogs returns and clears the buffered logs.
func (e *environment) takeLogs() []byte {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	b := e.logBuf
	e.logBuf, e.logTrunc = nil, false
	return b
}

// maxMemoryMB reads the peak resident set size of pid (Linux), in MB
// rounded up; 0 where unavailable.
func maxMemoryMB(pid int) int {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				return 0
			}
			kb, err := strconv.Atoi(f[0])
			if err != nil {
				return 0
			}
			return (kb + 1023) / 1024
		}
	}
	return 0
}
