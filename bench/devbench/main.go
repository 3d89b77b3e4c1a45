// Command devbench measures lamb dev's edit → new code loop on the sample
// monorepo against its floors, in one run (docs/dev.md, "Speed"):
//
//   - edit one function's main.go → its HTTP route answers with the new
//     code, against the floor: go build of that one function, warm (same
//     flags and environment as lamb's builder); goal ≤ floor + 300 ms;
//   - edit a shared package → exactly its importers reloaded, against one
//     go build -o dir/ of those importers; goal ≤ 1.2 × floor.
//
// Floors are built in a second copy of the sample with edits of their own,
// so that no compile of one side is a cache hit for the other. Each
// measurement is repeated -n times; medians are compared.
//
//	go run ./bench/devbench [-n 5] [-sample testdata/monorepo] [-v] [-cpuprofile file]
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/lambctl/lamb/graph"
	"github.com/lambctl/lamb/internal/devloop"
	"github.com/lambctl/lamb/internal/lambdaspec"
	"github.com/lambctl/lamb/internal/sample"
	"github.com/lambctl/lamb/manifest"
)

// pollEvery is how often the route is asked for the new answer: each ask
// is an invoke; asking every 5 ms costs the build no measurable time.
const pollEvery = 5 * time.Millisecond

const (
	handlerFile = "functions/orders/get/main.go"
	handlerText = `"order "+id+" not found"`
	sharedFile  = "internal/orders/orders.go"
	sharedPkg   = "internal/orders"
)

func main() {
	sampleDir := flag.String("sample", "testdata/monorepo", "the sample monorepo to copy")
	n := flag.Int("n", 5, "repetitions of each measurement")
	verbose := flag.Bool("v", false, "print lamb dev's output")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the measured edits, lamb dev's side (the go command runs apart), to `file`")
	flag.Parse()
	if err := run(*sampleDir, *n, *verbose, *cpuprofile); err != nil {
		fmt.Fprintln(os.Stderr, "devbench:", err)
		os.Exit(1)
	}
}

