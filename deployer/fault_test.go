package deployer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/deployer"
	"github.com/lambctl/lamb/emulator"
	"github.com/lambctl/lamb/manifest"
)

func TestMain(m *testing.M) {
	if spec := os.Getenv("LAMB_DEPLOYER_CHILD"); spec != "" {
		os.Exit(child(spec))
	}
	os.Exit(m.Run())
}

// childSpec is what a subprocess deploy gets from the test.
type childSpec struct {
	URL       string
	Desired   []deployer.Desired
	Artifacts []deployer.Artifact
	// CloudWatch is the local CloudWatch's URL, for rollouts.
	CloudWatch string
}

// childProc is a deploy in a subprocess (TestMain's child) that a test's
// handler kills midway.
type childProc struct {
	mu     sync.Mutex
	proc   *os.Process
	killed bool
}

// run deploys spec in a subprocess and returns when it ends, with its
// stderr, whether kill ended it, and its error. The process is known to
// kill before it makes a call.
func (c *childProc) run(t *testing.T, spec childSpec) (stderr string, killed bool, err error) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	specPath := filepath.Join(t.TempDir(), "spec.json")
	if err := os.WriteFile(specPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), "LAMB_DEPLOYER_CHILD="+specPath)
	var errOut strings.Builder
	cmd.Stderr = &errOut
	c.mu.Lock()
	if err := cmd.Start(); err != nil {
		c.mu.Unlock()
		t.Fatal(err)
	}
	c.proc = cmd.Process
	c.mu.Unlock()
	err = cmd.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	return errOut.String(), c.killed, err
}

// kill sends SIGKILL to the subprocess. The process can only end from it
// after killed is set: run, whose Wait returns after the process ended,
// sees it.
func (c *childProc) kill() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.killed = true
	c.proc.Kill()
}

