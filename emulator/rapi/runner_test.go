package rapi

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// probeZip is the test function (testdata/probe, an aws-lambda-go program)
// built once for the host and zipped with an executable bootstrap.
var probeZip string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "rapi-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", bin, ".")
	cmd.Dir = filepath.Join("testdata", "probe")
	cmd.Env = append(os.Environ(), "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH, "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build probe: %v\n%s", err, out)
		return 1
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	probeZip = filepath.Join(tmp, "probe.zip")
	// Stored, not deflated: extraction is a copy, which keeps -race runs fast.
	if err := writeZip(probeZip, []zipEntry{{name: "bootstrap", mode: 0o755, data: data, store: true}}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

type zipEntry struct {
	name  string
	mode  os.FileMode
	data  []byte
	store bool // zip.Store instead of zip.Deflate
}

func writeZip(p string, entries []zipEntry) error {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.store {
			h.Method = zip.Store
		}
		h.SetMode(e.mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if _, err := w.Write(e.data); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(p, buf.Bytes(), 0o644)
}

func newTestRunner(t *testing.T, opts RunnerOptions) *Runner {
	t.Helper()
	if opts.WorkDir == "" {
		opts.WorkDir = t.TempDir()
	}
	r, err := NewRunner(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	})
	return r
}

func probeReq(event string) InvokeRequest {
	return InvokeRequest{
		FunctionName: "probe",
		FunctionArn:  "arn:aws:lambda:eu-west-1:123456789012:function:probe",
		Version:      "$LATEST",
		CodeSha256:   "sha-1",
		ZipPath:      probeZip,
		MemoryMB:     256,
		Timeout:      5 * time.Second,
		Region:       "eu-west-1",
		Environment:  map[string]string{"GREETING": "hello", "SECRET_TOKEN": "s3cr3t"},
		Payload:      []byte(event),
	}
}

type probeReply struct {
	Action   string            `json:"action"`
	Message  string            `json:"message"`
	PID      int               `json:"pid"`
	Request  string            `json:"requestId"`
	ARN      string            `json:"arn"`
	Deadline int64             `json:"deadlineMs"`
	Env      map[string]string `json:"env"`
	Cwd      string            `json:"cwd"`
	Client   map[string]string `json:"client"`
}

func invoke(t *testing.T, r *Runner, req InvokeRequest) *InvokeResult {
	t.Helper()
	res, err := r.Invoke(context.Background(), req)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	return res
}

func decodeReply(t *testing.T, res *InvokeResult) probeReply {
	t.Helper()
	if res.FunctionError != "" {
		t.Fatalf("FunctionError %q, payload %s\nlogs:\n%s", res.FunctionError, res.Payload, res.Logs)
	}
	var p probeReply
	if err := json.Unmarshal(res.Payload, &p); err != nil {
		t.Fatalf("payload %q: %v", res.Payload, err)
	}
	return p
}

type errPayload struct {
	Message string `json:"errorMessage"`
	Type    string `json:"errorType"`
	Stack   []any  `json:"stackTrace"`
}

func decodeError(t *testing.T, res *InvokeResult) errPayload {
	t.Helper()
	if res.FunctionError != "Unhandled" {
		t.Fatalf("FunctionError = %q, want Unhandled; payload %s", res.FunctionError, res.Payload)
	}
	var p errPayload
	if err := json.Unmarshal(res.Payload, &p); err != nil {
		t.Fatalf("error payload %q: %v", res.Payload, err)
	}
	return p
}

var reportRE = regexp.MustCompile(`(?m)^REPORT RequestId: ([0-9a-f-]{36})\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 256 MB\tMax Memory Used: \d+ MB(\tInit Duration: \d+\.\d\d ms)?(\tStatus: \w+(\tError Type: [\w.]+)?)?$`)

func TestInvokeEchoColdThenWarm(t *testing.T) {
	t.Parallel()
	r := newTestRunner(t, RunnerOptions{})
	req := probeReq(`{"action":"echo","message":"hi"}`)
	req.ClientContext = base64.StdEncoding.EncodeToString([]byte(`{"custom":{"k":"v"}}`))
	first := invoke(t, r, req)
	p1 := decodeReply(t, first)
	if !first.ColdStart || first.InitDuration <= 0 {
		t.Errorf("first invoke: ColdStart=%v InitDuration=%v, want a cold start", first.ColdStart, first.InitDuration)
	}
	want := probeReply{Action: "echo", Message: "hi", PID: p1.PID, Request: first.RequestID,
		ARN: req.FunctionArn, Deadline: p1.Deadline, Client: map[string]string{"k": "v"}}
	if diff := cmp.Diff(want, p1); diff != "" {
		t.Errorf("reply (-want +got):\n%s", diff)
	}
	if p1.Deadline < time.Now().UnixMilli() || p1.Deadline > time.Now().Add(5*time.Second).UnixMilli() {
		t.Errorf("deadline %d not within the 5 s timeout from now", p1.Deadline)
	}
	logs := string(first.Logs)
	for _, s := range []string{
		"probe: init\n",
		"START RequestId: " + first.RequestID + " Version: $LATEST\n",
		"probe: action=echo\n",
		"probe: stderr for " + first.RequestID + "\n",
		"END RequestId: " + first.RequestID + "\n",
	} {
		if !strings.Contains(logs, s) {
			t.Errorf("logs lack %q:\n%s", s, logs)
		}
	}
	if strings.Index(logs, "probe: init") > strings.Index(logs, "START") {
		t.Errorf("init output after START:\n%s", logs)
	}
	m := reportRE.FindStringSubmatch(logs)
	if m == nil || m[1] != first.RequestID || m[2] == "" {
		t.Errorf("no cold REPORT line for %s:\n%q", first.RequestID, logs)
	}
	if !strings.HasSuffix(logs, "\n") || !strings.HasPrefix(logs[strings.LastIndex(logs[:len(logs)-1], "\n")+1:], "REPORT") {
		t.Errorf("REPORT is not the last line:\n%s", logs)
	}
	if first.BilledDuration < first.Duration || first.BilledDuration%time.Millisecond != 0 || first.BilledDuration-first.Duration >= time.Millisecond {
		t.Errorf("BilledDuration %v for Duration %v", first.BilledDuration, first.Duration)
	}
	if runtime.GOOS == "linux" && first.MaxMemoryMB <= 0 {
		t.Errorf("MaxMemoryMB = %d, want > 0", first.MaxMemoryMB)
	}

	second := invoke(t, r, probeReq(`{"action":"echo","message":"again"}`))
	p2 := decodeReply(t, second)
	if second.ColdStart || second.InitDuration != 0 {
		t.Errorf("second invoke: ColdStart=%v InitDuration=%v, want warm", second.ColdStart, second.InitDuration)
	}
	if p2.PID != p1.PID {
		t.Errorf("warm invoke ran in pid %d, want reuse of %d", p2.PID, p1.PID)
	}
	if p2.Request == p1.Request {
		t.Errorf("request id reused: %s", p2.Request)
	}
	if strings.Contains(string(second.Logs), "probe: init") || strings.Contains(string(second.Logs), first.RequestID) {
		t.Errorf("second invoke's logs hold the first's:\n%s", second.Logs)
	}
	if m := reportRE.FindStringSubmatch(string(second.Logs)); m == nil || m[2] != "" {
		t.Errorf("warm REPORT line wrong (Init Duration only on cold starts):\n%s", second.Logs)
	}

	// A different code identity or configuration is a different environment.
	changed := probeReq(`{"action":"echo"}`)
	changed.CodeSha256 = "sha-2"
	third := invoke(t, r, changed)
	if p3 := decodeReply(t, third); !third.ColdStart || p3.PID == p1.PID {
		t.Errorf("new code: ColdStart=%v pid %d (old %d), want a new environment", third.ColdStart, p3.PID, p1.PID)
	}
	changed = probeReq(`{"action":"echo"}`)
	changed.Environment = map[string]string{"GREETING": "bye"}
	if res := invoke(t, r, changed); !res.ColdStart {
		t.Errorf("new environment variables reused a warm environment")
	}
}

func TestInvokeEnvironment(t *testing.T) {
	// A relative WorkDir works: the runner makes it absolute.
	t.Chdir(t.TempDir())
	r := newTestRunner(t, RunnerOptions{WorkDir: "run"})
	t.Setenv("LAMB_HOST_ONLY", "leak")
	res := invoke(t, r, probeReq(`{"action":"env"}`))
	p := decodeReply(t, res)
	if _, ok := p.Env["LAMB_HOST_ONLY"]; ok {
		t.Errorf("host environment leaked into the function")
	}
	for k, want := range map[string]string{
		"GREETING":                        "hello",
		"AWS_LAMBDA_FUNCTION_NAME":        "probe",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_REGION":                      "eu-west-1",
		"AWS_DEFAULT_REGION":              "eu-west-1",
		"_HANDLER":                        "bootstrap",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/probe",
		"LAMBDA_TASK_ROOT":                p.Cwd,
		"TZ":                              ":UTC",
		"PATH":                            os.Getenv("PATH"),
	} {
		if got := p.Env[k]; got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if !regexp.MustCompile(`^\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}$`).MatchString(p.Env["AWS_LAMBDA_LOG_STREAM_NAME"]) {
		t.Errorf("AWS_LAMBDA_LOG_STREAM_NAME = %q", p.Env["AWS_LAMBDA_LOG_STREAM_NAME"])
	}
	if !regexp.MustCompile(`^127\.0\.0\.1:\d+$`).MatchString(p.Env["AWS_LAMBDA_RUNTIME_API"]) {
		t.Errorf("AWS_LAMBDA_RUNTIME_API = %q, want 127.0.0.1:port", p.Env["AWS_LAMBDA_RUNTIME_API"])
	}
	if !filepath.IsAbs(p.Cwd) {
		t.Errorf("LAMBDA_TASK_ROOT %q is not absolute", p.Cwd)
	}
	st, err := os.Stat(filepath.Dir(p.Cwd))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Errorf("code dir parent mode %v, want private 0700", st.Mode().Perm())
	}
	if strings.Contains(string(res.Logs), "s3cr3t") {
		t.Errorf("logs print an environment value")
	}
}

func TestInvokeFunctionError(t *testing.T) {
	t.Parallel()
	r := newTestRunner(t, RunnerOptions{})
	res := invoke(t, r, probeReq(`{"action":"error","message":"card declined"}`))
	got := decodeError(t, res)
	if diff := cmp.Diff(errPayload{Message: "card declined", Type: "errorString"}, got); diff != "" {
		t.Errorf("error payload (-want +got):\n%s", diff)
	}
	if !strings.Contains(string(res.Logs), `"errorMessage":"card declined"`) {
		t.Errorf("logs lack the runtime's error line:\n%s", res.Logs)
	}
	// A handled error keeps the environment warm.
	again := invoke(t, r, probeReq(`{"action":"echo"}`))
	decodeReply(t, again)
	if again.ColdStart {
		t.Errorf("invoke after a function error was cold; the environment should be reused")
	}
}

func TestInvokePanic(t *testing.T) {
	t.Parallel()
	r := newTestRunner(t, RunnerOptions{})
	res := invoke(t, r, probeReq(`{"action":"panic","message":"kaboom"}`))
	got := decodeError(t, res)
	if got.Message != "kaboom" || got.Type != "string" || len(got.Stack) == 0 {
		t.Errorf("panic payload = %+v, want message kaboom, type string and a stack", got)
	}
	// What the runtime logs after posting the error, before it exits, is
	// part of this invoke.
	if !strings.Contains(string(res.Logs), "the process should exit") {
		t.Errorf("panic logs lack the runtime's last words:\n%s", res.Logs)
	}
	// aws-lambda-go exits after a panic: the next invoke is cold.
	next := invoke(t, r, probeReq(`{"action":"echo"}`))
	decodeReply(t, next)
	if !next.ColdStart {
		t.Errorf("invoke after a panic was warm, want cold")
	}
}

func TestInvokeTimeout(t *testing.T) {
	t.Parallel()
	r := newTestRunner(t, RunnerOptions{})
	req := probeReq(`{"action":"sleep","ms":60000}`)
	req.Timeout = time.Second
	start := time.Now()
	res := invoke(t, r, req)
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("timeout took %v", el)
	}
	got := decodeError(t, res)
	want := errPayload{Type: "Sandbox.Timedout", Message: "RequestId: " + res.RequestID + " Error: Task timed out after 1.00 seconds"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("timeout payload (-want +got):\n%s", diff)
	}
	if m := reportRE.FindStringSubmatch(string(res.Logs)); m == nil || m[3] != "\tStatus: timeout" {
		t.Errorf("timeout REPORT line lacks Status: timeout:\n%s", res.Logs)
	}
	if !strings.Contains(string(res.Logs), res.RequestID+" Task timed out after 1.00 seconds") {
		t.Errorf("logs lack Task timed out:\n%s", res.Logs)
	}
	if res.Duration < time.Second {
		t.Errorf("Duration %v < timeout", res.Duration)
	}
	next := invoke(t, r, probeReq(`{"action":"echo"}`))
	decodeReply(t, next)
	if !next.ColdStart {
		t.Errorf("invoke after a timeout was warm, want cold")
	}
}

func TestInvokeCrash(t *testing.T) {
	t.Parallel()
	r := newTestRunner(t, RunnerOptions{})
	warm := decodeReply(t, invoke(t, r, probeReq(`{"action":"echo"}`)))
	res := invoke(t, r, probeReq(`{"action":"exit"}`))
	got := decodeError(t, res)
	want := errPayload{Type: "Runtime.ExitError", Message: "RequestId: " + res.RequestID + " Error: Runtime exited with error: exit status 3"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("crash payload (-want +got):\n%s", diff)
	}
	if m := reportRE.FindStringSubmatch(string(res.Logs)); m == nil || m[3] != "\tStatus: error\tError Type: Runtime.ExitError" {
		t.Errorf("crash REPORT line lacks the status:\n%s", res.Logs)
	}
	if !strings.Contains(string(res.Logs), "probe: action=exit") || !strings.Contains(string(res.Logs), "Runtime.ExitError") {
		t.Errorf("crash logs incomplete:\n%s", res.Logs)
	}
	next := invoke(t, r, probeReq(`{"action":"echo"}`))
	if p := decodeReply(t, next); !next.ColdStart || p.PID == warm.PID {
		t.Errorf("invoke after a crash: cold=%v pid=%d (crashed %d), want a new cold environment", next.ColdStart, p.PID, warm.PID)
	}
}

func TestInvokeResponseTooLarge(t *testing.T) {
	t.Parallel()
	r := newTestRunner(t, RunnerOptions{})
	res := invoke(t, r, probeReq(fmt.Sprintf(`{"action":"big","ms":%d}`, MaxResponseBytes+10)))
	if got := decodeError(t, res); got.Type != "Function.ResponseSizeTooLarge" {
		t.Errorf("errorType %q, want Function.ResponseSizeTooLarge", got.Type)
	}
}

func TestInvokeConcurrentScalesOut(t *testing.T) {
	t.Parallel()
	r := newTestRunner(t, RunnerOptions{})
	// Both invokes block in the function until both have arrived: they can
	// only finish if they run in two environments at once.
	var mu sync.Mutex
	arrived, release := 0, make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		arrived++
		if arrived == 2 {
			close(release)
		}
		mu.Unlock()
		<-release
	}))
	defer ts.Close()
	var wg sync.WaitGroup
	results := make([]*InvokeResult, 2)
	for i := range 2 {
		wg.Go(func() {
			res, err := r.Invoke(context.Background(), probeReq(fmt.Sprintf(`{"action":"rendezvous","message":%q}`, ts.URL)))
			if err != nil {
				t.Error(err)
				return
			}
			results[i] = res
		})
	}
	wg.Wait()
	pids := make([]int, 2)
	for i, res := range results {
		if res == nil {
			t.FailNow()
		}
		pids[i] = decodeReply(t, res).PID
	}
	if pids[0] == pids[1] {
		t.Errorf("concurrent invokes shared pid %d, want two environments", pids[0])
	}
	// Both environments are now warm.
	for range 2 {
		if res := invoke(t, r, probeReq(`{"action":"echo"}`)); res.ColdStart {
			t.Errorf("invoke after scale-out was cold")
		}
	}
}

