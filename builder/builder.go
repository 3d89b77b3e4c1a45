// Package builder cross-compiles Lambda functions into minimal,
// byte-reproducible zip artifacts.
//
// Functions with the same build settings in the same module are built by
// one `go build -o dir/ pkg...` invocation, into output directories that
// persist across runs so the go command skips relinking up-to-date
// binaries. Only binaries that changed are zipped, in parallel. Zips are
// deterministic and kept in an artifact cache keyed by fingerprint, so a
// fingerprint built before, on any branch or checkout, costs a copy.
package builder

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/lambctl/lamb/internal/buildcfg"
	"github.com/lambctl/lamb/internal/failure"
	"github.com/lambctl/lamb/internal/lambdaspec"
	"github.com/lambctl/lamb/manifest"
)

// Target is a function to build, with its fingerprint (graph.Fingerprints).
type Target struct {
	Function    manifest.Function
	Fingerprint string
	// Files is the content of the function's files: entries the
	// fingerprint covers: path → hex SHA-256 (graph's Inputs.Files). When
	// set, a file whose content differs (it changed after fingerprinting)
	// fails the function, so that no zip is cached under a fingerprint that
	// does not cover what it holds. nil checks nothing.
	Files map[string]string
}

// Artifact is a built zip.
type Artifact struct {
	Function     string `json:"function"`
	Fingerprint  string `json:"fingerprint"`
	Architecture string `json:"architecture"` // arm64 or x86_64
	// Path is the absolute path of the zip (relative to the root in
	// artifacts.json).
	Path       string `json:"path"`
	Size       int64  `json:"size"`
	BinarySize int64  `json:"binary_size"`
	// CodeSha256 is the base64 SHA-256 of the zip, as Lambda reports it.
	CodeSha256 string `json:"code_sha256"`
	// Cached is true when the zip came from the dist directory or the
	// artifact cache without running go.
	Cached bool `json:"-"`
	// Zip is the zip's content, only in the Artifact handed to
	// Options.OnArtifact when this build wrote it: the bytes written to
	// Path, of which CodeSha256 is the SHA-256, so that a deploy sends them
	// without reading Path back and hashing it again. Build's results never
	// hold it.
	Zip []byte `json:"-"`
}

// Options configure a Builder.
type Options struct {
	// Root is the manifest root; function directories and files are
	// relative to it. The go command runs in each function's module.
	Root string
	// OutDir receives <function>.zip and artifacts.json; default
	// Root/.lamb/dist, or Root/.lamb/dist-debug with Debug.
	OutDir string
	// CacheDir is the local artifact cache; default DefaultCacheDir().
	CacheDir string
	// NoCache disables the artifact cache.
	NoCache bool
	// CacheLimits bound the local artifact cache, which Build trims by
	// itself at most once every AutoPruneInterval (zero values: the
	// defaults, DefaultCacheMaxAge and DefaultCacheMaxSize).
	CacheLimits PruneOptions
	// Force builds every target even when the dist directory or the
	// artifact cache already holds its fingerprint (the go command still
	// skips relinking up-to-date binaries).
	Force bool
	// Jobs is the number of parallel zip workers and the go command's -p;
	// default the number of CPUs.
	Jobs int
	// Progress receives plain progress lines (stderr); nil discards them.
	Progress io.Writer
	// Env is the base environment of the go command; nil means os.Environ().
	// SOURCE_DATE_EPOCH is read from it.
	Env []string

	// OnState, when set, is told as each target moves through the build;
	// it is called from several goroutines.
	OnState func(function string, s State)
	// OnArtifact, when set, gets each artifact the go command built as soon
	// as its zip is written, from the zipping goroutine, while the others
	// are still zipping (lamb dev deploys it at once), with the zip's bytes
	// in Artifact.Zip when they were written now. Artifacts taken from the
	// dist directory or a cache are only returned by Build.
	OnArtifact func(Artifact)

	// Debug builds for a debugger (buildcfg.Config.WithDebug: no -s -w,
	// -gcflags=all=-N -l), for lamb invoke --debug and lamb dev --debug.
	// Debug zips have their own cache keys and default dist directory, so
	// they never stand in for release zips, nor these for them.
	Debug bool

	// Remote is a shared artifact cache (internal/s3cache), consulted after
	// the local one; nil for none.
	Remote RemoteCache

	// Uncompressed stores every entry of the zips it writes instead of
	// deflating them: zipping then costs about a copy of the binary, for
	// code that never leaves this machine (lamb dev's local Lambda). These
	// zips have their own cache keys (zipFormatStored), so they never stand
	// in for compressed ones, nor these for them.
	Uncompressed bool

	// run replaces the go command in tests.
	run goRunner
}

