// Command buildbench measures `lamb build` against the ways Lambda
// monorepos are usually built, in one run on one generated repository
// (internal/benchgen), and prints a Markdown table of ratios:
//
//	go run ./bench/buildbench -n 24          # everything, cold builds too
//	go run ./bench/buildbench -n 12 -cold=false -runs 5
//
// Baselines, all with CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build
// -trimpath -buildvcs=false -ldflags='-s -w' -tags lambda.norpc:
//
//	(a) one go build per function, in turn, then archive/zip (default deflate)
//	(c) one go build -o out/ ./functions/..., then archive/zip
//
// With -mixed it measures only a mixed build (issue 16): every other
// function x86_64, the rest arm64. lamb's builder (package builder, run in
// this process without fingerprints or caches: the go builds and the zips
// of lamb build, nothing else) runs the two go builds side by side; the
// baseline runs the same two go builds one after the other and zips with
// lamb's writer on every core (what lamb did before). Cold (ABBA) and
// after an edit of the most shared internal package (alternating, median).
//
// Goals (issue 4): cold ≤ 1.10× (c); one function's main.go edited ≤ 1.5×
// (go build of that function + zipping it); no-op ≤ 3× go list -deps -json
// ./functions/...; zipping ≥ 2× faster than archive/zip's default at ≤ 2%
// larger. Cold builds use a fresh GOCACHE each (about 30 s on two idle
// cores). It needs the module proxy or a warm module cache.
package main

import (
	"archive/zip"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lambctl/lamb/builder"
	"github.com/lambctl/lamb/internal/benchgen"
	"github.com/lambctl/lamb/manifest"
)

var (
	n       = flag.Int("n", 24, "functions in the generated repository")
	runs    = flag.Int("runs", 3, "runs of each warm measurement (the median is reported)")
	cold    = flag.Bool("cold", true, "measure cold builds (a fresh GOCACHE each)")
	coldA   = flag.Bool("cold-a", true, "measure (a) cold too (the slowest)")
	repo    = flag.String("repo", "", "use this generated repository (a copy is made) instead of generating one")
	lambF   = flag.String("lamb", "", "lamb binary to measure (default: build ./cmd/lamb)")
	keep    = flag.Bool("keep", false, "keep the work directory")
	zipOnly = flag.Bool("zip-only", false, "measure only zipping")
	mixed   = flag.Bool("mixed", false, "measure only a mixed arm64 + x86_64 build against the same go builds in sequence")
	goFlag  = []string{"build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-tags=lambda.norpc"}
)

type env struct {
	work, repo, lamb string
	gocache          string                   // GOCACHE for the next commands
	xdg              string                   // lamb's user cache
	cpu              map[string]time.Duration // CPU time of the cold runs
}

// childCPU is the user+system time of the waited-for child processes.
func childCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "buildbench:", err)
		os.Exit(1)
	}
}

