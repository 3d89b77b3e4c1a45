// Package emulator is a local AWS Lambda control plane: the Lambda REST API
// (functions, versions, aliases, tags, invoke) as AWS answers it, with
// AWS's states, limits, errors and throttling, optional persistence, a call
// log and fault injection. It is lamb's deploy test bed and `lamb local`.
//
// Invoke is delegated to an Invoker (emulator/rapi's Runner runs the code).
package emulator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/lambctl/lamb/emulator/awsjson/statefile"
	"github.com/lambctl/lamb/emulator/rapi"
	"github.com/lambctl/lamb/internal/lambdaspec"
	"golang.org/x/time/rate"

	"github.com/lambctl/lamb/emulator/awsjson"
)

// Options configure a Server.
type Options struct {
	// StateDir persists functions, versions, aliases, tags and code so they
	// survive a restart; "" keeps everything in memory.
	StateDir string
	// NoSync writes the functions' state and code in StateDir without
	// fsync: they survive the server's exit or crash, not the machine's.
	// For a state a deploy rebuilds (lamb dev), where an fsync costs every
	// reload its wait for all the data written before it. A marker file
	// says the state is unsynced; Close syncs it and removes the marker.
	// After a crash the next New checks every stored zip against its
	// SHA-256: a function whose code was lost has LastUpdateStatus Failed
	// (a deploy uploads it again), and an unreadable state starts empty.
	// The neighbour services' files (parameters, secrets, alarms, logs)
	// are synced whatever NoSync says: they hold what users put there.
	NoSync bool
	// Region defaults to us-east-1; AccountID to 123456789012.
	Region    string
	AccountID string
	// TransitionDelay is how long Pending->Active and InProgress->Successful
	// take. 0 completes them on the next tick, still asynchronously.
	TransitionDelay time.Duration
	// RateLimit throttles like AWS; nil disables throttling.
	RateLimit *RateLimit
	// S3Endpoint is an S3 endpoint (path-style) to fetch Code.S3Bucket/S3Key
	// from; "" fetches them from the server's own S3 (S3Path).
	S3Endpoint string
	// Runtime runs Invoke; nil answers Invoke with a ServiceException.
	// A runtime that keeps warm environments and implements Retirer
	// (rapi.Runner does) is told when a function's code or configuration
	// changes: running invocations finish on the old code, idle
	// environments of it are shut down.
	Runtime Invoker
	// Logs, when set, gets every line of every invocation's logs —
	// synchronous, Event and in-process (Server.Invoke) — as the function
	// writes it, with START, END and REPORT: lamb local prints them. The
	// server's own CloudWatch Logs keeps them whether or not Logs is set.
	// Called from the runtime's goroutines, in order for one invocation;
	// it must not block (queue, or drop).
	Logs func(LogLine)
	// OnInvoke, when set, gets a record of every invocation once it has
	// ended (and of invokes throttled by a fault). The server's own
	// CloudWatch gets the invocation's metrics whether or not OnInvoke is
	// set. Called from the invoking goroutine; it must not block.
	OnInvoke func(InvokeRecord)
	// Logger receives the server's events; default discards.
	Logger *slog.Logger
	// CodeStorageLimit bounds the total size of stored code (all versions);
	// default 75 GB, as AWS's regional quota.
	CodeStorageLimit int64
	// Version is reported by GET /_lamb/info; default the main module's
	// version from the build info, or "devel".
	Version string
	// AllowedHosts are more names the server may be called by, besides its
	// own address and the loopback names (docs/emulator.md, "Who can call
	// it"): "host" (any port) or "host:port". A reverse proxy's name, or
	// the machine's name when it listens beyond loopback.
	AllowedHosts []string
}

// Info is what GET /_lamb/info answers: it tells a client that the
// endpoint is a lamb emulator and which architecture its functions run on.
type Info struct {
	// Emulator is always "lamb".
	Emulator string `json:"emulator"`
	Version  string `json:"version"`
	// HostArch is the Lambda architecture of the machine that runs the
	// functions: "x86_64" or "arm64".
	HostArch string `json:"host_arch"`
	// S3Endpoint is the URL of the server's own S3 endpoint, as reached
	// by the request; S3Bucket a bucket that exists there.
	S3Endpoint string `json:"s3_endpoint"`
	S3Bucket   string `json:"s3_bucket"`
}

