package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/go-multierror"
	"github.com/spf13/cobra"

	"github.com/lambctl/lamb/builder"
	"github.com/lambctl/lamb/deployer"
	"github.com/lambctl/lamb/graph"
	"github.com/lambctl/lamb/internal/progress"
	"github.com/lambctl/lamb/manifest"
)

func init() { registerCommand(newDeployCmd) }

type deployOptions struct {
	Since        string
	Concurrency  int
	Rate         float64
	KeepVersions int
	Shard        string
	Cache        string
	NoCache      bool
	Target       targetOptions
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
			url := o.Cache
			if url == "" && !o.NoCache {
				url = s.manifest.Cache
			}
			remote, err := newArtifactCache(ctx, url, g.stderr)
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
				if st := s.manifest.Stage; st != nil {
					opts.Bucket = st.ArtifactBucket
				}
			}
			d := deployer.New(opts)
			// Functions that cannot be read are reported failed by Deploy;
			// the others deploy.
			plan, _ := d.Plan(ctx, s.desired)
			// Built for this machine (--local, or a lamb local at
			// --endpoint on this machine): into .lamb/dist-host, apart
			// from the zips for AWS.
			po := buildPipeOptions{HostArch: s.target.Arch != "" && s.target.Arch == hostArchitecture(), NoCache: o.NoCache, Reporter: rep}
			if remote != nil {
				po.Remote = remote
			}
			// The plan's fingerprints: the graph is loaded once per deploy.
			po.Known = make(map[string]string, len(s.desired))
			for _, d := range s.desired {
				po.Known[d.Function.Name] = d.Fingerprint
			}
			arts, buildErr := buildFor(ctx, g, s, plan, po)
			if ctx.Err() != nil { // interrupted: start nothing
				return errors.Join(context.Cause(ctx), buildErr)
			}
			res, deployErr := d.Deploy(ctx, plan, arts)
			rep.Close()
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
			if err := writeGitHubOutputs(deployedNames(res)); err != nil {
				fmt.Fprintf(g.stderr, "lamb: warning: %v\n", err)
			}
			spent := func(name string) time.Duration { return rep.Spent(name, progress.Deploying) }
			if err := writeGitHubSummary(deploySummary(stageName(s.manifest), res, spent, time.Since(start))); err != nil {
				fmt.Fprintf(g.stderr, "lamb: warning: %v\n", err)
			}
			var merr *multierror.Error
			if buildErr != nil { // not one function's failure: report it too
				merr = multierror.Append(merr, buildErr)
			}
			merr = multierror.Append(merr, deployErr)
			annotateError(g.stderr, s.manifest, merr.ErrorOrNil())
			return reportErrors(g, merr.ErrorOrNil())
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

// buildFor builds the functions whose code the plan changes. A function
// that fails to fingerprint or build is taken out of the plan with its
// error (Deploy reports it, the others deploy); an error that belongs to
// no function is returned.
func buildFor(ctx context.Context, g *globalOptions, s *deploySession, plan *deployer.Plan, po buildPipeOptions) ([]deployer.Artifact, error) {
	need := plan.NeedCode()
	var build []manifest.Function
	for _, f := range s.fns {
		if slices.Contains(need, f.Name) {
			build = append(build, f)
		}
	}
	if len(build) == 0 {
		return nil, nil
	}
	// With --local (or a lamb local at --endpoint) the functions are
	// already the target's architecture; HostArch keeps their zips apart
	// from the AWS ones (.lamb/dist-host).
	built, err := buildArtifacts(ctx, g, s.manifest, build, po)
	arts := make([]deployer.Artifact, 0, len(built))
	for _, a := range built {
		arts = append(arts, deployer.Artifact{Function: a.Function, Fingerprint: a.Fingerprint, Path: a.Path, CodeSha256: a.CodeSha256, Size: a.Size})
	}
	var merr *multierror.Error
	if err == nil || !errors.As(err, &merr) {
		return arts, err
	}
	var rest *multierror.Error
	for _, e := range merr.Errors {
		var be *builder.FunctionError
		var ge *graph.FunctionError
		switch {
		case errors.As(e, &be):
			plan.Fail(be.Function, e)
		case errors.As(e, &ge):
			plan.Fail(ge.Function, e)
		default:
			rest = multierror.Append(rest, e)
		}
	}
	return arts, rest.ErrorOrNil()
}
