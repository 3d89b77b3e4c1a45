// Package devloop is lamb dev: one process that runs the local Lambda and
// an HTTP front (API Gateway HTTP API style) for a repository's
// functions, watches the repository, and on every change rebuilds and
// swaps in exactly the functions whose fingerprints changed.
//
// A change is debounced (editor save bursts), mapped to candidate
// functions through their last prints (the functions whose closure holds
// the changed file's package, all of them for go.mod, go.sum, go.work),
// and only those are fingerprinted; the ones whose fingerprint differs
// from the deployed one are built for this machine and deployed to the
// local Lambda through the deployer, as lamb deploy --local would. A
// compile error is printed and the last good code keeps serving. A change
// of lamb.yaml reloads it (routes, environment, memory...), or says why it
// cannot.
package devloop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/lambctl/lamb/builder"
	"github.com/lambctl/lamb/deployer"
	"github.com/lambctl/lamb/emulator/httpapi"
	"github.com/lambctl/lamb/graph"
	"github.com/lambctl/lamb/internal/buildcfg"
	"github.com/lambctl/lamb/internal/failure"
	"github.com/lambctl/lamb/internal/pipeline"
	"github.com/lambctl/lamb/internal/route"
	"github.com/lambctl/lamb/manifest"
)

// Options configure a Loop.
type Options struct {
	// Load reads the manifest, at start and whenever it changes.
	Load func() (*manifest.Manifest, error)
	// Names are the functions to serve (a Name or a Key); none means all.
	Names []string
	// Addr is the local Lambda API's address; default 127.0.0.1:0.
	Addr string
	// HTTPAddr is the HTTP front's address; default 127.0.0.1:0.
	HTTPAddr string
	// Dir holds the local Lambda's state and running code; default
	// Root/.lamb/dev (apart from lamb local's .lamb/local, so both can run).
	Dir string
	// Debug is a function to run under Delve (DebugOptions).
	Debug string
	// DebugPort is Delve's port on 127.0.0.1; default DefaultDebugPort.
	DebugPort int
	// Dlv is the dlv command; default "dlv" on PATH.
	Dlv string
	// Out receives lamb dev's own lines and the functions' logs.
	Out io.Writer
	// Color colours function names and errors (set it for a terminal).
	Color bool
	// Quiet and MaxWait tune the debouncing; defaults DefaultQuiet and
	// DefaultMaxWait.
	Quiet, MaxWait time.Duration
	// Env is the base environment of the go command; nil means os.Environ().
	Env []string
	// Logger receives the local Lambda's and the front's own logs; nil
	// discards them.
	Logger *slog.Logger
	// Verbose prints the time of each step of a reload.
	Verbose bool
	// Display names a path in messages (the manifest's); default
	// manifest.ShortPath.
	Display func(path string) string
	// OnReload, when set, is told what each reload did (after its line is
	// printed), from the loop's goroutine.
	OnReload func(*Report)
}

// Report is what one reload did.
type Report struct {
	// Functions are the functions whose new code (or configuration) is
	// live, sorted.
	Functions []string
	// Reasons are each function's fingerprint reasons (graph.Diff).
	Reasons map[string][]string
	// Failed are the functions that kept their last good code, with why.
	Failed map[string]error
	// Manifest is true when lamb.yaml was reloaded.
	Manifest bool
	// Took is the time from the first change seen to the new code live.
	Took time.Duration
	// Refreshed is true when the prints were refreshed from the edited
	// files alone, without a package load (graph.Tracker).
	Refreshed bool
	// Fingerprint, Plan and Deploy are the times of those steps (Deploy
	// includes the build: Compile is the go command's part of it, Zip
	// the longest zipping of a function); printed with -v.
	Fingerprint, Plan, Deploy, Compile, Zip time.Duration
}

// Loop is a running lamb dev.
type Loop struct {
	o      Options
	out    *Printer
	local  *pipeline.Local
	target *pipeline.Target
	dep    *deployer.Deployer
	front  *pipeline.HTTPFront
	hs     *http.Server
	httpLn net.Listener
	w      *watcher
	served chan error

	mu       sync.Mutex // one reload at a time; guards the fields below
	m        *manifest.Manifest
	fns      []manifest.Function    // the served functions, as the manifest has them
	deployed map[string]graph.Print // the prints of the code that is live
	tracker  *graph.Tracker         // the latest prints, refreshed on edits without a package load
	idx      *index
	debug    *debugState
}

