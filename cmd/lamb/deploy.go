package main

import (
	"bufio"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambctl/lamb/deployer"
	"github.com/lambctl/lamb/internal/pipeline"
	"github.com/lambctl/lamb/internal/progress"
	"github.com/lambctl/lamb/manifest"
)

type deployOptions struct {
	Since        string
	Concurrency  int
	Rate         float64
	KeepVersions int
	Shard        string
	Cache        string
	NoCache      bool
	Prune        bool
	NoRollout    bool
	Yes          bool
	Target       targetFlags
}

func newDeployCmd(g *globalOptions) *cobra.Command {
	var o deployOptions
	cmd := &cobra.Command{
		Use:   "deploy [FUNCTION...] [--since REF]",
		Short: "Build and deploy the functions whose code or configuration changed",
		Long: `deploy plans like lamb plan, builds exactly the functions whose code must change, then per
function: creates it (and waits until Active) or updates its configuration and code
(waiting for each update), publishes a version with the artifact's CodeSha256 as
precondition, points the alias at it and finally tags it lamb:fingerprint and
lamb:code-sha256. A function that fails does not stop the others; every failure is
reported on its own line and the exit status is 1. Rerunning converges.

Calls are paced below Lambda's quota (--rate, 15 requests a second by default);
throttling, server errors and updates in progress are retried. On Ctrl-C no new
function starts and an alias is never left on a half-deployed version.

In GitHub Actions (GITHUB_ACTIONS=true) it also sets the step outputs functions, count,
any_changed and matrix (the functions it created or updated), adds the results with
timings to the job summary and annotates compile errors. -v prints each phase's time.`,
		ValidArgsFunction: g.completeFunctions,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if err := g.checkOutput(); err != nil {
				return err
			}
			switch {
			case o.Concurrency < 1:
				return usageError(fmt.Errorf("--concurrency %d: want at least 1", o.Concurrency))
			case o.Rate <= 0:
				return usageError(fmt.Errorf("--rate %g: want a positive number of requests per second", o.Rate))
			case o.KeepVersions < 0:
				return usageError(fmt.Errorf("--keep-versions %d: want 0 (keep all) or more", o.KeepVersions))
			}
			start := time.Now()
			if err := needYes(g, o.Yes); err != nil { // before any AWS call
				return err
			}
			rep := newDeployProgress(g, g.Quiet)
			defer rep.Close()
			s, err := prepareDeploy(ctx, g, &o.Target, args, o.Since, o.Shard, func(opts *deployer.Options) {
				opts.Concurrency, opts.Rate, opts.KeepVersions = o.Concurrency, o.Rate, o.KeepVersions
				opts.Prune, opts.NoRollout = o.Prune, o.NoRollout
				opts.Logger = deployLogger(g)
				if !g.Quiet {
					opts.OnRollout = func(e deployer.RolloutEvent) {
						line := fmt.Sprintf("%s: rollout to version %s: %s, %d%% of traffic", e.Function, e.Version, e.What, e.Percent)
						if e.Detail != "" {
							line += ": " + e.Detail
						}
						fmt.Fprintln(rep.Writer(), line)
					}
				}
				opts.OnStart = func(name string) { rep.Set(name, progress.Deploying) }
				opts.OnDone = func(r deployer.FunctionResult) {
					if r.Outcome == deployer.Failed {
						rep.Fail(r.Name, errors.New(r.Error))
						return
					}
					rep.Set(r.Name, progress.Done)
				}
			})
			if err != nil {
				return err
			}
			defer s.close()
			m := s.sel.Manifest
			url := o.Cache
			if url == "" && !o.NoCache {
				url = m.Cache
			}
			remote, err := newArtifactCache(ctx, g, url)
			if err != nil {
				return err
			}
			d := s.deployer
			// Functions that cannot be read are reported failed by Deploy;
			// the others deploy.
			plan, _ := s.sel.Plan(ctx, d)
			if plan == nil {
				plan = &deployer.Plan{}
			}
			if err := confirmDeploy(g, m, plan, o.Yes, o.Prune); err != nil {
				return err
			}
			bo := pipeline.BuildOptions{NoCache: o.NoCache, Progress: rep.Writer(), OnState: buildStates(rep)}
			if remote != nil {
				bo.Remote = remote
			}
			rep.Add(plan.NeedCode()...)
			res, deployErr := s.sel.Deploy(ctx, d, plan, bo)
			rep.Close()
			if res == nil { // interrupted before deploying
				return deployErr
			}
			if g.Verbose {
				rep.WriteTimings(g.stderr)
			}
			if g.Output == "json" {
				err = deployWriteJSON(g.stdout, res)
			} else {
				err = res.WriteText(g.stdout)
			}
			if err != nil {
				return err
			}
			if err := writeGitHubOutputs(g, deployedNames(res)); err != nil {
				fmt.Fprintf(g.stderr, "lamb: warning: %v\n", err)
			}
			spent := func(name string) time.Duration { return rep.Spent(name, progress.Deploying) }
			if err := writeGitHubSummary(g, deploySummary(stageName(m), res, spent, time.Since(start))); err != nil {
				fmt.Fprintf(g.stderr, "lamb: warning: %v\n", err)
			}
			annotateError(g, m, deployErr)
			return deployErr
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Since, "since", "", "only functions affected since `REF` (merge-base of REF and HEAD)")
	f.IntVar(&o.Concurrency, "concurrency", deployer.DefaultConcurrency, "functions deployed at once")
	f.Float64Var(&o.Rate, "rate", deployer.DefaultRate, "control-plane requests per second, retries included (Lambda's quota is 15)")
	f.IntVar(&o.KeepVersions, "keep-versions", 0, "delete published versions beyond the newest `N` that no alias uses (0 keeps all)")
	f.StringVar(&o.Shard, "shard", "", "deploy only shard `K/N` of the selected functions (for CI fan-out)")
	f.StringVar(&o.Cache, "cache", "", "shared artifact cache `URL` (s3://bucket/prefix; default: the manifest's cache)")
	f.BoolVar(&o.NoCache, "no-cache", false, "do not use the artifact caches (local and shared)")
	f.BoolVar(&o.Prune, "prune", false, "delete orphans: live functions tagged with the manifest's project and stage that the manifest no longer has (with their versions and aliases); never a function without that tag")
	f.BoolVarP(&o.Yes, "yes", "y", false, "deploy without asking, to a stage with confirm: true (needed without a terminal)")
	f.BoolVar(&o.NoRollout, "no-rollout", false, "move aliases at once even for functions with a rollout (a hotfix); smoke events still run, and the summary says so")
	o.Target.register(f)
	return cmd
}

