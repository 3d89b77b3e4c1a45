package deployer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/go-multierror"
	"golang.org/x/sync/errgroup"

	"github.com/lambctl/lamb/internal/failure"
)

// handler is the handler of every Go function on the provided runtimes.
const handler = "bootstrap"

// Outcome is what a deploy did to one function.
type Outcome string

// Outcomes of a deploy.
const (
	Created   Outcome = "created"
	Updated   Outcome = "updated"
	Unchanged Outcome = "unchanged"
	Failed    Outcome = "failed"
	// Orphaned: an orphan left alone (no Options.Prune).
	Orphaned Outcome = "orphan"
	// Deleted: an orphan deleted (Options.Prune).
	Deleted Outcome = "deleted"
)

// FunctionResult is the outcome of one function's deploy.
type FunctionResult struct {
	Name       string  `json:"name"`
	Outcome    Outcome `json:"outcome"`
	Version    string  `json:"version,omitempty"` // the version the alias points to
	CodeSha256 string  `json:"codeSha256,omitempty"`
	Pruned     int     `json:"pruned,omitempty"` // versions deleted by KeepVersions
	Error      string  `json:"error,omitempty"`
	// Rollout is what the rollout did, for functions with one.
	Rollout *RolloutResult `json:"rollout,omitempty"`
}

// Result is the outcome of a deploy, in plan order.
type Result struct {
	Functions []FunctionResult `json:"functions"`
	Created   int              `json:"created"`
	Updated   int              `json:"updated"`
	Unchanged int              `json:"unchanged"`
	Failed    int              `json:"failed"`
	Deleted   int              `json:"deleted,omitempty"`
	Orphaned  int              `json:"orphaned,omitempty"`
}

// Merge adds the outcomes of o, a deploy of other functions, to r.
func (r *Result) Merge(o *Result) {
	if o == nil {
		return
	}
	r.Functions = append(r.Functions, o.Functions...)
	r.Created += o.Created
	r.Updated += o.Updated
	r.Unchanged += o.Unchanged
	r.Failed += o.Failed
	r.Deleted += o.Deleted
	r.Orphaned += o.Orphaned
}

// Summary is the one-line account of the deploy:
// "created 2, updated 3, unchanged 19, failed 1", then ", deleted N" and
// ", 1 orphan left (--prune deletes it)" when there are.
func (r *Result) Summary() string {
	s := fmt.Sprintf("created %d, updated %d, unchanged %d, failed %d", r.Created, r.Updated, r.Unchanged, r.Failed)
	if r.Deleted > 0 {
		s += fmt.Sprintf(", deleted %d", r.Deleted)
	}
	if r.Orphaned > 0 {
		them := "them"
		if r.Orphaned == 1 {
			them = "it"
		}
		s += ", " + plural(r.Orphaned, "orphan", "orphans") + " left (--prune deletes " + them + ")"
	}
	return s
}

