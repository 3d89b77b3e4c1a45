package deployer

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/go-multierror"
	"golang.org/x/sync/errgroup"

	"github.com/lambctl/lamb/internal/failure"
	"github.com/lambctl/lamb/internal/redact"
	"github.com/lambctl/lamb/manifest"
)

// Action is what a plan does to one function.
type Action string

// Actions of a plan.
const (
	ActionCreate   Action = "create"
	ActionUpdate   Action = "update"
	ActionNoChange Action = "no-change"
	// ActionFailed: the function could not be planned (its read failed,
	// or the pipeline failed it: fingerprint, build). Error says why.
	ActionFailed Action = "failed"
	// ActionOrphan: a live function tagged with the project and stage
	// (TagProject) that the manifest no longer has. Deploy deletes it with
	// Options.Prune, else leaves it.
	ActionOrphan Action = "orphan"
	// ActionAdopt: a live function lamb did not deploy (it has none of
	// lamb's tags). Deploy takes it over: it uploads the code only when
	// the live CodeSha256 is not the artifact's, then publishes, moves the
	// alias and writes lamb's tags.
	ActionAdopt Action = "adopt"
	// ActionCreateElsewhere: a code-only function (manage: code) that does
	// not exist yet: the tool that owns it (Terraform, CDK,
	// CloudFormation) creates it, lamb never does. The plan shows it
	// without failing (a pull request adds it to both tools at once) and
	// counts it neither as a change nor as a failure; Deploy fails it.
	ActionCreateElsewhere Action = "create-elsewhere"
)

// errNotCreatedYet is why a code-only function that does not exist cannot be
// deployed (ActionCreateElsewhere).
var errNotCreatedYet = errors.New("the function does not exist, and lamb manages only its code (manage: code): create it with the tool that owns it (Terraform, CDK, CloudFormation) before deploying")

// hidden replaces environment values in plans unless ShowValues is set:
// what the redactor writes in their place in errors.
const hidden = redact.Hidden

// Change is one field that differs between the live function and the
// repository. From is empty when the field is added, To when removed.
type Change struct {
	Field string `json:"field"`
	From  string `json:"from"`
	To    string `json:"to"`
	// Ref names where an environment value comes from
	// ("ssm:/prod/db/url", "secret:prod/db#password"); its value is never
	// shown.
	Ref string `json:"ref,omitempty"`
}

// FunctionPlan is the plan for one function.
type FunctionPlan struct {
	Name    string   `json:"name"`
	Action  Action   `json:"action"`
	Code    bool     `json:"code"`
	Config  []Change `json:"config"`
	Reasons []string `json:"reasons"`
	// Manage is "code" for a function whose configuration another tool
	// owns (manage: code): its configuration is never read, diffed or
	// written; "" when lamb manages everything.
	Manage string `json:"manage,omitempty"`
	// Rollout says how the alias will move to the new version, for a
	// function with a rollout: "10% → 50% → 100%, 1m0s apart, smoke
	// events/x.json, alarms a, max_errors 0".
	Rollout string `json:"rollout,omitempty"`
	// Upload says how the code goes to Lambda when Code is set: "direct"
	// (inline, up to MaxDirectUpload) or "s3://BUCKET".
	Upload string `json:"upload,omitempty"`
	// Error is why the function failed (ActionFailed), values hidden.
	Error string `json:"error,omitempty"`

	err          error // the failure behind Error
	desired      Desired
	red          *redact.Redactor          // hides the function's values in its failures
	live         *lambda.GetFunctionOutput // nil when the function does not exist
	configUpdate bool                      // UpdateFunctionConfiguration needed
	tagUpdate    bool                      // user tags differ
	publish      bool                      // the alias must move to a new version
	aliasMissing bool                      // the alias does not exist
	recreate     bool                      // delete the (Failed) function before creating it
	untag        []string                  // lamb's tags to remove
}

// codeOnly reports whether lamb manages only the function's code.
func (p *FunctionPlan) codeOnly() bool { return p.desired.Function.Manage == manifest.ManageCode }