// State is where a target is in a build (Options.OnState).
type State int

const (
	Building State = iota // the go command is building it
	Zipping               // its binary is being zipped
	Done                  // its zip is in the dist directory (built or cached)
	Failed                // it failed; Build returns its error
)

func (s State) String() string {
	switch s {
	case Building:
		return "building"
	case Zipping:
		return "zipping"
	case Done:
		return "done"
	case Failed:
		return "failed"
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

func (b *Builder) state(function string, s State) {
	if b.o.OnState != nil {
		b.o.OnState(function, s)
	}
}

// RemoteCache is a shared artifact cache, such as internal/s3cache.Cache.
// Keys are opaque strings derived from fingerprints.
type RemoteCache interface {
	// Get downloads the zip stored under key to dest, verifying it;
	// false when there is none (or it is unusable).
	Get(ctx context.Context, key, dest string) (bool, error)
	// Put stores the zip at zipPath under key.
	Put(ctx context.Context, key, zipPath, codeSha256 string) error
}

// Builder builds targets into artifacts.
type Builder struct {
	o        Options
	buildDir string // Root/.lamb/build
	mu       sync.Mutex
}

// New returns a Builder with o's defaults filled in.
func New(o Options) *Builder {
	if o.OutDir == "" {
		o.OutDir = filepath.Join(o.Root, ".lamb", "dist")
		if o.Debug {
			o.OutDir += "-debug"
		}
	}
	if o.NoCache {
		o.CacheDir = ""
	} else if o.CacheDir == "" {
		o.CacheDir, _ = DefaultCacheDir() // none: no cache
	}
	if o.Jobs <= 0 {
		o.Jobs = runtime.NumCPU()
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.Env == nil {
		o.Env = os.Environ()
	}
	if o.run == nil {
		o.run = execGo
	}
	return &Builder{o: o, buildDir: filepath.Join(o.Root, ".lamb", "build")}
}

// Op is the step Build's failures name (failure.Error.Op).
const Op = "build"

// CompileError is the go command's report of a function that did not
// compile; Output is what the compiler said (file:line: message lines,
// relative to the module directory). Its message is a first line and then
// the compiler's lines as they are: failure.Error indents them as
// continuation lines.
type CompileError struct {
	Package string
	Output  string
}

func (e *CompileError) Error() string {
	return fmt.Sprintf("go build %s failed:\n%s", e.Package, strings.TrimRight(e.Output, "\n"))
}

// job is a target that needs the go command.
type job struct {
	ctx    context.Context
	i      int
	t      Target
	key    string
	cfg    buildcfg.Config
	modDir string
	pkg    string // package argument relative to modDir: ./functions/x
	imp    string // import path
	files  []ZipFile
	binary string // output path of the go command

	art Artifact
	err error
}

func (b *Builder) progress(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	fmt.Fprintf(b.o.Progress, format+"\n", args...)
}

func (b *Builder) getenv(k string) string {
	v := ""
	for _, kv := range b.o.Env {
		if kk, vv, ok := strings.Cut(kv, "="); ok && kk == k {
			v = vv
		}
	}
	return v
}

// Build builds every target, returning their artifacts in targets order.
// Per-function failures are aggregated (failure.Append) into a
// *multierror.Error of *failure.Error with Op "build", one per failed
// function, in targets order; the artifacts of the successes are returned
// regardless (a failed function's slot is the zero Artifact). Build also
// updates OutDir/artifacts.json, and trims the local artifact cache when
// its last trim is older than AutoPruneInterval.
func (b *Builder) Build(ctx context.Context, targets []Target) ([]Artifact, error) {
	mtime, err := zipTime(b.getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(b.o.OutDir, 0o755); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(b.buildDir, 0o755); err != nil {
		return nil, err
	}
	// One build at a time per repository: they share outputs and state.
	unlock, err := lockFile(filepath.Join(b.buildDir, "lock"), func() {
		b.progress("waiting for another lamb build of this repository to finish")
	})
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", b.buildDir, err)
	}
	defer unlock()
	stPath := filepath.Join(b.buildDir, "state.json")
	st := loadState(stPath)
	format := zipFormat
	if b.o.Uncompressed {
		format = zipFormatStored
	}
	zipSig := format + "@" + strconv.FormatInt(mtime.Unix(), 10)

	arts := make([]Artifact, len(targets))
	errs := make([]error, len(targets))
	keys := make([]string, len(targets))
	cfgs := make([]buildcfg.Config, len(targets))
	seen := map[string]bool{}
	for i, t := range targets {
		if seen[t.Function.Name] {
			errs[i] = fmt.Errorf("listed twice")
			continue
		}
		seen[t.Function.Name] = true
		cfg, err := t.Function.BuildConfig()
		if err != nil {
			errs[i] = err
			continue
		}
		if b.o.Debug {
			cfg = cfg.WithDebug()
		}
		cfgs[i] = cfg
		// Without a fingerprint nothing can be reused or cached.
		if t.Fingerprint != "" {
			keys[i] = cacheKey(format, t.Fingerprint, mtime.Unix(), b.o.Debug)
		}
	}
	// What the dist directory or the artifact cache already holds, checked
	// by content (a SHA-256 of each zip), Jobs at a time.
	if !b.o.Force {
		b.parallel(len(targets), func(i int) {
			t, key := targets[i], keys[i]
			if errs[i] != nil || key == "" || ctx.Err() != nil {
				return
			}
			dist := b.distPath(t.Function.Name)
			if a, ok := b.fromDist(st, t, cfgs[i], key, dist); ok {
				arts[i] = a
				return
			}
			if m, ok := b.cacheGet(ctx, key, dist); ok {
				arts[i] = artifactOf(t, cfgs[i], dist, m, true)
				b.record(st, t, key, arts[i], "")
			}
		})
	}
	var todo []*job
	mods := map[string]buildcfg.Module{}
	for i, t := range targets {
		if errs[i] != nil || arts[i].Path != "" {
			continue
		}
		j, err := b.newJob(ctx, i, t, cfgs[i], keys[i], mods)
		if err != nil {
			errs[i] = err
			continue
		}
		todo = append(todo, j)
	}
	if b.o.Remote != nil && !b.o.Force {
		var keyed, unkeyed []*job
		for _, j := range todo {
			if j.key != "" {
				keyed = append(keyed, j)
			} else {
				unkeyed = append(unkeyed, j)
			}
		}
		todo = append(b.fromRemote(ctx, st, keyed, arts), unkeyed...)
	}

	if len(todo) > 0 {
		invs := planInvocations(b.buildDir, b.o.Root, todo)
		zipc := make(chan *job, len(todo))
		var wg sync.WaitGroup
		for w := 0; w < min(b.o.Jobs, len(todo)); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range zipc {
					b.state(j.t.Function.Name, Zipping)
					b.zipJob(j, st, zipSig, mtime)
					if j.err == nil {
						b.state(j.t.Function.Name, Done)
						if b.o.OnArtifact != nil {
							b.o.OnArtifact(j.art)
						}
						j.art.Zip = nil
					}
				}
			}()
		}
		b.runGroups(ctx, groupInvocations(invs), zipc)
		close(zipc)
		wg.Wait()
		for _, j := range todo {
			if j.err != nil {
				errs[j.i] = j.err
				continue
			}
			arts[j.i] = j.art
		}
	}

	var result *multierror.Error
	for i, err := range errs {
		if err == nil && arts[i].Cached {
			b.state(targets[i].Function.Name, Done) // built ones were reported by their zip worker
		}
		if err != nil {
			b.state(targets[i].Function.Name, Failed)
			result = failure.Append(result, failure.New(targets[i].Function.Name, Op, err))
		}
	}
	if err := st.save(stPath); err != nil {
		result = failure.Append(result, fmt.Errorf("save build state: %w", err))
	}
	if err := b.updateManifest(targets, arts); err != nil {
		result = failure.Append(result, fmt.Errorf("write artifacts.json: %w", err))
	}
	b.autoPrune(ctx)
	return arts, result.ErrorOrNil()
}

// parallel calls f(0) … f(n-1), Jobs at a time.
func (b *Builder) parallel(n int, f func(i int)) {
	sem := make(chan struct{}, b.o.Jobs)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			f(i)
		}()
	}
	wg.Wait()
}

