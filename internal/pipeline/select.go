// Package pipeline is lamb's flow between the command line and the
// packages that do the work: it selects the functions a command works on
// (names, --since, --shard, the target's architecture) and fingerprints
// them once, then builds, plans and deploys them. cmd/lamb parses flags,
// renders results and maps errors to exit codes; everything in between
// lives here, so every command selects, fingerprints, shards and builds
// the same way, loading each build configuration's package graph at most
// once per side (the working tree, and the base of --since).
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/go-multierror"

	"github.com/lambctl/lamb/graph"
	"github.com/lambctl/lamb/internal/failure"
	"github.com/lambctl/lamb/internal/shard"
	"github.com/lambctl/lamb/manifest"
)

// SelectOptions say which functions a command works on.
type SelectOptions struct {
	// Names are function names (a Name or a Key); none means all.
	Names []string
	// Since keeps the functions affected since this git ref ("" keeps all).
	Since string
	// Shard keeps shard K/N ("" keeps all).
	Shard string
	// Fingerprint fingerprints the selection even when neither Since nor
	// Shard needed it (build, plan, deploy, fingerprint do).
	Fingerprint bool
	// Code keeps, with Since, only the functions whose code changed (not
	// those whose configuration alone changed): what a build needs.
	Code bool
	// Tracker, when set, records every print Fingerprint computes, and
	// Refresh takes prints from it (lamb dev).
	Tracker *graph.Tracker
}

// Selection is the functions one command works on, and what was computed
// to select them: a later step reuses it instead of loading the package
// graph again.
type Selection struct {
	Manifest *manifest.Manifest
	// Functions are the selected functions in manifest order, as they are
	// built (Retarget rewrites their architecture).
	Functions []manifest.Function
	// Affected is the result of --since before sharding (nil without it).
	Affected *graph.AffectedResult
	// Shard is the parsed --shard (the zero Spec without it).
	Shard shard.Spec
	// Whole reports that every function of the manifest was selected (no
	// names, --since or --shard): only then are live functions the
	// manifest no longer has looked for (orphans).
	Whole   bool
	prints  map[string]graph.Print // by function name, for Functions as they are
	errs    *multierror.Error      // failures to fingerprint single functions
	target  string                 // the architecture of Retarget, "" for none
	tracker *graph.Tracker         // SelectOptions.Tracker
}

// Err returns the failures to fingerprint single functions
// (*failure.Error each, aggregated), nil when none: those functions have
// no print, and Build and Plan leave them out.
func (s *Selection) Err() error { return s.errs.ErrorOrNil() }

// Print returns the fingerprint of the selected function name, false when
// it has none (not fingerprinted, or it failed: see Err).
func (s *Selection) Print(name string) (graph.Print, bool) {
	p, ok := s.prints[name]
	return p, ok && p.Fingerprint != ""
}

// Prints returns the prints of the selected functions that have one, in
// Functions order.
func (s *Selection) Prints() []graph.Print {
	var out []graph.Print
	for _, f := range s.Functions {
		if p, ok := s.Print(f.Name); ok {
			out = append(out, p)
		}
	}
	return out
}

// Names returns the names of the selected functions.
func (s *Selection) Names() []string { return manifest.Names(s.Functions) }

