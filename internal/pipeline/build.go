package pipeline

import (
	"context"
	"io"
	"path/filepath"

	"github.com/hashicorp/go-multierror"

	"github.com/lambctl/lamb/builder"
	"github.com/lambctl/lamb/internal/failure"
	"github.com/lambctl/lamb/internal/lambdaspec"
	"github.com/lambctl/lamb/manifest"
)

// BuildOptions tune Build; the zero value builds the way `lamb build` does
// by default.
type BuildOptions struct {
	// OutDir is where zips and artifacts.json go. Default Root/.lamb/dist,
	// or Root/.lamb/dist-host when the selection was retargeted to this
	// machine's architecture (the zips for AWS stay as they are).
	OutDir string
	// Jobs is -j: parallel zips and the go command's -p; 0 is the CPU count.
	Jobs int
	// Force builds even when dist or the artifact cache holds the fingerprint.
	Force bool
	// NoCache disables the local artifact cache.
	NoCache bool
	// Remote is the shared artifact cache; nil for none.
	Remote builder.RemoteCache
	// Progress receives plain progress lines; nil discards them.
	Progress io.Writer
	// OnState is told each function's build state (from several goroutines).
	OnState func(function string, s builder.State)
	// Env is the base environment of the go command; nil means os.Environ().
	Env []string
	// Uncompressed writes zips whose entries are stored, not deflated
	// (builder.Options.Uncompressed): for code that stays on this machine.
	Uncompressed bool
	// DeployEach makes Deploy deploy each function as soon as its zip is
	// written, while the others still zip (lamb dev), instead of after
	// the whole build.
	DeployEach bool
	// onArtifact is builder.Options.OnArtifact (DeployEach).
	onArtifact func(builder.Artifact)
}

// Build builds the selected functions named in only (all when only is
// nil) that have a fingerprint, with the prints Select computed: the
// package graph is not loaded again. It returns the artifacts that built,
// in Functions order. The failures of single functions (fingerprint or
// build, *failure.Error each) are aggregated in the error; the other
// functions are built regardless.
func (s *Selection) Build(ctx context.Context, only []string, o BuildOptions) ([]builder.Artifact, error) {
	if err := s.Fingerprint(ctx); err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, n := range only {
		want[n] = true
	}
	var errs *multierror.Error
	var targets []builder.Target
	for _, f := range s.Functions {
		if only != nil && !want[f.Name] {
			continue
		}
		p, ok := s.Print(f.Name)
		if !ok {
			if e := s.failureOf(f.Name); e != nil {
				errs = failure.Append(errs, e)
			}
			if o.OnState != nil {
				o.OnState(f.Name, builder.Failed)
			}
			continue
		}
		// Files: the builder checks each zipped file against the
		// fingerprint, so a cache entry holds only what its key covers.
		targets = append(targets, builder.Target{Function: f, Fingerprint: p.Fingerprint, Files: p.Inputs.Files})
	}
	if len(targets) == 0 {
		return nil, errs.ErrorOrNil()
	}
	if o.OutDir == "" {
		o.OutDir = s.distDir()
	}
	b := builder.New(builder.Options{
		Root:     s.Manifest.Root,
		OutDir:   o.OutDir,
		NoCache:  o.NoCache,
		Force:    o.Force,
		Jobs:     o.Jobs,
		Progress: o.Progress,
		Remote:   o.Remote,
		OnState:  o.OnState,
		Env:      o.Env,

		Uncompressed: o.Uncompressed,
		OnArtifact:   o.onArtifact,
	})
	arts, err := b.Build(ctx, targets)
	errs = failure.Append(errs, err)
	out := make([]builder.Artifact, 0, len(arts))
	for _, a := range arts {
		if a.Path != "" {
			out = append(out, a)
		}
	}
	return out, errs.ErrorOrNil()
}

// distDir is where the selection's zips go by default: .lamb/dist for the
// manifest's architectures, .lamb/dist-host when retargeted to this
// machine's.
func (s *Selection) distDir() string {
	if host, err := lambdaspec.HostArch(); err == nil && s.target == host {
		return filepath.Join(s.Manifest.Root, ".lamb", "dist-host")
	}
	return filepath.Join(s.Manifest.Root, ".lamb", "dist")
}

// failureOf returns the fingerprint failure of function name, if any.
func (s *Selection) failureOf(name string) error {
	for _, e := range failure.Flatten(s.Err()) {
		if fn, _ := failure.FunctionOf(e); fn == name {
			return e
		}
	}
	return nil
}

// HostFunctions returns fns built for this machine's architecture (lamb
// invoke's direct run, lamb dev).
func HostFunctions(fns []manifest.Function) ([]manifest.Function, error) {
	arch, err := lambdaspec.HostArch()
	if err != nil {
		return nil, err
	}
	out := make([]manifest.Function, len(fns))
	for i, f := range fns {
		f.Architecture = arch
		out[i] = f
	}
	return out, nil
}