func (b *Builder) distPath(name string) string {
	return filepath.Join(b.o.OutDir, name+".zip")
}

func artifactOf(t Target, cfg buildcfg.Config, zipPath string, m cacheMeta, cached bool) Artifact {
	return Artifact{
		Function:     t.Function.Name,
		Fingerprint:  t.Fingerprint,
		Architecture: cfg.Arch(),
		Path:         zipPath,
		Size:         m.Size,
		BinarySize:   m.BinarySize,
		CodeSha256:   m.CodeSha256,
		Cached:       cached,
	}
}

// fromDist returns the artifact already in the dist directory for t: the
// zip recorded for key, if its bytes still have the recorded SHA-256. A zip
// that does not (corrupted or replaced, whatever its size and mtime) is
// dropped.
func (b *Builder) fromDist(st *state, t Target, cfg buildcfg.Config, key, dist string) (Artifact, bool) {
	b.mu.Lock()
	s, ok := st.Zips[dist]
	b.mu.Unlock()
	if !ok || s.Key != key {
		return Artifact{}, false
	}
	if !b.distIntact(st, dist, s) {
		return Artifact{}, false
	}
	return artifactOf(t, cfg, dist, cacheMeta{Size: s.Size, BinarySize: s.BinarySize, CodeSha256: s.CodeSha256}, true), true
}