func TestInvokeManyLogLines(t *testing.T) {
	t.Parallel()
	r := newTestRunner(t, RunnerOptions{})
	res := invoke(t, r, probeReq(`{"action":"log","ms":2000}`))
	decodeReply(t, res)
	logs := string(res.Logs)
	if !strings.Contains(logs, "line 1999 ") {
		t.Errorf("the last line written before the response is missing (len %d)", len(logs))
	}
	if strings.Count(logs, "\nline ") != 2000 {
		t.Errorf("got %d log lines, want 2000", strings.Count(logs, "\nline "))
	}
	if strings.Index(logs, "line 1999 ") > strings.Index(logs, "END RequestId") {
		t.Errorf("function output after END")
	}
	tail, err := base64.StdEncoding.DecodeString(TailLog(res.Logs))
	if err != nil {
		t.Fatal(err)
	}
	if len(tail) != 4096 || !bytes.HasSuffix(res.Logs, tail) {
		t.Errorf("TailLog: %d bytes, want the last 4096", len(tail))
	}
}

func TestInvokeInitFailures(t *testing.T) {
	t.Parallel()
	r := newTestRunner(t, RunnerOptions{})
	tests := []struct {
		mode string
		want errPayload
		log  string
	}{
		{"error", errPayload{Type: "Probe.InitError", Message: "bad config"}, "probe: init\n"},
		{"exit", errPayload{Type: "Runtime.ExitError", Message: "RequestId: ID Error: Runtime exited with error: exit status 2"}, "Runtime.ExitError\n"},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			req := probeReq(`{"action":"echo"}`)
			req.Environment = map[string]string{"PROBE_INIT": tt.mode}
			res := invoke(t, r, req)
			got := decodeError(t, res)
			got.Message = strings.ReplaceAll(got.Message, res.RequestID, "ID")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("init failure payload (-want +got):\n%s", diff)
			}
			if !res.ColdStart || !strings.Contains(string(res.Logs), tt.log) || !reportRE.Match(res.Logs) {
				t.Errorf("cold=%v, logs:\n%s", res.ColdStart, res.Logs)
			}
		})
	}
}

