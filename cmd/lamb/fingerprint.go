package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lambctl/lamb/graph"
	"github.com/lambctl/lamb/internal/pipeline"
)

type fingerprintOptions struct {
	Inputs bool
}

func newFingerprintCmd(g *globalOptions) *cobra.Command {
	var o fingerprintOptions
	cmd := &cobra.Command{
		Use:   "fingerprint [FUNCTION...]",
		Short: "Print the fingerprint of functions in the current tree",
		Long: `fingerprint prints each function's name and fingerprint (sha256 of every input that can
change its binary), tab-separated. --inputs also prints those inputs (indented JSON under
each line, or in the -o json output).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.checkOutput(); err != nil {
				return err
			}
			sel, err := g.selectFunctions(cmd.Context(), pipeline.SelectOptions{Names: args, Fingerprint: true})
			if err != nil {
				return err
			}
			prints, ferr := sel.Prints(), sel.Err()
			if g.Output == "json" {
				type item struct {
					Name        string        `json:"name"`
					Package     string        `json:"package"`
					Fingerprint string        `json:"fingerprint"`
					Inputs      *graph.Inputs `json:"inputs,omitempty"`
				}
				items := []item{}
				for _, p := range prints {
					if p.Fingerprint == "" {
						continue
					}
					it := item{Name: p.Function, Package: p.Package, Fingerprint: p.Fingerprint}
					if o.Inputs {
						it.Inputs = &p.Inputs
					}
					items = append(items, it)
				}
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				if err := enc.Encode(items); err != nil {
					return err
				}
				return ferr
			}
			for _, p := range prints {
				fmt.Fprintf(g.stdout, "%s\t%s\n", p.Function, p.Fingerprint)
				if o.Inputs {
					writeInputs(g, p)
				}
			}
			return ferr
		},
	}
	cmd.Flags().BoolVar(&o.Inputs, "inputs", false, "print every input of the fingerprint")
	return cmd
}

// writeInputs prints, indented under a function's line, the inputs of
// its fingerprint (text mode of --inputs): settings, then each package's
// files, then modules and manifest files.
func writeInputs(g *globalOptions, p graph.Print) {
	b, err := json.MarshalIndent(p.Inputs, "    ", "  ")
	if err != nil {
		return
	}
	fmt.Fprintf(g.stdout, "    %s\n", b)
}
