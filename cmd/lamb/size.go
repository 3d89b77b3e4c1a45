package main

// lamb size and the size budgets lamb build and plan check (issue 15).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/lambctl/lamb/builder"
	"github.com/lambctl/lamb/emulator/rapi"
	"github.com/lambctl/lamb/internal/binsize"
	"github.com/lambctl/lamb/internal/failure"
	"github.com/lambctl/lamb/internal/ghactions"
	"github.com/lambctl/lamb/internal/lambdaspec"
	"github.com/lambctl/lamb/internal/pipeline"
	"github.com/lambctl/lamb/internal/sizes"
	"github.com/lambctl/lamb/manifest"
)

type sizeOptions struct {
	Since    string
	SVG      string
	Init     bool
	Runs     int
	Event    string
	Modules  int
	Packages int
	Jobs     int
}

func newSizeCmd(g *globalOptions) *cobra.Command {
	var o sizeOptions
	cmd := &cobra.Command{
		Use:   "size [FUNCTION...] [--since REF] [--svg FILE] [--init [--runs N]]",
		Short: "Show what makes each function's zip and binary as large as it is",
		Long: `size builds the functions (or takes their zips from .lamb/dist or the artifact cache)
and breaks each binary down by module and package, read from the shipped, stripped bootstrap
itself: code and function metadata from the function table, type descriptors, and an estimate
of the read-only data and variables the code refers to (DATA~). What cannot be attributed is
listed as such.

--since REF sizes the functions whose code changed since the merge-base of REF and HEAD, and
the same functions at that base (from the artifact cache when they were built before, else
built in a temporary git worktree), and shows which modules and packages grew or shrank.

--svg FILE writes a treemap (module → package → function) of every binary, base and head
with --since. --init cold-starts each function --runs times in the local runtime (built for
this machine) and reports the median and p90 Init Duration and the Max Memory Used, as
Lambda's REPORT line gives them.

Budgets the manifest sets (budget: {zip, growth, init}) are checked; a breach exits 1.`,
		ValidArgsFunction: g.completeFunctions,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.checkOutput(); err != nil {
				return err
			}
			if o.Runs < 1 {
				return usageError(fmt.Errorf("size: --runs %d: want at least 1", o.Runs))
			}
			if cmd.Flags().Changed("runs") && !o.Init {
				return usageError(errors.New("size: --runs needs --init"))
			}
			if o.Event != "" && !o.Init {
				return usageError(errors.New("size: --event needs --init"))
			}
			if o.Jobs < 0 || o.Modules < 0 || o.Packages < 0 {
				return usageError(errors.New("size: -j, --modules and --packages take numbers of 0 or more"))
			}
			return runSize(cmd.Context(), g, args, o, cmd.InOrStdin())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Since, "since", "", "size the functions whose code changed since git `REF`, and compare with their base")
	f.StringVar(&o.SVG, "svg", "", "write a treemap of the binaries to `FILE` (SVG)")
	f.BoolVar(&o.Init, "init", false, "measure cold starts in the local runtime (built for this machine)")
	f.IntVar(&o.Runs, "runs", sizes.DefaultRuns, "cold starts per function with --init")
	f.StringVarP(&o.Event, "event", "e", "", "the event of --init's invocations: a JSON `FILE`, - for stdin, or inline JSON (default {})")
	f.IntVar(&o.Modules, "modules", 8, "modules listed per function (0: all)")
	f.IntVar(&o.Packages, "packages", 3, "packages listed under each module, or package changes with --since")
	f.IntVarP(&o.Jobs, "jobs", "j", 0, "parallel zips and go build -p (default: the number of CPUs)")
	return cmd
}

// sizeFunction is one function in lamb size's output; its fields are the
// JSON shape of -o json.
type sizeFunction struct {
	*sizes.Measure
	// Base is the function at the base of --since; nil without --since or
	// when New.
	Base *sizes.Measure `json:"base,omitempty"`
	// New reports a function the base does not have.
	New bool `json:"new,omitempty"`
	// Delta is the binary's change against Base.
	Delta *binsize.Delta `json:"delta,omitempty"`
	// Init are the cold starts of --init.
	Init *sizes.InitStats `json:"init,omitempty"`
}

type sizeResult struct {
	// Base is the base commit of --since.
	Base      string         `json:"base,omitempty"`
	Functions []sizeFunction `json:"functions"`
	// InitArch is the architecture --init ran the functions on.
	InitArch string         `json:"initArchitecture,omitempty"`
	Breaches []sizes.Breach `json:"breaches"`
}

