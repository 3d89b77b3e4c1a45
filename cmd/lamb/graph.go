package main

import (
	"fmt"

	"github.com/lambctl/lamb/graph"
	"github.com/spf13/cobra"
)

func init() { registerCommand(newGraphCmd) }

type graphOptions struct {
	Format string
}

func newGraphCmd(g *globalOptions) *cobra.Command {
	var o graphOptions
	cmd := &cobra.Command{
		Use:   "graph [FUNCTION...]",
		Short: "Show what each function is built from: repository packages and modules",
		Long: `graph prints, for each function, the repository packages of its closure (with their
imports) and the other modules it uses. --format dot renders with graphviz:
  lamb graph --format dot | dot -Tsvg > graph.svg`,
		RunE: func(cmd *cobra.Command, args []string) error {
			format := o.Format
			if format == "" {
				format = g.Output
			}
			switch format {
			case "text", "dot", "json":
			default:
				return usageError(fmt.Errorf("graph: unknown format %q (text|dot|json)", format))
			}
			m, err := g.loadManifest()
			if err != nil {
				return err
			}
			fns, err := namedFunctions(m, args)
			if err != nil {
				return err
			}
			prints, ferr := graph.Fingerprints(cmd.Context(), m, fns)
			var ok []graph.Print
			for _, p := range prints {
				if p.Fingerprint != "" {
					ok = append(ok, p)
				}
			}
			if err := graph.WriteGraph(g.stdout, ok, format); err != nil {
				return err
			}
			return ferr
		},
	}
	cmd.Flags().StringVar(&o.Format, "format", "", "output `FORMAT`: text|dot|json (default: -o)")
	return cmd
}
