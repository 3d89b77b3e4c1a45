package devloop

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambctl/lamb/deployer"
	"github.com/lambctl/lamb/graph"
	"github.com/lambctl/lamb/internal/buildcfg"
	"github.com/lambctl/lamb/internal/lambdaspec"
	"github.com/lambctl/lamb/manifest"
)

// DefaultDebugPort is Delve's port when none is given (Delve's own
// default in its documentation and VS Code's examples).
const DefaultDebugPort = 2345

// debugBinary is the name of the function's binary in a debug package;
// its bootstrap is a script that runs it under Delve.
const debugBinary = "bootstrap.debug"

// debugState is the function lamb dev runs under Delve.
type debugState struct {
	function string
	port     int
	dlv      string // absolute path of dlv
	gate     *Gate  // swallows the warm-up invokes; holds nothing
	// mu makes the function's invokes one at a time: a second
	// environment could not listen on Delve's port.
	mu sync.Mutex
}

// FindDlv returns the absolute path of the dlv command (name, or "dlv"
// on PATH), or an error that says how to install it.
func FindDlv(name string) (string, error) {
	if name == "" {
		name = "dlv"
		// go install puts it in GOBIN or GOPATH/bin, not always on PATH.
		if _, err := exec.LookPath(name); err != nil {
			if out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output(); err == nil {
				lines := strings.Split(strings.TrimSpace(string(out)), "\n")
				for i, d := range lines {
					if d == "" {
						continue
					}
					if i > 0 {
						d = filepath.Join(strings.Split(d, string(filepath.ListSeparator))[0], "bin")
					}
					if st, err := os.Stat(filepath.Join(d, "dlv")); err == nil && !st.IsDir() {
						name = filepath.Join(d, "dlv")
						break
					}
				}
			}
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("--debug needs Delve: install it with go install github.com/go-delve/delve/cmd/dlv@latest (%w)", err)
	}
	return filepath.Abs(p)
}

// CheckPort returns an error when 127.0.0.1:port is taken.
func CheckPort(port int) error {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("--debug-port %d: %w", port, err)
	}
	return ln.Close()
}

func newDebugState(function string, port int, dlv, dir string) (*debugState, error) {
	if port == 0 {
		port = DefaultDebugPort
	}
	path, err := FindDlv(dlv)
	if err != nil {
		return nil, err
	}
	if err := CheckPort(port); err != nil {
		return nil, err
	}
	gate, err := NewGate(dir)
	if err != nil {
		return nil, err
	}
	gate.Release()
	return &debugState{function: function, port: port, dlv: path, gate: gate}, nil
}

func (d *debugState) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(d.port)) }

func (d *debugState) close() { d.gate.Close() }

// DebugPackage is a function's deployment package for debugging.
type DebugPackage struct {
	Path       string // the zip
	CodeSha256 string // base64 SHA-256 of the zip, as Lambda reports it
	Size       int64
}

// DebugBuild says how BuildDebug builds.
type DebugBuild struct {
	// Dlv is the absolute path of dlv (FindDlv).
	Dlv string
	// Port is Delve's port on 127.0.0.1.
	Port int
	// OutDir receives the binary and the zip.
	OutDir string
	// Env is the base environment of the go command; nil means os.Environ().
	Env []string
	// Gate, when set, stands between the function and its Runtime API and
	// holds its events until released.
	Gate *Gate
}

// BuildDebug builds function f for this machine without optimisations
// (buildcfg.Config.WithDebug: -gcflags=all=-N -l, symbols and DWARF
// kept) into outDir, and packages it with a bootstrap that runs it under
// Delve, headless on 127.0.0.1:port:
//
//	dlv exec --headless --api-version=2 --listen=127.0.0.1:PORT --accept-multiclient --continue bootstrap.debug
//
// The binary runs at once (--continue); a debugger attaches whenever it
// likes and sets its breakpoints. A compile error is returned with the
// compiler's output.
func BuildDebug(ctx context.Context, root string, f manifest.Function, o DebugBuild) (*DebugPackage, error) {
	dlv, port, outDir, env := o.Dlv, o.Port, o.OutDir, o.Env
	host, err := lambdaspec.HostArch()
	if err != nil {
		return nil, err
	}
	f.Architecture = host
	cfg, err := f.BuildConfig()
	if err != nil {
		return nil, err
	}
	cfg = cfg.WithDebug()
	dir := filepath.Join(root, filepath.FromSlash(f.Dir))
	mod, err := buildcfg.FindModule(dir)
	if err != nil {
		return nil, err
	}
	rel, err := filepath.Rel(mod.Dir, dir)
	if err != nil {
		return nil, err
	}
	pkg := "./" + filepath.ToSlash(rel)
	if rel == "." {
		pkg = "."
	}
	binDir := filepath.Join(outDir, f.Name)
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return nil, err
	}
	if env == nil {
		env = os.Environ()
	}
	// Without -trimpath the binary names its sources by their paths on
	// this machine: an editor's breakpoints (absolute paths) match as they
	// are, with no substitutePath.
	args := slices.DeleteFunc(cfg.BuildArgs(binDir, 0, []string{pkg}), func(a string) bool { return a == "-trimpath" })
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = mod.Dir
	cmd.Env = cfg.Environ(env)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if out := buildOutput(stdout.Bytes()); out != "" {
			return nil, &compileError{output: out}
		}
		return nil, fmt.Errorf("go build (debug) %s: %v\n%s", pkg, err, strings.TrimSpace(stderr.String()))
	}
	bin := filepath.Join(binDir, filepath.Base(dir))
	if rel == "." {
		bin = filepath.Join(binDir, filepath.Base(mod.Path))
	}
	zipPath := filepath.Join(outDir, f.Name+".zip")
	return writeDebugZip(zipPath, bin, debugScript(dlv, port, o.Gate))
}

