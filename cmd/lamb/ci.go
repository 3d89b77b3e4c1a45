package main

// Helpers for CI: GitHub Actions outputs, job summaries and annotations,
// --shard, the shared S3 artifact cache and the progress display. The
// commands call them; each is a no-op or a pass-through when its feature
// is not in use.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/hashicorp/go-multierror"

	"github.com/lambctl/lamb/builder"
	"github.com/lambctl/lamb/deployer"
	"github.com/lambctl/lamb/graph"
	"github.com/lambctl/lamb/internal/buildcfg"
	"github.com/lambctl/lamb/internal/failure"
	"github.com/lambctl/lamb/internal/ghactions"
	"github.com/lambctl/lamb/internal/progress"
	"github.com/lambctl/lamb/internal/s3cache"
	"github.com/lambctl/lamb/manifest"
)

// githubEnv is the GitHub Actions environment of this run.
func (g *globalOptions) githubEnv() ghactions.Env { return ghactions.FromEnv(g.getenv) }

// matrixJSON returns a GitHub Actions matrix with one job per function:
// {"include":[{"function":"a"},...]}. It is what -o matrix prints and the
// matrix output holds.
func matrixJSON(names []string) string {
	type entry struct {
		Function string `json:"function"`
	}
	m := struct {
		Include []entry `json:"include"`
	}{Include: make([]entry, 0, len(names))}
	for _, n := range names {
		m.Include = append(m.Include, entry{Function: n})
	}
	return mustJSON(m)
}

// functionsJSON returns names as a JSON array (never null).
func functionsJSON(names []string) string {
	if names == nil {
		names = []string{}
	}
	return mustJSON(names)
}

func mustJSON(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err) // strings only: cannot fail
	}
	return string(data)
}

// writeMatrix prints the -o matrix output of names on w, one line.
func writeMatrix(w io.Writer, names []string) error {
	_, err := fmt.Fprintln(w, matrixJSON(names))
	return err
}

// writeGitHubOutputs sets the step outputs functions (JSON array), count,
// any_changed (true|false) and matrix when running in GitHub Actions
// (GITHUB_ACTIONS=true and GITHUB_OUTPUT set); otherwise it does nothing.
func writeGitHubOutputs(g *globalOptions, names []string) error {
	env := g.githubEnv()
	if !env.Enabled || env.Output == "" {
		return nil
	}
	outs := []ghactions.Output{
		{Name: "functions", Value: functionsJSON(names)},
		{Name: "count", Value: strconv.Itoa(len(names))},
		{Name: "any_changed", Value: strconv.FormatBool(len(names) > 0)},
		{Name: "matrix", Value: matrixJSON(names)},
	}
	if err := ghactions.AppendFile(env.Output, func(w io.Writer) error { return ghactions.WriteOutputs(w, outs) }); err != nil {
		return fmt.Errorf("github outputs: %w", err)
	}
	return nil
}

// affectedNames are the names of the affected functions, for the outputs.
func affectedNames(res *graph.AffectedResult) []string {
	names := make([]string, 0, len(res.Functions))
	for _, f := range res.Functions {
		names = append(names, f.Name)
	}
	return names
}

// changedNames are the functions a plan would create or update, for the
// outputs and -o matrix of plan.
func changedNames(p *deployer.Plan) []string { return p.Changed() }

// deployedNames are the functions a deploy created or updated, for the
// outputs of deploy.
func deployedNames(r *deployer.Result) []string {
	names := []string{}
	for _, f := range r.Functions {
		if f.Outcome == deployer.Created || f.Outcome == deployer.Updated {
			names = append(names, f.Name)
		}
	}
	return names
}