func TestInvokeStreamFailureTrailers(t *testing.T) {
	t.Parallel()
	r := newTestRunner(t, RunnerOptions{})
	res := invoke(t, r, probeReq(`{"action":"streamerr"}`))
	got := decodeError(t, res)
	if diff := cmp.Diff(errPayload{Type: "errorString", Message: "stream broke"}, got); diff != "" {
		t.Errorf("trailer error payload (-want +got):\n%s", diff)
	}
	if strings.Contains(string(res.Logs), "errorMessage") {
		t.Errorf("the runtime took its /error path, not the streamed response with trailers:\n%s", res.Logs)
	}
}

func TestInvokeMissingBootstrap(t *testing.T) {
	t.Parallel()
	r := newTestRunner(t, RunnerOptions{})
	zp := filepath.Join(t.TempDir(), "nobootstrap.zip")
	if err := writeZip(zp, []zipEntry{{name: "main", mode: 0o755, data: []byte("x")}}); err != nil {
		t.Fatal(err)
	}
	req := probeReq(`{}`)
	req.ZipPath = zp
	res := invoke(t, r, req)
	if got := decodeError(t, res); got.Type != "Runtime.InvalidEntrypoint" {
		t.Errorf("errorType %q, want Runtime.InvalidEntrypoint", got.Type)
	}
}