// Select selects the functions o names from m — narrowed to those affected
// since o.Since, then to shard o.Shard — fingerprinting only what that
// needs (and all of them with o.Fingerprint). Bad input (an unknown name, a
// malformed --shard, a ref that is not a commit, no git repository) is a
// failure.UsageError; a function that cannot be fingerprinted is in Err.
func Select(ctx context.Context, m *manifest.Manifest, o SelectOptions) (*Selection, error) {
	spec, err := shard.Parse(o.Shard)
	if err != nil {
		return nil, failure.Usage(err)
	}
	fns, err := Named(m, o.Names)
	if err != nil {
		return nil, err
	}
	s := &Selection{Manifest: m, Functions: fns, Shard: spec, prints: map[string]graph.Print{}, tracker: o.Tracker}
	s.Whole = len(o.Names) == 0 && o.Since == "" && !spec.Enabled()
	if o.Since != "" {
		res, err := graph.Affected(ctx, m, o.Since, fns)
		if errors.Is(err, graph.ErrRefNotFound) || errors.Is(err, graph.ErrNotGitRepo) {
			return nil, failure.Usage(err)
		}
		if res == nil {
			return nil, err
		}
		if err := s.keepFailures(err); err != nil {
			return nil, err
		}
		s.Affected = res
		keep := map[string]bool{}
		for _, a := range res.Functions {
			if a.Code || !o.Code {
				keep[a.Name] = true
			}
		}
		for _, e := range failure.Flatten(s.Err()) { // unknown: keep, to report them
			if fn, ok := failure.FunctionOf(e); ok {
				keep[fn] = true
			}
		}
		s.Functions = filter(s.Functions, func(f manifest.Function) bool { return keep[f.Name] })
		s.addPrints(res.Prints)
	}
	if spec.Enabled() && len(s.Functions) > 0 {
		if err := s.Fingerprint(ctx); err != nil {
			return nil, err
		}
		s.Functions = Shard(s.Functions, s.prints, spec)
	}
	if o.Fingerprint {
		if err := s.Fingerprint(ctx); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Retarget makes every selected function build for the Lambda
// architecture arch — a target that runs functions on its own machine (the
// local Lambda) — and forgets the prints of the functions whose
// architecture changed: the next Fingerprint computes only those. ""
// changes nothing. Shard membership is not recomputed: the partition is
// the one of the manifest's architectures, the same in every command.
func (s *Selection) Retarget(arch string) {
	if arch == "" {
		return
	}
	s.target = arch
	for i := range s.Functions {
		if f := &s.Functions[i]; f.Architecture != arch {
			f.Architecture = arch
			delete(s.prints, f.Name)
		}
	}
}

// Fingerprint fingerprints the selected functions that have no print yet
// (one package load per build configuration among them). A function that
// fails is reported by Err and not tried again; an error that belongs to
// no function is returned.
func (s *Selection) Fingerprint(ctx context.Context) error {
	var need []manifest.Function
	for _, f := range s.Functions {
		if _, ok := s.prints[f.Name]; !ok {
			need = append(need, f)
		}
	}
	if len(need) == 0 {
		return nil
	}
	var prints []graph.Print
	var err error
	if s.tracker != nil {
		prints, err = s.tracker.Fingerprints(ctx, s.Manifest, need)
	} else {
		prints, err = graph.Fingerprints(ctx, s.Manifest, need)
	}
	if err != nil && ctx.Err() != nil {
		return err
	}
	if err := s.keepFailures(err); err != nil {
		return err
	}
	s.addPrints(prints)
	for _, f := range need {
		if _, ok := s.prints[f.Name]; !ok {
			s.prints[f.Name] = graph.Print{Function: f.Name}
			s.errs = failure.Append(s.errs, failure.Errorf(f.Name, "fingerprint", "no fingerprint"))
		}
	}
	return nil
}

// Refresh brings the tracker's prints up to date with the files at
// changed (absolute paths) without loading packages, and takes the prints
// of the selected functions that have none yet from it; Fingerprint
// computes the rest. It reports false, taking nothing, when the tracker
// cannot (graph.Tracker.Refresh) or there is none: Fingerprint then loads
// packages for every function.
func (s *Selection) Refresh(changed []string) bool {
	if s.tracker == nil || !s.tracker.Refresh(changed) {
		return false
	}
	for _, f := range s.Functions {
		if _, ok := s.prints[f.Name]; ok {
			continue
		}
		if p, ok := s.tracker.Print(s.Manifest.Root, f); ok {
			s.prints[f.Name] = p
		}
	}
	return true
}

// keepFailures records the failures of single functions in err (they are
// reported by Err and not fingerprinted again) and returns the rest.
func (s *Selection) keepFailures(err error) error {
	var rest []error
	for _, e := range failure.Flatten(err) {
		if fn, ok := failure.FunctionOf(e); ok {
			s.errs = failure.Append(s.errs, e)
			s.prints[fn] = graph.Print{Function: fn} // known to fail
			continue
		}
		rest = append(rest, e)
	}
	return errors.Join(rest...)
}

func (s *Selection) addPrints(prints []graph.Print) {
	for _, p := range prints {
		if p.Fingerprint != "" {
			s.prints[p.Function] = p
		}
	}
}

// Named returns the functions of m named in names (all when names is
// empty), in manifest order. A name is a function's Name or Key; an
// unknown name is a usage error listing the known names.
func Named(m *manifest.Manifest, names []string) ([]manifest.Function, error) {
	if len(names) == 0 {
		return append([]manifest.Function(nil), m.Functions...), nil
	}
	want := map[string]bool{}
	var unknown []string
	for _, n := range names {
		f, ok := m.Lookup(n)
		if !ok {
			unknown = append(unknown, n)
			continue
		}
		want[f.Name] = true
	}
	if len(unknown) > 0 {
		return nil, UnknownFunctions(m, unknown)
	}
	return filter(m.Functions, func(f manifest.Function) bool { return want[f.Name] }), nil
}

// UnknownFunctions is the usage error for names the manifest does not have.
func UnknownFunctions(m *manifest.Manifest, names []string) error {
	known := manifest.Names(m.Functions)
	return failure.Usagef("unknown function %s (known: %s)", strings.Join(names, ", "), strings.Join(known, ", "))
}

// Shard returns the share of fns that spec selects: the spec-th of N
// disjoint groups covering fns, balanced by each function's closure cost
// (ClosureCost of its print; 1 without one). Every command and every
// runner computes the same groups from the same functions and prints,
// which Select always takes at the manifest's architectures, before any
// Retarget. The result keeps fns' order.
func Shard(fns []manifest.Function, prints map[string]graph.Print, spec shard.Spec) []manifest.Function {
	if !spec.Enabled() {
		return fns
	}
	items := make([]shard.Item, len(fns))
	for i, f := range fns {
		items[i] = shard.Item{Name: f.Name, Cost: ClosureCost(prints[f.Name])}
	}
	idx, err := shard.Select(items, spec)
	if err != nil {
		panic(fmt.Sprintf("shard.Select with a parsed spec: %v", err)) // cannot happen: spec came from shard.Parse
	}
	out := make([]manifest.Function, 0, len(idx))
	for _, i := range idx {
		out = append(out, fns[i])
	}
	return out
}

// ClosureCost estimates the work of building a function from its print:
// the source files in its closure of repository packages plus the other
// modules it uses; at least 1.
func ClosureCost(p graph.Print) int {
	c := len(p.Inputs.Modules)
	for _, pkg := range p.Inputs.Packages {
		c += len(pkg.Files) + len(pkg.Embeds)
	}
	return max(c, 1)
}

func filter(fns []manifest.Function, keep func(manifest.Function) bool) []manifest.Function {
	out := []manifest.Function{}
	for _, f := range fns {
		if keep(f) {
			out = append(out, f)
		}
	}
	return out
}
