package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/lambctl/lamb/deployer"
	"github.com/lambctl/lamb/emulator"
	"github.com/lambctl/lamb/internal/failure"
	"github.com/lambctl/lamb/internal/lambdaspec"
	"github.com/lambctl/lamb/manifest"
)

// TargetOptions say where lamb deploys and invokes: the local Lambda
// (Local), an endpoint (Endpoint), or AWS through the SDK's default
// configuration chain.
type TargetOptions struct {
	Local    bool
	Endpoint string
	// Profile and Region override the SDK's configuration chain (--profile,
	// --region); the stage's region comes next, then the chain.
	Profile string
	Region  string
	// Getenv reads the environment; nil means none is set.
	Getenv func(string) string
	// ProbeTimeout bounds asking an endpoint whether it is a lamb local;
	// default 2s.
	ProbeTimeout time.Duration
}

// Check validates the options: a usage error, before any build or AWS call.
func (o TargetOptions) Check() error {
	if o.Local && o.Endpoint != "" {
		return failure.Usagef("--local and --endpoint are exclusive")
	}
	if o.Endpoint != "" {
		u, err := url.Parse(o.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return failure.Usagef("--endpoint %q: want an http or https URL", o.Endpoint)
		}
	}
	return nil
}

// Target is a connected Lambda API and its neighbours: STS (the stage's
// account), Parameter Store and Secrets Manager (environment references),
// CloudWatch (rollout gates), CloudWatch Logs (lamb logs) — on AWS, or all
// served by the local Lambda.
type Target struct {
	Lambda         *lambda.Client
	STS            *sts.Client
	SSM            *ssm.Client
	SecretsManager *secretsmanager.Client
	CloudWatch     *cloudwatch.Client
	Logs           *cloudwatchlogs.Client
	// S3 uploads zips to Bucket: AWS's S3 (every package with the stage's
	// artifact_bucket; without one a package over 50 MB fails), or the
	// local Lambda's own S3 endpoint (packages over 50 MB, so a 60 MB
	// function deploys as on AWS). Nil for an endpoint that is not a lamb
	// local.
	S3 *s3.Client
	// Bucket is the bucket packages go through ("" sends them inline).
	Bucket string
	// Local is the in-process local Lambda, with --local.
	Local *Local
	// Region is the region the clients use.
	Region string
	// WaitMinDelay is the poll interval of the deployer's waiters (short
	// for the local Lambda; 0 means the SDK's default).
	WaitMinDelay time.Duration
	// Arch is the architecture every function must be built for because
	// the target runs them on its own machine: this one's with --local,
	// the emulator's with an --endpoint that is a lamb local. "" keeps
	// each function's own.
	Arch string
	// Emulator is what a lamb local at --endpoint said about itself (GET
	// /_lamb/info); nil otherwise.
	Emulator *emulator.Info
}

// DeployLambda is the Lambda API a deployer of this target uses: Lambda,
// except that the in-process local Lambda (--local, lamb dev) takes code
// updates in process (localLambda).
func (t *Target) DeployLambda() deployer.LambdaAPI {
	if t.Local != nil {
		return localLambda{Client: t.Lambda, srv: t.Local.Server}
	}
	return t.Lambda
}

// localLambda is the SDK's client of a local Lambda running in this
// process, whose UpdateFunctionCode with an inline package is made in
// process (emulator.Server.UpdateFunctionCodeInProcess: the same handler,
// without the package going through base64 in JSON and HTTP), and over
// HTTP when that fails, so that errors are the SDK's as from any Lambda.
// Its output is then empty: the deployer reads the function afterwards.
type localLambda struct {
	*lambda.Client
	srv *emulator.Server
}

func (c localLambda) UpdateFunctionCode(ctx context.Context, in *lambda.UpdateFunctionCodeInput, opts ...func(*lambda.Options)) (*lambda.UpdateFunctionCodeOutput, error) {
	if len(in.ZipFile) > 0 && in.S3Bucket == nil && in.S3Key == nil && !in.DryRun {
		archs := make([]string, len(in.Architectures))
		for i, a := range in.Architectures {
			archs[i] = string(a)
		}
		if in.Architectures == nil {
			archs = nil
		}
		sha, _ := deployer.ZipSha256(ctx) // computed once, where the zip was made
		code := emulator.InProcessCode{Zip: in.ZipFile, Sha256: sha}
		if c.srv.UpdateFunctionCodeInProcess(ctx, aws.ToString(in.FunctionName), code, archs, aws.ToString(in.RevisionId), in.Publish) {
			return &lambda.UpdateFunctionCodeOutput{}, nil
		}
	}
	return c.Client.UpdateFunctionCode(ctx, in, opts...)
}

