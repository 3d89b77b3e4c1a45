package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lambctl/lamb/deployer"
	"github.com/lambctl/lamb/graph"
	"github.com/lambctl/lamb/internal/shard"
	"github.com/lambctl/lamb/manifest"
)

func init() { registerCommand(newPlanCmd) }

type planOptions struct {
	Since            string
	Shard            string
	ShowValues       bool
	DetailedExitcode bool
	Target           targetOptions
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
update alias or no change. Nothing is built. Environment values are never printed unless
--show-values is given.

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
			s, err := prepareDeploy(cmd.Context(), g, &o.Target, args, o.Since, o.Shard)
			if err != nil {
				return err
			}
			defer s.close()
			d := deployer.New(deployer.Options{Lambda: s.target.Lambda, ShowValues: o.ShowValues, Logger: deployLogger(g), WaitMinDelay: s.target.WaitMinDelay})
			plan, planErr := d.Plan(cmd.Context(), s.desired)
			if err := writePlan(g, plan); err != nil {
				return err
			}
			if err := writeGitHubOutputs(changedNames(plan)); err != nil {
				fmt.Fprintf(g.stderr, "lamb: warning: %v\n", err)
			}
			if err := writeGitHubSummary(planSummary(stageName(s.manifest), plan)); err != nil {
				fmt.Fprintf(g.stderr, "lamb: warning: %v\n", err)
			}
			if planErr != nil {
				return reportErrors(g, planErr)
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
	return slog.New(slog.NewTextHandler(lockedWriter(g.stderr), &slog.HandlerOptions{Level: level}))
}

// deploySession is what plan and deploy share: the selected functions as
// the target runs them, their fingerprints, and the connected target.
type deploySession struct {
	manifest *manifest.Manifest
	fns      []manifest.Function
	desired  []deployer.Desired
	target   *target
}

func (s *deploySession) close() {
	if s.target != nil {
		s.target.Close()
	}
}

// prepareDeploy loads the manifest, selects the functions (names, --since,
// --shard), checks they can be deployed (usage errors, before any AWS
// call), connects to the target and fingerprints them as the target runs
// them (built for its machine with --local or a lamb local at --endpoint).
func prepareDeploy(ctx context.Context, g *globalOptions, to *targetOptions, names []string, since, shardSpec string) (*deploySession, error) {
	if err := to.check(); err != nil {
		return nil, err
	}
	if _, err := shard.Parse(shardSpec); err != nil {
		return nil, usageError(err)
	}
	m, err := g.loadManifest()
	if err != nil {
		return nil, err
	}
	fns, err := selectFunctions(ctx, m, names, since)
	if err != nil {
		return nil, err
	}
	if fns, err = shardByClosure(ctx, m, fns, shardSpec); err != nil {
		return nil, err
	}
	if err := checkDeployable(m, fns); err != nil {
		return nil, err
	}
	to.Manifest = m
	s := &deploySession{manifest: m}
	if s.target, err = newTarget(ctx, g, *to); err != nil {
		return nil, err
	}
	if info := s.target.Emulator; info != nil && !g.Quiet {
		fmt.Fprintf(g.stderr, "lamb: %s is a lamb local Lambda (%s): functions are built for its architecture, %s\n", to.Endpoint, info.Version, info.HostArch)
	}
	fns = s.target.functions(fns)
	s.fns = fns
	if len(fns) > 0 {
		prints, err := graph.Fingerprints(ctx, m, fns)
		if err != nil {
			s.close()
			return nil, err
		}
		fp := make(map[string]string, len(prints))
		for _, p := range prints {
			fp[p.Function] = p.Fingerprint
		}
		for _, f := range fns {
			if fp[f.Name] == "" {
				s.close()
				return nil, fmt.Errorf("%s: no fingerprint", f.Name)
			}
			s.desired = append(s.desired, deployer.Desired{Function: f, Fingerprint: fp[f.Name]})
		}
	}
	return s, nil
}

// checkDeployable reports, one line each, the functions that cannot be
// created as configured: a usage error.
func checkDeployable(m *manifest.Manifest, fns []manifest.Function) error {
	var lines []string
	for _, f := range fns {
		where := ""
		if f.Pos.File != "" {
			where = f.Pos.String() + ": "
		}
		if f.Role == "" {
			lines = append(lines, fmt.Sprintf("%s%s: no role: set role in the defaults, the function or the stage of %s", where, f.Name, displayPath(m)))
		}
		for _, k := range slices.Sorted(maps.Keys(f.Tags)) {
			if strings.HasPrefix(k, "lamb:") {
				lines = append(lines, fmt.Sprintf("%s%s: tag %q: the lamb: prefix is reserved for lamb's own tags", where, f.Name, k))
			}
		}
		if n := len(f.Tags); n > 48 {
			lines = append(lines, fmt.Sprintf("%s%s: %d tags: lamb writes 2 of Lambda's 50, so at most 48 are left", where, f.Name, n))
		}
	}
	if len(lines) > 0 {
		return usageError(errors.New(strings.Join(lines, "\n")))
	}
	return nil
}

func displayPath(m *manifest.Manifest) string {
	if m.Path == "" {
		return "lamb.yaml"
	}
	for _, f := range m.Functions {
		if f.Pos.File != "" {
			return f.Pos.File
		}
	}
	return m.Path
}
