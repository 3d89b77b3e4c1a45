package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

func init() { registerCommand(newAffectedCmd) }

type affectedOptions struct {
	Since string
}

func newAffectedCmd(g *globalOptions) *cobra.Command {
	var o affectedOptions
	cmd := &cobra.Command{
		Use:   "affected --since REF [FUNCTION...]",
		Short: "List the functions whose build inputs changed since REF",
		Long: `affected compares the working tree (committed or not) with the merge-base of REF and HEAD
and prints the functions whose fingerprint differs, one name a line. With -o json it also
gives each function's reasons, the base commit and the functions removed from the manifest.
With -v the reasons are printed on stderr.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Since == "" {
				return usageError(errors.New("affected: --since REF is required (e.g. --since origin/main)"))
			}
			if g.Output != "text" && g.Output != "json" {
				return usageError(fmt.Errorf("affected: unknown output format %q (text|json)", g.Output))
			}
			m, err := g.loadManifest()
			if err != nil {
				return err
			}
			fns, err := namedFunctions(m, args)
			if err != nil {
				return err
			}
			res, err := affected(cmd.Context(), m, o.Since, fns)
			if err != nil {
				return err
			}
			if g.Verbose {
				fmt.Fprintf(g.stderr, "lamb: %d of %d functions affected since %.12s (merge-base of %s and HEAD)\n", len(res.Functions), len(fns), res.Base, o.Since)
			}
			for _, w := range res.Warnings {
				fmt.Fprintf(g.stderr, "lamb: warning: %s\n", w)
			}
			if g.Output == "json" {
				return res.WriteJSON(g.stdout)
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
			return nil
		},
	}
	cmd.Flags().StringVar(&o.Since, "since", "", "compare with the merge-base of `REF` and HEAD (branch, tag, SHA, HEAD~N)")
	return cmd
}
