package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lambctl/lamb/graph"
	"github.com/lambctl/lamb/internal/pipeline"
)

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
			sel, err := g.selectFunctions(cmd.Context(), pipeline.SelectOptions{Names: args, Fingerprint: true})
			if err != nil {
				return err
			}
			if err := graph.WriteGraph(g.stdout, sel.Prints(), format); err != nil {
				return err
			}
			return sel.Err()
		},
	}
	cmd.Flags().StringVar(&o.Format, "format", "", "output `FORMAT`: text|dot|json (default: -o)")
	return cmd
}