// fail returns the failure of the function in op: the variables Lambda
// echoes dropped and the function's values hidden in err (never in its
// name or op).
func (p *FunctionPlan) fail(op string, err error) error {
	return failWith(p.red, p.Name, op, err)
}

// Label is the action as the text table shows it: an update says what
// it updates ("update code", "update config", "update code + config",
// "update alias"); the other actions are their names in words ("create",
// "no change", "adopt", "orphan", "create elsewhere", "failed").
func (p *FunctionPlan) Label() string {
	switch {
	case p.Action != ActionUpdate:
		return strings.ReplaceAll(string(p.Action), "-", " ")
	case p.Code && len(p.Config) > 0:
		return "update code + config"
	case p.Code:
		return "update code"
	case len(p.Config) > 0:
		return "update config"
	default:
		return "update alias"
	}
}

// Plan is the set of changes a deploy would make, sorted by function name.
// A function that could not be planned is in it too, as ActionFailed.
type Plan struct {
	Functions []FunctionPlan `json:"functions"`

	large string // how a zip over MaxDirectUpload planned direct goes: "s3://BUCKET", or "" (it fails)
}

// Changes counts the functions the plan creates or updates.
func (p *Plan) Changes() int {
	return len(p.Changed())
}

// Changed returns the names of the functions the plan creates or updates
// (not the unchanged or failed ones), in plan order.
func (p *Plan) Changed() []string {
	names := []string{}
	for _, f := range p.Functions {
		if f.Action == ActionCreate || f.Action == ActionUpdate || f.Action == ActionAdopt {
			names = append(names, f.Name)
		}
	}
	return names
}

// Failed counts the functions that failed.
func (p *Plan) Failed() int {
	n := 0
	for _, f := range p.Functions {
		if f.Action == ActionFailed {
			n++
		}
	}
	return n
}

// Only returns the plan of the functions named (in plan order): Deploy
// of it deploys those alone. The function plans are copies: failing one
// in p later does not change the other.
func (p *Plan) Only(names ...string) *Plan {
	out := &Plan{Functions: []FunctionPlan{}, large: p.large}
	for _, f := range p.Functions {
		if slices.Contains(names, f.Name) {
			out.Functions = append(out.Functions, f)
		}
	}
	return out
}

// Fail marks the named function failed with err (a fingerprint or build
// error, say): Deploy reports it failed and deploys the others. A function
// not in the plan yet is added. err's message is redacted with the
// function's values.
func (p *Plan) Fail(name string, err error) {
	i, found := slices.BinarySearchFunc(p.Functions, name, func(f FunctionPlan, name string) int { return strings.Compare(f.Name, name) })
	if !found {
		p.Functions = slices.Insert(p.Functions, i, FunctionPlan{Name: name})
	}
	p.Functions[i].setFailed(err)
}

// setFailed makes p a failed plan: nothing of it is deployed.
func (p *FunctionPlan) setFailed(err error) {
	if err == nil {
		err = errors.New("failed")
	}
	err = p.red.Error(err)
	p.Action, p.Code, p.Upload, p.err, p.Error = ActionFailed, false, "", err, err.Error()
	p.Config, p.Reasons = []Change{}, []string{}
	p.configUpdate, p.tagUpdate, p.publish, p.aliasMissing, p.recreate = false, false, false, false, false
}

// UploadDirect is FunctionPlan.Upload for code sent inline.
const UploadDirect = "direct"

// upload is how this deployer sends code of a size not known yet: through
// the artifact bucket when every package goes there, else inline.
func (d *Deployer) upload() string {
	if d.opts.Bucket != "" && !d.opts.BucketForLarge {
		return "s3://" + d.opts.Bucket
	}
	return UploadDirect
}

// large is how this deployer sends a zip over MaxDirectUpload that would
// go inline: through the bucket with BucketForLarge, else not at all ("").
func (d *Deployer) large() string {
	if d.opts.Bucket != "" && d.opts.BucketForLarge {
		return "s3://" + d.opts.Bucket
	}
	return ""
}

