package main

import (
	"encoding/json"
	"fmt"

	"github.com/lambctl/lamb/graph"
	"github.com/spf13/cobra"
)

func init() { registerCommand(newFingerprintCmd) }

type fingerprintOptions struct {
	Inputs bool
}

func newFingerprintCmd(g *globalOptions) *cobra.Command {
	var o fingerprintOptions
	cmd := &cobra.Command{
		Use:   "fingerprint [FUNCTION...]",
		Short: "Print the fingerprint of functions in the current tree",
		Long: `fingerprint prints each function's name and fingerprint (sha256 of every input that can
change its binary), tab-separated. With -o json --inputs it also prints those inputs.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.checkOutput(); err != nil {
				return err
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
				if p.Fingerprint != "" {
					fmt.Fprintf(g.stdout, "%s\t%s\n", p.Function, p.Fingerprint)
				}
			}
			return ferr
		},
	}
	cmd.Flags().BoolVar(&o.Inputs, "inputs", false, "with -o json, include every input of the fingerprint")
	return cmd
}