func (s *Server) info(r *http.Request) Info {
	v := s.opts.Version
	if v == "" {
		v = "devel"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
	}
	arch, _ := lambdaspec.HostArch()
	// The Host was checked (policy.go): it names this server.
	return Info{Emulator: "lamb", Version: v, HostArch: arch, S3Endpoint: S3Endpoint("http://" + r.Host), S3Bucket: DefaultS3Bucket}
}

// Invoker executes the code of a function.
type Invoker interface {
	Invoke(ctx context.Context, req rapi.InvokeRequest) (*rapi.InvokeResult, error)
}

var _ Invoker = (*rapi.Runner)(nil)

// RateLimit is a token-bucket request rate limit.
type RateLimit struct {
	// PerSecond and Burst apply to every control-plane call but GetFunction.
	PerSecond float64
	Burst     int
	// GetFunctionPerSecond and GetFunctionBurst apply to GetFunction.
	GetFunctionPerSecond float64
	GetFunctionBurst     int
}

// DefaultRateLimit is AWS's: 15 requests a second shared by control-plane
// calls, 100 a second for GetFunction.
func DefaultRateLimit() *RateLimit {
	return &RateLimit{PerSecond: 15, Burst: 15, GetFunctionPerSecond: 100, GetFunctionBurst: 100}
}

// Call is one request the server answered.
type Call struct {
	// Op is the API operation ("UpdateFunctionCode").
	Op string `json:"op"`
	// Function is the bare function name the call addressed, if any.
	Function string `json:"function,omitempty"`
	// Status is the HTTP status answered; 0 when a fault dropped the
	// connection.
	Status int `json:"status"`
	// Mutating is true for operations that change state (creates, updates,
	// publish, alias writes, tags, deletes), whatever their outcome.
	Mutating  bool   `json:"mutating"`
	ErrorType string `json:"errorType,omitempty"`
}

