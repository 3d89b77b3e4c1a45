package sizes

import (
	"context"
	"io"

	"github.com/lambctl/lamb/builder"
	"github.com/lambctl/lamb/internal/failure"
	"github.com/lambctl/lamb/internal/pipeline"
	"github.com/lambctl/lamb/manifest"
)

// CheckOptions say how CheckBudgets gets what it checks.
type CheckOptions struct {
	// Artifacts are the selection's zips already built (lamb build); nil
	// builds those of the functions with a budget (lamb plan), from dist or
	// the artifact cache when they were built before.
	Artifacts []builder.Artifact
	// Build tunes the builds CheckBudgets runs, the head's (without
	// Artifacts) and the base's (Jobs, Env, NoCache, Remote).
	Build pipeline.BuildOptions
	// BaseProgress receives the base build's progress lines; nil
	// discards them.
	BaseProgress io.Writer
	// Init are cold-start measures by function name (lamb size --init);
	// nil: init budgets are not checked.
	Init map[string]*InitStats
	// Base are base measures already made, by function name (lamb size
	// --since); nil: CheckBudgets builds the bases it needs.
	Base map[string]*Measure
}

// CheckBudgets checks the zip, growth and init budgets of the functions of
// sel (as built for sel's target: plan --local checks the zips it would
// deploy). It costs nothing when no selected function sets a budget. With
// --since (sel.Affected), a function with a growth budget whose code
// changed is built at the base (Base); one whose code did not change has
// not grown. The breaches name the modules that grew most (or the largest
// without a base). Failures to build or measure single functions are
// aggregated in the error.
func CheckBudgets(ctx context.Context, sel *pipeline.Selection, o CheckOptions) ([]Breach, error) {
	var fns []manifest.Function
	var names []string
	for _, f := range sel.Functions {
		if HasBudget(f) {
			fns = append(fns, f)
			names = append(names, f.Name)
		}
	}
	if len(fns) == 0 {
		return nil, nil
	}
	var errs []error
	arts := o.Artifacts
	if arts == nil {
		built, err := sel.Build(ctx, names, o.Build)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		arts, errs = built, append(errs, err)
	}
	head := map[string]builder.Artifact{}
	for _, a := range arts {
		head[a.Function] = a
	}

	// The bases growth needs: code changed since the base, and built.
	bases := o.Base
	if bases == nil && sel.Affected != nil {
		code := map[string]bool{}
		for _, a := range sel.Affected.Functions {
			code[a.Name] = a.Code
		}
		var need []manifest.Function
		for _, f := range fns {
			if _, built := head[f.Name]; built && NeedsBase(f) && code[f.Name] {
				need = append(need, f)
			}
		}
		if len(need) > 0 {
			bo := o.Build
			bo.Progress, bo.OnState = o.BaseProgress, nil
			res, err := Base(ctx, BaseOptions{Manifest: sel.Manifest, Commit: sel.Affected.Base, Functions: need, Build: bo, Analyze: true})
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			errs = append(errs, err)
			if res != nil {
				bases = res.Measures
			}
		}
	}

	var breaches []Breach
	for _, f := range fns {
		a, ok := head[f.Name]
		if !ok {
			continue // not built: its failure is in errs
		}
		s := Subject{Function: f, Head: Of(a), Base: bases[f.Name]}
		if o.Init != nil {
			s.Init = o.Init[f.Name]
		}
		found := Check(s)
		if len(found) == 0 {
			continue
		}
		// Over budget: name the modules, from the binary's breakdown.
		if m, err := Analyze(a); err == nil {
			s.Head = m
			found = Check(s)
		} else {
			errs = append(errs, err)
		}
		breaches = append(breaches, found...)
	}
	return breaches, failure.Append(nil, errs...).ErrorOrNil()
}