// CheckUploads checks the zips' sizes (bytes, by function name: built, or
// known from a cache) against how the plan uploads them: a zip over
// Lambda's direct upload limit goes through the bucket when the deployer
// sends large ones there (Options.BucketForLarge; Upload says so), and
// fails its function before anything is sent when there is no bucket. Call
// it before building with the sizes already known and after building with
// the rest (Deploy checks its artifacts the same way). It returns those
// failures, one a line.
func (p *Plan) CheckUploads(sizes map[string]int64) error {
	var merr *multierror.Error
	for i := range p.Functions {
		f := &p.Functions[i]
		size, ok := sizes[f.Name]
		if !ok || !f.Code {
			continue
		}
		via, err := route(f.Upload, p.large, size)
		if err != nil {
			err = failure.New(f.Name, "upload", err)
			f.setFailed(err)
			merr = failure.Append(merr, err)
			continue
		}
		f.Upload = via
	}
	return merr.ErrorOrNil()
}

// route returns how a zip of size bytes planned to go the way upload says
// is sent: that way, or large ("s3://BUCKET") when it is too big to go
// inline. Without a way for it, it says what to do.
func route(upload, large string, size int64) (string, error) {
	switch {
	case upload != UploadDirect || size <= MaxDirectUpload:
		return upload, nil
	case large != "":
		return large, nil
	}
	return "", fmt.Errorf("the zip is %.1f MB (%d bytes), over Lambda's direct upload limit of %d bytes (50 MB): set artifact_bucket in the stage so that it goes through S3",
		float64(size)/(1<<20), size, MaxDirectUpload)
}

// NeedCode returns the names of the functions whose code must be built and
// uploaded: only those need an Artifact.
func (p *Plan) NeedCode() []string {
	var names []string
	for _, f := range p.Functions {
		if f.Code {
			names = append(names, f.Name)
		}
	}
	return names
}

// Plan reads every desired function from Lambda (GetFunction, and the
// alias's version when the function has an alias) and decides what a
// deploy must do. Nothing is built. The plan is returned even when some
// lookups fail: those functions are in it as failed, the error lists every
// failure, one line each, and Deploy reports them failed and deploys the
// others.
func (d *Deployer) Plan(ctx context.Context, desired []Desired) (*Plan, error) {
	if err := d.CheckAccount(ctx); err != nil {
		return failAll(desired, err), err
	}
	desired = slices.Clone(desired)
	slices.SortFunc(desired, func(a, b Desired) int { return strings.Compare(a.Function.Name, b.Function.Name) })
	res := d.newResolver()
	plans := make([]FunctionPlan, len(desired))
	errs := make([]error, len(desired))
	var g errgroup.Group
	g.SetLimit(max(d.opts.Concurrency, 8))
	for i, want := range desired {
		g.Go(func() error {
			plans[i], errs[i] = d.planOne(ctx, want, res)
			return nil
		})
	}
	_ = g.Wait()
	var merr *multierror.Error
	for i, err := range errs {
		if err != nil {
			merr = failure.Append(merr, err)
			plans[i].setFailed(err)
			continue
		}
		if plans[i].Code {
			plans[i].Upload = d.upload()
		}
	}
	orphans, err := d.orphans(ctx)
	merr = failure.Append(merr, err)
	return &Plan{Functions: insertSorted(plans, orphans), large: d.large()}, merr.ErrorOrNil()
}