// compileError is the compiler's output for a debug build.
type compileError struct{ output string }

func (e *compileError) Error() string { return strings.TrimRight(e.output, "\n") }

// buildOutput collects what go build -json said about failed packages.
func buildOutput(b []byte) string {
	var out strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 8<<20)
	for sc.Scan() {
		var ev struct{ Action, Output string }
		if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.Action == "build-output" {
			out.WriteString(ev.Output)
		}
	}
	return out.String()
}

// debugScript is the bootstrap of a debug package. Delve passes its
// environment (the Lambda runtime's) on to the function.
func debugScript(dlv string, port int, gate *Gate) string {
	via := ""
	if gate != nil {
		via = fmt.Sprintf(`printf '%%s' "$AWS_LAMBDA_RUNTIME_API" > %s || exit 1
AWS_LAMBDA_RUNTIME_API=%s
export AWS_LAMBDA_RUNTIME_API
`, shellQuote(gate.file), gate.Addr())
	}
	return fmt.Sprintf(`#!/bin/sh
# lamb --debug: the function runs under Delve; attach with dlv connect 127.0.0.1:%[2]d
cd "${LAMBDA_TASK_ROOT:-.}" || exit 1
: "${HOME:=${LAMBDA_TASK_ROOT:-/tmp}}"
export HOME
%[4]sexec %[1]s exec --headless --api-version=2 --listen=127.0.0.1:%[2]d --accept-multiclient --continue ./%[3]s
`, shellQuote(dlv), port, debugBinary, via)
}

// Gate is a Runtime API proxy for a function under a debugger: the
// function's runtime talks to it, it talks to the real Runtime API (whose
// address the debug bootstrap writes to a file before starting Delve), and
// it holds the events the runtime receives until Release. The function
// starts and initialises at once; the event reaches its handler only once
// the developer has attached and set breakpoints.
type Gate struct {
	ln      net.Listener
	srv     *http.Server
	file    string
	release chan struct{}
	once    sync.Once
	held    chan struct{}
	heldOne sync.Once
}

// NewGate starts a gate on 127.0.0.1; dir holds the address file.
func NewGate(dir string) (*Gate, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	g := &Gate{ln: ln, file: filepath.Join(dir, "runtime-api"), release: make(chan struct{}), held: make(chan struct{})}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			up, _ := os.ReadFile(g.file)
			host := strings.TrimSpace(string(up))
			r.Out.URL.Scheme, r.Out.URL.Host, r.Out.Host = "http", host, host
		},
		ModifyResponse: func(resp *http.Response) error {
			if resp.Request.Method == http.MethodGet && strings.HasSuffix(resp.Request.URL.Path, "/invocation/next") && resp.StatusCode == http.StatusOK {
				if err := g.swallowWarmUps(resp); err != nil {
					return err
				}
				g.heldOne.Do(func() { close(g.held) })
				select {
				case <-g.release:
				case <-resp.Request.Context().Done():
					return resp.Request.Context().Err()
				}
			}
			return nil
		},
	}
	g.srv = &http.Server{Handler: rp, ReadHeaderTimeout: 10 * time.Second}
	go g.srv.Serve(ln)
	return g, nil
}

// WarmUpEvent is the event of a warm-up invoke: the gate answers it
// itself (null) and the function never sees it. lamb dev sends one after
// each deploy of the debugged function, so that it starts — and Delve
// listens — before the first real request.
const WarmUpEvent = `{"lamb":"debug warm-up"}`

