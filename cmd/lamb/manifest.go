package main

import (
	"context"

	"github.com/lambctl/lamb/internal/pipeline"
	"github.com/lambctl/lamb/manifest"
)

// loadManifest loads the manifest named by -f, or found by walking up from
// the working directory, with --stage applied. Every failure is a usage
// error: exit 2, before any build or AWS call.
func (g *globalOptions) loadManifest() (*manifest.Manifest, error) {
	file := g.File
	if file == "" {
		var err error
		if file, err = manifest.Find(g.wd); err != nil {
			return nil, usageError(err)
		}
	}
	m, err := manifest.Load(file, manifest.LoadOptions{Stage: g.Stage, WorkDir: g.wd})
	if err != nil {
		return nil, usageError(err)
	}
	return m, nil
}

// selectFunctions loads the manifest and selects the functions o names.
func (g *globalOptions) selectFunctions(ctx context.Context, o pipeline.SelectOptions) (*pipeline.Selection, error) {
	m, err := g.loadManifest()
	if err != nil {
		return nil, err
	}
	return pipeline.Select(ctx, m, o)
}