func runSize(ctx context.Context, g *globalOptions, names []string, o sizeOptions, stdin io.Reader) error {
	var event []byte
	if o.Init {
		var err error
		if event, err = readEvent(o.Event, g.wd, stdin); err != nil {
			return usageError(err)
		}
	}
	sel, err := g.selectFunctions(ctx, pipeline.SelectOptions{Names: names, Since: o.Since, Code: true, Fingerprint: true})
	if err != nil {
		return err
	}
	notAffected(g, sel, names, o.Since)
	rep := newProgress(g, g.Quiet)
	rep.Add(sel.Names()...)
	bo := pipeline.BuildOptions{Jobs: o.Jobs, Progress: rep.Writer(), OnState: buildStates(rep)}
	arts, errs := sel.Build(ctx, nil, bo)
	rep.Close()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	ms, err := sizes.AnalyzeAll(ctx, arts)
	errs = failure.Append(nil, errs, err).ErrorOrNil()

	res := sizeResult{Functions: []sizeFunction{}, Breaches: []sizes.Breach{}}
	byName := map[string]*sizeFunction{}
	for _, m := range ms {
		if m != nil {
			res.Functions = append(res.Functions, sizeFunction{Measure: m})
		}
	}
	for i := range res.Functions {
		byName[res.Functions[i].Function] = &res.Functions[i]
	}

	var bases map[string]*sizes.Measure
	if sel.Affected != nil {
		res.Base = sel.Affected.Base
		var fns []manifest.Function
		for _, f := range sel.Functions {
			if byName[f.Name] != nil {
				fns = append(fns, f)
			}
		}
		progress := baseProgress(g, sel.Affected.Base)
		b, err := sizes.Base(ctx, sizes.BaseOptions{
			Manifest: sel.Manifest, Commit: sel.Affected.Base, Functions: fns, Analyze: true,
			Build: pipeline.BuildOptions{Jobs: o.Jobs, Progress: progress.writer()},
		})
		progress.flush()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		errs = failure.Append(nil, errs, err).ErrorOrNil()
		if b != nil {
			if b.Warning != "" && !g.Quiet {
				fmt.Fprintf(g.stderr, "lamb: warning: %s\n", b.Warning)
			}
			bases = b.Measures
			for _, n := range b.New {
				if sf := byName[n]; sf != nil {
					sf.New = true
				}
			}
			for n, bm := range b.Measures {
				sf := byName[n]
				if sf == nil || bm.Report == nil || sf.Report == nil {
					continue
				}
				sf.Base = bm
				d := binsize.Diff(bm.Report, sf.Report)
				sf.Delta = &d
			}
		}
	}

	var inits map[string]*sizes.InitStats
	if o.Init && len(res.Functions) > 0 {
		arch, stats, err := measureInits(ctx, g, sel, res.Functions, o, event)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		errs = failure.Append(nil, errs, err).ErrorOrNil()
		res.InitArch, inits = arch, stats
		for n, st := range stats {
			byName[n].Init = st
		}
	}

	// Budgets, with what was measured: no further build.
	breaches, err := sizes.CheckBudgets(ctx, sel, sizes.CheckOptions{Artifacts: append([]builder.Artifact{}, arts...), Base: orNoMeasures(bases), Init: inits})
	errs = failure.Append(nil, errs, err).ErrorOrNil()
	res.Breaches = append(res.Breaches, breaches...)

	if o.SVG != "" {
		if err := writeSizeTreemap(g.path(o.SVG), res.Functions); err != nil {
			return err
		}
	}
	if g.Output == "json" {
		for _, f := range res.Functions { // modules and packages are enough
			for _, m := range []*sizes.Measure{f.Measure, f.Base} {
				if m != nil && m.Report != nil {
					m.Report.DropFuncs()
				}
			}
		}
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false) // "v0.0.0 => ./lib/money", not =\u003e
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else if err := writeSizeText(g.stdout, res, o); err != nil {
		return err
	}
	if err := reportBreaches(g, sel.Manifest, "lamb size", breaches); err != nil {
		errs = failure.Append(nil, errs, err).ErrorOrNil()
	}
	return errs
}

func orNoMeasures(m map[string]*sizes.Measure) map[string]*sizes.Measure {
	if m == nil {
		return map[string]*sizes.Measure{}
	}
	return m
}

