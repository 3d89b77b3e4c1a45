package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/spf13/pflag"

	"github.com/lambctl/lamb/deployer"
	"github.com/lambctl/lamb/emulator"
	"github.com/lambctl/lamb/emulator/rapi"
	"github.com/lambctl/lamb/manifest"
)

// targetOptions choose where lamb deploys (and invokes): the local Lambda
// (--local), an endpoint (--endpoint URL), or AWS through the SDK's default
// configuration chain.
type targetOptions struct {
	Local    bool
	Endpoint string
	// Manifest supplies the root (for .lamb/local) and the stage's region;
	// set it before calling newTarget.
	Manifest *manifest.Manifest
}

// register adds --local and --endpoint to fs.
func (o *targetOptions) register(fs *pflag.FlagSet) {
	fs.BoolVar(&o.Local, "local", false, "use the local Lambda in .lamb/local instead of AWS (functions are built for this machine's architecture)")
	fs.StringVar(&o.Endpoint, "endpoint", "", "send Lambda API calls to `URL` (an emulator) instead of AWS; a lamb local there runs functions built for its machine's architecture")
}

// check validates the flags: a usage error, before any build or AWS call.
func (o *targetOptions) check() error {
	if o.Local && o.Endpoint != "" {
		return usageError(errors.New("--local and --endpoint are exclusive"))
	}
	if o.Endpoint != "" {
		u, err := url.Parse(o.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usageError(fmt.Errorf("--endpoint %q: want an http or https URL", o.Endpoint))
		}
	}
	return nil
}

// hostArchitecture is the Lambda architecture of this machine.
func hostArchitecture() string { return emulator.HostArch() }

// target is a connected Lambda API: clients, and the in-process local
// Lambda with --local.
type target struct {
	Lambda *lambda.Client
	// S3 is nil with --local and --endpoint.
	S3 *s3.Client
	// Local is the in-process local Lambda, with --local.
	Local *emulator.Server
	// Region is the region the clients use.
	Region string
	// WaitMinDelay is the poll interval the deployer's waiters should use
	// (short for the local Lambda; 0 means the SDK's default).
	WaitMinDelay time.Duration
	// Arch is the architecture every function must be built for because
	// the target runs them on its own machine: the host's with --local,
	// the emulator's with an --endpoint that is a lamb local. "" keeps
	// each function's own.
	Arch string
	// Emulator is what a lamb emulator at --endpoint said about itself
	// (GET /_lamb/info); nil for --local and for other endpoints.
	Emulator *emulator.Info

	closers []func() error
}

// Close stops the local Lambda, if any.
func (t *target) Close() error {
	var errs []error
	for i := len(t.closers) - 1; i >= 0; i-- {
		errs = append(errs, t.closers[i]())
	}
	return errors.Join(errs...)
}

// newTarget connects to the target o names. A missing region or a bad
// endpoint is a usage error.
func newTarget(ctx context.Context, g *globalOptions, o targetOptions) (*target, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	if o.Local {
		return newLocalTarget(o)
	}
	var opts []func(*config.LoadOptions) error
	opts = append(opts, config.WithRetryer(deployer.NewRetryer))
	if o.Manifest != nil && o.Manifest.Stage != nil && o.Manifest.Stage.Region != "" {
		opts = append(opts, config.WithRegion(o.Manifest.Stage.Region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, usageError(fmt.Errorf("aws configuration: %w", err))
	}
	t := &target{}
	if o.Endpoint != "" {
		if cfg.Region == "" {
			cfg.Region = "us-east-1"
		}
		if isLoopback(o.Endpoint) && os.Getenv("AWS_ACCESS_KEY_ID") == "" && os.Getenv("AWS_PROFILE") == "" {
			// A local emulator does not check signatures.
			cfg.Credentials = credentials.NewStaticCredentialsProvider("lamb", "lamb", "")
		}
		t.Lambda = lambda.NewFromConfig(cfg, func(lo *lambda.Options) { lo.BaseEndpoint = aws.String(o.Endpoint) })
		t.Region = cfg.Region
		if info := probeEmulator(ctx, o.Endpoint); info != nil {
			t.Emulator = info
			t.Arch = info.HostArch
		}
		return t, nil
	}
	if cfg.Region == "" {
		return nil, usageError(errors.New("no AWS region: set AWS_REGION, a region in your AWS profile, or region in the stage"))
	}
	// Fail once, clearly, rather than once per function.
	if cfg.Credentials == nil {
		return nil, errors.New("aws credentials: none found (environment, shared config or SSO)")
	}
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if _, err := cfg.Credentials.Retrieve(cctx); err != nil {
		return nil, fmt.Errorf("aws credentials: %w", err)
	}
	t.Region = cfg.Region
	t.Lambda = lambda.NewFromConfig(cfg)
	t.S3 = s3.NewFromConfig(cfg)
	return t, nil
}

// newLocalTarget starts the local Lambda over Root/.lamb/local on a
// loopback listener and returns a client for it.
func newLocalTarget(o targetOptions) (*target, error) {
	root := "."
	if o.Manifest != nil {
		root = o.Manifest.Root
	}
	dir := filepath.Join(root, ".lamb", "local")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("local lambda: %w", err)
	}
	t := &target{Region: "us-east-1", WaitMinDelay: 10 * time.Millisecond, Arch: hostArchitecture()}
	runner, err := rapi.NewRunner(rapi.RunnerOptions{WorkDir: filepath.Join(dir, "run")})
	if err != nil {
		return nil, fmt.Errorf("local lambda: %w", err)
	}
	t.closers = append(t.closers, runner.Close)
	srv, err := emulator.New(emulator.Options{StateDir: filepath.Join(dir, "state"), Region: t.Region, Runtime: runner})
	if err != nil {
		t.Close()
		return nil, fmt.Errorf("local lambda: %w", err)
	}
	t.closers = append(t.closers, srv.Close)
	t.Local = srv
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Close()
		return nil, fmt.Errorf("local lambda: %w", err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	t.closers = append(t.closers, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return hs.Shutdown(ctx)
	})
	cfg := aws.Config{
		Region:      t.Region,
		Credentials: credentials.NewStaticCredentialsProvider("lamb", "lamb", ""),
		Retryer:     deployer.NewRetryer,
	}
	endpoint := "http://" + ln.Addr().String()
	t.Lambda = lambda.NewFromConfig(cfg, func(lo *lambda.Options) { lo.BaseEndpoint = aws.String(endpoint) })
	return t, nil
}

// functions returns fns as the target runs them: with --local, or an
// endpoint that is a lamb emulator, every function is built for the
// architecture of the machine that runs it. Call it before fingerprinting
// and building.
func (t *target) functions(fns []manifest.Function) []manifest.Function {
	if t.Arch == "" {
		return fns
	}
	out := make([]manifest.Function, len(fns))
	for i, f := range fns {
		f.Architecture = t.Arch
		out[i] = f
	}
	return out
}

// probeTimeout bounds probeEmulator: a lamb local answers at once (a
// variable for tests).
var probeTimeout = 2 * time.Second

// probeEmulator asks the endpoint whether it is a lamb emulator (GET
// /_lamb/info). Anything but a 200 with its JSON (an error, a timeout,
// another answer) means an AWS-like endpoint: nil.
func probeEmulator(ctx context.Context, endpoint string) *emulator.Info {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
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
	if info.Emulator != "lamb" || (info.HostArch != "x86_64" && info.HostArch != "arm64") {
		return nil
	}
	return &info
}

func isLoopback(endpoint string) bool {
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
