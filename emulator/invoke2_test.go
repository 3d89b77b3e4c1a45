package emulator_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/emulator"
	"github.com/lambctl/lamb/emulator/emulatortest"
)

// sinks collects Options.Logs and Options.OnInvoke.
type sinks struct {
	mu      sync.Mutex
	lines   []emulator.LogLine
	records []emulator.InvokeRecord
	ended   chan string // request IDs whose REPORT line came
}

func newSinks() *sinks { return &sinks{ended: make(chan string, 16)} }

func (s *sinks) options(o emulator.Options) emulator.Options {
	o.Logs = func(l emulator.LogLine) {
		s.mu.Lock()
		s.lines = append(s.lines, l)
		s.mu.Unlock()
		if strings.HasPrefix(string(l.Line), "REPORT ") {
			s.ended <- l.RequestID
		}
	}
	o.OnInvoke = func(r emulator.InvokeRecord) {
		s.mu.Lock()
		s.records = append(s.records, r)
		s.mu.Unlock()
	}
	return o
}

// of returns the lines of one invocation as text, checking they name it.
func (s *sinks) of(t *testing.T, requestID, function, version string) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for _, l := range s.lines {
		if l.RequestID != requestID {
			continue
		}
		if l.Function != function || l.Version != version || l.Stream == "" || l.Time.IsZero() {
			t.Errorf("line %q: function %q version %q stream %q time %v", l.Line, l.Function, l.Version, l.Stream, l.Time)
		}
		b.Write(l.Line)
		b.WriteByte('\n')
	}
	return b.String()
}

func (s *sinks) record(t *testing.T, requestID string) emulator.InvokeRecord {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.records {
		if r.RequestID == requestID {
			return r
		}
	}
	t.Fatalf("no invoke record for %s in %+v", requestID, s.records)
	return emulator.InvokeRecord{}
}

// waitReport waits (10 s at most) for the REPORT line of an invocation.
func (s *sinks) waitReport(t *testing.T) string {
	t.Helper()
	select {
	case id := <-s.ended:
		return id
	case <-time.After(10 * time.Second):
		t.Fatal("no REPORT line within 10 s")
		return ""
	}
}

func requestID(out *lambda.InvokeOutput) string {
	id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	return id
}

// TestInvokeNoPayload: an invoke without a payload gives the function {},
// as Lambda does — through the API and in-process.
func TestInvokeNoPayload(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs a function")
	}
	k := emulatortest.New(t, emulatortest.WithRuntime())
	k.CreateFunction(t, emulatortest.CreateInput("probe", probeZip(t)))
	out, err := k.Lambda.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("probe")})
	if err != nil {
		t.Fatal(err)
	}
	if out.FunctionError != nil || string(decodeReply(t, out.Payload).Event) != "{}" {
		t.Errorf("no payload: the function got %s (error %q)", out.Payload, aws.ToString(out.FunctionError))
	}
	res, err := k.Server.Invoke(context.Background(), "probe", "", nil)
	if err != nil || res.FunctionError != "" || string(decodeReply(t, res.Payload).Event) != "{}" {
		t.Errorf("in-process, no payload: %s %q %v", res.Payload, res.FunctionError, err)
	}
}

// TestInvokeLogsAndRecords: the logs of every invocation — synchronous,
// Event (which nobody waits for) and in-process — reach Options.Logs,
// named by function, version and request ID, and each invocation is
// recorded for the metrics.
func TestInvokeLogsAndRecords(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs a function")
	}
	sk := newSinks()
	k := emulatortest.New(t, emulatortest.WithRuntime(), emulatortest.WithOptions(sk.options(emulator.Options{})))
	ctx := context.Background()
	k.CreateFunction(t, emulatortest.CreateInput("probe", probeZip(t)))
	if _, err := k.Lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("probe")}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Lambda.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("probe"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}

	// Synchronous: the lines are those of the Tail, the request ID the
	// response's.
	out, err := k.Lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("probe"), Qualifier: aws.String("live"),
		Payload: []byte(`{"action":"error","message":"boom"}`)})
	if err != nil {
		t.Fatal(err)
	}
	sync := requestID(out)
	if got := sk.waitReport(t); got != sync {
		t.Fatalf("REPORT of %s, want %s", got, sync)
	}
	text := sk.of(t, sync, "probe", "1")
	for _, want := range []string{"probe: init\n", "START RequestId: " + sync + " Version: 1\n", "probe: action=error\n", "END RequestId: " + sync + "\n", "REPORT RequestId: " + sync} {
		if !strings.Contains(text, want) {
			t.Errorf("sync invoke's lines lack %q:\n%s", want, text)
		}
	}
	r := sk.record(t, sync)
	r.Start, r.Duration, r.InitDuration, r.MaxMemoryMB = time.Time{}, 0, 0, 0
	if diff := cmp.Diff(emulator.InvokeRecord{Function: "probe", Resource: "probe:live", ExecutedVersion: "1", RequestID: sync,
		InvocationType: "RequestResponse", ColdStart: true, MemoryMB: 128, FunctionError: "Unhandled"}, r); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}

	// Event: nobody waits, the logs still come.
	out, err = k.Lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("probe"), InvocationType: types.InvocationTypeEvent,
		Payload: []byte(`{"action":"echo"}`)})
	if err != nil || out.StatusCode != 202 {
		t.Fatalf("Event: %v %d", err, out.StatusCode)
	}
	event := requestID(out)
	if got := sk.waitReport(t); got != event {
		t.Fatalf("REPORT of %s, want the Event invoke's %s", got, event)
	}
	if text := sk.of(t, event, "probe", "$LATEST"); !strings.Contains(text, "probe: action=echo\n") {
		t.Errorf("Event invoke's lines:\n%s", text)
	}
	if r := sk.record(t, event); r.InvocationType != "Event" || r.Resource != "probe" || r.FunctionError != "" || r.Duration <= 0 {
		t.Errorf("Event record %+v", r)
	}

	// In-process, and a timeout.
	if _, err := k.Lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("probe"), Timeout: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	if err := k.WaitUpdated(t, "probe"); err != nil {
		t.Fatal(err)
	}
	res, err := k.Server.Invoke(ctx, "probe", "", []byte(`{"action":"sleep","ms":3000}`))
	if err != nil || res.FunctionError != "Unhandled" {
		t.Fatalf("in-process timeout: %q %v", res.FunctionError, err)
	}
	id := sk.waitReport(t)
	if r := sk.record(t, id); !r.TimedOut || r.Resource != "probe" || r.InvocationType != "RequestResponse" {
		t.Errorf("timeout record %+v", r)
	}
	if text := sk.of(t, id, "probe", "$LATEST"); !strings.Contains(text, "Task timed out after 1.00 seconds") {
		t.Errorf("timeout lines:\n%s", text)
	}

	// A throttled invoke is recorded, and runs nothing.
	k.Server.Inject(emulator.Fault{Op: "Invoke", Status: 429})
	if _, err := k.Lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("probe:live")}); err == nil {
		t.Fatal("the throttle fault was not answered")
	}
	sk.mu.Lock()
	last := sk.records[len(sk.records)-1]
	sk.mu.Unlock()
	if !last.Throttled || last.Resource != "probe:live" {
		t.Errorf("throttle record %+v", last)
	}
}