func (d *Deployer) planOne(ctx context.Context, want Desired, res *resolver) (FunctionPlan, error) {
	fn := want.Function
	p := FunctionPlan{Name: fn.Name, desired: want, red: redactorOf(fn), Config: []Change{}, Reasons: []string{}}
	ro, err := d.rolloutOf(want)
	if err != nil {
		return p, p.fail("rollout", err)
	}
	p.desired.Rollout = ro
	codeOnly := p.codeOnly()
	if codeOnly {
		p.Manage = manifest.ManageCode
	} else if len(fn.EnvRefs) > 0 {
		// The plan's own copy of the function holds the resolved values:
		// they are written and compared like literal ones, hidden always,
		// and never leave the plan.
		env, err := res.resolveEnv(ctx, fn)
		if err != nil {
			return p, p.fail("resolve environment", err)
		}
		fn.Environment = env
		p.desired.Function.Environment = env
		p.red = redactorOf(fn)
		if err := checkEnvSize(fn); err != nil {
			return p, p.fail("environment", err)
		}
	}
	live, err := d.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn.Name)})
	if isNotFound(err) && codeOnly {
		p.Action = ActionCreateElsewhere
		p.Reasons = append(p.Reasons, "not created yet: create it with the tool that owns it (Terraform, CDK, CloudFormation); lamb deploys its code once it exists")
		return p, nil
	}
	if isNotFound(err) {
		p.Action = ActionCreate
		p.Code = true
		p.Reasons = append(p.Reasons, "function does not exist")
		return p, nil
	}
	if err != nil {
		return p, p.fail("get function", err)
	}
	if live.Configuration == nil {
		return p, p.fail("get function", errors.New("response has no configuration"))
	}
	cfg := live.Configuration
	p.red.Keep(aws.ToString(cfg.FunctionArn)) // a value like "us-east-1" stays in ARNs
	if cfg.State == types.StateFailed && codeOnly {
		return p, p.fail("plan", fmt.Errorf("the function is in state Failed (%s): fix it with the tool that owns its configuration (manage: code)", p.red.String(aws.ToString(cfg.StateReason))))
	}
	if cfg.State == types.StateFailed && live.Tags[TagFingerprint] == "" {
		if owner := d.owner(); owner != "" && live.Tags[TagProject] != owner {
			return p, p.fail("plan", fmt.Errorf("the function is in state Failed (%s) and lamb did not create it (no %s=%s tag): fix or delete it with the tool that created it", p.red.String(aws.ToString(cfg.StateReason)), TagProject, owner))
		}
		// Its creation failed (lamb's tags come last, so it never
		// finished a deploy): a Failed function accepts no update.
		p.Action = ActionCreate
		p.Code = true
		p.recreate = true
		p.Reasons = append(p.Reasons, "creation failed earlier (state Failed: "+p.red.String(aws.ToString(cfg.StateReason))+"): delete and create again")
		return p, nil
	}
	p.live = live
	if got := live.Tags[TagProject]; codeOnly && got != "" {
		// lamb does not own a code-only function: it must never be
		// pruned as an orphan.
		p.untag = []string{TagProject}
		p.tagUpdate = true
		p.Config = append(p.Config, Change{Field: "tags." + TagProject, From: got})
	}
	if owner := d.owner(); owner != "" && !codeOnly {
		switch got := live.Tags[TagProject]; {
		case got == owner:
		case got != "":
			return p, p.fail("plan", fmt.Errorf("the function is tagged %s=%s, not %s: it belongs to another project or stage (to move it, remove the tag)", TagProject, got, owner))
		default:
			p.tagUpdate = true
			p.Config = append(p.Config, Change{Field: "tags." + TagProject, To: owner})
		}
	}

	// Code: the fingerprint tag says which source is live; the code tag
	// says which package lamb uploaded, to catch changes made by hand.
	tagFP, tagSha := live.Tags[TagFingerprint], live.Tags[TagCodeSha256]
	liveSha := aws.ToString(cfg.CodeSha256)
	adopt := !slices.ContainsFunc(LambTagKeys[:], func(k string) bool { return live.Tags[k] != "" })
	switch {
	case adopt:
		p.Code = true
		p.Reasons = append(p.Reasons, "not deployed by lamb (none of its tags): adopted; the code is uploaded only if the live CodeSha256 is not the build's")
	case tagFP == "":
		p.Code = true
		p.Reasons = append(p.Reasons, "no "+TagFingerprint+" tag: not deployed by lamb yet, or an earlier deploy did not finish")
	case tagFP != want.Fingerprint:
		p.Code = true
		p.Reasons = append(p.Reasons, fmt.Sprintf("fingerprint changed: %s → %s", short(tagFP), short(want.Fingerprint)))
	case tagSha != liveSha:
		p.Code = true
		p.Reasons = append(p.Reasons, fmt.Sprintf("drift: live code %s is not the code lamb deployed (%s): changed outside lamb", liveSha, tagSha))
	}
	if cfg.LastUpdateStatus == types.LastUpdateStatusFailed {
		p.Code = true
		p.Reasons = append(p.Reasons, "the last update failed: "+p.red.String(aws.ToString(cfg.LastUpdateStatusReason)))
	}
	if a := liveArchitecture(cfg); codeOnly && fn.Architecture != "" && a != fn.Architecture {
		return p, p.fail("plan", fmt.Errorf("the function runs on %s and the manifest builds for %s: set architecture: %s (lamb does not change the configuration of a manage: code function)", a, fn.Architecture, a))
	}
	if a := liveArchitecture(cfg); fn.Architecture != "" && a != fn.Architecture {
		p.Code = true
		p.Config = append(p.Config, Change{Field: "architecture", From: a, To: fn.Architecture})
		p.Reasons = append(p.Reasons, "architecture changed: the code is rebuilt")
	}

	if !codeOnly {
		changes := configChanges(fn, cfg, d.opts.ShowValues)
		if len(changes) > 0 {
			p.configUpdate = true
			p.Config = append(p.Config, changes...)
		}
		if tc := tagChanges(fn.Tags, live.Tags); len(tc) > 0 {
			p.tagUpdate = true
			p.Config = append(p.Config, tc...)
		}
	}

	// A rollout that was interrupted (kill -9) leaves the alias split
	// between two versions: the deploy resumes it (or moves the alias at
	// once with NoRollout).
	aliasLatest := false // the alias is on $LATEST: a rollout cannot split it
	if fn.Alias != "" && p.desired.Rollout != nil {
		al, err := d.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(fn.Name), Name: aws.String(fn.Alias)})
		switch {
		case isNotFound(err):
		case err != nil:
			return p, p.fail("get alias "+fn.Alias, err)
		default:
			aliasLatest = aws.ToString(al.FunctionVersion) == latest
			if split := splitAlias(fn.Alias, al); split != "" {
				p.publish = true
				next := "the deploy resumes the rollout"
				if d.opts.NoRollout {
					next = "the deploy moves it at once (--no-rollout)"
				}
				p.Reasons = append(p.Reasons, split+" (an interrupted rollout): "+next)
			}
		}
	}

	// The alias must point to a version holding the desired code and
	// configuration. When the code or configuration changes it moves anyway.
	if fn.Alias != "" && !p.Code && !p.configUpdate {
		reason, missing, err := d.aliasStale(ctx, &p, liveSha)
		if err != nil {
			return p, err
		}
		p.aliasMissing = missing
		if reason != "" {
			p.publish = true
			p.Reasons = append(p.Reasons, reason)
		}
	}
	if ro := p.desired.Rollout; ro != nil && fn.Alias != "" && (p.Code || p.configUpdate || p.publish) {
		skip := ""
		switch {
		case d.opts.NoRollout:
			skip = skipNoRollout
		case aliasLatest:
			skip = skipLatest
		}
		p.Rollout = ro.describe(skip)
	}
	if adopt {
		p.Action = ActionAdopt
	} else if p.Code || p.configUpdate || p.tagUpdate || p.publish {
		p.Action = ActionUpdate
	} else {
		p.Action = ActionNoChange
	}
	return p, nil
}