func TestInvokeBootstrapNotExecutable(t *testing.T) {
	t.Parallel()
	r := newTestRunner(t, RunnerOptions{})
	zp := filepath.Join(t.TempDir(), "foreign.zip")
	// Not a binary for this machine (nor a script): exec format error.
	if err := writeZip(zp, []zipEntry{{name: "bootstrap", mode: 0o755, data: []byte("\x00\x01\x02\x03 not an executable")}}); err != nil {
		t.Fatal(err)
	}
	req := probeReq(`{}`)
	req.ZipPath = zp
	res := invoke(t, r, req)
	got := decodeError(t, res)
	want := errPayload{Type: "Runtime.InvalidEntrypoint", Message: "RequestId: " + res.RequestID + " Error: fork/exec /var/task/bootstrap: exec format error"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("payload (-want +got):\n%s", diff)
	}
	if !strings.Contains(string(res.Logs), "build the function for this machine's architecture") {
		t.Errorf("logs lack the architecture hint:\n%s", res.Logs)
	}
}

func TestInvokeBadZip(t *testing.T) {
	t.Parallel()
	r := newTestRunner(t, RunnerOptions{})
	req := probeReq(`{}`)
	req.ZipPath = filepath.Join(t.TempDir(), "missing.zip")
	if _, err := r.Invoke(context.Background(), req); err == nil {
		t.Errorf("Invoke of a missing package succeeded")
	}
}

