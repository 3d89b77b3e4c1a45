package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambctl/lamb/deployer"
	"github.com/lambctl/lamb/internal/pipeline"
	"github.com/lambctl/lamb/internal/progress"
)

type deployOptions struct {
	Since        string
	Concurrency  int
	Rate         float64
	KeepVersions int
	Shard        string
	Cache        string
	NoCache      bool
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
			s, err := prepareDeploy(ctx, g, &o.Target, args, o.Since, o.Shard)
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
			rep := newDeployProgress(g, g.Quiet)
			defer rep.Close()
			opts := deployer.Options{
				Lambda:       s.target.Lambda,
				Concurrency:  o.Concurrency,
				Rate:         o.Rate,
				KeepVersions: o.KeepVersions,
				Logger:       deployLogger(g),
				WaitMinDelay: s.target.WaitMinDelay,
				OnStart:      func(name string) { rep.Set(name, progress.Deploying) },
				OnDone: func(r deployer.FunctionResult) {
					if r.Outcome == deployer.Failed {
						rep.Fail(r.Name, errors.New(r.Error))
						return
					}
					rep.Set(r.Name, progress.Done)
				},
			}
			if s.target.S3 != nil {
				opts.S3 = s.target.S3
				if st := m.Stage; st != nil {
					opts.Bucket = st.ArtifactBucket
				}
			}
			d := deployer.New(opts)
			// Functions that cannot be read are reported failed by Deploy;
			// the others deploy.
			plan, _ := s.sel.Plan(ctx, d)
			if plan == nil {
				plan = &deployer.Plan{}
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
	o.Target.register(f)
	return cmd
}