// Deploy applies plan. artifacts must hold one Artifact for every function
// in plan.NeedCode(). Functions deploy concurrently; one's failure does not
// stop the others. The error lists every failure, one line each
// ("orders-create: update code: ..."); the result is complete either way.
//
// When ctx is cancelled no new function starts. A function already past
// its code update finishes publishing and moving its alias; one that is
// not leaves its alias untouched. An alias only ever points at a version
// published with the artifact's CodeSha256 as precondition.
func (d *Deployer) Deploy(ctx context.Context, plan *Plan, artifacts []Artifact) (*Result, error) {
	if err := d.CheckAccount(ctx); err != nil {
		res := &Result{Functions: []FunctionResult{}}
		for _, fp := range plan.Functions {
			if fp.Action == ActionNoChange {
				res.Functions = append(res.Functions, FunctionResult{Name: fp.Name, Outcome: Unchanged})
				res.Unchanged++
				continue
			}
			res.Functions = append(res.Functions, FunctionResult{Name: fp.Name, Outcome: Failed, Error: failWith(fp.red, fp.Name, "check account", err).Error()})
			res.Failed++
		}
		return res, err
	}
	arts := make(map[string]Artifact, len(artifacts))
	for _, a := range artifacts {
		arts[a.Function] = a
	}
	res := &Result{Functions: make([]FunctionResult, len(plan.Functions))}
	errs := make([][]error, len(plan.Functions))
	var g errgroup.Group
	g.SetLimit(d.opts.Concurrency)
	var rollouts sync.WaitGroup // rollouts wait outside the limit
	for i := range plan.Functions {
		fp := &plan.Functions[i]
		r := &res.Functions[i]
		r.Name = fp.Name
		switch fp.Action {
		case ActionNoChange:
			r.Outcome = Unchanged
			continue
		case ActionFailed:
			r.Outcome = Failed
			errs[i] = []error{fp.err}
			continue
		case ActionCreateElsewhere:
			r.Outcome = Failed
			errs[i] = []error{fp.fail("deploy", errNotCreatedYet)}
			continue
		case ActionOrphan:
			if !d.opts.Prune {
				r.Outcome = Orphaned
				continue
			}
		}
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				r.Outcome = Failed
				errs[i] = []error{fp.fail("not started", context.Cause(ctx))}
				return nil
			}
			if d.opts.OnStart != nil {
				d.opts.OnStart(fp.Name)
			}
			done := func() {
				if d.opts.OnDone != nil {
					done := *r
					if len(errs[i]) > 0 {
						done.Error = errs[i][0].Error()
					}
					d.opts.OnDone(done)
				}
			}
			if fp.Action == ActionOrphan {
				errs[i] = d.deleteOrphan(ctx, fp, r)
				done()
				return nil
			}
			var later func() []error
			errs[i], later = d.deployOne(ctx, fp, arts, r)
			if later == nil {
				done()
				return nil
			}
			rollouts.Go(func() {
				errs[i] = later()
				done()
			})
			return nil
		})
	}
	_ = g.Wait()
	rollouts.Wait()
	var merr *multierror.Error
	for i, fr := range res.Functions {
		switch fr.Outcome {
		case Created:
			res.Created++
		case Updated:
			res.Updated++
		case Unchanged:
			res.Unchanged++
		case Deleted:
			res.Deleted++
		case Orphaned:
			res.Orphaned++
		default:
			res.Failed++
		}
		merr = failure.Append(merr, errs[i]...)
		if len(errs[i]) > 0 {
			res.Functions[i].Error = errs[i][0].Error()
		}
	}
	slices.SortStableFunc(res.Functions, func(a, b FunctionResult) int { return strings.Compare(a.Name, b.Name) })
	return res, merr.ErrorOrNil()
}