// Start loads the manifest, starts the local Lambda, builds and deploys
// the served functions, and serves the HTTP front. Run watches.
func Start(ctx context.Context, o Options) (*Loop, error) {
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.HTTPAddr == "" {
		o.HTTPAddr = "127.0.0.1:0"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Env == nil {
		o.Env = os.Environ()
	}
	if o.Display == nil {
		o.Display = manifest.ShortPath
	}
	m, err := o.Load()
	if err != nil {
		return nil, err
	}
	fns, err := pipeline.Named(m, o.Names)
	if err != nil {
		return nil, err
	}
	if o.Debug != "" {
		f, ok := m.Lookup(o.Debug)
		if !ok {
			return nil, pipeline.UnknownFunctions(m, []string{o.Debug})
		}
		if !slices.ContainsFunc(fns, func(g manifest.Function) bool { return g.Name == f.Name }) {
			return nil, failure.Usagef("--debug %s: not among the functions lamb dev serves", o.Debug)
		}
		o.Debug = f.Name
	}
	if o.Dir == "" {
		o.Dir = filepath.Join(m.Root, ".lamb", "dev")
	}
	l := &Loop{o: o, out: NewPrinter(o.Out, o.Color), m: m, fns: fns, deployed: map[string]graph.Print{}, tracker: graph.NewTracker(), served: make(chan error, 1)}
	l.out.SetFunctions(manifest.Names(fns))
	// Every line every function logs, as it is written: invokes through
	// the HTTP front and straight through the Lambda API alike.
	if l.local, err = pipeline.StartLocal(pipeline.LocalOptions{Dir: o.Dir, Addr: o.Addr, Logger: o.Logger, Logs: l.out.LogLine, NoSync: true}); err != nil {
		return nil, err
	}
	if l.target, err = pipeline.LocalTarget(l.local, m); err != nil {
		l.local.Close()
		return nil, err
	}
	l.dep = deployer.New(deployer.Options{
		Lambda: l.target.DeployLambda(), Rate: -1, ReadRate: -1, KeepVersions: 1,
		WaitMinDelay: l.target.WaitMinDelay, Logger: o.Logger,
	})
	if o.Debug != "" {
		if l.debug, err = newDebugState(o.Debug, o.DebugPort, o.Dlv, filepath.Join(o.Dir, "debug")); err != nil {
			l.Close()
			return nil, err
		}
	}
	// Watch before the first build: an edit made meanwhile is not lost.
	if l.w, err = newWatcher(o.Quiet, o.MaxWait); err != nil {
		l.Close()
		return nil, fmt.Errorf("watch: %w", err)
	}
	if err := l.w.Watch(m.Root); err != nil {
		l.Close()
		return nil, fmt.Errorf("watch %s: %w", m.Root, err)
	}
	start := time.Now()
	rep := l.deploy(ctx, manifest.Names(fns), true, nil)
	if ctx.Err() != nil {
		l.Close()
		return nil, ctx.Err()
	}
	l.printReport(rep, time.Since(start), true)
	if err := l.w.Watch(l.idx.roots(l.moduleDirs()...)...); err != nil {
		l.out.Errorf("lamb dev: watch: %v", err)
	}

	timeout := time.Duration(0)
	if o.Debug != "" {
		timeout = -1 // a function stopped at a breakpoint must not be cut off
	}
	inv := &clientInvoker{c: l.target.Lambda, serial: map[string]*sync.Mutex{}}
	if l.debug != nil {
		inv.serial[o.Debug] = &l.debug.mu
	}
	if l.front, err = pipeline.NewHTTPFront(inv, fns, false, httpapi.Options{IntegrationTimeout: timeout, Logger: o.Logger}); err != nil {
		l.Close()
		return nil, err
	}
	if l.httpLn, err = net.Listen("tcp", o.HTTPAddr); err != nil {
		l.Close()
		return nil, fmt.Errorf("--http-addr: %w", err)
	}
	l.hs = &http.Server{Handler: l.front, ReadHeaderTimeout: 10 * time.Second}
	go func() { l.served <- l.hs.Serve(l.httpLn) }()
	return l, nil
}

// URLs are the served functions that have a function URL.
func (l *Loop) URLs() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, f := range l.fns {
		if f.HTTP.URL != nil {
			out = append(out, f.Name)
		}
	}
	return out
}