// distIntact reports whether the zip at dist still has the SHA-256 of its
// record s; when it does not, the zip and its record are dropped.
func (b *Builder) distIntact(st *state, dist string, s fnState) bool {
	if sum, err := fileSha256(dist); err == nil && sum == s.CodeSha256 {
		return true
	} else if err == nil {
		b.progress("warning: %s is not the zip lamb wrote (sha256 %s, recorded %s): building it again", dist, sum, s.CodeSha256)
	}
	os.Remove(dist)
	b.mu.Lock()
	delete(st.Zips, dist)
	b.mu.Unlock()
	return false
}

// record notes in st that a's zip is in the dist directory, holding the
// content inputs (inputsDigest; "" when it came from a cache).
func (b *Builder) record(st *state, t Target, key string, a Artifact, inputs string) {
	s := fnState{
		Key:         key,
		Fingerprint: t.Fingerprint,
		Size:        a.Size,
		BinarySize:  a.BinarySize,
		CodeSha256:  a.CodeSha256,
		Inputs:      inputs,
	}
	b.mu.Lock()
	st.Zips[a.Path] = s
	b.mu.Unlock()
}

// newJob resolves what the go command needs to build t with cfg. mods
// caches the module of each directory.
func (b *Builder) newJob(ctx context.Context, i int, t Target, cfg buildcfg.Config, key string, mods map[string]buildcfg.Module) (*job, error) {
	fn := t.Function
	dir := filepath.Join(b.o.Root, filepath.FromSlash(fn.Dir))
	if !filepath.IsLocal(filepath.FromSlash(fn.Dir)) && fn.Dir != "." {
		return nil, fmt.Errorf("package %s: outside the repository", fn.Package)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("package %s: no such directory", fn.Package)
	}
	files, err := extraFiles(b.o.Root, fn.Files)
	if err != nil {
		return nil, err
	}
	mod, ok := mods[dir]
	if !ok {
		if mod, err = buildcfg.FindModule(dir); err != nil {
			return nil, fmt.Errorf("package %s: %w", fn.Package, err)
		}
		mods[dir] = mod
	}
	rel, err := filepath.Rel(mod.Dir, dir)
	if err != nil {
		return nil, err
	}
	rel = filepath.ToSlash(rel)
	j := &job{ctx: ctx, i: i, t: t, key: key, cfg: cfg, modDir: mod.Dir, files: files}
	if rel == "." {
		j.pkg, j.imp = ".", mod.Path
	} else {
		j.pkg, j.imp = "./"+rel, mod.Path+"/"+rel
	}
	return j, nil
}

