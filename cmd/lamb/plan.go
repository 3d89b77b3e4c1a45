package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/lambctl/lamb/deployer"
	"github.com/lambctl/lamb/internal/pipeline"
)

type planOptions struct {
	Since            string
	Shard            string
	ShowValues       bool
	DetailedExitcode bool
	Target           targetFlags
}

func newPlanCmd(g *globalOptions) *cobra.Command {
	var o planOptions
	cmd := &cobra.Command{
		Use:               "plan [FUNCTION...] [--since REF]",
		ValidArgsFunction: g.completeFunctions,
		Short:             "Show what a deploy would create or update, without building",
		Long: `plan reads every selected function from Lambda (GetFunction) and compares it with the
repository: the lamb:fingerprint tag against the function's fingerprint, the live code
against the lamb:code-sha256 tag (drift), the configuration field by field and the alias.
Each function gets one action: create, update code, update config, update code + config,
update alias, adopt (a live function lamb did not create: its code is uploaded only when it
differs), orphan (a live function of the manifest's project the manifest no longer has;
deleted by deploy --prune), create elsewhere (a manage: code function the tool that owns it
has not created yet; not a change, not a failure), failed or no change. Nothing is built, unless a selected function sets a size budget
(docs/size.md). Environment values are never printed unless --show-values is given.

With --detailed-exitcode the exit status is 0 when nothing would change, 2 when something
would, 1 on error. -o matrix prints the functions that would change as a GitHub Actions
matrix ({"include":[{"function":"..."},...]}).

In GitHub Actions (GITHUB_ACTIONS=true) it also sets the step outputs functions, count,
any_changed and matrix (the functions that would change) and adds the plan to the job
summary.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.checkOutput("text", "json", "matrix"); err != nil {
				return err
			}
			s, err := prepareDeploy(cmd.Context(), g, &o.Target, args, o.Since, o.Shard, func(opts *deployer.Options) {
				opts.ShowValues, opts.Logger = o.ShowValues, deployLogger(g)
			})
			if err != nil {
				return err
			}
			defer s.close()
			plan, planErr := s.sel.Plan(cmd.Context(), s.deployer)
			if plan == nil {
				return planErr
			}
			if err := writePlan(g, plan); err != nil {
				return err
			}
			if err := writeGitHubOutputs(g, changedNames(plan)); err != nil {
				fmt.Fprintf(g.stderr, "lamb: warning: %v\n", err)
			}
			if err := writeGitHubSummary(g, planSummary(stageName(s.sel.Manifest), plan)); err != nil {
				fmt.Fprintf(g.stderr, "lamb: warning: %v\n", err)
			}
			// Size budgets (issue 15, size.go): nothing unless a selected function sets budget:.
			planErr = budgetsPlanned(cmd.Context(), g, s.sel, planErr)
			if planErr != nil {
				return planErr
			}
			if o.DetailedExitcode && plan.Changes() > 0 {
				return silentExit(exitChanges)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Since, "since", "", "only functions affected since `REF` (merge-base of REF and HEAD)")
	f.BoolVar(&o.ShowValues, "show-values", false, "print environment values in the diff")
	f.BoolVar(&o.DetailedExitcode, "detailed-exitcode", false, "exit 2 when there are changes, 0 when none, 1 on error")
	f.StringVar(&o.Shard, "shard", "", "plan only shard `K/N` of the selected functions (for CI fan-out)")
	o.Target.register(f)
	return cmd
}

func writePlan(g *globalOptions, plan *deployer.Plan) error {
	switch g.Output {
	case "json":
		return deployWriteJSON(g.stdout, plan)
	case "matrix":
		return writeMatrix(g.stdout, changedNames(plan))
	}
	return plan.WriteText(g.stdout)
}

func deployWriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// deployLogger is the deployer's progress log on stderr: warnings, events
// with -v, errors only with -q. It writes under stderr's lock, shared with
// the progress display.
func deployLogger(g *globalOptions) *slog.Logger {
	level := slog.LevelWarn
	switch {
	case g.Quiet:
		level = slog.LevelError
	case g.Verbose:
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: level}))
}

// deploySession is what plan and deploy share: the selected functions,
// fingerprinted as the target runs them, the connected target and the
// deployer for it (whose account check has run).
type deploySession struct {
	sel      *pipeline.Selection
	target   *pipeline.Target
	deployer *deployer.Deployer
}

func (s *deploySession) close() {
	if s.target != nil {
		s.target.Close()
	}
}

// prepareDeploy selects the functions (names, --since, --shard), checks
// they can be deployed (usage errors, before any AWS call), connects to
// the target and fingerprints them as the target runs them (built for its
// machine with --local or a lamb local at --endpoint): the package graph
// of each build configuration is loaded once. configure adds the command's
// own settings to the deployer's options.
func prepareDeploy(ctx context.Context, g *globalOptions, tf *targetFlags, names []string, since, shardSpec string, configure func(*deployer.Options)) (*deploySession, error) {
	if err := tf.check(g); err != nil {
		return nil, err
	}
	sel, err := g.selectFunctions(ctx, pipeline.SelectOptions{Names: names, Since: since, Shard: shardSpec})
	if err != nil {
		return nil, err
	}
	notAffected(g, sel, names, since)
	aws := !tf.Local && tf.Endpoint == ""
	if aws { // before any AWS call
		if err := pipeline.CheckDeployable(sel.Manifest, sel.Functions, true); err != nil {
			return nil, err
		}
	}
	s := &deploySession{sel: sel}
	if s.target, err = tf.connect(ctx, g, sel.Manifest); err != nil {
		return nil, err
	}
	if !aws { // an endpoint that is not a lamb local needs roles too
		needRole := tf.Endpoint != "" && s.target.Emulator == nil
		if err := pipeline.CheckDeployable(sel.Manifest, sel.Functions, needRole); err != nil {
			s.close()
			return nil, err
		}
	}
	sel.UseTarget(s.target)
	opts := s.target.DeployerOptions(sel)
	configure(&opts)
	s.deployer = deployer.New(opts)
	// The stage's account, checked once (the deployer keeps the answer)
	// before anything is built or changed: credentials of another account
	// are a configuration error.
	if err := s.deployer.CheckAccount(ctx); err != nil {
		s.close()
		if errors.Is(err, deployer.ErrWrongAccount) {
			return nil, usageError(err)
		}
		return nil, err
	}
	if err := sel.Fingerprint(ctx); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}
