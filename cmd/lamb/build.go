package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lambctl/lamb/builder"
	"github.com/lambctl/lamb/internal/binsize"
	"github.com/lambctl/lamb/internal/pipeline"
)

type buildOptions struct {
	Since   string
	All     bool
	Out     string
	Jobs    int
	Force   bool
	NoCache bool
	Cache   string
	Shard   string
}

func newBuildCmd(g *globalOptions) *cobra.Command {
	var o buildOptions
	cmd := &cobra.Command{
		Use:   "build [FUNCTION...] [--since REF | --all]",
		Short: "Build functions into reproducible zips",
		Long: `build cross-compiles functions (all of them, the named ones, or those affected
since a git ref) into .lamb/dist/<name>.zip and lists them in
.lamb/dist/artifacts.json. A function whose zip for its current fingerprint
is already in the dist directory or the artifact cache is not rebuilt; it is
reported as cached. Functions with the same build settings are built by one
go command; a compile error fails only the functions it breaks.`,
		ValidArgsFunction: g.completeFunctions,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.checkOutput(); err != nil {
				return err
			}
			if o.All && (o.Since != "" || len(args) > 0) {
				return usageError(errors.New("build: --all takes no function names and no --since"))
			}
			if o.Jobs < 0 {
				return usageError(fmt.Errorf("build: -j %d: want a positive number of jobs", o.Jobs))
			}
			ctx := cmd.Context()
			sel, err := g.selectFunctions(ctx, pipeline.SelectOptions{Names: args, Since: o.Since, Shard: o.Shard, Code: true, Fingerprint: true})
			if err != nil {
				return err
			}
			notAffected(g, sel, args, o.Since)
			url := o.Cache
			if url == "" {
				url = sel.Manifest.Cache
			}
			remote, err := newArtifactCache(ctx, g, url) // checked even with --no-cache
			if err != nil {
				return err
			}
			bo := pipeline.BuildOptions{Jobs: o.Jobs, Force: o.Force, NoCache: o.NoCache}
			if remote != nil && !o.NoCache {
				bo.Remote = remote
			}
			if o.Out != "" {
				bo.OutDir = g.path(o.Out)
			}
			rep := newProgress(g, g.Quiet)
			rep.Add(sel.Names()...)
			bo.Progress, bo.OnState = rep.Writer(), buildStates(rep)
			arts, err := sel.Build(ctx, nil, bo)
			rep.Close()
			if werr := writeBuildResult(g, sel.Manifest.Root, arts); werr != nil && err == nil {
				err = werr
			}
			annotateError(g, sel.Manifest, err)
			// Size budgets (issue 15, size.go): nothing unless a built function sets budget:.
			err = budgetsBuilt(ctx, g, sel, arts, err)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Since, "since", "", "build only the functions affected since git `REF`")
	f.BoolVar(&o.All, "all", false, "build every function (the default without names or --since)")
	f.StringVar(&o.Out, "out", "", "write zips and artifacts.json to `DIR` (default .lamb/dist in the manifest's directory)")
	f.IntVarP(&o.Jobs, "jobs", "j", 0, "parallel zips and go build -p (default: the number of CPUs)")
	f.BoolVar(&o.Force, "force", false, "run the go command even for fingerprints already built (it relinks nothing that is up to date)")
	f.BoolVar(&o.NoCache, "no-cache", false, "do not use the artifact caches (local and shared)")
	f.StringVar(&o.Cache, "cache", "", "shared artifact cache `URL` (s3://bucket/prefix; default: the manifest's cache)")
	f.StringVar(&o.Shard, "shard", "", "build only shard `K/N` of the selected functions (for CI fan-out)")
	return cmd
}

// writeBuildResult prints one line per artifact, or with -o json the
// artifacts in the form of artifacts.json.
func writeBuildResult(g *globalOptions, root string, arts []builder.Artifact) error {
	if g.Output == "json" {
		out := struct {
			Artifacts []builder.Artifact `json:"artifacts"`
		}{Artifacts: make([]builder.Artifact, len(arts))}
		for i, a := range arts {
			if rel, err := filepath.Rel(root, a.Path); err == nil && filepath.IsLocal(rel) {
				a.Path = filepath.ToSlash(rel)
			}
			out.Artifacts[i] = a
		}
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	for _, a := range arts {
		status := "built"
		if a.Cached {
			status = "cached"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.Function, a.Architecture, binsize.HumanSize(a.Size), a.CodeSha256, status)
	}
	return tw.Flush()
}

// notAffected says on stderr which of the named functions --since left
// out, so an empty result is never a silent one.
func notAffected(g *globalOptions, sel *pipeline.Selection, names []string, since string) {
	if since == "" || g.Quiet {
		return
	}
	kept := map[string]bool{}
	for _, n := range sel.Names() {
		kept[n] = true
	}
	if len(names) == 0 {
		if len(sel.Functions) == 0 {
			fmt.Fprintf(g.stderr, "lamb: no function affected since %s\n", since)
		}
		return
	}
	for _, n := range names {
		f, ok := sel.Manifest.Lookup(n)
		if !ok || kept[f.Name] || sel.Affected == nil {
			continue
		}
		if affectedHas(sel, f.Name) {
			fmt.Fprintf(g.stderr, "lamb: %s: only its configuration changed since %s: nothing to build\n", f.Name, since)
		} else {
			fmt.Fprintf(g.stderr, "lamb: %s: not affected since %s\n", f.Name, since)
		}
	}
}

// affectedHas reports whether name is among the affected functions (code
// or configuration).
func affectedHas(sel *pipeline.Selection, name string) bool {
	for _, a := range sel.Affected.Functions {
		if a.Name == name {
			return true
		}
	}
	return false
}
