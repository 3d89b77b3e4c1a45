package main

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"runtime"

	"github.com/hashicorp/go-multierror"

	"github.com/lambctl/lamb/builder"
	"github.com/lambctl/lamb/graph"
	"github.com/lambctl/lamb/internal/progress"
	"github.com/lambctl/lamb/manifest"
)

// buildPipeOptions tune buildArtifacts; the zero value builds the way
// `lamb build` does by default.
type buildPipeOptions struct {
	// OutDir is where zips and artifacts.json go; default Root/.lamb/dist
	// (Root/.lamb/dist-host with HostArch).
	OutDir string
	// Jobs is -j: parallel zips and the go command's -p; 0 is the CPU count.
	Jobs int
	// Force builds even when dist or the artifact cache holds the fingerprint.
	Force bool
	// NoCache disables the local artifact cache.
	NoCache bool
	// HostArch builds for the architecture of this machine instead of the
	// manifest's (lamb invoke without a target runs the bootstrap here).
	HostArch bool
	// Remote is the shared artifact cache (--cache, the manifest's cache);
	// nil for none.
	Remote builder.RemoteCache
	// Progress receives progress lines; default g.stderr, or Reporter's
	// Writer when Reporter is set.
	Progress io.Writer
	// Known are fingerprints the caller already computed (lamb deploy's
	// plan), by function name, for the functions as passed: when every
	// function has one, the package graph is not loaded a second time.
	Known map[string]string
	// Reporter, when set, is told each function's state: building,
	// zipping, done or failed.
	Reporter *progress.Reporter
}

// buildArtifacts fingerprints fns (graph.Fingerprints) and builds them
// (builder), returning the artifacts of the functions that built, in fns
// order. Every function that failed to fingerprint or build has its error
// in the returned *multierror.Error (graph.FunctionError or
// builder.FunctionError); the others are built regardless.
func buildArtifacts(ctx context.Context, g *globalOptions, m *manifest.Manifest, fns []manifest.Function, o buildPipeOptions) ([]builder.Artifact, error) {
	if o.HostArch {
		before := fns
		fns = hostArch(fns)
		for i := range fns {
			if fns[i].Architecture != before[i].Architecture {
				o.Known = nil // computed for another architecture
				break
			}
		}
		if o.OutDir == "" {
			o.OutDir = filepath.Join(m.Root, ".lamb", "dist-host")
		}
	}
	var onState func(string, builder.State)
	if rep := o.Reporter; rep != nil {
		names := make([]string, len(fns))
		for i, f := range fns {
			names[i] = f.Name
		}
		rep.Add(names...)
		onState = func(name string, s builder.State) {
			switch s {
			case builder.Building:
				rep.Set(name, progress.Building)
			case builder.Zipping:
				rep.Set(name, progress.Zipping)
			case builder.Done:
				rep.Set(name, progress.Done)
			case builder.Failed:
				rep.Set(name, progress.Failed) // the error itself is returned
			}
		}
		if o.Progress == nil {
			o.Progress = rep.Writer()
		}
	}
	if o.Progress == nil {
		o.Progress = g.stderr
	}
	var errs *multierror.Error
	prints := knownPrints(fns, o.Known)
	var err error
	if prints == nil {
		prints, err = graph.Fingerprints(ctx, m, fns)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		errs = appendErrors(errs, err)
	}
	var targets []builder.Target
	for i, p := range prints {
		if p.Fingerprint == "" {
			if onState != nil {
				onState(fns[i].Name, builder.Failed) // its error is in errs
			}
			continue
		}
		targets = append(targets, builder.Target{Function: fns[i], Fingerprint: p.Fingerprint})
	}
	b := builder.New(builder.Options{
		Root:     m.Root,
		OutDir:   o.OutDir,
		NoCache:  o.NoCache,
		Force:    o.Force,
		Jobs:     o.Jobs,
		Progress: o.Progress,
		Remote:   o.Remote,
		OnState:  onState,
	})
	arts, err := b.Build(ctx, targets)
	if err != nil {
		errs = appendErrors(errs, err)
	}
	out := make([]builder.Artifact, 0, len(arts))
	for _, a := range arts {
		if a.Path != "" {
			out = append(out, a)
		}
	}
	if errs != nil {
		errs.ErrorFormat = builder.ListErrors
	}
	return out, errs.ErrorOrNil()
}

// appendErrors appends err, or the errors it aggregates, to errs.
func appendErrors(errs *multierror.Error, err error) *multierror.Error {
	var me *multierror.Error
	if errors.As(err, &me) {
		return multierror.Append(errs, me.Errors...)
	}
	return multierror.Append(errs, err)
}

// hostArch returns fns built for this machine's architecture.
func hostArch(fns []manifest.Function) []manifest.Function {
	arch := "arm64"
	if runtime.GOARCH == "amd64" {
		arch = "x86_64"
	}
	out := make([]manifest.Function, len(fns))
	for i, f := range fns {
		f.Architecture = arch
		out[i] = f
	}
	return out
}

// knownPrints returns the fingerprints of fns from known, or nil unless
// known has every one of them.
func knownPrints(fns []manifest.Function, known map[string]string) []graph.Print {
	if len(known) == 0 {
		return nil
	}
	prints := make([]graph.Print, len(fns))
	for i, f := range fns {
		fp := known[f.Name]
		if fp == "" {
			return nil
		}
		prints[i] = graph.Print{Function: f.Name, Fingerprint: fp}
	}
	return prints
}
