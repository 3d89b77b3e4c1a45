package binsize

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambctl/lamb/internal/buildcfg"
	"github.com/lambctl/lamb/internal/lambdaspec"
)

// The tests build testdata/sizeprog, a small real program, as lamb ships
// it (buildcfg: -trimpath -ldflags="-s -w" -tags lambda.norpc, GOOS=linux,
// CGO_ENABLED=0) and, for comparison with `go tool nm`, the same without
// -s -w. Builds are shared by the tests through buildOnce.

const progPkg = "./internal/binsize/testdata/sizeprog"

var (
	buildDir string // removed by TestMain
	buildsMu sync.Mutex
	builds   = map[string]func() (string, error){}
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "binsize-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildSpec is one build of sizeprog.
type buildSpec struct {
	arch     string
	stripped bool     // as lamb ships it (-s -w)
	tags     []string // extra tags: sizegrow adds a dependency
}

func (b buildSpec) String() string {
	s := b.arch
	if !b.stripped {
		s += "-unstripped"
	}
	for _, t := range b.tags {
		s += "-" + t
	}
	return s
}

// buildOnce builds the spec the first time any test asks and returns the
// binary's path; later calls wait for and share that build.
func buildOnce(t *testing.T, spec buildSpec) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds Go programs")
	}
	key := spec.String()
	buildsMu.Lock()
	f, ok := builds[key]
	if !ok {
		f = sync.OnceValues(func() (string, error) { return goBuild(spec) })
		builds[key] = f
	}
	buildsMu.Unlock()
	bin, err := f()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func goBuild(spec buildSpec) (string, error) {
	out := filepath.Join(buildDir, spec.String())
	arch, ok := lambdaspec.Arch(spec.arch)
	if !ok {
		return "", fmt.Errorf("GOARCH %q has no Lambda architecture", spec.arch)
	}
	cfg, err := buildcfg.New(arch, spec.tags, "", "", nil)
	if err != nil {
		return "", err
	}
	if !spec.stripped {
		if cfg.LDFlags != buildcfg.DefaultLDFlags {
			return "", fmt.Errorf("ldflags %q are not just %q to drop", cfg.LDFlags, buildcfg.DefaultLDFlags)
		}
		cfg.LDFlags = ""
	}
	args := cfg.BuildArgs(out, 0, []string{progPkg})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = cfg.Environ(os.Environ(), "GOFLAGS=-buildvcs=false", "GOTOOLCHAIN=local")
	var log bytes.Buffer // -json events (compiler errors among them) and stderr
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, log.String())
	}
	return filepath.Join(out, "sizeprog"), nil
}

// analyzeOnce analyzes a build, once per build.
func analyzeOnce(t *testing.T, spec buildSpec) *Report {
	t.Helper()
	bin := buildOnce(t, spec)
	key := "report:" + spec.String()
	buildsMu.Lock()
	f, ok := reports[key]
	if !ok {
		f = sync.OnceValues(func() (*Report, error) { return Analyze(bin) })
		reports[key] = f
	}
	buildsMu.Unlock()
	r, err := f()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var reports = map[string]func() (*Report, error){}