// invocation is one run of the go command.
type invocation struct {
	modDir string
	cfg    buildcfg.Config
	outDir string
	jobs   []*job
}

// planInvocations groups jobs by module and settings, one go invocation per
// group, into a persistent output directory per group. Packages whose
// binaries would get the same name (functions/orders/get and
// functions/users/get are both "get") go to further invocations with their
// own directories: slot n holds the n-th package of a name, by import path.
func planInvocations(buildDir, root string, jobs []*job) []*invocation {
	type groupKey struct{ mod, cfg string }
	groups := map[groupKey][]*job{}
	var keys []groupKey
	for _, j := range jobs {
		k := groupKey{j.modDir, j.cfg.Key()}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], j)
	}
	sort.Slice(keys, func(a, b int) bool {
		if keys[a].mod != keys[b].mod {
			return keys[a].mod < keys[b].mod
		}
		return keys[a].cfg < keys[b].cfg
	})
	var invs []*invocation
	for _, k := range keys {
		g := groups[k]
		sort.Slice(g, func(a, b int) bool { return g[a].imp < g[b].imp })
		modRel, err := filepath.Rel(root, k.mod)
		if err != nil {
			modRel = k.mod
		}
		base := filepath.Join(buildDir, shortHash(filepath.ToSlash(modRel)+"\n"+k.cfg))
		slots := map[string]int{}
		slotOf := map[string]int{} // import path → slot: functions sharing a package share its binary
		var bySlot []*invocation
		for _, j := range g {
			name := execName(j.imp)
			if n, ok := slotOf[j.imp]; ok {
				inv := bySlot[n]
				j.binary = filepath.Join(inv.outDir, name)
				inv.jobs = append(inv.jobs, j)
				continue
			}
			n := slots[name]
			slotOf[j.imp] = n
			slots[name] = n + 1
			if n == len(bySlot) {
				bySlot = append(bySlot, &invocation{
					modDir: k.mod,
					cfg:    j.cfg,
					outDir: filepath.Join(base, strconv.Itoa(n)),
				})
			}
			inv := bySlot[n]
			j.binary = filepath.Join(inv.outDir, name)
			inv.jobs = append(inv.jobs, j)
		}
		invs = append(invs, bySlot...)
	}
	return invs
}

// groupInvocations splits invs (in planInvocations order) into groups of
// one module and one build configuration: the slots of a group run one
// after another (the later ones reuse the compiles of the first from the
// build cache); different groups share nothing and can run side by side.
func groupInvocations(invs []*invocation) [][]*invocation {
	var groups [][]*invocation
	for i, inv := range invs {
		if i > 0 && inv.modDir == invs[i-1].modDir && inv.cfg.Key() == invs[i-1].cfg.Key() {
			groups[len(groups)-1] = append(groups[len(groups)-1], inv)
			continue
		}
		groups = append(groups, []*invocation{inv})
	}
	return groups
}

// shares splits the -p budget jobs among go commands of different groups
// running side by side: min(groups, jobs) at a time, their -p adding up to
// jobs.
func shares(jobs, groups int) []int {
	n := min(groups, jobs)
	ps := make([]int, n)
	for i := range ps {
		ps[i] = jobs / n
		if i < jobs%n {
			ps[i]++
		}
	}
	return ps
}