// writeGitHubSummary appends to the job summary when running in GitHub
// Actions with GITHUB_STEP_SUMMARY set; otherwise it does nothing.
func writeGitHubSummary(g *globalOptions, write func(io.Writer) error) error {
	env := g.githubEnv()
	if !env.Enabled || env.Summary == "" {
		return nil
	}
	if err := ghactions.AppendFile(env.Summary, write); err != nil {
		return fmt.Errorf("github step summary: %w", err)
	}
	return nil
}

// affectedSummary is the job summary of affected: the function names.
func affectedSummary(names []string) func(io.Writer) error {
	return func(w io.Writer) error { return ghactions.WriteFunctionsSummary(w, "lamb affected", names) }
}

// planSummary is the job summary of a plan: a table of its functions.
// Configuration changes are rendered as the text plan renders them, so
// environment values stay hidden unless the plan was made with ShowValues.
func planSummary(stage string, p *deployer.Plan) func(io.Writer) error {
	rows := make([]ghactions.PlanRow, 0, len(p.Functions))
	for i := range p.Functions {
		fp := &p.Functions[i]
		row := ghactions.PlanRow{
			Function: fp.Name,
			Action:   fp.Label(),
			Changed:  slices.Contains(p.Changed(), fp.Name),
			Code:     fp.Code,
			Reasons:  slices.Clone(fp.Reasons),
		}
		if fp.Error != "" {
			row.Reasons = append(row.Reasons, fp.Error)
		}
		if fp.Code && fp.Upload != "" && fp.Upload != deployer.UploadDirect {
			row.Reasons = append(row.Reasons, "upload through "+fp.Upload)
		}
		if fp.Rollout != "" {
			row.Reasons = append(row.Reasons, "rollout "+fp.Rollout)
		}
		for _, c := range fp.Config {
			row.Config = append(row.Config, c.String())
		}
		rows = append(rows, row)
	}
	return func(w io.Writer) error { return ghactions.WritePlanSummary(w, title("lamb plan", stage), rows) }
}

// deploySummary is the job summary of a deploy: each function's outcome,
// version and time (spent returns a function's time, e.g. a progress
// reporter's time in Deploying; nil for none), and the total.
func deploySummary(stage string, r *deployer.Result, spent func(name string) time.Duration, total time.Duration) func(io.Writer) error {
	rows := make([]ghactions.ResultRow, 0, len(r.Functions))
	for _, f := range r.Functions {
		row := ghactions.ResultRow{Function: f.Name, Outcome: string(f.Outcome), Version: f.Version, Error: f.Error}
		if spent != nil {
			row.Duration = spent(f.Name)
		}
		rows = append(rows, row)
	}
	var rollouts []ghactions.RolloutRow
	for _, f := range r.Functions {
		if ro := f.Rollout; ro != nil {
			rollouts = append(rollouts, rolloutRow(f.Name, ro))
		}
	}
	return func(w io.Writer) error {
		if err := ghactions.WriteDeploySummary(w, title("lamb deploy", stage), rows, total); err != nil {
			return err
		}
		return ghactions.WriteRolloutSummary(w, "Rollouts", rollouts)
	}
}

// rolloutRow summarizes one function's rollout: the steps reached and how
// it ended.
func rolloutRow(name string, ro *deployer.RolloutResult) ghactions.RolloutRow {
	row := ghactions.RolloutRow{Function: name, From: ro.From, To: ro.To}
	for _, st := range ro.Steps {
		row.Steps = append(row.Steps, fmt.Sprintf("%d%% (%d errors)", st.Percent, st.Errors))
	}
	row.Result = rolloutOutcome(ro)
	return row
}

// rolloutOutcome says in a few words how a rollout ended.
func rolloutOutcome(ro *deployer.RolloutResult) string {
	switch {
	case ro.Skipped != "":
		return "skipped: " + ro.Skipped
	case ro.RolledBack:
		reached := 0
		if n := len(ro.Steps); n > 0 {
			reached = ro.Steps[n-1].Percent
		}
		msg := fmt.Sprintf("rolled back at %d%%: %s", reached, ro.Gate)
		if ro.Value != "" {
			msg += " " + ro.Value
		}
		return msg
	case ro.Gate != "":
		return "stopped: " + ro.Gate + " " + ro.Value
	}
	return "100%"
}

