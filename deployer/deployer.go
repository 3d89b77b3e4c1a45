// Package deployer compares built functions with what is live in Lambda and
// creates or updates only what differs.
//
// The live function is the source of truth: after a successful deploy the
// function carries the tags lamb:fingerprint and lamb:code-sha256, written
// last, so a deploy interrupted midway is redone by the next run. The
// deployer knows artifacts (zips with their CodeSha256), not how they were
// built: it never runs the go command.
package deployer

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambctl/lamb/internal/lambdaspec"
	"github.com/lambctl/lamb/manifest"
)

// Tag keys lamb writes on every function it deploys, under the prefix the
// manifest reserves (manifest.TagPrefix).
const (
	TagFingerprint = manifest.TagPrefix + "fingerprint"
	TagCodeSha256  = manifest.TagPrefix + "code-sha256"
	// TagProject marks the functions lamb deploys for a project and stage
	// (Options.Project, Options.Stage): its value is "project", or
	// "project/stage" with a stage. It is written when lamb creates a
	// function and on every deploy. A live function with it that the
	// manifest no longer has is an orphan; lamb never deletes a function
	// without it.
	TagProject = manifest.TagPrefix + "project"
)

// LambTagKeys are the tags lamb writes: the manifest counts them
// (manifest.LambTags) against Lambda's lambdaspec.MaxTags and leaves a
// function manifest.MaxUserTags of its own.
var LambTagKeys = [...]string{TagFingerprint, TagCodeSha256, TagProject}

// The manifest's count is the length of LambTagKeys: the build fails when
// they disagree.
var (
	_ [len(LambTagKeys) - manifest.LambTags]struct{}
	_ [manifest.LambTags - len(LambTagKeys)]struct{}
)

// Defaults of Options.
const (
	// DefaultRate keeps control-plane calls under Lambda's shared quota of
	// 15 requests per second per account and region.
	DefaultRate = 15
	// DefaultReadRate paces GetFunction, whose quota is 100 per second.
	DefaultReadRate = 100
	// DefaultConcurrency is how many functions deploy at once.
	DefaultConcurrency = 8
	// MaxDirectUpload is the largest zip sent inline (ZipFile); larger ones
	// need an artifact bucket (Options.Bucket).
	MaxDirectUpload = lambdaspec.DirectUploadLimit
)

// Artifact is a built deployment package.
type Artifact struct {
	Function    string // Lambda function name
	Fingerprint string
	Path        string // the zip on disk
	CodeSha256  string // standard base64 of the SHA-256 of the zip, as Lambda reports it
	Size        int64
	// Zip, when set, is the zip's content already in memory, of which
	// CodeSha256 is the SHA-256, computed from these very bytes by whoever
	// made them (builder.Artifact.Zip): it is sent as it is, without
	// reading Path and hashing it again. Otherwise Path is read and must
	// have CodeSha256.
	Zip []byte
}

// Desired is a function as the repository wants it to be.
type Desired struct {
	Function    manifest.Function
	Fingerprint string
	// Rollout, when set, shifts the alias's traffic to the new version
	// gradually with gates (smoke events, alarms, errors). nil takes the
	// manifest's (Function.Rollout, smoke files read from Options.Root);
	// none there moves the alias at once.
	Rollout *Rollout
}