func run() error {
	work, err := os.MkdirTemp("", "buildbench-")
	if err != nil {
		return err
	}
	if !*keep {
		defer os.RemoveAll(work)
	} else {
		fmt.Fprintln(os.Stderr, "work directory:", work)
	}
	e := &env{cpu: map[string]time.Duration{}, work: work, repo: filepath.Join(work, "repo"), lamb: *lambF, xdg: filepath.Join(work, "xdg")}
	out, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		return err
	}
	warmCache := strings.TrimSpace(string(out))
	e.gocache = warmCache
	if e.lamb == "" && !*mixed {
		e.lamb = filepath.Join(work, "lamb")
		if err := e.cmd(".", "go", "build", "-o", e.lamb, "./cmd/lamb").Run(); err != nil {
			return fmt.Errorf("build lamb: %w", err)
		}
	}
	if *repo != "" {
		if err := os.CopyFS(e.repo, os.DirFS(*repo)); err != nil {
			return err
		}
	} else if err := benchgen.Generate(e.repo, *n); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(e.repo, "lamb.yaml")); err != nil {
		y := "version: 1\ndefaults:\n  runtime: provided.al2023\n  architecture: arm64\ndiscover:\n  - packages: ./functions/...\n    name: \"{{.Dir}}\"\n"
		if err := os.WriteFile(filepath.Join(e.repo, "lamb.yaml"), []byte(y), 0o644); err != nil {
			return err
		}
	}
	fns, err := filepath.Glob(filepath.Join(e.repo, "functions", "*"))
	if err != nil || len(fns) == 0 {
		return fmt.Errorf("no functions in %s", e.repo)
	}
	for i := range fns {
		fns[i] = filepath.Base(fns[i])
	}
	sort.Strings(fns)
	fmt.Fprintf(os.Stderr, "%d functions, %d CPUs, load average %s\n", len(fns), runtime.NumCPU(), loadavg())
	loadStart := loadavg()

	var rows []row
	if *mixed {
		return e.mixedBench(fns, loadStart)
	}
	if *zipOnly {
		if err := e.buildAll(fns); err != nil {
			return err
		}
		zr, err := e.zipBench(fns)
		if err != nil {
			return err
		}
		fmt.Printf("N=%d functions, %d CPUs; load average %s at start, %s at end.\n\n", len(fns), runtime.NumCPU(), loadStart, loadavg())
		fmt.Print(zr)
		return nil
	}

	// Cold build cache: all functions, each tool with an empty GOCACHE.
	if *cold {
		var r row
		r.name = "cold build cache, all functions (mean of 2, ABBA)"
		r.goal = "≤ 1.10× (c)"
		// lamb and (c) alternate (ABBA) so that a change in the machine's
		// load hits both alike; each is the mean of its two runs.
		lambCold := func() time.Duration { return e.coldRun("lamb", func() error { return e.lambBuild() }) }
		cCold := func() time.Duration { return e.coldRun("(c)", func() error { return e.buildAll(fns) }) }
		l1, c1, c2, l2 := lambCold(), cCold(), cCold(), lambCold()
		r.lamb, r.c = (l1+l2)/2, (c1+c2)/2
		if *coldA {
			r.a = e.coldRun("(a)", func() error { return e.buildEach(fns) })
		}
		r.floor, r.floorName, r.limit = r.c, "(c)", 1.10
		rows = append(rows, r)
	}
	e.gocache = warmCache

	// Warm: bring every tool's outputs up to date.
	if err := e.lambBuild(); err != nil {
		return err
	}
	if err := e.buildEach(fns); err != nil {
		return err
	}
	if err := e.buildAll(fns); err != nil {
		return err
	}

	// One function's main.go edited.
	{
		target := fns[len(fns)/2]
		var r row
		r.name = "one function's main.go edited"
		r.goal = "≤ 1.5× go build of it + zip"
		edit := func() {
			if _, err := benchgen.Touch(e.repo, "functions/"+target); err != nil {
				panic(err)
			}
		}
		r.a = e.median(edit, func() error { return e.buildEach(fns) })
		r.c = e.median(edit, func() error { return e.buildAll(fns) })
		r.lamb, r.floor = e.pairMedian(edit, e.lambBuild, func() error { return e.buildOne(target) })
		r.floorName = "go build " + target + " + zip"
		r.limit = 1.5
		rows = append(rows, r)
	}

	// No-op: nothing changed since the last build.
	{
		var r row
		r.name = "no-op (nothing changed)"
		r.goal = "≤ 3× go list -deps -json"
		r.a = e.median(nil, func() error { return e.buildEach(fns) })
		r.c = e.median(nil, func() error { return e.buildAll(fns) })
		r.lamb, r.floor = e.pairMedian(nil, e.lambBuild, func() error {
			c := e.cmd(e.repo, "go", "list", "-deps", "-json", "./functions/...")
			c.Stdout = io.Discard
			return c.Run()
		})
		r.floorName = "go list -deps -json ./functions/..."
		r.limit = 3
		rows = append(rows, r)
	}

	zr, err := e.zipBench(fns)
	if err != nil {
		return err
	}

	fmt.Printf("N=%d functions, GOARCH=arm64, %d CPUs; load average %s at start, %s at end (other work on the machine inflates every column alike).\n\n",
		len(fns), runtime.NumCPU(), loadStart, loadavg())
	fmt.Println("| work | lamb build | (a) go build per function + zip | (c) one go build + zip | floor | lamb / floor | goal |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, r := range rows {
		ratio := r.lamb.Seconds() / r.floor.Seconds()
		ok := "met"
		if ratio > r.limit {
			ok = "NOT met"
		}
		a := secs(r.a)
		if r.a == 0 {
			a = "not measured"
		}
		fmt.Printf("| %s | %s | %s | %s | %s: %s | %.2f | %s: %s |\n", r.name, secs(r.lamb), a, secs(r.c), r.floorName, secs(r.floor), ratio, r.goal, ok)
	}
	if *cold {
		fmt.Printf("\nCPU time of the cold builds (user+system, all processes; load does not inflate it): lamb %s, (c) %s per build.\n",
			secs(e.cpu["lamb"]/2), secs(e.cpu["(c)"]/2))
	}
	fmt.Println()
	fmt.Print(zr)
	return nil
}

