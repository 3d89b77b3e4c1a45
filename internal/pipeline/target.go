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
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"

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

// Target is a connected Lambda API.
type Target struct {
	Lambda *lambda.Client
	// S3 uploads large zips; nil with --local and --endpoint.
	S3 *s3.Client
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
		t.Region = cfg.Region
		timeout := o.ProbeTimeout
		if timeout == 0 {
			timeout = 2 * time.Second
		}
		if info := ProbeEmulator(ctx, o.Endpoint, timeout); info != nil {
			t.Emulator = info
			t.Arch = info.HostArch
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
// listener and returns a client for it.
func connectLocal(m *manifest.Manifest) (*Target, error) {
	root := "."
	if m != nil {
		root = m.Root
	}
	arch, err := lambdaspec.HostArch()
	if err != nil {
		return nil, err
	}
	l, err := StartLocal(LocalOptions{Dir: filepath.Join(root, ".lamb", "local")})
	if err != nil {
		return nil, err
	}
	t := &Target{Region: "us-east-1", WaitMinDelay: 10 * time.Millisecond, Arch: arch, Local: l}
	cfg := aws.Config{
		Region:      t.Region,
		Credentials: credentials.NewStaticCredentialsProvider("lamb", "lamb", ""),
		Retryer:     deployer.NewRetryer,
	}
	t.Lambda = lambda.NewFromConfig(cfg, func(lo *lambda.Options) { lo.BaseEndpoint = aws.String(l.URL) })
	return t, nil
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