func run(sampleDir string, n int, verbose bool, cpuprofile string) error {
	work, err := os.MkdirTemp("", "devbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	dev, floor := filepath.Join(work, "dev"), filepath.Join(work, "floor")
	for _, d := range []string{dev, floor} {
		if err := sample.Copy(sampleDir, d); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	load := func() (*manifest.Manifest, error) {
		return manifest.Load(filepath.Join(dev, "lamb.yaml"), manifest.LoadOptions{})
	}
	m, err := load()
	if err != nil {
		return err
	}
	importers, err := importersOf(ctx, m, sharedPkg)
	if err != nil {
		return err
	}
	var out io.Writer = io.Discard
	if verbose {
		out = os.Stderr
	}
	reports := make(chan *devloop.Report, 16)
	t0 := time.Now()
	devloop.CollectLess() // as lamb dev does
	l, err := devloop.Start(ctx, devloop.Options{
		Load: load, Out: out,
		OnReload: func(r *devloop.Report) { reports <- r }, // the sample routes GET /orders/{id}
	})
	if err != nil {
		return err
	}
	defer l.Close()
	go l.Run(ctx)
	fmt.Printf("lamb dev up with %d functions in %s\n", len(m.Functions), time.Since(t0).Round(time.Millisecond))
	url := l.HTTPURL() + "/orders/ord_9999"
	if _, err := waitFor(url, "not found", time.Minute); err != nil {
		return err
	}
	// Warm the floor side's build cache as lamb dev's first build warmed its.
	if _, err := goBuild(ctx, floor, m, []string{"orders-get"}); err != nil {
		return err
	}
	if _, err := goBuild(ctx, floor, m, importers); err != nil {
		return err
	}

	original := map[string][]byte{}
	for _, f := range []string{handlerFile, sharedFile} {
		if original[f], err = os.ReadFile(filepath.Join(dev, f)); err != nil {
			return err
		}
	}
	if cpuprofile != "" { // the measured edits only, not lamb dev's start
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile() // before the file closes
	}
	var floor1, dev1, floor2, dev2 []time.Duration
	var steps1, steps2 []string // fingerprint / plan / build+deploy of each reload
	for i := range n {
		// One function's main.go.
		tok := fmt.Sprintf("floor-%d", i)
		if err := editHandler(floor, original[handlerFile], tok); err != nil {
			return err
		}
		d, err := goBuild(ctx, floor, m, []string{"orders-get"})
		if err != nil {
			return err
		}
		floor1 = append(floor1, d)
		tok = fmt.Sprintf("dev-%d", i)
		start := time.Now()
		if err := editHandler(dev, original[handlerFile], tok); err != nil {
			return err
		}
		if _, err := waitFor(url, tok, 2*time.Minute); err != nil {
			return err
		}
		dev1 = append(dev1, time.Since(start))
		// Its report comes right after the new code serves.
		if rep, err := waitReload(reports, time.Minute); err != nil {
			return err
		} else if !slices.Equal(rep.Functions, []string{"orders-get"}) {
			return fmt.Errorf("handler edit reloaded %v (failed %v), want orders-get", rep.Functions, rep.Failed)
		} else {
			steps1 = append(steps1, steps(rep))
		}

		// A shared package.
		if err := editShared(floor, original[sharedFile], fmt.Sprintf("floor-%d", i)); err != nil {
			return err
		}
		if d, err = goBuild(ctx, floor, m, importers); err != nil {
			return err
		}
		floor2 = append(floor2, d)
		before, err := zipSums(dev, importers)
		if err != nil {
			return err
		}
		start = time.Now()
		if err := editShared(dev, original[sharedFile], fmt.Sprintf("dev-%d", i)); err != nil {
			return err
		}
		rep, err := waitReload(reports, 2*time.Minute)
		if err != nil {
			return err
		}
		dev2 = append(dev2, time.Since(start))
		steps2 = append(steps2, steps(rep))
		if !slices.Equal(rep.Functions, importers) || len(rep.Failed) > 0 {
			return fmt.Errorf("shared edit reloaded %v (failed %v), want exactly %v", rep.Functions, rep.Failed, importers)
		}
		after, err := zipSums(dev, importers)
		if err != nil {
			return err
		}
		for _, n := range importers {
			if before[n] == after[n] {
				return fmt.Errorf("shared edit: %s's zip did not change: the measurement would zip and deploy nothing", n)
			}
		}
	}
	f1, d1, f2, d2 := median(floor1), median(dev1), median(floor2), median(dev2)
	fmt.Printf("\nmedians of %d runs (%s, %s)\n", n, hostInfo(), time.Now().UTC().Format(time.DateOnly))
	fmt.Printf("%-44s %10s %10s %12s %s\n", "measurement", "lamb dev", "floor", "ratio", "goal")
	fmt.Printf("%-44s %10s %10s %5.2fx %+5dms %s\n", "edit orders-get main.go → HTTP answers", ms(d1), ms(f1), float64(d1)/float64(f1), (d1 - f1).Milliseconds(), "≤ floor + 300 ms: "+verdict(d1 <= f1+300*time.Millisecond))
	fmt.Printf("%-44s %10s %10s %5.2fx %9s %s\n", fmt.Sprintf("edit %s → %d importers reloaded", sharedPkg, len(importers)), ms(d2), ms(f2), float64(d2)/float64(f2), "", "≤ 1.2 × floor: "+verdict(float64(d2) <= 1.2*float64(f2)))
	fmt.Printf("\nimporters of %s: %s\n", sharedPkg, strings.Join(importers, ", "))
	fmt.Printf("runs: floor1 %v\n      dev1   %v\n      floor2 %v\n      dev2   %v\n", floor1, dev1, floor2, dev2)
	fmt.Printf("reload steps in ms (fingerprint/plan/build+deploy(go build, zip)), r: prints refreshed without a package load:\n  main.go edit: %s\n  shared edit:  %s\n", strings.Join(steps1, "  "), strings.Join(steps2, "  "))
	return nil
}

// importersOf returns the functions whose closure holds the repository
// package pkg (a path relative to the module), by their prints.
func importersOf(ctx context.Context, m *manifest.Manifest, pkg string) ([]string, error) {
	prints, err := graph.Fingerprints(ctx, m, m.Functions)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range prints {
		for _, pi := range p.Inputs.Packages {
			if pi.Name == pkg {
				out = append(out, p.Function)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// goBuild runs one go build -o dir/ of the functions named, for this
// machine, with the flags and environment lamb's builder uses
// (buildcfg.Config of the first: the sample's functions share theirs).
func goBuild(ctx context.Context, root string, m *manifest.Manifest, names []string) (time.Duration, error) {
	host, err := lambdaspec.HostArch()
	if err != nil {
		return 0, err
	}
	var pkgs []string
	var fn manifest.Function
	for _, name := range names {
		f, ok := m.Lookup(name)
		if !ok {
			return 0, fmt.Errorf("no function %s", name)
		}
		fn = f
		pkgs = append(pkgs, "./"+f.Dir)
	}
	fn.Architecture = host
	cfg, err := fn.BuildConfig()
	if err != nil {
		return 0, err
	}
	out := filepath.Join(root, ".floor")
	cmd := exec.CommandContext(ctx, "go", cfg.BuildArgs(out, 0, pkgs)...)
	cmd.Dir = root
	cmd.Env = cfg.Environ(os.Environ())
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("go build %v: %v\n%s", pkgs, err, stderr.String())
	}
	return time.Since(start), nil
}

func editHandler(root string, orig []byte, tok string) error {
	b := bytes.Replace(orig, []byte(handlerText), []byte(`"order "+id+" not found `+tok+`"`), 1)
	return os.WriteFile(filepath.Join(root, handlerFile), b, 0o644)
}

// editShared changes internal/orders in a way that reaches every
// importer's binary: a package-level variable initialised by a call is
// kept (package initialisation runs it), and its value changes with tok.
func editShared(root string, orig []byte, tok string) error {
	b := append(bytes.Clone(orig), fmt.Sprintf("\n// benchToken changes with every edit, and every importer's binary with it.\nvar benchToken = fmt.Sprint(%q)\n", tok)...)
	return os.WriteFile(filepath.Join(root, sharedFile), b, 0o644)
}

// zipSums returns the SHA-256 of lamb dev's zip of each function named,
// streamed: reading the zips whole would leave lamb dev, which runs in
// this process, megabytes of garbage to collect while it is measured.
func zipSums(root string, names []string) (map[string][32]byte, error) {
	out := map[string][32]byte{}
	for _, n := range names {
		f, err := os.Open(filepath.Join(root, ".lamb", "dev", "dist", n+".zip"))
		if err != nil {
			return nil, err
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return nil, err
		}
		out[n] = [32]byte(h.Sum(nil))
	}
	return out, nil
}

// waitFor polls url until its body contains want.
func waitFor(url, want string, limit time.Duration) (string, error) {
	deadline := time.Now().Add(limit)
	for {
		resp, err := http.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(b), want) {
				return string(b), nil
			}
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("%s did not answer %q within %s", url, want, limit)
		}
		time.Sleep(pollEvery)
	}
}

func waitReload(reports <-chan *devloop.Report, limit time.Duration) (*devloop.Report, error) {
	select {
	case r := <-reports:
		return r, nil
	case <-time.After(limit):
		return nil, fmt.Errorf("no reload within %s", limit)
	}
}

func steps(r *devloop.Report) string {
	refreshed := ""
	if r.Refreshed {
		refreshed = "r"
	}
	return fmt.Sprintf("%d%s/%d/%d(go %d,zip %d)", r.Fingerprint.Milliseconds(), refreshed, r.Plan.Milliseconds(), r.Deploy.Milliseconds(), r.Compile.Milliseconds(), r.Zip.Milliseconds())
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) string { return fmt.Sprintf("%dms", d.Milliseconds()) }

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

func hostInfo() string {
	b, _ := os.ReadFile("/proc/loadavg")
	load := strings.Fields(string(b))
	if len(load) > 0 {
		return fmt.Sprintf("load average %s", load[0])
	}
	return "load unknown"
}