// swallowWarmUps answers warm-up events upstream and replaces resp with
// the next event that is not one.
func (g *Gate) swallowWarmUps(resp *http.Response) error {
	for {
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil {
			return err
		}
		if string(body) != WarmUpEvent {
			resp.Body = io.NopCloser(bytes.NewReader(body))
			return nil
		}
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		base := "http://" + resp.Request.URL.Host + "/2018-06-01/runtime/invocation/"
		ctx := resp.Request.Context()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+id+"/response", strings.NewReader("null"))
		if err != nil {
			return err
		}
		ans, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		ans.Body.Close()
		// The runtime is still waiting for its next event: fetch it.
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, base+"next", nil)
		if err != nil {
			return err
		}
		next, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.StatusCode, resp.Status, resp.Header, resp.Body = next.StatusCode, next.Status, next.Header, next.Body
		resp.ContentLength = next.ContentLength
		if next.StatusCode != http.StatusOK {
			return nil
		}
	}
}

// Addr is the address the function's runtime is given.
func (g *Gate) Addr() string { return g.ln.Addr().String() }

// Held is closed once the function has initialised and its first event
// is held: the time to attach.
func (g *Gate) Held() <-chan struct{} { return g.held }

// Release lets the held event, and every later one, through.
func (g *Gate) Release() { g.once.Do(func() { close(g.release) }) }

// Close stops the gate.
func (g *Gate) Close() error {
	g.Release()
	return g.srv.Close()
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// writeDebugZip writes the debug package: the script as bootstrap, the
// binary beside it.
func writeDebugZip(path, bin, script string) (*DebugPackage, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".debug-*.zip")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	zw := zip.NewWriter(io.MultiWriter(tmp, h))
	add := func(name string, r io.Reader) error {
		hdr := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: time.Unix(0, 0).UTC()}
		hdr.SetMode(0o755)
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		_, err = io.Copy(w, r)
		return err
	}
	if err := add("bootstrap", strings.NewReader(script)); err != nil {
		tmp.Close()
		return nil, err
	}
	f, err := os.Open(bin)
	if err != nil {
		tmp.Close()
		return nil, err
	}
	err = add(debugBinary, f)
	f.Close()
	if err == nil {
		err = zw.Close()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(tmp.Name())
	if err != nil {
		return nil, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return nil, err
	}
	return &DebugPackage{Path: path, CodeSha256: base64.StdEncoding.EncodeToString(h.Sum(nil)), Size: st.Size()}, nil
}

// debugFingerprint marks the debug package of a print: never equal to the
// print's own fingerprint, so that a later lamb dev without --debug
// replaces it.
func debugFingerprint(p graph.Print, port int) string {
	s := sha256.Sum256([]byte(p.Fingerprint + "\x00debug\x00" + strconv.Itoa(port)))
	return hex.EncodeToString(s[:])
}

// deployDebug builds the debugged function and deploys its debug package
// to the local Lambda with the longest timeout Lambda allows (a function
// stopped at a breakpoint must not be cut off).
func (l *Loop) deployDebug(ctx context.Context, want deployer.Desired, p graph.Print) error {
	pkg, err := BuildDebug(ctx, l.m.Root, want.Function, DebugBuild{Dlv: l.debug.dlv, Port: l.debug.port, OutDir: filepath.Join(l.o.Dir, "debug"), Env: l.o.Env, Gate: l.debug.gate})
	if err != nil {
		return err
	}
	f := want.Function
	f.Timeout = lambdaspec.MaxTimeout
	d := deployer.Desired{Function: f, Fingerprint: debugFingerprint(p, l.debug.port)}
	plan, err := l.dep.Plan(ctx, []deployer.Desired{d})
	if plan == nil {
		return err
	}
	res, err := l.dep.Deploy(ctx, plan, []deployer.Artifact{{Function: f.Name, Fingerprint: d.Fingerprint, Path: pkg.Path, CodeSha256: pkg.CodeSha256, Size: pkg.Size}})
	if err != nil {
		return err
	}
	for _, r := range res.Functions {
		if r.Outcome == deployer.Failed {
			return errors.New(r.Error)
		}
	}
	go l.warmUp(ctx, f.Name)
	return nil
}

// warmUp starts the debugged function with a warm-up invoke the gate
// swallows, so that Delve listens before the first real request.
func (l *Loop) warmUp(ctx context.Context, function string) {
	l.debug.mu.Lock()
	defer l.debug.mu.Unlock()
	_, err := l.target.Lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(function), Payload: []byte(WarmUpEvent)})
	switch {
	case ctx.Err() != nil:
	case err != nil:
		l.out.Errorf("lamb dev: %s did not start under Delve: %v", function, err)
	default:
		l.out.Printf("lamb dev: %s runs under Delve: dlv connect %s (VS Code: docs/dev.md)", function, l.debug.addr())
	}
}