// HTTPURL is the HTTP front's base URL.
func (l *Loop) HTTPURL() string { return "http://" + pipeline.URLHost(l.httpLn.Addr()) }

// HTTPAddr is the address the HTTP front listens on.
func (l *Loop) HTTPAddr() net.Addr { return l.httpLn.Addr() }

// LambdaURL is the local Lambda API's base URL (the AWS CLI and SDKs
// work against it).
func (l *Loop) LambdaURL() string { return l.local.URL }

// Routes is the HTTP front's current route table.
func (l *Loop) Routes() *route.Table { return l.front.Routes() }

// Debugger returns Delve's address when a function runs under it.
func (l *Loop) Debugger() string {
	if l.debug == nil {
		return ""
	}
	return l.debug.addr()
}

// Run watches the repository and reloads on every change until ctx is
// done or a server stops.
func (l *Loop) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go l.w.run(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-l.served:
			return fmt.Errorf("http front: %w", err)
		case err := <-l.local.Done():
			return fmt.Errorf("local lambda: %w", err)
		case err := <-l.w.errs:
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				// Changes were lost: look at every function again.
				l.out.Errorf("lamb dev: watch: %v: checking every function", err)
				if rep := l.Reload(ctx, Batch{Overflow: true}); rep != nil && l.o.OnReload != nil {
					l.o.OnReload(rep)
				}
				continue
			}
			l.out.Errorf("lamb dev: watch: %v", err)
		case b, ok := <-l.w.out:
			if !ok {
				return nil
			}
			if rep := l.Reload(ctx, b); rep != nil && l.o.OnReload != nil {
				l.o.OnReload(rep)
			}
		}
	}
}

// Reload handles one batch of changes and returns what it did (nil when
// no function could be affected).
func (l *Loop) Reload(ctx context.Context, b Batch) *Report {
	l.mu.Lock()
	manifestChanged := slices.Contains(b.Paths, l.m.Path)
	l.mu.Unlock()
	var want []string
	if manifestChanged {
		if !l.reloadManifest(ctx) {
			return nil
		}
		want = manifest.Names(l.fns)
	} else {
		l.mu.Lock()
		cands, all := l.idx.candidates(b.Paths)
		for _, f := range l.fns {
			if all || b.Overflow || cands[f.Name] {
				want = append(want, f.Name)
			}
		}
		l.mu.Unlock()
	}
	if len(want) == 0 {
		// No function served now can be affected; the tracker still
		// follows every change, so that no print it keeps falls behind.
		l.mu.Lock()
		l.tracker.Refresh(b.Paths)
		l.mu.Unlock()
		return nil
	}
	paths := b.Paths
	if manifestChanged || b.Overflow {
		paths = nil // every function's print from a package load
	}
	rep := l.deploy(ctx, want, manifestChanged, paths)
	if ctx.Err() != nil {
		return nil
	}
	rep.Manifest = manifestChanged
	if len(rep.Functions) == 0 && len(rep.Failed) == 0 && !manifestChanged {
		return nil // the fingerprints say nothing changed
	}
	took := time.Since(b.First)
	if b.First.IsZero() {
		took = 0
	}
	rep.Took = took
	l.printReport(rep, took, false)
	return rep
}