// deployOne deploys one function and fills r. It returns the function's
// errors: the deploy's, or pruning's after a successful deploy. When the
// function rolls out with waits between steps, it returns later instead:
// the rest of the deploy, which Deploy runs outside the concurrency limit
// (a rollout mostly waits).
func (d *Deployer) deployOne(ctx context.Context, fp *FunctionPlan, arts map[string]Artifact, r *FunctionResult) (errs []error, later func() []error) {
	r.Outcome = Failed
	fail := func(op string, err error) []error {
		return []error{fp.fail(op, err)}
	}
	fn := fp.desired.Function
	var code *codeSource
	if fp.Code {
		art, ok := arts[fp.Name]
		if !ok {
			return fail("deploy", errors.New("no artifact was built for it")), nil
		}
		if art.Fingerprint != "" && art.Fingerprint != fp.desired.Fingerprint {
			return fail("deploy", fmt.Errorf("artifact built from fingerprint %s, the plan wants %s: the source changed during the deploy; run it again", short(art.Fingerprint), short(fp.desired.Fingerprint))), nil
		}
		via := fp.Upload
		if via == "" { // a plan not made by Plan
			via = d.upload()
		}
		var err error
		if code, err = d.prepareCode(ctx, art, via); err != nil {
			return fail("upload", err), nil
		}
	}
	start := time.Now()
	d.log.Info("deploying", "function", fp.Name, "action", fp.Label())

	var cfg *types.FunctionConfiguration
	var tags map[string]string
	created := false
	if fp.recreate {
		_, err := d.lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(fp.Name)})
		if err != nil && !isNotFound(err) {
			return fail("delete failed function", err), nil
		}
	}
	if fp.live == nil {
		_, err := d.lambda.CreateFunction(ctx, d.createInput(fp, code))
		switch {
		case isConflict(err):
			// A retried create whose first attempt succeeded, or a function
			// created meanwhile: update it instead.
			live, gerr := d.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fp.Name)})
			if gerr != nil {
				return fail("create", fmt.Errorf("%w; then: %w", err, gerr)), nil
			}
			fp.live = live
			fp.configUpdate = true
		case err != nil:
			return fail("create", err), nil
		default:
			created = true
			got, err := d.waitActive(ctx, fp.Name)
			if err != nil {
				return fail("wait for active", err), nil
			}
			cfg = got.Configuration
			tags = got.Tags
		}
	}
	if !created {
		cfg, tags = fp.live.Configuration, fp.live.Tags
		failed := cfg.LastUpdateStatus == types.LastUpdateStatusFailed
		// A failed last update is redone: by the code update when there
		// is one, else by applying the configuration again.
		if fp.configUpdate || (failed && !fp.Code && !fp.codeOnly()) {
			err := d.onConflictWait(ctx, fp.Name, func() error {
				_, err := d.lambda.UpdateFunctionConfiguration(ctx, configInput(fp))
				return err
			})
			if err != nil {
				return fail("update configuration", err), nil
			}
			got, err := d.waitUpdated(ctx, fp.Name)
			if err != nil {
				return fail("wait for configuration update", err), nil
			}
			cfg, tags = got.Configuration, got.Tags
		}
		// Code already live (same zip, architecture, and a successful last
		// update) is not uploaded again.
		if fp.Code && (aws.ToString(cfg.CodeSha256) != code.sha ||
			(fn.Architecture != "" && liveArchitecture(cfg) != fn.Architecture) ||
			cfg.LastUpdateStatus != types.LastUpdateStatusSuccessful) {
			err := d.onConflictWait(ctx, fp.Name, func() error {
				arch := fn.Architecture
				if fp.codeOnly() { // the architecture is configuration: leave it
					arch = ""
				}
				_, err := d.lambda.UpdateFunctionCode(code.context(ctx), code.updateInput(fp.Name, arch))
				return err
			})
			if err != nil {
				return fail("update code", err), nil
			}
			got, err := d.waitUpdated(ctx, fp.Name)
			if err != nil {
				return fail("wait for code update", err), nil
			}
			cfg, tags = got.Configuration, got.Tags
		}
	}
	wantSha := aws.ToString(cfg.CodeSha256)
	if code != nil {
		wantSha = code.sha
	} else if fp.live != nil {
		wantSha = aws.ToString(fp.live.Configuration.CodeSha256)
	}
	if got := aws.ToString(cfg.CodeSha256); got != wantSha {
		return fail("deploy", fmt.Errorf("live code %s is not %s: changed by someone else meanwhile", got, wantSha)), nil
	}

	// From here on, finish even if ctx is cancelled: the code is in place
	// and the publish precondition guarantees the version's code.
	if err := ctx.Err(); err != nil {
		return fail("interrupted before publishing (alias untouched)", context.Cause(ctx)), nil
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.opts.WaitTimeout)
	// Only tags changed: no new version, the alias stays.
	tagsOnly := !created && !fp.Code && !fp.configUpdate && !fp.publish
	var ro *rollout
	if fn.Alias != "" && !tagsOnly {
		v, err := d.publish(pctx, fp.Name, wantSha, aws.ToString(cfg.RevisionId))
		if err != nil {
			cancel()
			return fail("publish version", err), nil
		}
		r.Version = v
		if ro, err = d.startRollout(pctx, fp, v, created || fp.aliasMissing, r); err != nil {
			cancel()
			return fail("rollout", err), nil
		}
	}
	finish := func() []error {
		defer func() { cancel() }() // the last one
		if ro != nil {
			if err := d.runRollout(ctx, ro); err != nil {
				return fail("rollout", err)
			}
			// The rollout took its steps' time: the rest gets its own.
			cancel()
			pctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), d.opts.WaitTimeout)
		}
		want := map[string]string{}
		if !fp.codeOnly() { // a code-only function's tags are another tool's, but lamb's own
			maps.Copy(want, fn.Tags)
			if owner := d.owner(); owner != "" {
				want[TagProject] = owner
			}
		}
		want[TagFingerprint] = fp.desired.Fingerprint
		want[TagCodeSha256] = wantSha
		if !containsAll(tags, want) {
			_, err := d.lambda.TagResource(pctx, &lambda.TagResourceInput{Resource: cfg.FunctionArn, Tags: want})
			if err != nil {
				return fail("tag", err)
			}
		}
		if len(fp.untag) > 0 {
			_, err := d.lambda.UntagResource(pctx, &lambda.UntagResourceInput{Resource: cfg.FunctionArn, TagKeys: fp.untag})
			if err != nil {
				return fail("untag", err)
			}
		}
		r.CodeSha256 = wantSha
		if created {
			r.Outcome = Created
		} else {
			r.Outcome = Updated
		}
		d.log.Info("deployed", "function", fp.Name, "outcome", r.Outcome, "version", r.Version, "elapsed", time.Since(start).Round(time.Millisecond))
		if d.opts.KeepVersions > 0 && fn.Alias != "" {
			n, err := d.prune(pctx, fp.Name, d.opts.KeepVersions)
			r.Pruned = n
			if err != nil {
				return fail("prune versions", err)
			}
		}
		return nil
	}
	if ro != nil && ro.waits() {
		return nil, finish
	}
	return finish(), nil
}

