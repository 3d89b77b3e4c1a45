package main

import (
	"errors"
	"fmt"

	"github.com/hashicorp/go-multierror"
	"github.com/spf13/cobra"

	"github.com/lambctl/lamb/deployer"
	"github.com/lambctl/lamb/internal/failure"
	"github.com/lambctl/lamb/internal/pipeline"
)

type rollbackOptions struct {
	To     string
	Target targetFlags
}

func newRollbackCmd(g *globalOptions) *cobra.Command {
	var o rollbackOptions
	cmd := &cobra.Command{
		Use:               "rollback FUNCTION... [--to VERSION]",
		ValidArgsFunction: g.completeFunctions,
		Short:             "Move functions' aliases back to the previous (or a given) version",
		Long: `rollback moves each function's alias to the highest published version below the one it
points to, or to --to VERSION. Only the alias moves: no code is uploaded, no version published. The next deploy moves the
alias forward again if the repository still holds the newer code.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError(errors.New("rollback: name at least one function"))
			}
			if err := g.checkOutput(); err != nil {
				return err
			}
			if err := o.Target.check(g); err != nil {
				return err
			}
			sel, err := g.selectFunctions(cmd.Context(), pipeline.SelectOptions{Names: args})
			if err != nil {
				return err
			}
			m, fns := sel.Manifest, sel.Functions
			if o.To != "" && len(fns) > 1 {
				return usageError(errors.New("rollback: --to takes one function"))
			}
			for _, f := range fns {
				if f.Alias == "" {
					return usageError(fmt.Errorf("%s: no alias: rollback moves the function's alias; set alias in lamb.yaml", f.Name))
				}
			}
			t, err := o.Target.connect(cmd.Context(), g, m)
			if err != nil {
				return err
			}
			defer t.Close()
			opts := t.DeployerOptions(sel)
			opts.Logger = deployLogger(g)
			d := deployer.New(opts)
			// Moving a stage's alias with another account's credentials is
			// refused, as plan and deploy refuse it.
			if err := d.CheckAccount(cmd.Context()); err != nil {
				if errors.Is(err, deployer.ErrWrongAccount) {
					return usageError(err)
				}
				return err
			}
			var (
				done []deployer.Rollback
				errs *multierror.Error
			)
			for _, f := range fns {
				rb, err := d.Rollback(cmd.Context(), f, o.To)
				if err != nil {
					errs = failure.Append(errs, err)
					continue
				}
				done = append(done, rb)
			}
			if g.Output == "json" {
				if done == nil {
					done = []deployer.Rollback{}
				}
				if err := deployWriteJSON(g.stdout, map[string]any{"functions": done}); err != nil {
					return err
				}
			} else {
				for _, rb := range done {
					fmt.Fprintf(g.stdout, "%s: alias %s %s → %s\n", rb.Name, rb.Alias, rb.From, rb.To)
				}
			}
			return errs.ErrorOrNil()
		},
	}
	cmd.Flags().StringVar(&o.To, "to", "", "move the alias to `VERSION` instead of the previous one")
	o.Target.register(cmd.Flags())
	return cmd
}