// aliasStale says why fn's alias must move, or "" when it points to a
// version with code sha and the desired configuration.
func (d *Deployer) aliasStale(ctx context.Context, p *FunctionPlan, sha string) (reason string, missing bool, err error) {
	fn := p.desired.Function
	out, err := d.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn.Name), Qualifier: aws.String(fn.Alias)})
	if isNotFound(err) {
		return fmt.Sprintf("alias %s does not exist", fn.Alias), true, nil
	}
	if err != nil {
		return "", false, p.fail("get alias "+fn.Alias, err)
	}
	cfg := out.Configuration
	if cfg == nil {
		return "", false, p.fail("get alias "+fn.Alias, errors.New("response has no configuration"))
	}
	v := aws.ToString(cfg.Version)
	switch {
	case v == latest:
		// Not frozen: it changes with every update, and a rollout
		// cannot shift traffic from it.
		return fmt.Sprintf("alias %s points to %s, not a published version: publish and point it at the version", fn.Alias, latest), false, nil
	case aws.ToString(cfg.CodeSha256) != sha:
		return fmt.Sprintf("alias %s points to version %s, which does not hold the deployed code", fn.Alias, v), false, nil
	case p.codeOnly():
		// The configuration is another tool's: what the alias serves
		// must be what $LATEST has, whatever that is.
		if diff := versionDiff(cfg, p.live.Configuration); len(diff) > 0 {
			return fmt.Sprintf("alias %s points to version %s, whose %s is not %s's: configuration changed outside lamb (managed elsewhere): publish", fn.Alias, v, strings.Join(diff, ", "), latest), false, nil
		}
	case len(configChanges(fn, cfg, false)) > 0 || (fn.Architecture != "" && liveArchitecture(cfg) != fn.Architecture):
		return fmt.Sprintf("alias %s points to version %s, which has an outdated configuration", fn.Alias, v), false, nil
	}
	return "", false, nil
}

