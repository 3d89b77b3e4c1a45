package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/go-multierror"

	"github.com/lambctl/lamb/builder"
	"github.com/lambctl/lamb/deployer"
	"github.com/lambctl/lamb/internal/failure"
	"github.com/lambctl/lamb/manifest"
)

// Desired returns what the selection wants live: each selected function
// that has a fingerprint.
func (s *Selection) Desired() []deployer.Desired {
	var out []deployer.Desired
	for _, f := range s.Functions {
		if p, ok := s.Print(f.Name); ok {
			out = append(out, deployer.Desired{Function: f, Fingerprint: p.Fingerprint})
		}
	}
	return out
}

// Plan fingerprints what is missing and plans the selection with d. The
// functions that could not be fingerprinted are in the plan as failed;
// the error lists every failure, one a line.
func (s *Selection) Plan(ctx context.Context, d *deployer.Deployer) (*deployer.Plan, error) {
	if err := s.Fingerprint(ctx); err != nil {
		return nil, err
	}
	plan, err := d.Plan(ctx, s.Desired())
	var errs *multierror.Error
	for _, e := range failure.Flatten(s.Err()) {
		fn, _ := failure.FunctionOf(e)
		plan.Fail(fn, e)
		errs = failure.Append(errs, e)
	}
	errs = failure.Append(errs, err)
	return plan, errs.ErrorOrNil()
}

// Deploy builds the functions whose code plan changes — with the
// selection's prints, no second package load — and deploys plan with d.
// A function that fails to build is taken out of the plan with its error
// (the others deploy). On interruption before the deploy starts nothing
// is deployed. The result lists every function; the error every failure.
func (s *Selection) Deploy(ctx context.Context, d *deployer.Deployer, plan *deployer.Plan, o BuildOptions) (*deployer.Result, error) {
	if o.DeployEach {
		return s.deployEach(ctx, d, plan, o)
	}
	var arts []deployer.Artifact
	var rest error
	if need := plan.NeedCode(); len(need) > 0 {
		built, err := s.Build(ctx, need, o)
		for _, a := range built {
			arts = append(arts, artifactOf(a))
		}
		rest = failBuilds(plan, err)
	}
	if ctx.Err() != nil { // interrupted: start nothing
		return nil, errors.Join(context.Cause(ctx), rest)
	}
	res, err := d.Deploy(ctx, plan, arts)
	errs := failure.Append(nil, rest, err)
	return res, errs.ErrorOrNil()
}

// failBuilds takes the functions that failed to build (the
// *failure.Error of err) out of plan with their errors, and returns the
// rest of err.
func failBuilds(plan *deployer.Plan, err error) error {
	var other []error
	for _, e := range failure.Flatten(err) {
		if fn, ok := failure.FunctionOf(e); ok {
			plan.Fail(fn, e)
			continue
		}
		other = append(other, e)
	}
	return errors.Join(other...)
}

// artifactOf is what the deployer needs of a built artifact.
func artifactOf(a builder.Artifact) deployer.Artifact {
	return deployer.Artifact{Function: a.Function, Fingerprint: a.Fingerprint, Path: a.Path, CodeSha256: a.CodeSha256, Size: a.Size, Zip: a.Zip}
}

// deployEach is Deploy with each function deployed (deployer.Plan.Only)
// as soon as the builder has written its zip, while the others are still
// zipping; then the rest of the plan — functions whose zip came from the
// dist directory, configuration-only changes, build failures — in one
// deploy. Interrupted before the build ends, it starts no further deploy.
func (s *Selection) deployEach(ctx context.Context, d *deployer.Deployer, plan *deployer.Plan, o BuildOptions) (*deployer.Result, error) {
	res := &deployer.Result{Functions: []deployer.FunctionResult{}}
	var errs []error
	var mu sync.Mutex
	var wg sync.WaitGroup
	started := map[string]bool{}
	deploy := func(p *deployer.Plan, arts []deployer.Artifact) {
		r, err := d.Deploy(ctx, p, arts)
		mu.Lock()
		defer mu.Unlock()
		res.Merge(r)
		errs = append(errs, failure.Flatten(err)...)
	}
	var rest error
	if need := plan.NeedCode(); len(need) > 0 {
		early := plan.Only(need...) // copied now: the build's failures go to plan below
		o.onArtifact = func(a builder.Artifact) {
			if ctx.Err() != nil {
				return
			}
			mu.Lock()
			started[a.Function] = true
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				deploy(early.Only(a.Function), []deployer.Artifact{artifactOf(a)})
			}()
		}
		built, err := s.Build(ctx, need, o)
		wg.Wait()
		var arts []deployer.Artifact
		for _, a := range built {
			if !started[a.Function] {
				arts = append(arts, artifactOf(a))
			}
		}
		rest = failBuilds(plan, err)
		if ctx.Err() != nil { // interrupted: start nothing more
			return res, errors.Join(append(errs, context.Cause(ctx), rest)...)
		}
		var names []string
		for _, f := range plan.Functions {
			if !started[f.Name] {
				names = append(names, f.Name)
			}
		}
		deploy(plan.Only(names...), arts)
	} else {
		deploy(plan, nil)
	}
	// In plan order, as Deploy gives them.
	order := map[string]int{}
	for i, f := range plan.Functions {
		order[f.Name] = i
	}
	slices.SortStableFunc(res.Functions, func(a, b deployer.FunctionResult) int { return order[a.Name] - order[b.Name] })
	merr := failure.Append(nil, append(errs, rest)...)
	return res, merr.ErrorOrNil()
}

// LocalRole is the role functions without one get in a local Lambda
// (--local, or a lamb local at --endpoint), which accepts any role: a role
// is needed only to create functions on AWS.
const LocalRole = "arn:aws:iam::123456789012:role/lamb-local"

// UseTarget makes the selection what target t runs: built for its
// machine's architecture when it runs functions there (Retarget), and, in
// a local Lambda, given LocalRole where the manifest sets no role.
func (s *Selection) UseTarget(t *Target) {
	s.Retarget(t.Arch)
	if t.Local == nil && t.Emulator == nil {
		return
	}
	for i := range s.Functions {
		if s.Functions[i].Role == "" {
			s.Functions[i].Role = LocalRole
		}
	}
}

// CheckDeployable reports, one line each, the functions that cannot be
// deployed to the target: a usage error, before any AWS call. The manifest
// refuses everything else a deploy would (tags, environment); what is left
// depends on the target: needRole says it creates functions only with a
// role (AWS, or an endpoint that is not a lamb local).
func CheckDeployable(m *manifest.Manifest, fns []manifest.Function, needRole bool) error {
	var lines []string
	for _, f := range fns {
		where := ""
		if f.Pos.File != "" {
			where = f.Pos.String() + ": "
		}
		if f.Role == "" && needRole {
			lines = append(lines, fmt.Sprintf("%s%s: no role: set role in the defaults, the function or the stage of %s", where, f.Name, displayPath(m)))
		}
	}
	if len(lines) > 0 {
		return failure.Usage(errors.New(strings.Join(lines, "\n")))
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