func TestIdleReap(t *testing.T) {
	t.Parallel()
	r := newTestRunner(t, RunnerOptions{IdleTimeout: 50 * time.Millisecond})
	reaped := make(chan struct{}, 1)
	r.testHookReaped = func() { reaped <- struct{}{} }
	first := decodeReply(t, invoke(t, r, probeReq(`{"action":"echo"}`)))
	<-reaped
	if processAlive(first.PID) {
		t.Fatalf("idle environment (pid %d) was reaped but its process lives", first.PID)
	}
	if res := invoke(t, r, probeReq(`{"action":"echo"}`)); !res.ColdStart {
		t.Errorf("invoke after reaping was warm")
	}
}

func TestCloseKillsProcesses(t *testing.T) {
	t.Parallel()
	r, err := NewRunner(RunnerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := decodeReply(t, invoke(t, r, probeReq(`{"action":"echo"}`)))
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if processAlive(p.PID) {
		t.Errorf("pid %d alive after Close", p.PID)
	}
	if _, err := os.Stat(r.workDir); !os.IsNotExist(err) {
		t.Errorf("work dir %s left after Close: %v", r.workDir, err)
	}
	if _, err := r.Invoke(context.Background(), probeReq(`{}`)); err == nil {
		t.Errorf("Invoke after Close succeeded")
	}
}

func TestInvokeContextCancel(t *testing.T) {
	t.Parallel()
	r := newTestRunner(t, RunnerOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	// The function is running (it called us) when the caller gives up.
	hold := make(chan struct{})
	defer close(hold)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		cancel()
		select {
		case <-hold:
		case <-req.Context().Done(): // the function was killed
		}
	}))
	defer ts.Close()
	req := probeReq(fmt.Sprintf(`{"action":"rendezvous","message":%q}`, ts.URL))
	req.Timeout = time.Minute
	_, err := r.Invoke(ctx, req)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Invoke error = %v, want context.Canceled", err)
	}
	// The abandoned environment is gone: the next invoke is cold.
	if res := invoke(t, r, probeReq(`{"action":"echo"}`)); !res.ColdStart {
		t.Errorf("invoke after a cancelled one reused its environment")
	}
}

// processAlive reports whether pid exists and is not a zombie.
func processAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	return len(f) > 2 && f[2] != "Z"
}

func BenchmarkInvokeWarm(b *testing.B) {
	r, err := NewRunner(RunnerOptions{WorkDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	req := probeReq(`{"action":"echo"}`)
	if _, err := r.Invoke(context.Background(), req); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		res, err := r.Invoke(context.Background(), req)
		if err != nil || res.FunctionError != "" || res.ColdStart {
			b.Fatalf("invoke: %v %s cold=%v", err, res.Payload, res.ColdStart)
		}
	}
}

func BenchmarkInvokeCold(b *testing.B) {
	r, err := NewRunner(RunnerOptions{WorkDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	req := probeReq(`{"action":"echo"}`)
	i := 0
	for b.Loop() {
		i++
		req.Environment = map[string]string{"N": fmt.Sprint(i)} // a new configuration: a new environment
		res, err := r.Invoke(context.Background(), req)
		if err != nil || res.FunctionError != "" || !res.ColdStart {
			b.Fatalf("invoke: %v cold=%v", err, res.ColdStart)
		}
	}
}