// Close stops the local Lambda, if any.
func (t *Target) Close() error {
	if t.Local != nil {
		return t.Local.Close()
	}
	return nil
}

// Connect connects to the target o names for manifest m (its root holds
// .lamb/local; its stage may name a region). A missing region or a bad
// endpoint is a usage error.
func Connect(ctx context.Context, m *manifest.Manifest, o TargetOptions) (*Target, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	getenv := o.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if o.Local {
		return connectLocal(m)
	}
	cfg, err := LoadAWSConfig(ctx, m, o)
	if err != nil {
		return nil, err
	}
	t := &Target{}
	if o.Endpoint != "" {
		if cfg.Region == "" {
			cfg.Region = "us-east-1"
		}
		if IsLoopback(o.Endpoint) && getenv("AWS_ACCESS_KEY_ID") == "" && getenv("AWS_PROFILE") == "" {
			// A local emulator does not check signatures.
			cfg.Credentials = credentials.NewStaticCredentialsProvider("lamb", "lamb", "")
		}
		t.Lambda = lambda.NewFromConfig(cfg, func(lo *lambda.Options) { lo.BaseEndpoint = aws.String(o.Endpoint) })
		t.neighbours(cfg, o.Endpoint)
		t.Region = cfg.Region
		timeout := o.ProbeTimeout
		if timeout == 0 {
			timeout = 2 * time.Second
		}
		if info := ProbeEmulator(ctx, o.Endpoint, timeout); info != nil {
			t.Emulator = info
			t.Arch = info.HostArch
			if info.S3Endpoint != "" {
				t.S3 = localS3(cfg, info.S3Endpoint)
				t.Bucket = localBucket(m, info.S3Bucket)
			}
		}
		return t, nil
	}
	if cfg.Region == "" {
		return nil, failure.Usagef("no AWS region: pass --region, set AWS_REGION, a region in your AWS profile, or region in the stage")
	}
	// Fail once, clearly, rather than once per function.
	if cfg.Credentials == nil {
		return nil, fmt.Errorf("aws credentials: none found; %s", credentialsHelp)
	}
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if _, err := cfg.Credentials.Retrieve(cctx); err != nil {
		return nil, credentialsError(err)
	}
	t.Region = cfg.Region
	t.Lambda = lambda.NewFromConfig(cfg)
	t.S3 = s3.NewFromConfig(cfg)
	t.neighbours(cfg, "")
	if m != nil && m.Stage != nil {
		t.Bucket = m.Stage.ArtifactBucket
	}
	return t, nil
}

// LoadAWSConfig loads the SDK configuration for AWS (and S3 caches):
// --profile and --region first, then the stage's region, then the SDK's
// chain (environment, shared config, SSO). A profile that does not exist
// is a usage error.
func LoadAWSConfig(ctx context.Context, m *manifest.Manifest, o TargetOptions) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{config.WithRetryer(deployer.NewRetryer)}
	switch {
	case o.Region != "":
		opts = append(opts, config.WithRegion(o.Region))
	case m != nil && m.Stage != nil && m.Stage.Region != "":
		opts = append(opts, config.WithRegion(m.Stage.Region))
	}
	if o.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.Profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, failure.Usage(fmt.Errorf("aws configuration: %w", err))
	}
	return cfg, nil
}

// credentialsHelp says how to give lamb credentials.
const credentialsHelp = "configure them with `aws configure`, pick a profile with --profile or AWS_PROFILE, log in with `aws sso login --profile NAME`, or in GitHub Actions use aws-actions/configure-aws-credentials with OIDC (role-to-assume)"

// credentialsError turns the SDK's failure to find credentials (its last
// attempt is the EC2 instance metadata service, whose error says nothing
// useful off EC2) into what to do.
func credentialsError(err error) error {
	msg := err.Error()
	if strings.Contains(msg, "no EC2 IMDS role found") || strings.Contains(msg, "failed to refresh cached credentials") || strings.Contains(msg, "EC2 IMDS") || strings.Contains(msg, "failed to retrieve credentials") {
		return fmt.Errorf("aws credentials: none found; %s", credentialsHelp)
	}
	return fmt.Errorf("aws credentials: %w", err)
}