// child deploys the spec in the file named spec; the test kills it midway.
func child(spec string) int {
	data, err := os.ReadFile(spec)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	var s childSpec
	if err := json.Unmarshal(data, &s); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	opts := deployer.Options{Lambda: newClient(s.URL), Rate: -1, ReadRate: -1, WaitMinDelay: 5 * time.Millisecond, Concurrency: 2}
	if s.CloudWatch != "" {
		opts.CloudWatch = cwClient(s.CloudWatch)
	}
	d := deployer.New(opts)
	ctx := context.Background()
	plan, err := d.Plan(ctx, s.Desired)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if _, err := d.Deploy(ctx, plan, s.Artifacts); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func TestDeployFaults(t *testing.T) {
	tests := []struct {
		name   string
		phase  string // "create": faults hit the first deploy; "update": the second
		faults []emulator.Fault
		fails  bool // the faulty deploy reports a failure (a rerun converges)
	}{
		{name: "throttling storm on create", phase: "create", faults: []emulator.Fault{
			{Op: "CreateFunction", Status: 429, Count: 6}, {Op: "PublishVersion", Status: 429, Count: 4}, {Op: "GetFunction", Status: 429, Count: 5},
		}},
		{name: "throttling storm on update", phase: "update", faults: []emulator.Fault{
			{Op: "UpdateFunctionCode", Status: 429, Count: 6}, {Op: "UpdateAlias", Status: 429, Count: 4}, {Op: "TagResource", Status: 429, Count: 3},
		}},
		{name: "update in progress", phase: "update", faults: []emulator.Fault{
			{Op: "UpdateFunctionCode", Status: 409, Count: 2}, {Op: "PublishVersion", Status: 409, Count: 3},
		}},
		{name: "server errors", phase: "create", faults: []emulator.Fault{
			{Op: "CreateFunction", Status: 500, Count: 2}, {Op: "CreateAlias", Status: 503, Count: 2}, {Op: "TagResource", Status: 500, Count: 2},
		}},
		{name: "dropped connections", phase: "update", faults: []emulator.Fault{
			{Op: "UpdateFunctionCode", Drop: true, Count: 2}, {Op: "PublishVersion", Drop: true}, {Op: "UpdateAlias", Drop: true}, {Op: "GetFunction", Drop: true}, {Op: "TagResource", Drop: true},
		}},
		{name: "dropped create", phase: "create", faults: []emulator.Fault{{Op: "CreateFunction", Drop: true, Count: 2}}},
		{name: "failed update", phase: "update", fails: true, faults: []emulator.Fault{
			{Op: "UpdateFunctionCode", Function: "b", FailTransition: true},
		}},
		{name: "failed create", phase: "create", fails: true, faults: []emulator.Fault{
			{Op: "CreateFunction", Function: "c", FailTransition: true},
		}},
		{name: "failed configuration update", phase: "update", fails: true, faults: []emulator.Fault{
			{Op: "UpdateFunctionConfiguration", Function: "a", FailTransition: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t, emulator.Options{TransitionDelay: 2 * time.Millisecond})
			ctx := context.Background()
			w := e.world(t, map[string]string{"a": "fa1", "b": "fb1", "c": "fc1"})
			inject := func() {
				for _, f := range tt.faults {
					e.srv.Inject(f)
				}
			}
			if tt.phase == "create" {
				inject()
			} else {
				if _, _, err := e.deploy(ctx, t, w, testOptions(e)); err != nil {
					t.Fatal(err)
				}
				w.set(t, e, "a", "fa2")
				w.set(t, e, "b", "fb2")
				w.set(t, e, "c", "fc2")
				w.edit("a", func(f *manifest.Function) { f.Memory = 512 })
				inject()
			}
			_, res, err := e.deploy(ctx, t, w, testOptions(e))
			switch {
			case tt.fails && err == nil:
				t.Fatalf("deploy succeeded despite %v", tt.faults)
			case tt.fails:
				if res.Failed != 1 || strings.Count(err.Error(), "\n") != 0 {
					t.Errorf("deploy: %s; error %q, want one failure on one line", res.Summary(), err)
				}
				t.Logf("expected failure: %v", err)
				if _, _, err := e.deploy(ctx, t, w, testOptions(e)); err != nil {
					t.Fatalf("rerun: %v", err)
				}
			case err != nil:
				t.Fatalf("deploy failed: %v", err)
			}
			e.checkConverged(t, w)
		})
	}
}

// TestDeployKilled kills a deploy running in a subprocess right after the
// server answers its k-th mutating call, checks that no alias points at
// code that is not one of the function's artifacts, then reruns the deploy
// in-process and checks that everything converged.
func TestDeployKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts subprocesses")
	}
	type point struct {
		phase string
		k     int
	}
	points := []point{{"create", 1}, {"create", 3}, {"create", 6}, {"create", 10}, {"update", 1}, {"update", 4}, {"update", 7}, {"update", 11}}
	// And two random points; a full deploy of 3 functions makes 12 mutating
	// calls. The subtest's name says which point failed.
	points = append(points, point{"create", 1 + rand.IntN(11)}, point{"update", 1 + rand.IntN(11)})
	for _, tc := range points {
		t.Run(fmt.Sprintf("%s/after-%d", tc.phase, tc.k), func(t *testing.T) {
			t.Parallel()
			var (
				counting atomic.Bool
				n        atomic.Int32
				child    childProc
			)
			e := newTestEnvHandler(t, emulator.Options{TransitionDelay: 3 * time.Millisecond}, func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					h.ServeHTTP(w, r)
					if !counting.Load() || r.Method == http.MethodGet || strings.HasPrefix(r.URL.Path, "/_lamb/") {
						return
					}
					if n.Add(1) == int32(tc.k) {
						child.kill()
					}
				})
			})
			ctx := context.Background()
			w := e.world(t, map[string]string{"a": "fa1", "b": "fb1", "c": "fc1"})
			before := map[string]string{}
			if tc.phase == "update" {
				if _, _, err := e.deploy(ctx, t, w, testOptions(e)); err != nil {
					t.Fatal(err)
				}
				for name, a := range w.arts {
					before[name] = a.CodeSha256
				}
				for _, name := range []string{"a", "b", "c"} {
					w.set(t, e, name, name+"-2")
				}
			}
			spec := childSpec{URL: e.url, Desired: w.desired}
			for _, a := range w.arts {
				spec.Artifacts = append(spec.Artifacts, a)
			}
			counting.Store(true)
			stderr, killed, err := child.run(t, spec)
			if !killed {
				t.Fatalf("child finished before %d mutating calls: %v\n%s", tc.k, err, stderr)
			}
			counting.Store(false)

			// No alias may point at code that is neither the old nor the new artifact.
			for _, d := range w.desired {
				name := d.Function.Name
				al, err := e.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name), Qualifier: aws.String("live")})
				if err != nil {
					continue // not created yet
				}
				if s := aws.ToString(al.Configuration.CodeSha256); s != w.arts[name].CodeSha256 && s != before[name] {
					t.Errorf("%s: after the kill alias points at code %s, neither old nor new", name, s)
				}
			}
			if _, _, err := e.deploy(ctx, t, w, testOptions(e)); err != nil {
				t.Fatalf("rerun: %v", err)
			}
			e.checkConverged(t, w)
		})
	}
}