// Fault makes the server misbehave for the next Count calls of Op (on
// Function, when set).
type Fault struct {
	Op       string `json:"op"`
	Function string `json:"function,omitempty"`
	// Count is how many calls the fault applies to; default 1.
	Count int `json:"count,omitempty"`
	// Status answers the call with 409 ResourceConflictException, 429
	// TooManyRequestsException or 500 ServiceException (or any status, as
	// ServiceException).
	Status  int    `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
	// Drop closes the connection without an answer.
	Drop bool `json:"drop,omitempty"`
	// FailTransition lets the call succeed, then ends the transition it
	// starts in State or LastUpdateStatus Failed.
	FailTransition bool `json:"failTransition,omitempty"`
	// Delay lets the call succeed and makes the transition it starts take
	// Delay instead of Options.TransitionDelay.
	Delay time.Duration `json:"delay,omitempty"`
}

// Server is the emulated Lambda API. It is safe for concurrent use.
type Server struct {
	opts    Options
	log     *slog.Logger
	codeDir string
	tmpDir  string // removed by Close when StateDir is ""
	lock    *os.File
	key     *statefile.Key // seals environments in the state file
	shared  *rate.Limiter
	getFn   *rate.Limiter

	mu     sync.Mutex
	st     *state
	calls  []Call
	faults []*Fault
	timers map[string]*time.Timer
	// inflight counts requests holding stored code no version uses yet,
	// so that garbage collection leaves it alone.
	inflight map[string]int
	seq      int
	closed   bool
	saves    saves // the state file's group commit (store.go)

	bg     sync.WaitGroup // Event invokes
	bgCtx  context.Context
	cancel context.CancelFunc

	mux *http.ServeMux
	s3  *s3mem.Backend // the server's own S3 (s3.go)
	svc *services      // the neighbour services (services.go)
}

// ErrStateInUse is returned (wrapped) by New when another server holds
// the state directory.
var ErrStateInUse = errors.New("in use by another process")

// New returns a Server. With a StateDir it locks the directory (one server
// per directory) and reloads what an earlier server left there; transitions
// that were pending complete after reload.
func New(opts Options) (*Server, error) {
	awsjson.Defaults(&opts.Region, &opts.AccountID)
	if opts.CodeStorageLimit == 0 {
		opts.CodeStorageLimit = 75 << 30
	}
	s := &Server{opts: opts, log: opts.Logger, timers: map[string]*time.Timer{}, inflight: map[string]int{}, st: &state{Functions: map[string]*function{}}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if rl := opts.RateLimit; rl != nil {
		s.shared = rate.NewLimiter(rate.Limit(rl.PerSecond), max(rl.Burst, 1))
		s.getFn = rate.NewLimiter(rate.Limit(rl.GetFunctionPerSecond), max(rl.GetFunctionBurst, 1))
	}
	if opts.StateDir == "" {
		dir, err := os.MkdirTemp("", "lamb-emulator-")
		if err != nil {
			return nil, fmt.Errorf("emulator: %w", err)
		}
		s.tmpDir, s.codeDir = dir, dir
	} else {
		shown := statefile.DisplayPath(opts.StateDir)
		s.codeDir = filepath.Join(opts.StateDir, "code")
		if err := os.MkdirAll(s.codeDir, 0o700); err != nil {
			return nil, fmt.Errorf("emulator: %w", statefile.PathError("state dir", opts.StateDir, err))
		}
		f, err := os.OpenFile(filepath.Join(opts.StateDir, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("emulator: %w", statefile.PathError("state dir", opts.StateDir, err))
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			return nil, fmt.Errorf("emulator: state dir %s is %w (its lock is held; with lamb local running, use --endpoint)", shown, ErrStateInUse)
		}
		s.lock = f
		if err := ignoreState(opts.StateDir); err != nil {
			s.unlock()
			return nil, err
		}
		if s.key, err = statefile.LoadKey(opts.StateDir); err != nil {
			s.unlock()
			return nil, fmt.Errorf("emulator: %w", err)
		}
		if err := s.openState(); err != nil {
			s.unlock()
			return nil, err
		}
	}
	svc, err := newServices(opts)
	if err != nil {
		s.unlock()
		return nil, err
	}
	s.svc = svc
	s.bgCtx, s.cancel = context.WithCancel(context.Background())
	s.mux = s.routes()
	s.mu.Lock()
	for _, fn := range s.st.Functions {
		if t := fn.Transition; t != nil {
			// A transition left pending by an earlier server completes
			// within this server's delay.
			if due := time.Now().Add(opts.TransitionDelay); t.Due.After(due) {
				t.Due = due
			}
			s.armTransition(fn)
		}
	}
	s.mu.Unlock()
	return s, nil
}

func (s *Server) unlock() {
	if s.lock != nil {
		syscall.Flock(int(s.lock.Fd()), syscall.LOCK_UN)
		s.lock.Close()
		s.lock = nil
	}
}

// Close stops transitions and background invokes, writes the logs store
// and releases the state directory. Pending transitions are kept and
// complete on the next New.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for _, t := range s.timers {
		t.Stop()
	}
	s.mu.Unlock()
	s.cancel()
	s.bg.Wait()
	serr := s.stopSaving()
	err := errors.Join(serr, s.svc.close())
	if s.opts.NoSync && s.opts.StateDir != "" && serr == nil {
		// Only a state written whole is marked synced.
		err = errors.Join(err, s.syncState())
	}
	s.unlock()
	if s.tmpDir != "" {
		err = errors.Join(err, os.RemoveAll(s.tmpDir))
	}
	return err
}

// Calls returns the call log, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// ResetCalls empties the call log.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	s.calls = nil
	s.mu.Unlock()
}

// Inject queues a fault.
func (s *Server) Inject(f Fault) {
	if f.Count <= 0 {
		f.Count = 1
	}
	s.mu.Lock()
	s.faults = append(s.faults, &f)
	s.mu.Unlock()
}

// takeFault consumes one matching fault of the kind pick selects.
func (s *Server) takeFault(op, fn string, pick func(*Fault) bool) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.takeFaultLocked(op, fn, pick)
}

// answers reports whether f is a fault that answers the call itself (a
// status, a dropped connection), not one of its state transition.
func answers(f *Fault) bool { return f.Drop || f.Status != 0 }

// matches reports whether f is for op on function fn (a bare name).
func (f *Fault) matches(op, fn string) bool {
	return f.Op == op && (f.Function == "" || f.Function == fn)
}

func (s *Server) takeFaultLocked(op, fn string, pick func(*Fault) bool) *Fault {
	for i, f := range s.faults {
		if !f.matches(op, fn) || !pick(f) {
			continue
		}
		f.Count--
		if f.Count <= 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		c := *f
		return &c
	}
	return nil
}

// route is one operation of the Lambda API.
type route struct {
	pattern string // http.ServeMux pattern: method and path
	op      string
	body    bodyKind
	serve   func(*Server, request) error
	// mutating operations change state (creates, updates, publish, alias
	// writes, tags, deletes), whatever their outcome.
	mutating bool
}

// apiRoutes is the Lambda API the server answers (lambda-api.md §1). Path
// parameters arrive percent-encoded; PathValue decodes them.
var apiRoutes = []route{
	{"POST /2015-03-31/functions", "CreateFunction", bodyJSON, (*Server).createFunction, true},
	{"POST /2015-03-31/functions/{$}", "CreateFunction", bodyJSON, (*Server).createFunction, true},
	{"GET /2015-03-31/functions", "ListFunctions", bodyIgnored, (*Server).listFunctions, false},
	{"GET /2015-03-31/functions/{$}", "ListFunctions", bodyIgnored, (*Server).listFunctions, false},
	{"GET /2015-03-31/functions/{name}", "GetFunction", bodyIgnored, (*Server).getFunction, false},
	{"DELETE /2015-03-31/functions/{name}", "DeleteFunction", bodyIgnored, (*Server).deleteFunction, true},
	{"GET /2015-03-31/functions/{name}/configuration", "GetFunctionConfiguration", bodyIgnored, (*Server).getFunctionConfiguration, false},
	{"PUT /2015-03-31/functions/{name}/configuration", "UpdateFunctionConfiguration", bodyJSON, (*Server).updateConfiguration, true},
	{"PUT /2015-03-31/functions/{name}/code", "UpdateFunctionCode", bodyJSON, (*Server).updateCode, true},
	{"POST /2015-03-31/functions/{name}/versions", "PublishVersion", bodyJSON, (*Server).publishVersion, true},
	{"GET /2015-03-31/functions/{name}/versions", "ListVersionsByFunction", bodyIgnored, (*Server).listVersions, false},
	{"POST /2015-03-31/functions/{name}/aliases", "CreateAlias", bodyJSON, (*Server).createAlias, true},
	{"GET /2015-03-31/functions/{name}/aliases", "ListAliases", bodyIgnored, (*Server).listAliases, false},
	{"GET /2015-03-31/functions/{name}/aliases/{alias}", "GetAlias", bodyIgnored, (*Server).getAlias, false},
	{"PUT /2015-03-31/functions/{name}/aliases/{alias}", "UpdateAlias", bodyJSON, (*Server).updateAlias, true},
	{"DELETE /2015-03-31/functions/{name}/aliases/{alias}", "DeleteAlias", bodyIgnored, (*Server).deleteAlias, true},
	{"POST /2015-03-31/functions/{name}/invocations", "Invoke", bodyPayload, (*Server).invokeHTTP, false},
	{"POST /2017-03-31/tags/{arn...}", "TagResource", bodyJSON, (*Server).tagResource, true},
	{"GET /2017-03-31/tags/{arn...}", "ListTags", bodyIgnored, (*Server).listTags, false},
	{"DELETE /2017-03-31/tags/{arn...}", "UntagResource", bodyIgnored, (*Server).untagResource, true},
}

// routes is the server's mux: the Lambda API, lamb's control endpoints
// under /_lamb/, and AWS's answer to anything else.
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	for _, rt := range apiRoutes {
		mux.Handle(rt.pattern, s.operation(rt))
	}
	s.controlRoutes(mux)
	s.s3Routes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		errf(http.StatusNotFound, "UnknownOperationException", "Unknown operation %s %s", r.Method, r.URL.Path).write(w)
	})
	return mux
}

// request is a routed API call.
type request struct {
	op       string
	function string  // FunctionName path parameter, decoded; the ARN for tags
	alias    string  // alias path parameter
	logName  *string // the function name the call log records
	r        *http.Request
	w        http.ResponseWriter
}

// recorder captures what a handler answered for the call log. With hold,
// it keeps the answer until release: a mutating call is answered once its
// change is on disk.
type recorder struct {
	http.ResponseWriter
	status int
	hold   bool
	body   bytes.Buffer
}

func (rw *recorder) WriteHeader(code int) {
	if rw.status == 0 {
		rw.status = code
	}
	if !rw.hold {
		rw.ResponseWriter.WriteHeader(code)
	}
}

func (rw *recorder) Write(b []byte) (int, error) {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	if rw.hold {
		return rw.body.Write(b)
	}
	return rw.ResponseWriter.Write(b)
}

// release sends the held answer, or, when saving the state failed (err),
// that error instead: the change is not on disk.
func (rw *recorder) release(err error) {
	if !rw.hold {
		return
	}
	rw.hold = false
	if err != nil {
		h := rw.Header()
		id := h.Get("x-amzn-RequestId")
		clear(h)
		h.Set("x-amzn-RequestId", id)
		rw.status = 0
		serviceErr("%v", err).write(rw)
		return
	}
	if rw.status != 0 {
		rw.ResponseWriter.WriteHeader(rw.status)
	}
	rw.ResponseWriter.Write(rw.body.Bytes())
}

// ServeHTTP answers the Lambda API, its neighbour services (services.go)
// and lamb's own endpoints under /_lamb/, to the clients the request
// policy lets in (policy.go).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if n := s.svc.match(r); n != nil {
		s.serveNeighbour(w, r, n)
		return
	}
	w.Header().Set("x-amzn-RequestId", awsjson.NewUUID())
	if e := s.checkCaller(r); e != nil {
		s.refuse(w, r, e)
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) refuse(w http.ResponseWriter, r *http.Request, e *refusal) {
	s.log.Warn("refused request", "method", r.Method, "path", r.URL.Path, "host", r.Host, "origin", r.Header.Get("Origin"), "reason", e.msg)
	e.write(w)
}

// operation serves one API operation: body type, call log, faults and
// throttling, then the handler.
func (s *Server) operation(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e := checkContentType(r, rt.body); e != nil {
			s.refuse(w, r, e)
			return
		}
		req := request{op: rt.op, function: r.PathValue("name"), alias: r.PathValue("alias"), r: r}
		if rt.op == "TagResource" || rt.op == "ListTags" || rt.op == "UntagResource" {
			req.function = r.PathValue("arn")
		}
		name := req.function
		if n, _, err := s.parseName(name); err == nil {
			name = n
		}
		rec := &recorder{ResponseWriter: w, hold: rt.mutating && s.opts.StateDir != ""}
		req.w = rec
		req.logName = &name
		defer func() {
			s.mu.Lock()
			s.calls = append(s.calls, Call{Op: req.op, Function: name, Status: rec.status, Mutating: rt.mutating, ErrorType: rec.Header().Get("X-Amzn-ErrorType")})
			s.mu.Unlock()
		}()
		// Before the call is logged, whatever answered it: the handler, a
		// fault, the throttle.
		defer func() {
			if rec.hold {
				rec.release(s.persist())
			}
		}()

		if f := s.takeFault(req.op, name, answers); f != nil {
			if f.Drop {
				rec.hold = false // no answer at all
				if hj, ok := w.(http.Hijacker); ok {
					if conn, _, err := hj.Hijack(); err == nil {
						conn.Close()
						return
					}
				}
				panic(http.ErrAbortHandler)
			}
			if req.op == "Invoke" && f.Status == http.StatusTooManyRequests {
				s.recordThrottle(req)
			}
			faultError(f).write(rec)
			return
		}
		if req.op != "Invoke" && s.shared != nil {
			l := s.shared
			if req.op == "GetFunction" {
				l = s.getFn
			}
			if !l.Allow() {
				errf(http.StatusTooManyRequests, "TooManyRequestsException", "Rate exceeded").write(rec)
				return
			}
		}
		if err := rt.serve(s, req); err != nil {
			var ae *apiError
			if !errors.As(err, &ae) {
				ae = serviceErr("%v", err)
			}
			ae.write(rec)
		}
	})
}

func faultError(f *Fault) *apiError {
	msg := f.Message
	switch f.Status {
	case http.StatusConflict:
		if msg == "" {
			msg = "The operation cannot be performed at this time. An update is in progress for resource: (injected fault)"
		}
		return errf(f.Status, "ResourceConflictException", "%s", msg)
	case http.StatusTooManyRequests:
		if msg == "" {
			msg = "Rate exceeded"
		}
		return errf(f.Status, "TooManyRequestsException", "%s", msg)
	}
	if msg == "" {
		msg = "injected fault"
	}
	return errf(f.Status, "ServiceException", "%s", msg)
}