// latest is the unpublished version of a function.
const latest = "$LATEST"

// versionDiff names the settings a published version froze that differ
// between two versions of a function (a version and $LATEST): those that
// change how it runs. Not the code (compared on its own), nor what differs
// between versions by nature (ARN, revision, dates, state) or by AWS's
// doing (the runtime version, SnapStart's optimization status), nor the
// description (PublishVersion may set its own).
func versionDiff(a, b *types.FunctionConfiguration) []string {
	var diff []string
	add := func(name string, same bool) {
		if !same {
			diff = append(diff, name)
		}
	}
	add("runtime", a.Runtime == b.Runtime)
	add("handler", aws.ToString(a.Handler) == aws.ToString(b.Handler))
	add("memory", aws.ToInt32(a.MemorySize) == aws.ToInt32(b.MemorySize))
	add("timeout", aws.ToInt32(a.Timeout) == aws.ToInt32(b.Timeout))
	add("role", aws.ToString(a.Role) == aws.ToString(b.Role))
	add("environment", maps.Equal(envOf(a), envOf(b)))
	add("architecture", liveArchitecture(a) == liveArchitecture(b))
	add("layers", slices.Equal(layerARNs(a), layerARNs(b)))
	add("vpc", vpcOf(a) == vpcOf(b))
	add("ephemeral storage", ephemeralOf(a) == ephemeralOf(b))
	add("tracing", tracingOf(a) == tracingOf(b))
	add("dead letter queue", a.DeadLetterConfig == nil && b.DeadLetterConfig == nil ||
		a.DeadLetterConfig != nil && b.DeadLetterConfig != nil && aws.ToString(a.DeadLetterConfig.TargetArn) == aws.ToString(b.DeadLetterConfig.TargetArn))
	add("kms key", aws.ToString(a.KMSKeyArn) == aws.ToString(b.KMSKeyArn))
	add("file systems", slices.EqualFunc(a.FileSystemConfigs, b.FileSystemConfigs, func(x, y types.FileSystemConfig) bool {
		return aws.ToString(x.Arn) == aws.ToString(y.Arn) && aws.ToString(x.LocalMountPath) == aws.ToString(y.LocalMountPath)
	}))
	add("logging", loggingOf(a) == loggingOf(b))
	add("snapstart", snapStartOf(a) == snapStartOf(b))
	return diff
}

func envOf(c *types.FunctionConfiguration) map[string]string {
	if c.Environment == nil {
		return nil
	}
	return c.Environment.Variables
}

func layerARNs(c *types.FunctionConfiguration) []string {
	arns := make([]string, len(c.Layers))
	for i, l := range c.Layers {
		arns[i] = aws.ToString(l.Arn)
	}
	return arns
}