// reloadManifest reads lamb.yaml again; on success the loop serves what
// it says from now on, otherwise it says why and keeps the previous one.
func (l *Loop) reloadManifest(ctx context.Context) bool {
	m, err := l.o.Load()
	if err != nil {
		l.out.Errorf("lamb dev: %s: cannot reload, still serving the previous configuration:\n%s", l.o.Display(l.m.Path), indent(err.Error()))
		return false
	}
	fns, err := pipeline.Named(m, l.o.Names)
	if err != nil {
		l.out.Errorf("lamb dev: %s: cannot reload, still serving the previous configuration: %v", l.o.Display(l.m.Path), err)
		return false
	}
	if l.o.Debug != "" {
		if _, ok := m.Lookup(l.o.Debug); !ok {
			l.out.Errorf("lamb dev: %s: cannot reload: --debug %s is no longer in it; restart lamb dev", l.o.Display(l.m.Path), l.o.Debug)
			return false
		}
	}
	if m.Root != l.m.Root {
		l.out.Errorf("lamb dev: %s: cannot reload: the manifest moved to %s; restart lamb dev", l.o.Display(l.m.Path), m.Root)
		return false
	}
	if err := l.front.Update(fns); err != nil {
		l.out.Errorf("lamb dev: %s: cannot reload, still serving the previous configuration:\n%s", l.o.Display(l.m.Path), indent(err.Error()))
		return false
	}
	l.mu.Lock()
	removed := []string{}
	for _, f := range l.fns {
		if !slices.ContainsFunc(fns, func(g manifest.Function) bool { return g.Name == f.Name }) {
			removed = append(removed, f.Name)
			delete(l.deployed, f.Name)
		}
	}
	l.m, l.fns = m, fns
	l.mu.Unlock()
	l.out.SetFunctions(manifest.Names(fns))
	if len(removed) > 0 {
		l.out.Printf("lamb dev: %s: no longer serving %s", l.o.Display(m.Path), strings.Join(removed, ", "))
	}
	return true
}

// deploy fingerprints the functions named, and builds and deploys those
// whose code or configuration differs from what is live. all says every
// function is checked against the local Lambda (the first deploy, a
// manifest change: configuration may differ without the fingerprint).
// paths are the paths that changed since the last deploy, when the
// watcher saw them all: the prints are then refreshed without a package
// load when graph.Tracker can; nil loads packages.
func (l *Loop) deploy(ctx context.Context, want []string, all bool, paths []string) *Report {
	l.mu.Lock()
	defer l.mu.Unlock()
	rep := &Report{Reasons: map[string][]string{}, Failed: map[string]error{}}
	sel, err := pipeline.Select(ctx, l.m, pipeline.SelectOptions{Names: want, Tracker: l.tracker})
	if err != nil {
		rep.Failed["*"] = err
		return rep
	}
	sel.UseTarget(l.target)
	for i := range sel.Functions {
		// lamb dev serves $LATEST: no version published, no alias moved,
		// no rollout waited for on every save.
		sel.Functions[i].Alias, sel.Functions[i].Rollout = "", nil
	}
	t0 := time.Now()
	if paths != nil {
		rep.Refreshed = sel.Refresh(paths)
	}
	err = sel.Fingerprint(ctx)
	rep.Fingerprint = time.Since(t0)
	if err != nil {
		rep.Failed["*"] = err
		return rep
	}
	for _, e := range failure.Flatten(sel.Err()) {
		fn, _ := failure.FunctionOf(e)
		rep.Failed[fn] = e
	}
	// Keep only what changed, unless the configuration may have.
	var normal []deployer.Desired
	var debugFn *deployer.Desired
	prints := map[string]graph.Print{}
	for _, f := range sel.Functions {
		p, ok := sel.Print(f.Name)
		if !ok {
			continue
		}
		prints[f.Name] = p
		old, had := l.deployed[f.Name]
		if !all && had && old.Fingerprint == p.Fingerprint {
			continue
		}
		if had {
			rep.Reasons[f.Name] = graph.Diff(old, p)
		}
		d := deployer.Desired{Function: f, Fingerprint: p.Fingerprint}
		if l.debug != nil && f.Name == l.debug.function {
			debugFn = &d
			continue
		}
		normal = append(normal, d)
	}
	live, changed := map[string]bool{}, map[string]bool{}
	if len(normal) > 0 {
		l.deployNormal(ctx, sel, normal, rep, live, changed)
	}
	if debugFn != nil {
		if err := l.deployDebug(ctx, *debugFn, prints[debugFn.Function.Name]); err != nil {
			rep.Failed[debugFn.Function.Name] = err
		} else {
			live[debugFn.Function.Name] = true
			changed[debugFn.Function.Name] = true
		}
	}
	for fn := range live {
		l.deployed[fn] = prints[fn]
		if changed[fn] {
			rep.Functions = append(rep.Functions, fn)
		}
	}
	slices.Sort(rep.Functions)
	for fn := range rep.Reasons {
		if !live[fn] {
			delete(rep.Reasons, fn)
		}
	}
	// The index follows the prints of the code that is live, and those of
	// the functions that failed to build (their next edit must be seen).
	all2 := maps.Clone(l.deployed)
	for fn, p := range prints {
		if _, ok := all2[fn]; !ok {
			all2[fn] = p
		}
	}
	fnDirs := map[string]string{}
	for _, f := range l.fns {
		fnDirs[f.Name] = filepath.Join(l.m.Root, filepath.FromSlash(f.Dir))
	}
	// Refreshed prints have the packages and files they had: the index
	// stays as it is.
	if l.idx == nil || len(live) > 0 && !rep.Refreshed {
		l.idx = newIndex(ctx, l.m.Root, all2, fnDirs, l.o.Env)
	}
	return rep
}