// measureInits builds the functions for this machine (into
// .lamb/dist-host, as invoke does) and cold-starts each o.Runs times in a
// local runtime. It retargets sel.
func measureInits(ctx context.Context, g *globalOptions, sel *pipeline.Selection, fns []sizeFunction, o sizeOptions, event []byte) (string, map[string]*sizes.InitStats, error) {
	host, err := lambdaspec.HostArch()
	if err != nil {
		return "", nil, err
	}
	names := make([]string, len(fns))
	for i, f := range fns {
		names[i] = f.Function
	}
	sel.Retarget(host)
	bo := pipeline.BuildOptions{Jobs: o.Jobs}
	if g.Verbose {
		bo.Progress = g.stderr
	}
	arts, errs := sel.Build(ctx, names, bo)
	if ctx.Err() != nil {
		return host, nil, ctx.Err()
	}
	runner, err := rapi.NewRunner(rapi.RunnerOptions{IdleTimeout: -1})
	if err != nil {
		return host, nil, err
	}
	defer runner.Close()
	region := g.runRegion(sel.Manifest)
	out := map[string]*sizes.InitStats{}
	for _, a := range arts {
		f, ok := sel.Manifest.Lookup(a.Function)
		if !ok {
			continue
		}
		if !g.Quiet {
			fmt.Fprintf(g.stderr, "%s: %d cold starts\n", a.Function, o.Runs)
		}
		st, err := sizes.MeasureInit(ctx, runner, rapi.InvokeRequest{
			FunctionName: a.Function, Version: "$LATEST", CodeSha256: a.CodeSha256, ZipPath: a.Path,
			MemoryMB: f.Memory, Timeout: time.Duration(f.Timeout) * time.Second,
			Environment: f.Environment, Region: region, Payload: event,
		}, o.Runs)
		if err != nil {
			if ctx.Err() != nil {
				return host, nil, ctx.Err()
			}
			errs = failure.Append(nil, errs, failure.New(a.Function, "init", err)).ErrorOrNil()
			continue
		}
		if st.Errors > 0 && !g.Quiet {
			fmt.Fprintf(g.stderr, "lamb: warning: %s: %d of %d invocations returned a function error (the init is measured all the same; --event gives the event)\n", a.Function, st.Errors, st.Runs)
		}
		out[a.Function] = &st
	}
	return host, out, errs
}

func writeSizeTreemap(path string, fns []sizeFunction) error {
	var reports []*binsize.Report
	for _, f := range fns {
		if f.Base != nil && f.Base.Report != nil {
			r := *f.Base.Report
			r.Name = f.Function + " (base)"
			reports = append(reports, &r)
		}
		if f.Report != nil {
			reports = append(reports, f.Report)
		}
	}
	file, err := os.Create(path)
	if err != nil {
		return usageError(fmt.Errorf("--svg: %w", err))
	}
	if err := binsize.WriteTreemap(file, reports...); err != nil {
		file.Close()
		return fmt.Errorf("--svg %s: %w", path, err)
	}
	if err := file.Close(); err != nil {
		return fmt.Errorf("--svg %s: %w", path, err)
	}
	return nil
}