// versionZip is the probe with a version.txt saying which code it is.
func versionZip(t *testing.T, version string) []byte { return bigZip(t, 0, version) }

func processAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	return len(f) > 2 && f[2] != "Z"
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for processAlive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("the environment of the old code (pid %d) was not retired", pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestCodeSwap: new code (UpdateFunctionCode on $LATEST, or an alias moved
// to a new version) runs from the next invocation; the invocation running
// finishes on the old code, and the old code's warm environments are shut
// down.
func TestCodeSwap(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs a function")
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc to see processes")
	}
	sk := newSinks()
	k := emulatortest.New(t, emulatortest.WithRuntime(), emulatortest.WithOptions(sk.options(emulator.Options{})))
	ctx := context.Background()
	which := func(qualifier string) reply {
		t.Helper()
		res, err := k.Server.Invoke(ctx, "swap", qualifier, []byte(`{"action":"file","message":"version.txt"}`))
		if err != nil || res.FunctionError != "" {
			t.Fatalf("invoke: %s %q %v", res.Payload, res.FunctionError, err)
		}
		return decodeReply(t, res.Payload)
	}
	in := emulatortest.CreateInput("swap", versionZip(t, "A"))
	in.Timeout = aws.Int32(10)
	k.CreateFunction(t, in)
	a := which("")
	if a.Message != "A" {
		t.Fatalf("runs %q, want A", a.Message)
	}

	// An invocation of A is running (it has logged) when B arrives.
	done := make(chan reply)
	go func() {
		res, err := k.Server.Invoke(ctx, "swap", "", []byte(`{"action":"sleep","ms":1500}`))
		if err != nil || res.FunctionError != "" {
			t.Errorf("the running invocation failed: %s %v", res.Payload, err)
		}
		done <- decodeReply(t, res.Payload)
	}()
	waitLine(t, sk, "probe: action=sleep")
	if _, err := k.Lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("swap"), ZipFile: versionZip(t, "B")}); err != nil {
		t.Fatal(err)
	}
	if err := k.WaitUpdated(t, "swap"); err != nil {
		t.Fatal(err)
	}
	if b := which(""); b.Message != "B" || b.PID == a.PID {
		t.Errorf("after the update: code %q in pid %d (A's was %d)", b.Message, b.PID, a.PID)
	}
	if slow := <-done; slow.PID != a.PID {
		t.Errorf("the running invocation ended in pid %d, want A's %d", slow.PID, a.PID)
	}
	waitGone(t, a.PID)

	// Behind an alias: live → 1 (B), then → 2 (C).
	for _, step := range []struct{ code, version string }{{"", "1"}, {"C", "2"}} {
		if step.code != "" {
			if _, err := k.Lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("swap"), ZipFile: versionZip(t, step.code)}); err != nil {
				t.Fatal(err)
			}
			if err := k.WaitUpdated(t, "swap"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := k.Lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("swap")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := k.Lambda.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("swap"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	v1 := which("live")
	if _, err := k.Lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("swap"), Name: aws.String("live"), FunctionVersion: aws.String("2")}); err != nil {
		t.Fatal(err)
	}
	if v2 := which("live"); v1.Message != "B" || v2.Message != "C" || v2.PID == v1.PID {
		t.Errorf("alias: %q (pid %d) then %q (pid %d), want B then C in a new environment", v1.Message, v1.PID, v2.Message, v2.PID)
	}
	waitGone(t, v1.PID)
}

// waitLine waits (10 s at most) until a log line starting with prefix came.
func waitLine(t *testing.T, sk *sinks, prefix string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		sk.mu.Lock()
		for _, l := range sk.lines {
			if strings.HasPrefix(string(l.Line), prefix) {
				sk.mu.Unlock()
				return
			}
		}
		sk.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no log line %q within 10 s", prefix)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