// TestDeployInterrupted cancels the deploy's context (Ctrl-C) right after
// the server answers a given call of function a, with one function at a
// time: a function past its code update finishes publishing, moving its
// alias and tagging; one before it leaves its alias alone; no function
// starts after the interrupt; a rerun converges.
func TestDeployInterrupted(t *testing.T) {
	tests := []struct {
		after    string // "Op Function" after which the context is cancelled
		aDone    bool   // a finished anyway
		aliasNew bool   // a's alias points at the new code
	}{
		{after: "UpdateFunctionCode a", aDone: false, aliasNew: false},
		{after: "PublishVersion a", aDone: true, aliasNew: true},
		{after: "UpdateAlias a", aDone: true, aliasNew: true},
	}
	for _, tt := range tests {
		t.Run(tt.after, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var armed atomic.Bool
			e := newTestEnvHandler(t, emulator.Options{TransitionDelay: 2 * time.Millisecond}, func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					h.ServeHTTP(w, r)
					if !armed.Load() || r.Method == http.MethodGet {
						return
					}
					calls := h.(*emulator.Server).Calls()
					if last := calls[len(calls)-1]; last.Op+" "+last.Function == tt.after {
						cancel()
					}
				})
			})
			w := e.world(t, map[string]string{"a": "fa1", "b": "fb1", "c": "fc1"})
			if _, _, err := e.deploy(context.Background(), t, w, testOptions(e)); err != nil {
				t.Fatal(err)
			}
			old := w.arts["a"].CodeSha256
			for _, n := range []string{"a", "b", "c"} {
				w.set(t, e, n, n+"-2")
			}
			var (
				mu      sync.Mutex
				started []string
			)
			opts := testOptions(e)
			opts.Concurrency = 1
			opts.OnStart = func(name string) {
				mu.Lock()
				started = append(started, name)
				mu.Unlock()
			}
			armed.Store(true)
			_, res, err := e.deploy(ctx, t, w, opts)
			armed.Store(false)
			if err == nil {
				t.Fatal("interrupted deploy reported no error")
			}
			t.Logf("interrupted: %v", err)
			mu.Lock()
			defer mu.Unlock()
			if diff := cmp.Diff([]string{"a"}, started); diff != "" {
				t.Errorf("functions started (-want +got):\n%s", diff)
			}
			if got := res.Functions[0].Outcome == deployer.Updated; got != tt.aDone {
				t.Errorf("a: outcome %s, want done=%v", res.Functions[0].Outcome, tt.aDone)
			}
			al, aerr := e.client.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String("a"), Qualifier: aws.String("live")})
			if aerr != nil {
				t.Fatal(aerr)
			}
			want := old
			if tt.aliasNew {
				want = w.arts["a"].CodeSha256
			}
			if got := aws.ToString(al.Configuration.CodeSha256); got != want {
				t.Errorf("a's alias points at code %s, want %s", got, want)
			}
			if _, _, err := e.deploy(context.Background(), t, w, testOptions(e)); err != nil {
				t.Fatalf("rerun: %v", err)
			}
			e.checkConverged(t, w)
		})
	}
}