func containsAll(have, want map[string]string) bool {
	for k, v := range want {
		if hv, ok := have[k]; !ok || hv != v {
			return false
		}
	}
	return true
}

func (d *Deployer) createInput(fp *FunctionPlan, code *codeSource) *lambda.CreateFunctionInput {
	fn := fp.desired.Function
	in := &lambda.CreateFunctionInput{
		FunctionName: aws.String(fn.Name),
		Role:         aws.String(fn.Role),
		Runtime:      types.Runtime(fn.Runtime),
		Handler:      aws.String(handler),
		PackageType:  types.PackageTypeZip,
		Code:         code.functionCode(),
		Tags:         fn.Tags, // user tags and ownership; the others are written last
	}
	if owner := d.owner(); owner != "" {
		in.Tags = maps.Clone(fn.Tags)
		if in.Tags == nil {
			in.Tags = map[string]string{}
		}
		in.Tags[TagProject] = owner
	}
	if fn.Memory != 0 {
		in.MemorySize = aws.Int32(int32(fn.Memory))
	}
	if fn.Timeout != 0 {
		in.Timeout = aws.Int32(int32(fn.Timeout))
	}
	if fn.Architecture != "" {
		in.Architectures = []types.Architecture{types.Architecture(fn.Architecture)}
	}
	if len(fn.Environment) > 0 {
		in.Environment = &types.Environment{Variables: fn.Environment}
	}
	return in
}

func configInput(fp *FunctionPlan) *lambda.UpdateFunctionConfigurationInput {
	fn := fp.desired.Function
	in := &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String(fn.Name),
		Handler:      aws.String(handler),
		// Variables removed from the manifest are removed from the function.
		Environment: &types.Environment{Variables: fn.Environment},
	}
	if in.Environment.Variables == nil {
		in.Environment.Variables = map[string]string{}
	}
	if fn.Role != "" {
		in.Role = aws.String(fn.Role)
	}
	if fn.Runtime != "" {
		in.Runtime = types.Runtime(fn.Runtime)
	}
	if fn.Memory != 0 {
		in.MemorySize = aws.Int32(int32(fn.Memory))
	}
	if fn.Timeout != 0 {
		in.Timeout = aws.Int32(int32(fn.Timeout))
	}
	return in
}