func vpcOf(c *types.FunctionConfiguration) string {
	if c.VpcConfig == nil {
		return ""
	}
	v := c.VpcConfig
	return fmt.Sprint(slices.Sorted(slices.Values(v.SubnetIds)), slices.Sorted(slices.Values(v.SecurityGroupIds)), aws.ToBool(v.Ipv6AllowedForDualStack))
}

func ephemeralOf(c *types.FunctionConfiguration) int32 {
	if c.EphemeralStorage == nil {
		return 0
	}
	return aws.ToInt32(c.EphemeralStorage.Size)
}

func tracingOf(c *types.FunctionConfiguration) types.TracingMode {
	if c.TracingConfig == nil {
		return ""
	}
	return c.TracingConfig.Mode
}

func loggingOf(c *types.FunctionConfiguration) string {
	if c.LoggingConfig == nil {
		return ""
	}
	l := c.LoggingConfig
	return fmt.Sprint(l.LogFormat, aws.ToString(l.LogGroup), l.ApplicationLogLevel, l.SystemLogLevel)
}

func snapStartOf(c *types.FunctionConfiguration) types.SnapStartApplyOn {
	if c.SnapStart == nil {
		return ""
	}
	return c.SnapStart.ApplyOn
}

// configChanges lists the configuration fields of cfg that differ from fn,
// sorted by field. Zero values in fn are not managed. Environment values
// are hidden unless show.
func configChanges(fn manifest.Function, cfg *types.FunctionConfiguration, show bool) []Change {
	var cs []Change
	add := func(field, from, to string) {
		if from != to {
			cs = append(cs, Change{Field: field, From: from, To: to})
		}
	}
	if fn.Runtime != "" {
		add("runtime", string(cfg.Runtime), fn.Runtime)
	}
	add("handler", aws.ToString(cfg.Handler), handler)
	if fn.Memory != 0 {
		add("memory", itoa(cfg.MemorySize), strconv.Itoa(fn.Memory))
	}
	if fn.Timeout != 0 {
		add("timeout", itoa(cfg.Timeout), strconv.Itoa(fn.Timeout))
	}
	if fn.Role != "" {
		add("role", aws.ToString(cfg.Role), fn.Role)
	}
	var liveEnv map[string]string
	if cfg.Environment != nil {
		liveEnv = cfg.Environment.Variables
	}
	for _, k := range sortedKeys(liveEnv, fn.Environment) {
		from, inLive := liveEnv[k]
		to, inRepo := fn.Environment[k]
		if inLive && inRepo && from == to {
			continue
		}
		c := Change{Field: "environment." + k, From: from, To: to}
		ref, isRef := fn.EnvRefs[k]
		if isRef {
			c.Ref = ref.String()
		}
		if !show || isRef { // a referenced value is never shown
			c.From, c.To = mask(from, inLive), mask(to, inRepo)
			if c.From == c.To { // both hidden: say it changed without saying how
				c.To = hidden + " (changed)"
			}
		}
		cs = append(cs, c)
	}
	return cs
}

// tagChanges lists the user tags of want that live lacks or holds with
// another value. Tags lamb did not write are left alone: removing a tag
// from the manifest does not remove it from the function.
func tagChanges(want, live map[string]string) []Change {
	var cs []Change
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if v, ok := live[k]; !ok || v != want[k] {
			cs = append(cs, Change{Field: "tags." + k, From: v, To: want[k]})
		}
	}
	return cs
}

func mask(v string, present bool) string {
	if !present {
		return ""
	}
	return hidden
}

func sortedKeys(a, b map[string]string) []string {
	keys := slices.Collect(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

func itoa(p *int32) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(int(*p))
}

func liveArchitecture(cfg *types.FunctionConfiguration) string {
	if len(cfg.Architectures) == 0 {
		return string(types.ArchitectureX8664) // Lambda's default
	}
	return string(cfg.Architectures[0])
}

// short abbreviates a fingerprint for display.
func short(fp string) string {
	if len(fp) > 12 {
		return fp[:12]
	}
	return fp
}

func isNotFound(err error) bool {
	var nf *types.ResourceNotFoundException
	return errors.As(err, &nf)
}