type row struct {
	name, goal, floorName string
	lamb, a, c, floor     time.Duration
	limit                 float64
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func (e *env) cmd(dir, name string, args ...string) *exec.Cmd {
	c := exec.Command(name, args...)
	c.Dir = dir
	c.Env = append(os.Environ(), "GOCACHE="+e.gocache, "XDG_CACHE_HOME="+e.xdg, "GOFLAGS=-buildvcs=false")
	c.Stderr = os.Stderr
	return c
}

func (e *env) goBuild(args ...string) error {
	return e.goBuildArch("arm64", args...)
}

func (e *env) goBuildArch(goarch string, args ...string) error {
	c := e.cmd(e.repo, "go", append(append([]string(nil), goFlag...), args...)...)
	c.Env = append(c.Env, "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	return c.Run()
}

// mixedBench makes every other function x86_64 and compares lamb build
// (the arm64 and the amd64 go builds side by side, -p split between them)
// with the same two go builds one after the other, each with the default
// -p, then zipped with lamb's writer on every core.
func (e *env) mixedBench(fns []string, loadStart string) error {
	warm := e.gocache
	var arm, amd []string
	var y strings.Builder
	y.WriteString("functions:\n")
	for i, f := range fns {
		if i%2 == 1 {
			amd = append(amd, f)
			fmt.Fprintf(&y, "  %s:\n    package: ./functions/%s\n    architecture: x86_64\n", f, f)
		} else {
			arm = append(arm, f)
		}
	}
	p := filepath.Join(e.repo, "lamb.yaml")
	old, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	yaml := strings.Replace(string(old), "discover:\n", y.String()+"discover:\n", 1)
	if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
		return err
	}
	pkgs := func(names []string) []string {
		var out []string
		for _, n := range names {
			out = append(out, "./functions/"+n)
		}
		return out
	}
	seq := func() error {
		dir := filepath.Join(e.work, "seq")
		if err := e.goBuildArch("arm64", append([]string{"-o", filepath.Join(dir, "arm64") + "/"}, pkgs(arm)...)...); err != nil {
			return err
		}
		if err := e.goBuildArch("amd64", append([]string{"-o", filepath.Join(dir, "amd64") + "/"}, pkgs(amd)...)...); err != nil {
			return err
		}
		var bins []string
		for _, f := range arm {
			bins = append(bins, filepath.Join(dir, "arm64", f))
		}
		for _, f := range amd {
			bins = append(bins, filepath.Join(dir, "amd64", f))
		}
		return lambZipAll(bins)
	}
	// The internal package most functions depend on: an edit there
	// rebuilds both architectures.
	shared, most := "", 0
	for p, users := range benchgen.Importers(len(fns)) {
		if len(users) > most || len(users) == most && p < shared {
			shared, most = p, len(users)
		}
	}

	m, err := manifest.Load(p, manifest.LoadOptions{})
	if err != nil {
		return err
	}
	var targets []builder.Target
	for _, f := range m.Functions {
		targets = append(targets, builder.Target{Function: f}) // no fingerprint: always built, never cached
	}
	lambBuild := func() error {
		env := append(os.Environ(), "GOCACHE="+e.gocache, "GOFLAGS=-buildvcs=false")
		arts, err := builder.New(builder.Options{Root: e.repo, NoCache: true, Env: env}).Build(context.Background(), targets)
		if err == nil && len(arts) != len(fns) {
			err = fmt.Errorf("built %d functions, want %d", len(arts), len(fns))
		}
		return err
	}
	lambCold := func() time.Duration { return e.coldRun("lamb", lambBuild) }
	seqCold := func() time.Duration {
		return e.coldRun("sequence", func() error { os.RemoveAll(filepath.Join(e.work, "seq")); return seq() })
	}
	l1, s1, s2, l2 := lambCold(), seqCold(), seqCold(), lambCold()
	coldL, coldS := (l1+l2)/2, (s1+s2)/2
	e.gocache = warm
	if err := lambBuild(); err != nil {
		return err
	}
	if err := seq(); err != nil {
		return err
	}
	edit := func() {
		if _, err := benchgen.Touch(e.repo, shared); err != nil {
			panic(err)
		}
	}
	editL, editS := e.pairMedian(edit, lambBuild, seq)

	fmt.Printf("N=%d functions (%d arm64, %d x86_64), %d CPUs; load average %s at start, %s at end.\n\n",
		len(fns), len(arm), len(amd), runtime.NumCPU(), loadStart, loadavg())
	fmt.Println("| work | lamb's builder (the two go builds side by side) | the same go builds in sequence + zip | lamb / sequence |")
	fmt.Println("|---|---|---|---|")
	fmt.Printf("| cold build cache, all functions (mean of 2, ABBA) | %s | %s | %.2f |\n", secs(coldL), secs(coldS), coldL.Seconds()/coldS.Seconds())
	fmt.Printf("| %s edited (%d functions depend on it; median of %d, alternating) | %s | %s | %.2f |\n", shared, most, *runs, secs(editL), secs(editS), editL.Seconds()/editS.Seconds())
	fmt.Printf("\nCPU time of the cold builds (user+system of the go commands and their compilers and linkers): lamb %s, sequence %s per build.\n",
		secs(e.cpu["lamb"]/2), secs(e.cpu["sequence"]/2))
	return nil
}

// lambZipAll zips each binary as bootstrap with lamb's writer, one zip per
// CPU at a time, next to the binary.
func lambZipAll(bins []string) error {
	var wg sync.WaitGroup
	var failed atomic.Value
	next := make(chan string)
	for w := 0; w < runtime.NumCPU(); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range next {
				f, err := os.Create(b + ".zip")
				if err == nil {
					_, err = builder.WriteZip(f, []builder.ZipFile{{Name: "bootstrap", Src: b, Mode: 0o755}}, time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC))
					if cerr := f.Close(); err == nil {
						err = cerr
					}
				}
				if err != nil {
					failed.Store(err)
				}
			}
		}()
	}
	for _, b := range bins {
		next <- b
	}
	close(next)
	wg.Wait()
	if err, ok := failed.Load().(error); ok {
		return err
	}
	return nil
}