// deployNormal plans, builds and deploys desired with the selection's
// prints. It adds to live the functions that run the desired code and
// configuration now, and to changed those the deploy created or updated;
// build failures go to rep.Failed.
func (l *Loop) deployNormal(ctx context.Context, sel *pipeline.Selection, desired []deployer.Desired, rep *Report, live, changed map[string]bool) {
	t0 := time.Now()
	plan, err := l.dep.Plan(ctx, desired)
	rep.Plan = time.Since(t0)
	if plan == nil {
		rep.Failed["*"] = err
		return
	}
	for _, fp := range plan.Functions {
		for _, c := range fp.Config {
			rep.Reasons[fp.Name] = append(rep.Reasons[fp.Name], configReason(c))
		}
	}
	var smu sync.Mutex
	zipping := map[string]time.Time{}
	// Zips that never leave this machine are stored, not deflated (a copy
	// instead of the slowest step after go build), in lamb dev's own dist
	// directory: lamb build's and lamb invoke's keep their deflated zips.
	// Each function is deployed as soon as its zip is written.
	bo := pipeline.BuildOptions{NoCache: true, Env: l.o.Env, Uncompressed: true, DeployEach: true, OutDir: filepath.Join(l.o.Dir, "dist"), OnState: func(fn string, st builder.State) {
		smu.Lock()
		defer smu.Unlock()
		switch st {
		case builder.Zipping:
			zipping[fn] = time.Now()
			if rep.Compile == 0 {
				rep.Compile = time.Since(t0)
			}
		case builder.Done:
			if z, ok := zipping[fn]; ok {
				rep.Zip = max(rep.Zip, time.Since(z))
			}
		}
	}}
	t0 = time.Now()
	res, err := sel.Deploy(ctx, l.dep, plan, bo)
	rep.Deploy = time.Since(t0)
	for _, e := range failure.Flatten(err) {
		if fn, ok := failure.FunctionOf(e); ok {
			rep.Failed[fn] = e
		} else if ctx.Err() == nil {
			rep.Failed["*"] = e
		}
	}
	if res == nil {
		return
	}
	for _, r := range res.Functions {
		_, failed := rep.Failed[r.Name]
		switch {
		case r.Outcome == deployer.Failed && !failed:
			rep.Failed[r.Name] = errors.New(r.Error)
		case r.Outcome == deployer.Created || r.Outcome == deployer.Updated:
			live[r.Name], changed[r.Name] = !failed, !failed
		case r.Outcome == deployer.Unchanged:
			live[r.Name] = !failed
		}
	}
}

// configReason says what a configuration change of a plan does.
func configReason(c deployer.Change) string {
	switch {
	case strings.HasPrefix(c.Field, "environment."): // never a value
		return c.Field + " changed"
	case c.From == "":
		return fmt.Sprintf("%s %s added", c.Field, c.To)
	case c.To == "":
		return fmt.Sprintf("%s removed", c.Field)
	}
	return fmt.Sprintf("%s %s → %s", c.Field, c.From, c.To)
}

// moduleDirs are the modules of the served functions (go.mod may sit
// above the manifest).
func (l *Loop) moduleDirs() []string {
	dirs := []string{l.m.Root}
	for _, f := range l.fns {
		if mod, err := buildcfg.FindModule(filepath.Join(l.m.Root, filepath.FromSlash(f.Dir))); err == nil {
			dirs = append(dirs, mod.Dir)
		}
	}
	return dirs
}