func title(cmd, stage string) string {
	if stage == "" {
		return cmd
	}
	return cmd + " (" + stage + ")"
}

// stageName is the selected stage's name, "" for none.
func stageName(m *manifest.Manifest) string {
	if m == nil || m.Stage == nil {
		return ""
	}
	return m.Stage.Name
}

// annotateError writes GitHub Actions error annotations for err to w when
// running in GitHub Actions: one per manifest problem (at its position)
// and one per compiler error of a function that failed to build (at the
// Go file and line). m may be nil (the manifest did not load). Call it
// where the command returns err; it does not change err.
func annotateError(g *globalOptions, m *manifest.Manifest, err error) {
	env := g.githubEnv()
	if err == nil || !env.Enabled {
		return
	}
	ghactions.WriteAnnotations(g.stderr, errorAnnotations(m, err, env.Workspace, g.wd))
}

// annotateManifestErrors writes error annotations for the manifest
// problems in err (manifest.Errors, at their positions) when running in
// GitHub Actions, and nothing else: run can call it for every error, since
// commands return manifest errors before annotating anything themselves.
func annotateManifestErrors(g *globalOptions, err error) {
	env := g.githubEnv()
	if err == nil || !env.Enabled {
		return
	}
	var as []ghactions.Annotation
	for _, a := range errorAnnotations(nil, err, env.Workspace, g.wd) {
		if a.Title == "" { // compile errors carry a title
			as = append(as, a)
		}
	}
	ghactions.WriteAnnotations(g.stderr, as)
}

// errorAnnotations collects the annotations of every error in err's tree.
func errorAnnotations(m *manifest.Manifest, err error, workspace, wd string) []ghactions.Annotation {
	var as []ghactions.Annotation
	walkErrors(err, func(e error) bool {
		switch e := e.(type) {
		case manifest.Errors:
			for _, me := range e {
				as = append(as, ghactions.Annotation{
					Level: ghactions.Error, File: annotationPath(me.Pos.File, workspace, wd),
					Line: me.Pos.Line, Col: me.Pos.Col, Message: me.Msg,
				})
			}
			return false
		case *manifest.Error:
			as = append(as, ghactions.Annotation{
				Level: ghactions.Error, File: annotationPath(e.Pos.File, workspace, wd),
				Line: e.Pos.Line, Col: e.Pos.Col, Message: e.Msg,
			})
			return false
		case *failure.Error:
			fn := e.Function
			var ce *builder.CompileError
			if !errors.As(e, &ce) {
				return true
			}
			as = append(as, compileAnnotations(m, fn, ce, workspace, wd)...)
			return false
		}
		return true
	})
	return as
}

// compileAnnotations are the annotations of function fn's compile error:
// one per compiler line, at its file and line (file names in the output
// are relative to the function's module directory).
func compileAnnotations(m *manifest.Manifest, fn string, ce *builder.CompileError, workspace, wd string) []ghactions.Annotation {
	modDir := ""
	if m != nil {
		if f, ok := m.Lookup(fn); ok {
			if mod, err := buildcfg.FindModule(filepath.Join(m.Root, filepath.FromSlash(f.Dir))); err == nil {
				modDir = mod.Dir
			}
		}
	}
	title := "lamb: " + fn + " does not compile"
	// modDir is absolute: the annotations' files are too, and
	// annotationPath makes them workspace-relative.
	cas := ghactions.CompilerAnnotations(ce.Output, modDir, "")
	for i := range cas {
		cas[i].Title = title
		cas[i].File = annotationPath(cas[i].File, workspace, wd)
	}
	if len(cas) == 0 {
		cas = append(cas, ghactions.Annotation{Level: ghactions.Error, Title: title, Message: ce.Output})
	}
	return cas
}