// runGroups runs the groups' go commands, groups side by side within the
// -p budget: each of min(groups, Jobs) runners takes the next group,
// largest first, and runs its invocations with its share of -p.
func (b *Builder) runGroups(ctx context.Context, groups [][]*invocation, zipc chan<- *job) {
	size := func(g []*invocation) int {
		n := 0
		for _, inv := range g {
			n += len(inv.jobs)
		}
		return n
	}
	sort.SliceStable(groups, func(x, y int) bool { return size(groups[x]) > size(groups[y]) })
	next := make(chan []*invocation, len(groups))
	for _, g := range groups {
		next <- g
	}
	close(next)
	var wg sync.WaitGroup
	for _, p := range shares(b.o.Jobs, len(groups)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for g := range next {
				for _, inv := range g {
					b.runInvocation(ctx, inv, p, zipc)
				}
			}
		}()
	}
	wg.Wait()
}

// runInvocation runs the go command for inv with -p p and sends each job
// that built to zipc. When the go command fails, the functions whose
// package, or a dependency of it, failed get its output as their error,
// and the go command runs again for the rest (it stops at load errors,
// and cannot say which binaries it linked).
func (b *Builder) runInvocation(ctx context.Context, inv *invocation, p int, zipc chan<- *job) {
	if err := os.MkdirAll(inv.outDir, 0o755); err != nil {
		for _, j := range inv.jobs {
			j.err = err
		}
		return
	}
	env := inv.cfg.Environ(b.o.Env)
	pending := inv.jobs
	var deps map[string][]string
	for len(pending) > 0 {
		var pkgs []string
		for i, j := range pending {
			if i == 0 || pending[i-1].pkg != j.pkg {
				pkgs = append(pkgs, j.pkg)
			}
		}
		for _, j := range pending {
			b.state(j.t.Function.Name, Building)
		}
		b.progress("go build (%s/%s%s): %s", buildcfg.GOOS, inv.cfg.GOARCH, debugNote(inv.cfg), strings.Join(pkgs, " "))
		var stdout, stderr strings.Builder
		err := b.o.run(ctx, inv.modDir, env, inv.cfg.BuildArgs(inv.outDir, p, pkgs), &stdout, &stderr)
		if ctx.Err() != nil {
			for _, j := range pending {
				j.err = fmt.Errorf("go build %s: %w", j.pkg, context.Cause(ctx))
			}
			return
		}
		if err == nil {
			for _, j := range pending {
				zipc <- j
			}
			return
		}
		rep := parseBuildJSON([]byte(stdout.String()), []byte(stderr.String()))
		if deps == nil {
			var out strings.Builder
			_ = b.o.run(ctx, inv.modDir, env, listDepsArgs(inv.cfg, pkgs), &out, io.Discard)
			deps = parseDeps([]byte(out.String()))
		}
		var rest []*job
		for _, j := range pending {
			var why []string
			closure := deps[j.imp]
			if closure == nil {
				closure = []string{j.imp}
			}
			for _, p := range rep.failed {
				if contains(closure, p) {
					why = append(why, strings.TrimRight(rep.output[p], "\n"))
				}
			}
			if len(why) == 0 {
				rest = append(rest, j)
				continue
			}
			j.err = &CompileError{Package: j.pkg, Output: strings.Join(why, "\n")}
		}
		if len(rest) == len(pending) {
			// Nothing to pin the failure on: every function gets all of it.
			out := rep.other
			for _, p := range rep.failed {
				out = strings.TrimSpace(out + "\n" + rep.output[p])
			}
			if out == "" {
				out = err.Error()
			}
			for _, j := range pending {
				j.err = &CompileError{Package: j.pkg, Output: out}
			}
			return
		}
		pending = rest
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// zipJob zips the binary of j with its files into the dist directory,
// unless the zip there holds the same content: every entry is compared by
// its SHA-256, never by size or modification time.
func (b *Builder) zipJob(j *job, st *state, zipSig string, mtime time.Time) {
	fn := j.t.Function
	dist := b.distPath(fn.Name)
	// The binary is read once: hashed, then zipped from memory if it
	// changed (the other files are small, and read as they are zipped).
	// A zip handed over in memory (OnArtifact) is always written, so its
	// binary is not hashed: the zip's SHA-256, taken once from the bytes
	// written and handed over, is what identifies it.
	keep := b.o.OnArtifact != nil
	boot, err := loadZipFile(ZipFile{Name: "bootstrap", Src: j.binary, Mode: 0o755}, !keep)
	if err != nil {
		j.err = fmt.Errorf("go build %s: no binary: %w", j.pkg, err)
		return
	}
	entries := append([]ZipFile{boot}, j.files...)
	in, err := hashEntries(entries)
	var ee *entryError
	if errors.As(err, &ee) && ee.name == "bootstrap" {
		j.err = fmt.Errorf("go build %s: no binary: %w", j.pkg, ee.err)
		return
	}
	if err != nil {
		j.err = fmt.Errorf("files: %w", err)
		return
	}
	var total, binSize int64
	for _, e := range in {
		total += e.size
		if e.name == "bootstrap" {
			binSize = e.size
		}
	}
	if total >= lambdaspec.UnzippedLimit {
		j.err = fmt.Errorf("unzipped size %d bytes reaches Lambda's limit of %d bytes", total, lambdaspec.UnzippedLimit)
		return
	}
	// A cache entry holds only the content its fingerprint covers.
	if err := checkFingerprinted(j.t.Files, in); err != nil {
		j.err = err
		return
	}
	digest := ""
	if !keep {
		digest = inputsDigest(zipSig, in)
	}
	b.mu.Lock()
	prev, ok := st.Zips[dist]
	b.mu.Unlock()
	if ok && digest != "" && prev.Inputs == digest && b.distIntact(st, dist, prev) {
		// The same content, and the zip is the one made of it.
		j.art = artifactOf(j.t, j.cfg, dist, cacheMeta{Size: prev.Size, BinarySize: prev.BinarySize, CodeSha256: prev.CodeSha256}, false)
		b.record(st, j.t, j.key, j.art, digest)
		b.store(j)
		return
	}

	sum, size, z, data, err := writeZipFile(j.ctx, dist, entries, mtime, b.o.Uncompressed, keep)
	if err != nil {
		j.err = err
		return
	}
	if name, ok := sameContent(in, z); !ok {
		os.Remove(dist)
		j.err = fmt.Errorf("files: %s changed while it was being zipped: run lamb again", name)
		return
	}
	if size > lambdaspec.DirectUploadLimit {
		b.progress("warning: %s: zip is %d bytes, over the %d-byte direct upload limit: it will be uploaded through S3", fn.Name, size, lambdaspec.DirectUploadLimit)
	}
	j.art = artifactOf(j.t, j.cfg, dist, cacheMeta{Size: size, BinarySize: binSize, CodeSha256: sum}, false)
	j.art.Zip = data
	b.record(st, j.t, j.key, j.art, digest)
	b.store(j)
}

// store puts j's zip into the artifact cache; a failure is only a warning.
func (b *Builder) store(j *job) {
	if j.key == "" {
		return
	}
	m := cacheMeta{Size: j.art.Size, BinarySize: j.art.BinarySize, CodeSha256: j.art.CodeSha256}
	if err := b.cachePut(j.ctx, j.key, j.art.Path, m); err != nil {
		b.progress("warning: %s: artifact cache: %v", j.t.Function.Name, err)
	}
	if b.o.Remote != nil {
		if err := b.o.Remote.Put(j.ctx, j.key, j.art.Path, j.art.CodeSha256); err != nil {
			b.progress("warning: %s: shared artifact cache: %v", j.t.Function.Name, err)
		}
	}
}

// writeZipFile writes the zip of entries to dst through a temporary file
// (stored: uncompressed), returning its base64 SHA-256 and size, and what
// it zipped; keep makes the zip in memory first and returns its bytes too.
func writeZipFile(ctx context.Context, dst string, entries []ZipFile, mtime time.Time, stored, keep bool) (string, int64, zipped, []byte, error) {
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".tmp-*.zip")
	if err != nil {
		return "", 0, zipped{}, nil, err
	}
	h := sha256.New()
	var buf *bytes.Buffer
	cw := &countWriter{w: io.MultiWriter(tmp, h)}
	if keep {
		buf = bytes.NewBuffer(make([]byte, 0, zipSizeHint(entries, stored)))
		cw.w = buf
	}
	z, err := writeZip(ctx, cw, entries, mtime, stored)
	if err == nil && keep {
		h.Write(buf.Bytes())
		_, err = tmp.Write(buf.Bytes())
	}
	if err := finishTemp(tmp, dst, err); err != nil {
		return "", 0, zipped{}, nil, err
	}
	var data []byte
	if keep {
		data = buf.Bytes()
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil)), cw.n, z, data, nil
}

