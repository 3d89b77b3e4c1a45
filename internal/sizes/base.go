package sizes

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/lambctl/lamb/graph"
	"github.com/lambctl/lamb/internal/failure"
	"github.com/lambctl/lamb/internal/gitwt"
	"github.com/lambctl/lamb/internal/pipeline"
	"github.com/lambctl/lamb/manifest"
)

// BaseOptions say what Base builds.
type BaseOptions struct {
	// Manifest is the working tree's manifest; the base's is read from the
	// same path at Commit, with the same stage.
	Manifest *manifest.Manifest
	// Commit is the base commit (graph.AffectedResult.Base).
	Commit string
	// Functions are the working tree's functions to size at the base, as
	// they are built now: each is built at the base for the same
	// architecture, so that the two sides compare.
	Functions []manifest.Function
	// Build tunes the base's build (Jobs, Progress, Env, NoCache,
	// Remote); OutDir is Base's own.
	Build pipeline.BuildOptions
	// Analyze breaks the base binaries down by module and package.
	Analyze bool
}

// BaseResult is the base side of --since.
type BaseResult struct {
	// Measures are the base's sizes by function name.
	Measures map[string]*Measure
	// New are the functions the base does not have (not in its manifest,
	// or their package does not exist there), sorted as given.
	New []string
	// Warning says why no function could be sized at the base (its
	// manifest is missing or does not load), "" otherwise.
	Warning string
}

// Base builds o.Functions as they were at o.Commit, in a temporary git
// worktree removed afterwards (even when ctx is cancelled), each with the
// base manifest's settings and the working tree's architecture, and
// measures them. A fingerprint built before — by an earlier size, build
// or CI run — is copied from the artifact cache without running go.
// Failures of single functions (a compile error at the base) are
// aggregated in the error, with the result for the others.
func Base(ctx context.Context, o BaseOptions) (*BaseResult, error) {
	res := &BaseResult{Measures: map[string]*Measure{}}
	if len(o.Functions) == 0 {
		return res, nil
	}
	m := o.Manifest
	top, err := gitwt.Git(ctx, m.Root, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("size base: %w", err)
	}
	relRoot, err := gitwt.RelPath(top, m.Root)
	if err != nil {
		return nil, fmt.Errorf("size base: %w", err)
	}
	relManifest, err := gitwt.RelPath(m.Root, m.Path)
	if err != nil {
		return nil, fmt.Errorf("size base: %w", err)
	}

	w, err := gitwt.Checkout(ctx, top, o.Commit)
	if err != nil {
		return nil, fmt.Errorf("size base: %w", err)
	}
	defer w.Close() // even when ctx is cancelled (Ctrl-C)
	if testHookWorktree != nil {
		testHookWorktree(w.Dir)
	}
	tmp, err := os.MkdirTemp("", "lamb-size-dist-")
	if err != nil {
		return nil, fmt.Errorf("size base: %w", err)
	}
	defer os.RemoveAll(tmp)

	path := w.Path(relRoot + "/" + relManifest)
	stage := ""
	if m.Stage != nil {
		stage = m.Stage.Name
	}
	if _, err := os.Lstat(path); err != nil {
		res.Warning = fmt.Sprintf("no %s at base %.12s: nothing to compare with", relManifest, o.Commit)
		res.New = namesOf(o.Functions)
		return res, nil
	}
	bm, err := manifest.Load(path, manifest.LoadOptions{Stage: stage})
	if err != nil {
		msg := w.Scrub(err.Error())
		res.Warning = fmt.Sprintf("%s at base %.12s does not load: nothing to compare with: %s", relManifest, o.Commit, firstLine(msg))
		res.New = namesOf(o.Functions)
		return res, nil
	}
	arch := map[string]string{}
	var names []string
	for _, f := range o.Functions {
		if _, ok := bm.Lookup(f.Name); !ok {
			res.New = append(res.New, f.Name)
			continue
		}
		arch[f.Name] = f.Architecture
		names = append(names, f.Name)
	}
	if len(names) == 0 {
		return res, nil
	}
	sel, err := pipeline.Select(ctx, bm, pipeline.SelectOptions{Names: names})
	if err != nil {
		return nil, fmt.Errorf("size base %.12s: %w", o.Commit, err)
	}
	// Not fingerprinted yet: set each function's architecture before the
	// build fingerprints it.
	for i := range sel.Functions {
		if a := arch[sel.Functions[i].Name]; a != "" {
			sel.Functions[i].Architecture = a
		}
	}
	bo := o.Build
	bo.OutDir = filepath.Join(tmp, "dist")
	if extra := w.GoEnv(); extra != nil {
		env := bo.Env
		if env == nil {
			env = os.Environ()
		}
		bo.Env = append(env[:len(env):len(env)], extra...)
	}
	arts, berr := sel.Build(ctx, nil, bo)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var errs []error
	for _, e := range failure.Flatten(berr) {
		fn, ok := failure.FunctionOf(e)
		if ok && errors.Is(e, graph.ErrPackageNotFound) {
			res.New = append(res.New, fn)
			continue
		}
		if !ok {
			return nil, fmt.Errorf("size base %.12s: %w", o.Commit, e)
		}
		op, cause := "build", e
		var fe *failure.Error
		if errors.As(e, &fe) {
			op, cause = fe.Op, fe.Err
		}
		msg := w.Scrub(cause.Error())
		errs = append(errs, failure.New(fn, op+" at base "+shortSha(o.Commit), errors.New(msg)))
	}
	if o.Analyze {
		ms, err := AnalyzeAll(ctx, arts)
		errs = append(errs, err)
		for _, mm := range ms {
			if mm != nil {
				res.Measures[mm.Function] = mm
			}
		}
	} else {
		for _, a := range arts {
			res.Measures[a.Function] = Of(a)
		}
	}
	return res, failure.Append(nil, errs...).ErrorOrNil()
}

// testHookWorktree, when set by a test, runs once the base worktree exists.
var testHookWorktree func(dir string)

func shortSha(s string) string { return s[:min(len(s), 12)] }

func namesOf(fns []manifest.Function) []string {
	out := make([]string, len(fns))
	for i, f := range fns {
		out[i] = f.Name
	}
	return out
}

// relPath returns target relative to base, slash-separated, resolving

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
