package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lambctl/lamb/internal/pipeline"
	"github.com/lambctl/lamb/manifest"
)

type listOptions struct {
	ShowValues bool
	Shard      string
}

// redacted replaces environment values unless --show-values is given.
const redacted = "<redacted>"

// listFunction is one function in list's -o json output.
type listFunction struct {
	Name         string            `json:"name"`
	Key          string            `json:"key"`
	Package      string            `json:"package"`
	Dir          string            `json:"dir"`
	Runtime      string            `json:"runtime"`
	Architecture string            `json:"architecture"`
	Memory       int               `json:"memory"`
	Timeout      int               `json:"timeout"`
	Role         string            `json:"role"`  // "" when none
	Alias        string            `json:"alias"` // "" when none
	Environment  map[string]string `json:"environment"`
	// EnvRefs name where secret values come from (never the values).
	EnvRefs map[string]manifest.EnvRef `json:"env_refs"`
	Tags    map[string]string          `json:"tags"`
	Files   []string                   `json:"files"`
	Build   manifest.Build             `json:"build"`
	Manage  string                     `json:"manage"`
	Rollout *manifest.Rollout          `json:"rollout"`
	Budget  manifest.Budget            `json:"budget"`
	HTTP    manifest.HTTP              `json:"http"`
}

type listResult struct {
	Stage     string         `json:"stage,omitempty"`
	Functions []listFunction `json:"functions"`
}

func newListCmd(g *globalOptions) *cobra.Command {
	var o listOptions
	cmd := &cobra.Command{
		Use:   "list [FUNCTION...]",
		Short: "List the manifest's functions with their resolved settings",
		Long: `list prints every function (or the named ones) with defaults, discovery and
--stage applied. -o json prints every setting; environment values (also
build.env values) are shown as <redacted> unless --show-values is given.`,
		ValidArgsFunction: g.completeFunctions,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.checkOutput(); err != nil {
				return err
			}
			sel, err := g.selectFunctions(cmd.Context(), pipeline.SelectOptions{Names: args, Shard: o.Shard})
			if err != nil {
				return err
			}
			if g.Output == "json" {
				return writeListJSON(g, sel.Manifest, sel.Functions, o.ShowValues)
			}
			return writeListText(g, sel.Functions)
		},
	}
	cmd.Flags().BoolVar(&o.ShowValues, "show-values", false, "print environment values instead of <redacted>")
	cmd.Flags().StringVar(&o.Shard, "shard", "", "list only shard `K/N` of the functions (as build --shard K/N selects them)")
	return cmd
}

func writeListText(g *globalOptions, fns []manifest.Function) error {
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPACKAGE\tRUNTIME\tARCH\tMEMORY\tTIMEOUT")
	for _, f := range fns {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%ds\n", f.Name, f.Package, f.Runtime, f.Architecture, f.Memory, f.Timeout)
	}
	return tw.Flush()
}

func writeListJSON(g *globalOptions, m *manifest.Manifest, fns []manifest.Function, show bool) error {
	res := listResult{Functions: []listFunction{}}
	if m.Stage != nil {
		res.Stage = m.Stage.Name
	}
	for _, f := range fns {
		b := f.Build
		if b.Env != nil {
			b.Env = redact(b.Env, show)
		}
		files := f.Files
		if files == nil {
			files = []string{}
		}
		res.Functions = append(res.Functions, listFunction{
			Name: f.Name, Key: f.Key, Package: f.Package, Dir: f.Dir,
			Runtime: f.Runtime, Architecture: f.Architecture, Memory: f.Memory, Timeout: f.Timeout,
			Role: f.Role, Alias: f.Alias, Environment: redact(f.Environment, show),
			EnvRefs: f.EnvRefs, Tags: orEmpty(f.Tags), Files: files, Build: b,
			Manage: f.Manage, Rollout: f.Rollout, Budget: f.Budget, HTTP: f.HTTP,
		})
		if res.Functions[len(res.Functions)-1].EnvRefs == nil {
			res.Functions[len(res.Functions)-1].EnvRefs = map[string]manifest.EnvRef{}
		}
	}
	enc := json.NewEncoder(g.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(res)
}

// redact returns env with every value replaced, unless show; never nil.
func redact(env map[string]string, show bool) map[string]string {
	if show {
		return orEmpty(maps.Clone(env))
	}
	out := make(map[string]string, len(env))
	for k := range env {
		out[k] = redacted
	}
	return out
}

// orEmpty returns m, or an empty map for nil: JSON keys stay stable.
func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