// connectLocal starts the local Lambda over Root/.lamb/local on a loopback
// listener and returns a target for it.
func connectLocal(m *manifest.Manifest) (*Target, error) {
	root := "."
	if m != nil {
		root = m.Root
	}
	l, err := StartLocal(LocalOptions{Dir: filepath.Join(root, ".lamb", "local")})
	if err != nil {
		return nil, err
	}
	t, err := LocalTarget(l, m)
	if err != nil {
		l.Close()
		return nil, err
	}
	return t, nil
}

// LocalTarget is the target of a local Lambda this process runs (--local,
// lamb dev): clients of its endpoint for Lambda, its neighbours and its
// own S3, functions built for this machine, short waiter polls. Closing
// the target stops l.
func LocalTarget(l *Local, m *manifest.Manifest) (*Target, error) {
	arch, err := lambdaspec.HostArch()
	if err != nil {
		return nil, err
	}
	t := &Target{Region: "us-east-1", WaitMinDelay: 2 * time.Millisecond, Arch: arch, Local: l}
	cfg := aws.Config{
		Region:      t.Region,
		Credentials: credentials.NewStaticCredentialsProvider("lamb", "lamb", ""),
		Retryer:     deployer.NewRetryer,
	}
	t.Lambda = lambda.NewFromConfig(cfg, func(lo *lambda.Options) { lo.BaseEndpoint = aws.String(l.URL) })
	t.neighbours(cfg, l.URL)
	t.S3 = localS3(cfg, emulator.S3Endpoint(l.URL))
	t.Bucket = localBucket(m, emulator.DefaultS3Bucket)
	return t, nil
}

// neighbours makes the clients of the services beside Lambda, at endpoint
// when it is set (an endpoint serves them all, as a lamb local does).
func (t *Target) neighbours(cfg aws.Config, endpoint string) {
	var ep *string
	if endpoint != "" {
		ep = aws.String(endpoint)
	}
	t.STS = sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = ep })
	t.SSM = ssm.NewFromConfig(cfg, func(o *ssm.Options) { o.BaseEndpoint = ep })
	t.SecretsManager = secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.BaseEndpoint = ep })
	t.CloudWatch = cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) { o.BaseEndpoint = ep })
	t.Logs = cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) { o.BaseEndpoint = ep })
}

// DeployerOptions are the options of a deployer for this target and the
// selection's manifest: the clients, the artifact bucket, the project,
// stage and account, every function of the manifest when the whole
// manifest is selected (orphans are looked for only then) and its root
// (for smoke events). Commands add their own flags' settings.
func (t *Target) DeployerOptions(sel *Selection) deployer.Options {
	o := deployer.Options{
		Lambda: t.DeployLambda(), WaitMinDelay: t.WaitMinDelay,
		STS: t.STS, SSM: t.SSM, SecretsManager: t.SecretsManager, CloudWatch: t.CloudWatch,
	}
	if t.S3 != nil {
		o.S3, o.Bucket = t.S3, t.Bucket
		// A local Lambda's S3 keeps what it is given in memory: only
		// packages over the direct-upload limit go through it.
		o.BucketForLarge = t.Local != nil || t.Emulator != nil
	}
	if sel == nil {
		return o
	}
	m := sel.Manifest
	o.Root = m.Root
	o.Project = m.Project
	if m.Stage != nil {
		o.Stage = m.Stage.Name
		o.Account = m.Stage.Account
	}
	if o.Project != "" && sel.Whole {
		for _, f := range m.Functions {
			o.ManifestFunctions = append(o.ManifestFunctions, f.Name)
		}
	}
	return o
}

// localS3 is a client of a local Lambda's own S3 endpoint (path-style).
func localS3(cfg aws.Config, endpoint string) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
	})
}

// localBucket is the bucket packages go through in a local Lambda: the
// stage's artifact_bucket (created there on first use), else def.
func localBucket(m *manifest.Manifest, def string) string {
	if m != nil && m.Stage != nil && m.Stage.ArtifactBucket != "" {
		return m.Stage.ArtifactBucket
	}
	return def
}

// ProbeEmulator asks the endpoint whether it is a lamb local (GET
// /_lamb/info). Anything but a 200 with its JSON (an error, a timeout,
// another answer) means an AWS-like endpoint: nil.
func ProbeEmulator(ctx context.Context, endpoint string, timeout time.Duration) *emulator.Info {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(endpoint, "/")+"/_lamb/info", nil)
	if err != nil {
		return nil
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil
	}
	var info emulator.Info
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&info); err != nil {
		return nil
	}
	if _, ok := lambdaspec.GOARCH(info.HostArch); info.Emulator != "lamb" || !ok {
		return nil
	}
	return &info
}

// IsLoopback reports whether the endpoint URL's host is this machine.
func IsLoopback(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