// writeSizeText prints a line per function (zip, binary, the base and the
// change with --since, cold starts with --init), then each function's
// breakdown: modules and packages, or with --since what changed.
func writeSizeText(w io.Writer, res sizeResult, o sizeOptions) error {
	if len(res.Functions) == 0 {
		return nil
	}
	head := []string{"FUNCTION", "ARCH", "ZIP", "BINARY"}
	if res.Base != "" {
		head = append(head, "BASE ZIP", "ZIP CHANGE")
	}
	if res.InitArch != "" {
		head = append(head, "INIT P50", "INIT P90", "MAX MEMORY")
	}
	rows := [][]string{head}
	for _, f := range res.Functions {
		r := []string{f.Function, f.Architecture, binsize.HumanSize(f.Zip), binsize.HumanSize(f.Binary)}
		if res.Base != "" {
			switch {
			case f.New:
				r = append(r, "-", "new")
			case f.Base == nil:
				r = append(r, "?", "?")
			default:
				r = append(r, binsize.HumanSize(f.Base.Zip), zipChange(f.Base.Zip, f.Zip))
			}
		}
		if res.InitArch != "" {
			if f.Init != nil {
				r = append(r, fmt.Sprintf("%.2f ms", sizes.Millis(f.Init.Median)), fmt.Sprintf("%.2f ms", sizes.Millis(f.Init.P90)), fmt.Sprintf("%d MB", f.Init.MaxMemoryMB))
			} else {
				r = append(r, "-", "-", "-")
			}
		}
		rows = append(rows, r)
	}
	if err := writeAligned(w, rows, 2); err != nil {
		return err
	}
	if res.InitArch != "" {
		fmt.Fprintf(w, "init: %d cold starts each in the local runtime, built for %s (this machine)\n", o.Runs, res.InitArch)
	}
	for _, f := range res.Functions {
		fmt.Fprintln(w)
		var err error
		switch {
		case f.Delta != nil:
			err = binsize.WriteDeltaTable(w, *f.Delta, binsize.TableOptions{Modules: o.Modules, Packages: o.Packages})
		case f.Report != nil:
			err = binsize.WriteTable(w, f.Report, binsize.TableOptions{Modules: o.Modules, Packages: o.Packages})
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// writeAligned writes rows as columns two spaces apart, the first left
// columns left-aligned and the others right-aligned.
func writeAligned(w io.Writer, rows [][]string, left int) error {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		var line strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			if i > 0 {
				line.WriteString("  ")
			}
			if i < left {
				line.WriteString(c + pad)
			} else {
				line.WriteString(pad + c)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func zipChange(base, head int64) string {
	d := head - base
	switch {
	case d == 0:
		return "0 B"
	case base == 0:
		return "+" + binsize.HumanSize(d)
	}
	sign := ""
	if d > 0 {
		sign = "+"
	}
	return fmt.Sprintf("%s%s (%+.1f%%)", sign, binsize.HumanSize(d), 100*float64(d)/float64(base))
}

// budgetsBuilt checks the size budgets of what lamb build built (arts)
// and returns err with the breaches added; see checkBudgets.
func budgetsBuilt(ctx context.Context, g *globalOptions, sel *pipeline.Selection, arts []builder.Artifact, err error) error {
	return checkBudgets(ctx, g, sel, "lamb build", sizes.CheckOptions{Artifacts: append([]builder.Artifact{}, arts...)}, err)
}

// budgetsPlanned checks the size budgets of the functions lamb plan
// selected, as the target would run them, building the functions that set
// a budget (from dist or the artifact cache when built before), and
// returns err with the breaches added; see checkBudgets.
func budgetsPlanned(ctx context.Context, g *globalOptions, sel *pipeline.Selection, err error) error {
	return checkBudgets(ctx, g, sel, "lamb plan", sizes.CheckOptions{}, err)
}

// checkBudgets checks the size budgets of sel's functions (issue 15):
// nothing happens when no selected function sets one. With --since, growth
// is checked against the base (built in a temporary worktree, or from the
// artifact cache). Breaches are added to err as failures of their
// functions (exit 1) and, in GitHub Actions, written as error annotations
// and a job summary table.
func checkBudgets(ctx context.Context, g *globalOptions, sel *pipeline.Selection, title string, o sizes.CheckOptions, err error) error {
	if g.Verbose {
		o.Build.Progress = g.stderr // plan's build of the head
		if sel.Affected != nil {
			p := baseProgress(g, sel.Affected.Base)
			defer p.flush()
			o.BaseProgress = p.writer()
		}
	}
	breaches, cerr := sizes.CheckBudgets(ctx, sel, o)
	return failure.Append(nil, err, cerr, reportBreaches(g, sel.Manifest, title, breaches)).ErrorOrNil()
}

// reportBreaches returns the breaches as failures of their functions and,
// in GitHub Actions, writes one error annotation each (at the function in
// the manifest) and a summary table.
func reportBreaches(g *globalOptions, m *manifest.Manifest, title string, breaches []sizes.Breach) error {
	if len(breaches) == 0 {
		return nil
	}
	if env := g.githubEnv(); env.Enabled {
		as := make([]ghactions.Annotation, len(breaches))
		for i, b := range breaches {
			as[i] = ghactions.Annotation{
				Level: ghactions.Error, File: annotationPath(b.Pos.File, env.Workspace, g.wd), Line: b.Pos.Line, Col: b.Pos.Col,
				Title:   fmt.Sprintf("lamb: %s is over budget.%s", b.Function, b.Budget),
				Message: b.Message(),
			}
		}
		ghactions.WriteAnnotations(g.stderr, as)
		if err := writeGitHubSummary(g, func(w io.Writer) error {
			return sizes.WriteSummary(w, title+": size budgets", breaches)
		}); err != nil {
			fmt.Fprintf(g.stderr, "lamb: warning: %v\n", err)
		}
	}
	errs := make([]error, len(breaches))
	for i, b := range breaches {
		errs[i] = b.Err()
	}
	return failure.Append(nil, errs...).ErrorOrNil()
}

// baseProgress returns the writer of the base build's progress lines with
// -v, each line starting "base SHA: ", and nil (discard) without -v.
func baseProgress(g *globalOptions, base string) *linePrefixer {
	if !g.Verbose {
		return nil
	}
	return &linePrefixer{w: g.stderr, prefix: "base " + base[:min(12, len(base))] + ": "}
}

// linePrefixer writes whole lines to w, each with prefix.
type linePrefixer struct {
	w      io.Writer
	prefix string
	mu     sync.Mutex
	buf    []byte
}

func (l *linePrefixer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	var out []byte
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		out = append(append(out, l.prefix...), l.buf[:i+1]...)
		l.buf = l.buf[i+1:]
	}
	if len(out) > 0 {
		if _, err := l.w.Write(out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// writer returns l as an io.Writer, nil when l is nil.
func (l *linePrefixer) writer() io.Writer {
	if l == nil {
		return nil
	}
	return l
}

// flush writes what is left of a last line without its newline.
func (l *linePrefixer) flush() {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		l.w.Write(append(append([]byte(l.prefix), l.buf...), '\n'))
		l.buf = nil
	}
}