// LambdaAPI is the part of the Lambda API the deployer uses.
type LambdaAPI interface {
	GetFunction(context.Context, *lambda.GetFunctionInput, ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error)
	CreateFunction(context.Context, *lambda.CreateFunctionInput, ...func(*lambda.Options)) (*lambda.CreateFunctionOutput, error)
	UpdateFunctionCode(context.Context, *lambda.UpdateFunctionCodeInput, ...func(*lambda.Options)) (*lambda.UpdateFunctionCodeOutput, error)
	UpdateFunctionConfiguration(context.Context, *lambda.UpdateFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.UpdateFunctionConfigurationOutput, error)
	PublishVersion(context.Context, *lambda.PublishVersionInput, ...func(*lambda.Options)) (*lambda.PublishVersionOutput, error)
	GetAlias(context.Context, *lambda.GetAliasInput, ...func(*lambda.Options)) (*lambda.GetAliasOutput, error)
	CreateAlias(context.Context, *lambda.CreateAliasInput, ...func(*lambda.Options)) (*lambda.CreateAliasOutput, error)
	UpdateAlias(context.Context, *lambda.UpdateAliasInput, ...func(*lambda.Options)) (*lambda.UpdateAliasOutput, error)
	ListAliases(context.Context, *lambda.ListAliasesInput, ...func(*lambda.Options)) (*lambda.ListAliasesOutput, error)
	ListVersionsByFunction(context.Context, *lambda.ListVersionsByFunctionInput, ...func(*lambda.Options)) (*lambda.ListVersionsByFunctionOutput, error)
	TagResource(context.Context, *lambda.TagResourceInput, ...func(*lambda.Options)) (*lambda.TagResourceOutput, error)
	DeleteFunction(context.Context, *lambda.DeleteFunctionInput, ...func(*lambda.Options)) (*lambda.DeleteFunctionOutput, error)
	ListFunctions(context.Context, *lambda.ListFunctionsInput, ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error)
	ListTags(context.Context, *lambda.ListTagsInput, ...func(*lambda.Options)) (*lambda.ListTagsOutput, error)
	UntagResource(context.Context, *lambda.UntagResourceInput, ...func(*lambda.Options)) (*lambda.UntagResourceOutput, error)
	Invoke(context.Context, *lambda.InvokeInput, ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

var _ LambdaAPI = (*lambda.Client)(nil)

// S3API is the part of the S3 API used to upload large packages.
type S3API interface {
	HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

var _ S3API = (*s3.Client)(nil)

// Options configure a Deployer.
type Options struct {
	// Lambda is the client; configure it with NewRetryer so throttling and
	// server errors are retried with backoff.
	Lambda LambdaAPI
	// S3 and Bucket (the stage's artifact_bucket): when Bucket is set,
	// every package is uploaded to s3://Bucket/lamb/<sha256>.zip (once:
	// keys are content hashes) and Lambda takes it from there. Without a
	// bucket packages go inline, and one over MaxDirectUpload fails its
	// function before anything is sent (Plan.CheckUploads, Deploy).
	S3     S3API
	Bucket string
	// BucketForLarge sends only the packages over MaxDirectUpload through
	// Bucket; the others go inline. For a local Lambda, whose own S3
	// endpoint (S3, Bucket) keeps every object it is given in memory.
	BucketForLarge bool
	// Concurrency is how many functions deploy at once; default DefaultConcurrency.
	Concurrency int
	// Rate is the client-side limit on control-plane requests per second
	// (every attempt counts); default DefaultRate. Negative disables it.
	Rate float64
	// ReadRate limits GetFunction calls per second; default DefaultReadRate.
	ReadRate float64
	// Project and Stage name the manifest's project and the selected
	// stage: with a Project, every function is tagged TagProject, and a
	// function tagged for another project or stage is not taken over.
	Project string
	Stage   string
	// ManifestFunctions, with a Project, are the names of every function
	// the manifest has for the stage (not only the selected ones): Plan
	// lists live functions tagged with the project and stage that are not
	// among them as orphans (ListFunctions, then ListTags for each
	// function not in the manifest, paced). nil: orphans are not looked
	// for.
	ManifestFunctions []string
	// Prune makes Deploy delete the plan's orphans, with their versions
	// and aliases, after checking their tag once more.
	Prune bool
	// Account, when set, is the AWS account the stage deploys to: Plan
	// and Deploy first check with STS GetCallerIdentity that the
	// credentials belong to it (CheckAccount), and refuse every function
	// when they do not.
	Account string
	STS     STSAPI
	// SSM and SecretsManager resolve environment references
	// (Function.EnvRefs) at plan time; required by functions that have
	// them. Values are read decrypted, kept in memory only and never
	// printed.
	SSM            SSMAPI
	SecretsManager SecretsManagerAPI
	// Root is the manifest's directory (manifest.Manifest.Root): rollout
	// smoke event files are read relative to it.
	Root string
	// CloudWatch reads a rollout's gates (DescribeAlarms, GetMetricData);
	// required by functions with a Rollout.
	CloudWatch CloudWatchAPI
	// NoRollout moves aliases at once even for functions with a Rollout
	// (smoke events still run); the result says so.
	NoRollout bool
	// Sleep waits between rollout steps (default: a timer that ends with
	// ctx); Now is the clock (default time.Now). Tests make waits instant.
	Sleep func(ctx context.Context, d time.Duration) error
	Now   func() time.Time
	// OnRollout, when set, is called at each rollout event (smoke passed,
	// shifted, gates passed, done, rolled back). It may be called
	// concurrently.
	OnRollout func(RolloutEvent)
	// KeepVersions, when positive, prunes published versions beyond the
	// newest KeepVersions that no alias references.
	KeepVersions int
	// ShowValues prints environment values in plans.
	ShowValues bool
	// Logger receives progress; default discards.
	Logger *slog.Logger
	// WaitMinDelay is the shortest poll interval of the SDK waiters;
	// default 1s (the SDK's).
	WaitMinDelay time.Duration
	// WaitTimeout bounds each wait for a function to become Active or
	// Updated; default 10 minutes.
	WaitTimeout time.Duration
	// OnStart and OnDone, when set, are called as each function's deploy
	// starts and ends (for a progress display). They may be called
	// concurrently.
	OnStart func(name string)
	OnDone  func(r FunctionResult)
}

// Deployer plans and deploys functions.
type Deployer struct {
	opts   Options
	lambda LambdaAPI
	log    *slog.Logger

	accountOnce sync.Once
	accountErr  error
}

// New returns a Deployer.
func New(opts Options) *Deployer {
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.Rate == 0 {
		opts.Rate = DefaultRate
	}
	if opts.ReadRate == 0 {
		opts.ReadRate = DefaultReadRate
	}
	if opts.WaitMinDelay <= 0 {
		opts.WaitMinDelay = time.Second
	}
	if opts.WaitTimeout <= 0 {
		opts.WaitTimeout = 10 * time.Minute
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Deployer{
		opts:   opts,
		lambda: newPaced(opts.Lambda, opts.Rate, opts.ReadRate),
		log:    log,
	}
}