// coldRun times f with an empty GOCACHE and an empty lamb cache.
func (e *env) coldRun(name string, f func() error) time.Duration {
	e.gocache = must(os.MkdirTemp(e.work, "gocache-"))
	os.RemoveAll(e.xdg)
	os.RemoveAll(filepath.Join(e.repo, ".lamb"))
	os.RemoveAll(filepath.Join(e.work, "a"))
	os.RemoveAll(filepath.Join(e.work, "c"))
	cpu0 := childCPU()
	d := timeIt(f)
	cpu := childCPU() - cpu0
	os.RemoveAll(e.gocache)
	fmt.Fprintf(os.Stderr, "cold %s: %s, %s of CPU (load average %s)\n", name, secs(d), secs(cpu), loadavg())
	e.cpu[name] += cpu
	return d
}

func (e *env) median(prep func(), f func() error) time.Duration {
	var ds []time.Duration
	for i := 0; i < *runs; i++ {
		if prep != nil {
			prep()
		}
		ds = append(ds, timeIt(f))
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

// pairMedian times f and g alternately, runs times each, prep before
// each, and returns their medians.
func (e *env) pairMedian(prep func(), f, g func() error) (time.Duration, time.Duration) {
	var fs, gs []time.Duration
	for i := 0; i < *runs; i++ {
		if prep != nil {
			prep()
		}
		fs = append(fs, timeIt(f))
		if prep != nil {
			prep()
		}
		gs = append(gs, timeIt(g))
	}
	return medianOf(fs), medianOf(gs)
}

func medianOf(ds []time.Duration) time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

func timeIt(f func() error) time.Duration {
	t0 := time.Now()
	if err := f(); err != nil {
		fmt.Fprintln(os.Stderr, "buildbench:", err)
		os.Exit(1)
	}
	return time.Since(t0)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func (e *env) lambBuild() error {
	c := e.cmd(e.repo, e.lamb, "build")
	c.Stdout = io.Discard
	c.Stderr = io.Discard
	return c.Run()
}

// buildEach is (a): one go build per function into its own directory, then
// archive/zip of every bootstrap.
func (e *env) buildEach(fns []string) error {
	for _, f := range fns {
		if err := e.goBuild("-o", filepath.Join(e.work, "a", f, "bootstrap"), "./functions/"+f); err != nil {
			return err
		}
	}
	for _, f := range fns {
		if err := stdZip(filepath.Join(e.work, "a", f, "bootstrap"), filepath.Join(e.work, "a", f+".zip")); err != nil {
			return err
		}
	}
	return nil
}

// buildAll is (c): one go build of every function, then archive/zip.
func (e *env) buildAll(fns []string) error {
	if err := e.goBuild("-o", filepath.Join(e.work, "c")+"/", "./functions/..."); err != nil {
		return err
	}
	for _, f := range fns {
		if err := stdZip(filepath.Join(e.work, "c", f), filepath.Join(e.work, "c", f+".zip")); err != nil {
			return err
		}
	}
	return nil
}

// buildOne is the floor of an edit: go build of the one function, and zip.
func (e *env) buildOne(f string) error {
	bin := filepath.Join(e.work, "one", f, "bootstrap")
	if err := e.goBuild("-o", bin, "./functions/"+f); err != nil {
		return err
	}
	return stdZip(bin, filepath.Join(e.work, "one", f+".zip"))
}

// stdZip zips src as bootstrap with archive/zip's defaults.
func stdZip(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(dst, buf.Bytes(), 0o644)
}

// zipBench zips the (c) bootstraps with archive/zip's default and with
// lamb's writer, one at a time on one goroutine each.
func (e *env) zipBench(fns []string) (string, error) {
	var raw int64
	var bins []string
	for _, f := range fns {
		p := filepath.Join(e.work, "c", f)
		fi, err := os.Stat(p)
		if err != nil {
			return "", err
		}
		raw += fi.Size()
		bins = append(bins, p)
	}
	once := func(z func(src string, w io.Writer) error) (time.Duration, int64) {
		cw := &counter{}
		t0 := time.Now()
		for _, b := range bins {
			if err := z(b, cw); err != nil {
				panic(err)
			}
		}
		return time.Since(t0), cw.n
	}
	stdZipTo := func(src string, w io.Writer) error {
		data, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		zw := zip.NewWriter(w)
		h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
		h.SetMode(0o755)
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if _, err := fw.Write(data); err != nil {
			return err
		}
		return zw.Close()
	}
	lambZipTo := func(src string, w io.Writer) error {
		_, err := builder.WriteZip(w, []builder.ZipFile{{Name: "bootstrap", Src: src, Mode: 0o755}}, time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC))
		return err
	}
	// lamb as it runs in a build: one zip per worker, runtime.NumCPU() workers.
	par := func() (time.Duration, int64) {
		t0 := time.Now()
		var total atomic.Int64
		var wg sync.WaitGroup
		next := make(chan string)
		for w := 0; w < runtime.NumCPU(); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for b := range next {
					cw := &counter{}
					if err := lambZipTo(b, cw); err != nil {
						panic(err)
					}
					total.Add(cw.n)
				}
			}()
		}
		for _, b := range bins {
			next <- b
		}
		close(next)
		wg.Wait()
		return time.Since(t0), total.Load()
	}
	// Alternate, best of each.
	var stdT, lambT, parT time.Duration
	var stdN, lambN int64
	for i := 0; i < *runs; i++ {
		if d, _ := par(); i == 0 || d < parT {
			parT = d
		}
		d, n := once(stdZipTo)
		if i == 0 || d < stdT {
			stdT, stdN = d, n
		}
		d, n = once(lambZipTo)
		if i == 0 || d < lambT {
			lambT, lambN = d, n
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Zipping the %d bootstraps (%.1f MB), one after another, the writers alternating, best of %d:\n\n", len(bins), float64(raw)/1e6, *runs)
	fmt.Fprintln(&b, "| zip writer | time | output | speed vs archive/zip | size vs archive/zip | goal |")
	fmt.Fprintln(&b, "|---|---|---|---|---|---|")
	fmt.Fprintf(&b, "| archive/zip default (compress/flate level 5) | %s | %.1f MB | 1.00× | 100.0%% | |\n", secs(stdT), float64(stdN)/1e6)
	speed := stdT.Seconds() / lambT.Seconds()
	size := 100 * float64(lambN) / float64(stdN)
	ok := "met"
	if speed < 2 || size > 102 {
		ok = "NOT met"
	}
	fmt.Fprintf(&b, "| lamb (klauspost/compress flate level 6), one goroutine | %s | %.1f MB | %.2f× | %.1f%% | ≥ 2× faster, ≤ 102%%: %s |\n", secs(lambT), float64(lambN)/1e6, speed, size, ok)
	fmt.Fprintf(&b, "| lamb as it runs in a build (%d zip workers) | %s | %.1f MB | %.2f× | %.1f%% | |\n", runtime.NumCPU(), secs(parT), float64(lambN)/1e6, stdT.Seconds()/parT.Seconds(), size)
	return b.String(), nil
}

type counter struct{ n int64 }

func (c *counter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }
