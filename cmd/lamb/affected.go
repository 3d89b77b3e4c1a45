package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lambctl/lamb/internal/pipeline"
)

type affectedOptions struct {
	Since string
	Shard string
	Code  bool
}

func newAffectedCmd(g *globalOptions) *cobra.Command {
	var o affectedOptions
	cmd := &cobra.Command{
		Use:   "affected --since REF [FUNCTION...]",
		Short: "List the functions whose build inputs changed since REF",
		Long: `affected compares the working tree (committed or not) with the merge-base of REF and HEAD
and prints the functions whose fingerprint or resolved lamb.yaml entry differs, one name a
line: a code change (the zip must be built) or a configuration change (memory, environment,
role, alias... a deploy updates it; reasons start with "config: "). --code keeps only the
code changes. With -o json ("code": true|false per function) it also
gives each function's reasons, the base commit and the functions removed from the manifest;
-o matrix prints a GitHub Actions matrix ({"include":[{"function":"..."},...]}).
With -v the reasons are printed on stderr. --shard K/N keeps the share of the affected
functions that build --since REF --shard K/N builds.

In GitHub Actions (GITHUB_ACTIONS=true) it also sets the step outputs functions, count,
any_changed and matrix, and adds the list to the job summary.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.checkOutput("text", "json", "matrix"); err != nil {
				return err
			}
			if o.Since == "" {
				return usageError(errors.New("affected: --since REF is required (e.g. --since origin/main)"))
			}
			sel, err := g.selectFunctions(cmd.Context(), pipeline.SelectOptions{Names: args, Since: o.Since, Shard: o.Shard, Code: o.Code})
			if err != nil {
				return err
			}
			res := *sel.Affected
			all := 0
			for _, f := range res.Functions {
				if f.Code || !o.Code {
					all++
				}
			}
			kept := map[string]bool{}
			for _, n := range sel.Names() {
				kept[n] = true
			}
			res.Functions = sel.Affected.Functions[:0:0]
			for _, f := range sel.Affected.Functions {
				if kept[f.Name] {
					res.Functions = append(res.Functions, f)
				}
			}
			considered := len(sel.Manifest.Functions)
			if len(args) > 0 {
				considered = len(args)
			}
			if g.Verbose {
				fmt.Fprintf(g.stderr, "lamb: %d of %d functions affected since %.12s (merge-base of %s and HEAD)\n", all, considered, res.Base, o.Since)
				if o.Shard != "" {
					fmt.Fprintf(g.stderr, "lamb: shard %s: %d of the %d affected\n", o.Shard, len(res.Functions), all)
				}
			}
			for _, w := range res.Warnings {
				fmt.Fprintf(g.stderr, "lamb: warning: %s\n", w)
			}
			names := affectedNames(&res)
			if err := writeGitHubOutputs(g, names); err != nil {
				fmt.Fprintf(g.stderr, "lamb: warning: %v\n", err)
			}
			if err := writeGitHubSummary(g, affectedSummary(names)); err != nil {
				fmt.Fprintf(g.stderr, "lamb: warning: %v\n", err)
			}
			switch g.Output {
			case "json":
				if err := res.WriteJSON(g.stdout); err != nil {
					return err
				}
				return sel.Err()
			case "matrix":
				if err := writeMatrix(g.stdout, names); err != nil {
					return err
				}
				return sel.Err()
			}
			for _, f := range res.Functions {
				fmt.Fprintln(g.stdout, f.Name)
				if g.Verbose {
					for _, r := range f.Reasons {
						fmt.Fprintf(g.stderr, "%s: %s\n", f.Name, r)
					}
				}
			}
			if g.Verbose {
				for _, n := range res.Removed {
					fmt.Fprintf(g.stderr, "%s: removed from the manifest\n", n)
				}
			}
			// Functions that could not be fingerprinted: exit 1, after
			// the others are listed.
			return sel.Err()
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Since, "since", "", "compare with the merge-base of `REF` and HEAD (branch, tag, SHA, HEAD~N)")
	f.StringVar(&o.Shard, "shard", "", "keep only shard `K/N` of the affected functions (for CI fan-out)")
	f.BoolVar(&o.Code, "code", false, "only the functions whose code changed, not those whose configuration alone did (what a build job needs)")
	return cmd
}