// walkErrors calls f on err and, while f returns true, on the errors it
// wraps (Unwrap() error, Unwrap() []error, multierror).
func walkErrors(err error, f func(error) bool) {
	if err == nil || !f(err) {
		return
	}
	switch e := err.(type) {
	case *multierror.Error:
		for _, w := range e.WrappedErrors() {
			walkErrors(w, f)
		}
	case interface{ Unwrap() []error }:
		for _, w := range e.Unwrap() {
			walkErrors(w, f)
		}
	case interface{ Unwrap() error }:
		walkErrors(e.Unwrap(), f)
	}
}

// annotationPath makes file (absolute, or relative to the working
// directory) relative to the workspace, slash-separated; GitHub places
// annotations by workspace-relative path. Outside the workspace, or
// without one, it is relative to the working directory when possible.
func annotationPath(file, workspace, wd string) string {
	if file == "" {
		return ""
	}
	if !filepath.IsAbs(file) {
		file = filepath.Join(wd, file)
	}
	for _, base := range []string{workspace, wd} {
		if base == "" {
			continue
		}
		if rel, err := filepath.Rel(base, file); err == nil && filepath.IsLocal(rel) {
			return filepath.ToSlash(rel)
		}
	}
	return filepath.ToSlash(file)
}

// newArtifactCache opens the shared artifact cache at url (s3://bucket/prefix;
// --cache, or the manifest's cache). It returns nil, nil when url is empty:
// assign it to builder.Options.Remote only when non-nil (a nil *Cache in
// the interface is not a nil interface).
// The S3 client uses the default AWS configuration (AWS_ENDPOINT_URL_S3
// points it at S3-compatible storage) with path-style addressing. A bad URL
// is a usage error; warnings about ignored objects go to warn.
func newArtifactCache(ctx context.Context, g *globalOptions, url string) (*s3cache.Cache, error) {
	if url == "" {
		return nil, nil
	}
	loc, err := s3cache.ParseURL(url)
	if err != nil {
		return nil, usageError(err)
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryer(deployer.NewRetryer))
	if err != nil {
		return nil, usageError(fmt.Errorf("aws configuration: %w", err))
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1" // path-style requests to a custom endpoint need one
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	return s3cache.New(client, loc, s3cache.Options{
		Warn: func(msg string) { fmt.Fprintf(g.stderr, "lamb: warning: %s\n", msg) },
	}), nil
}

// newProgress returns the progress reporter of a build or deploy on
// stderr: a live display on a terminal (unless CI is set), plain lines
// otherwise, failures only with quiet.
func newProgress(g *globalOptions, quiet bool) *progress.Reporter {
	term := g.stderr.(*lockedWriter).w // the stream itself: is it a terminal?
	mode := progress.ModeFor(term, quiet, g.getenv("CI") != "")
	return progress.New(g.stderr, progress.Options{Mode: mode, Width: progress.TermWidth(term)})
}

// newDeployProgress is newProgress for a deploy: a function built is
// queued for its deploy, done once deployed.
func newDeployProgress(g *globalOptions, quiet bool) *progress.Reporter {
	term := g.stderr.(*lockedWriter).w
	mode := progress.ModeFor(term, quiet, g.getenv("CI") != "")
	return progress.New(g.stderr, progress.Options{Mode: mode, Width: progress.TermWidth(term), Deploys: true})
}

// buildStates reports a build's states to rep.
func buildStates(rep *progress.Reporter) func(string, builder.State) {
	return func(name string, s builder.State) {
		switch s {
		case builder.Building:
			rep.Set(name, progress.Building)
		case builder.Zipping:
			rep.Set(name, progress.Zipping)
		case builder.Done:
			rep.Set(name, progress.Done)
		case builder.Failed:
			rep.Set(name, progress.Failed) // the error itself is returned
		}
	}
}