// publish publishes $LATEST as a version, on condition that its code is
// sha and its revision rev, and returns the version number. An update in
// progress (409) is waited out; a changed revision (412) is re-read and
// retried as long as the code is still sha.
func (d *Deployer) publish(ctx context.Context, name, sha, rev string) (string, error) {
	for attempt := 0; ; attempt++ {
		out, err := d.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{
			FunctionName: aws.String(name),
			CodeSha256:   aws.String(sha),
			RevisionId:   aws.String(rev),
		})
		if err == nil {
			return aws.ToString(out.Version), nil
		}
		var pf *types.PreconditionFailedException
		if attempt >= 5 || !isConflict(err) && !errors.As(err, &pf) {
			return "", err
		}
		got, werr := d.waitUpdated(ctx, name)
		if werr != nil {
			return "", fmt.Errorf("%w; then: %w", err, werr)
		}
		if s := aws.ToString(got.Configuration.CodeSha256); s != sha {
			return "", fmt.Errorf("live code %s is not %s: changed by someone else meanwhile", s, sha)
		}
		rev = aws.ToString(got.Configuration.RevisionId)
	}
}

// pointAlias creates alias or moves it to version, in one call in the
// usual case: CreateAlias for a new function, UpdateAlias otherwise,
// switching to the other when the alias turns out to exist (409) or not
// (404). The version's code was checked when it was published.
func (d *Deployer) pointAlias(ctx context.Context, name, alias, version string, create bool) error {
	for attempt := 0; ; attempt++ {
		var err error
		if create {
			_, err = d.lambda.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(name), Name: aws.String(alias), FunctionVersion: aws.String(version)})
			if isConflict(err) { // it exists: a retried request, or made meanwhile
				create = false
			}
		} else {
			_, err = d.lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{
				FunctionName:    aws.String(name),
				Name:            aws.String(alias),
				FunctionVersion: aws.String(version),
				RoutingConfig:   &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{}},
			})
			if isNotFound(err) {
				create = true
			}
		}
		if err == nil || attempt >= 5 || !isConflict(err) && !isNotFound(err) {
			return err
		}
	}
}

// onConflictWait runs op; while it answers 409 (an update in progress), it
// waits for the function's update to finish and runs op again.
func (d *Deployer) onConflictWait(ctx context.Context, name string, op func() error) error {
	for attempt := 0; ; attempt++ {
		err := op()
		if err == nil || attempt >= 5 || !isConflict(err) {
			return err
		}
		if _, werr := d.waitUpdated(ctx, name); werr != nil {
			return fmt.Errorf("%w; then: %w", err, werr)
		}
	}
}

func (d *Deployer) waitActive(ctx context.Context, name string) (*lambda.GetFunctionOutput, error) {
	w := lambda.NewFunctionActiveV2Waiter(d.lambda, func(o *lambda.FunctionActiveV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = d.opts.WaitMinDelay, max(8*d.opts.WaitMinDelay, 8*time.Second)
	})
	return w.WaitForOutput(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}, d.opts.WaitTimeout)
}

func (d *Deployer) waitUpdated(ctx context.Context, name string) (*lambda.GetFunctionOutput, error) {
	w := lambda.NewFunctionUpdatedV2Waiter(d.lambda, func(o *lambda.FunctionUpdatedV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = d.opts.WaitMinDelay, max(8*d.opts.WaitMinDelay, 8*time.Second)
	})
	out, err := w.WaitForOutput(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}, d.opts.WaitTimeout)
	if err != nil && out != nil && out.Configuration != nil && out.Configuration.LastUpdateStatusReason != nil {
		err = fmt.Errorf("%w: %s", err, aws.ToString(out.Configuration.LastUpdateStatusReason))
	}
	return out, err
}

func isConflict(err error) bool {
	var rc *types.ResourceConflictException
	return errors.As(err, &rc)
}

// codeSource is an artifact ready to send: inline bytes or an S3 object.
type codeSource struct {
	sha    string
	zip    []byte
	bucket string
	key    string
}

func (c *codeSource) functionCode() *types.FunctionCode {
	if c.zip != nil {
		return &types.FunctionCode{ZipFile: c.zip}
	}
	return &types.FunctionCode{S3Bucket: aws.String(c.bucket), S3Key: aws.String(c.key)}
}

// zipShaKey is the context key of the CodeSha256 of an UpdateFunctionCode
// call's ZipFile (ZipSha256).
type zipShaKey struct{}