// needYes refuses, before anything else, a deploy to a stage with
// confirm: true when there is no terminal to ask on and no --yes.
func needYes(g *globalOptions, yes bool) error {
	if yes || g.terminal || g.Stage == "" {
		return nil
	}
	m, err := g.loadManifest()
	if err != nil {
		return err
	}
	if st := m.Stage; st != nil && st.Confirm {
		return usageError(fmt.Errorf("stage %s asks for confirmation (confirm: true) and there is no terminal to ask on: pass --yes", st.Name))
	}
	return nil
}

// confirmDeploy asks before a deploy to a stage with confirm: true that
// would change something: on a terminal it shows the plan and waits for
// "yes"; without one it needs --yes. Anything but "yes" stops the deploy
// before anything is built or changed (exit 1).
func confirmDeploy(g *globalOptions, m *manifest.Manifest, plan *deployer.Plan, yes, prune bool) error {
	st := m.Stage
	if st == nil || !st.Confirm || yes {
		return nil
	}
	changes := len(plan.Changed())
	if prune {
		for _, f := range plan.Functions {
			if f.Action == deployer.ActionOrphan {
				changes++
			}
		}
	}
	if changes == 0 {
		return nil
	}
	where := "stage " + st.Name
	if st.Account != "" {
		where += " (account " + st.Account + ")"
	}
	if !g.terminal {
		return usageError(fmt.Errorf("%s asks for confirmation (confirm: true) and there is no terminal to ask on: pass --yes", where))
	}
	if err := plan.WriteText(g.stderr); err != nil {
		return err
	}
	fmt.Fprintf(g.stderr, "Deploy %d change(s) to %s? Only yes is accepted: ", changes, where)
	answer, err := bufio.NewReader(g.stdin).ReadString('\n')
	if err != nil && answer == "" {
		return fmt.Errorf("deploy to %s: no answer: %w", where, err)
	}
	if strings.TrimSpace(answer) != "yes" {
		return fmt.Errorf("deploy to %s: not confirmed, nothing changed", where)
	}
	return nil
}