// zipSizeHint is about the size of a zip of entries: exact for a stored
// one of entries read into memory (loadZipFile), a guess otherwise.
func zipSizeHint(entries []ZipFile, stored bool) int {
	n := 22 // end of central directory
	for _, e := range entries {
		size := len(e.data)
		if !stored {
			size /= 2
		}
		n += size + 30 + 46 + 2*len(e.Name) // local and central headers
	}
	return n
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// updateManifest rewrites OutDir/artifacts.json: the artifacts of targets
// replace their previous entries; entries of other functions stay while
// their zip exists.
func (b *Builder) updateManifest(targets []Target, arts []Artifact) error {
	p := filepath.Join(b.o.OutDir, "artifacts.json")
	prev, err := ReadManifest(p, b.o.Root)
	if err != nil {
		prev = nil // unreadable: rewrite it
	}
	byName := map[string]Artifact{}
	for _, a := range prev {
		if _, err := os.Stat(a.Path); err == nil {
			byName[a.Function] = a
		}
	}
	for i, t := range targets {
		if arts[i].Path != "" {
			byName[t.Function.Name] = arts[i]
		} else {
			delete(byName, t.Function.Name) // failed: its old zip is not this fingerprint's
		}
	}
	out := make([]Artifact, 0, len(byName))
	for _, a := range byName {
		out = append(out, a)
	}
	return WriteManifest(p, b.o.Root, out)
}

// fromRemote fetches the zips of todo from the shared cache, in parallel,
// and returns the jobs that still need the go command.
func (b *Builder) fromRemote(ctx context.Context, st *state, todo []*job, arts []Artifact) []*job {
	hit := make([]bool, len(todo))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for k, j := range todo {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			dist := b.distPath(j.t.Function.Name)
			ok, err := b.o.Remote.Get(ctx, j.key, dist)
			if err != nil {
				b.progress("warning: %s: shared artifact cache: %v", j.t.Function.Name, err)
			}
			if !ok || err != nil {
				return
			}
			m, err := zipMeta(dist)
			if err != nil {
				os.Remove(dist)
				b.progress("warning: %s: shared artifact cache: not a valid zip, building it: %v", j.t.Function.Name, err)
				return
			}
			arts[j.i] = artifactOf(j.t, j.cfg, dist, m, true)
			b.record(st, j.t, j.key, arts[j.i], "")
			if err := b.cachePut(ctx, j.key, dist, m); err != nil {
				b.progress("warning: %s: artifact cache: %v", j.t.Function.Name, err)
			}
			hit[k] = true
		}()
	}
	wg.Wait()
	var rest []*job
	for k, j := range todo {
		if !hit[k] {
			rest = append(rest, j)
		}
	}
	return rest
}

// zipMeta reads the size, checksum and bootstrap size of an artifact zip
// from elsewhere (the shared cache), checking that it is one: every entry
// is read through, so its CRC is checked, and it has a bootstrap.
func zipMeta(p string) (cacheMeta, error) {
	sum, err := fileSha256(p)
	if err != nil {
		return cacheMeta{}, err
	}
	zr, err := zip.OpenReader(p)
	if err != nil {
		return cacheMeta{}, err
	}
	defer zr.Close()
	fi, err := os.Stat(p)
	if err != nil {
		return cacheMeta{}, err
	}
	m := cacheMeta{Size: fi.Size(), BinarySize: -1, CodeSha256: sum}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err == nil {
			_, err = io.Copy(io.Discard, rc)
			rc.Close()
		}
		if err != nil {
			return cacheMeta{}, fmt.Errorf("%s: %s: %w", p, f.Name, err)
		}
		if f.Name == "bootstrap" {
			m.BinarySize = int64(f.UncompressedSize64)
		}
	}
	if m.BinarySize < 0 {
		return cacheMeta{}, fmt.Errorf("%s: no bootstrap in the zip", p)
	}
	return m, nil
}