// context is ctx carrying the package's CodeSha256 when it is sent inline.
func (c *codeSource) context(ctx context.Context) context.Context {
	if c.zip == nil {
		return ctx
	}
	return WithZipSha256(ctx, c.sha)
}

// WithZipSha256 returns ctx carrying sha as the CodeSha256 of the ZipFile
// of the UpdateFunctionCode call made with it (ZipSha256): the deployer's
// own calls carry it; a test hands a LambdaAPI a sum of its choosing.
func WithZipSha256(ctx context.Context, sha string) context.Context {
	return context.WithValue(ctx, zipShaKey{}, sha)
}

// ZipSha256 returns the standard base64 SHA-256 of the ZipFile of the
// UpdateFunctionCode call the deployer makes with ctx: the artifact's
// CodeSha256, computed from those bytes where the zip was made (or by the
// deployer from the file it read). A LambdaAPI in the deployer's process
// (lamb's in-process local Lambda) takes it instead of hashing the
// package again.
func ZipSha256(ctx context.Context) (string, bool) {
	sha, ok := ctx.Value(zipShaKey{}).(string)
	return sha, ok
}

func (c *codeSource) updateInput(name, arch string) *lambda.UpdateFunctionCodeInput {
	in := &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(name)}
	if c.zip != nil {
		in.ZipFile = c.zip
	} else {
		in.S3Bucket, in.S3Key = aws.String(c.bucket), aws.String(c.key)
	}
	if arch != "" {
		in.Architectures = []types.Architecture{types.Architecture(arch)}
	}
	return in
}

// prepareCode reads the artifact, checks its CodeSha256 and size, and
// uploads it to the artifact bucket when via says so, or when it is too
// large to go inline and the deployer sends large ones through the bucket.
// A zip too large to go via fails before it is read.
func (d *Deployer) prepareCode(ctx context.Context, art Artifact, via string) (*codeSource, error) {
	via, err := route(via, d.large(), art.Size)
	if err != nil {
		return nil, err
	}
	data, sha, err := art.content()
	if err != nil {
		return nil, err
	}
	if via, err = route(via, d.large(), int64(len(data))); err != nil {
		return nil, err
	}
	bucket, ok := strings.CutPrefix(via, "s3://")
	if !ok {
		return &codeSource{sha: sha, zip: data}, nil
	}
	if d.opts.S3 == nil {
		return nil, fmt.Errorf("artifact bucket %s set but no S3 client", bucket)
	}
	sum, err := base64.StdEncoding.DecodeString(sha)
	if err != nil || len(sum) != sha256.Size {
		return nil, fmt.Errorf("%s: CodeSha256 %q is not a base64 SHA-256", art.Path, sha)
	}
	key := S3Key(sum)
	if err := upload(ctx, d.opts.S3, bucket, key, bytes.NewReader(data), int64(len(data)), sha); err != nil {
		return nil, fmt.Errorf("s3://%s/%s: %w", bucket, key, err)
	}
	return &codeSource{sha: sha, bucket: bucket, key: key}, nil
}

// content returns the zip's bytes and their base64 SHA-256: Zip and
// CodeSha256 when the zip is in memory, else Path's bytes, checked against
// CodeSha256 when the artifact has one.
func (art Artifact) content() ([]byte, string, error) {
	if art.Zip != nil && art.CodeSha256 != "" {
		return art.Zip, art.CodeSha256, nil
	}
	data, err := os.ReadFile(art.Path)
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(data)
	sha := base64.StdEncoding.EncodeToString(sum[:])
	if art.CodeSha256 != "" && art.CodeSha256 != sha {
		return nil, "", fmt.Errorf("%s: CodeSha256 is %s, the artifact says %s", art.Path, sha, art.CodeSha256)
	}
	return data, sha, nil
}

// S3Key is the object key of a package with the given SHA-256: packages
// are content-addressed, so an upload is skipped when the key exists.
func S3Key(sum []byte) string {
	return "lamb/" + strings.ToLower(fmt.Sprintf("%x", sum)) + ".zip"
}