// printReport prints one line for a reload, and the failures.
func (l *Loop) printReport(rep *Report, took time.Duration, first bool) {
	fns := rep.Functions
	if first { // everything that serves, deployed now or before
		fns = nil
		for _, f := range l.fns {
			if _, ok := l.deployed[f.Name]; ok {
				fns = append(fns, f.Name)
			}
		}
		slices.Sort(fns)
	}
	switch {
	case len(fns) > 0:
		verb := "reloaded"
		if first {
			verb = "serving"
		}
		// Functions reloaded for the same reasons share them.
		var parts []string
		var group []string
		for i, fn := range fns {
			group = append(group, fn)
			why := summarize(rep.Reasons[fn])
			if i+1 < len(fns) && summarize(rep.Reasons[fns[i+1]]) == why {
				continue
			}
			part := strings.Join(group, ", ")
			if why != "" {
				part += " (" + why + ")"
			}
			parts = append(parts, part)
			group = nil
		}
		if rep.Manifest {
			verb = l.o.Display(l.m.Path) + " changed: " + verb
		}
		l.out.Printf("lamb dev: %s %s in %s", verb, strings.Join(parts, "; "), roundDuration(took))
		if l.o.Verbose {
			l.out.Printf("lamb dev:   fingerprint %s, plan %s, build and deploy %s (go build %s, zip %s)", roundDuration(rep.Fingerprint), roundDuration(rep.Plan), roundDuration(rep.Deploy), roundDuration(rep.Compile), roundDuration(rep.Zip))
		}
	case rep.Manifest:
		l.out.Printf("lamb dev: %s changed: routes reloaded, no function changed, in %s", l.o.Display(l.m.Path), roundDuration(took))
	}
	for _, fn := range slices.Sorted(maps.Keys(rep.Failed)) {
		err := rep.Failed[fn]
		still := ", still serving the last good code"
		if first {
			still = ", not serving it until it builds"
		}
		if fn == "*" {
			l.out.Errorf("lamb dev: %s", failureText(err))
			continue
		}
		l.out.Errorf("lamb dev: %s failed%s:\n%s", fn, still, indent(failureText(err)))
	}
}

// failureText is an error's message without its function prefix.
func failureText(err error) string {
	var ce *builder.CompileError
	if errors.As(err, &ce) {
		return strings.TrimRight(ce.Output, "\n")
	}
	var de *compileError
	if errors.As(err, &de) {
		return de.Error()
	}
	return strings.Join(failure.Lines("", err), "\n")
}

// summarize shortens a function's fingerprint reasons to fit a line.
func summarize(reasons []string) string {
	const most = 3
	if len(reasons) <= most {
		return strings.Join(reasons, "; ")
	}
	return strings.Join(reasons[:most], "; ") + fmt.Sprintf("; %d more", len(reasons)-most)
}

func roundDuration(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(10 * time.Millisecond)
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "    " + l
	}
	return strings.Join(lines, "\n")
}

// Close stops the HTTP front, the watcher, the debugger and the local
// Lambda.
func (l *Loop) Close() error {
	var errs []error
	if l.hs != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := l.hs.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			errs = append(errs, err)
		}
		cancel()
	}
	if l.w != nil {
		errs = append(errs, l.w.Close())
	}
	if l.local != nil {
		errs = append(errs, l.local.Close())
	}
	if l.debug != nil {
		l.debug.close()
	}
	return errors.Join(errs...)
}

// devGCPercent is lamb dev's GOGC. A reload leaves about 13 MB of garbage a
// 6.6 MB function (the binary read, its zip), and lamb dev lives on 30-40
// MB: at the default 100 the runtime collects during every reload of a
// few functions, on the cores the reload needs. At 200 a reload of four
// functions fits in the headroom (devbench: 59 ms over the floor instead of
// 94-132 ms), for a heap of at most about 3× the live one.
const devGCPercent = 200

// CollectLess sets devGCPercent for the process, unless GOGC says
// otherwise: lamb dev calls it, and devbench, which measures lamb dev.
func CollectLess() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(devGCPercent)
	}
}
