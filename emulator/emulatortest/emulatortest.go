// Package emulatortest starts lamb's local Lambda for tests: one call gives
// a server listening on loopback and real aws-sdk-go-v2 clients configured
// for it, closed when the test ends.
//
//	k := emulatortest.New(t, emulatortest.WithRuntime())
//	k.CreateFunction(t, emulatortest.CreateInput("fn", emulatortest.BuildFunction(t, dir, "./cmd/fn")))
//	out, err := k.Lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("fn")})
package emulatortest

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambctl/lamb/emulator"
	"github.com/lambctl/lamb/emulator/rapi"
	"github.com/lambctl/lamb/internal/lambdaspec"
)

// Role is a role ARN the local Lambda accepts (it checks the pattern only).
const Role = "arn:aws:iam::123456789012:role/lambda"

// Kit is a local Lambda served over HTTP on 127.0.0.1, and clients for it.
type Kit struct {
	Server *emulator.Server
	// URL is the server's base URL ("http://127.0.0.1:PORT"): the Lambda
	// API's endpoint.
	URL string
	// AWSConfig has the region, static credentials and BaseEndpoint URL,
	// with the options of WithAWSConfig applied: build other clients of
	// the local Lambda from it — the ssm, secretsmanager, sts,
	// cloudwatchlogs and cloudwatch clients too, whose services the
	// server answers at the same URL.
	AWSConfig aws.Config
	// Lambda is a real SDK client of the local Lambda built from
	// AWSConfig.
	Lambda *lambda.Client
	// S3Endpoint is the URL of the server's own S3 (emulator.S3Path), and
	// S3 a real client of it (path-style) built from AWSConfig: upload code
	// there and create functions with S3Bucket/S3Key.
	S3Endpoint string
	S3         *s3.Client
	// Runner runs the functions' code (WithRuntime); nil without it.
	Runner *rapi.Runner

	close     func() // the listener
	closeOnce sync.Once
	closeErr  error
}

type settings struct {
	opts    emulator.Options
	runtime bool
	runner  rapi.RunnerOptions
	wrap    func(http.Handler) http.Handler
	config  []func(*aws.Config)
}

// Option configures New.
type Option func(*settings)

// WithOptions sets the server's options (default: the zero Options, state
// in memory, no throttling).
func WithOptions(o emulator.Options) Option { return func(s *settings) { s.opts = o } }

// WithRuntime runs invoked code: a rapi.Runner working in a temporary
// directory becomes Options.Runtime (and Kit.Runner).
func WithRuntime() Option { return func(s *settings) { s.runtime = true } }

// WithRunnerOptions is WithRuntime with these runner options (a WorkDir
// of "" is a temporary directory).
func WithRunnerOptions(o rapi.RunnerOptions) Option {
	return func(s *settings) { s.runtime, s.runner = true, o }
}

// WithHandler serves the server through wrap (a fault-injecting or
// counting middleware, say).
func WithHandler(wrap func(http.Handler) http.Handler) Option {
	return func(s *settings) { s.wrap = wrap }
}

// WithAWSConfig edits Kit.AWSConfig before the clients are built: a
// Retryer, RetryMaxAttempts, an HTTPClient. The default makes one attempt
// per call, so that tests see every error the server answers.
func WithAWSConfig(edit func(*aws.Config)) Option {
	return func(s *settings) { s.config = append(s.config, edit) }
}

// New starts a local Lambda for the test and closes it (server, runner,
// listener) when the test ends.
func New(t testing.TB, opts ...Option) *Kit {
	t.Helper()
	var st settings
	for _, o := range opts {
		o(&st)
	}
	k := &Kit{}
	if st.runtime {
		ro := st.runner
		if ro.WorkDir == "" {
			ro.WorkDir = t.TempDir()
		}
		r, err := rapi.NewRunner(ro)
		if err != nil {
			t.Fatalf("emulatortest: %v", err)
		}
		k.Runner = r
		st.opts.Runtime = r
	}
	srv, err := emulator.New(st.opts)
	if err != nil {
		if k.Runner != nil {
			k.Runner.Close()
		}
		t.Fatalf("emulatortest: %v", err)
	}
	k.Server = srv
	var h http.Handler = srv
	if st.wrap != nil {
		h = st.wrap(srv)
	}
	ts := httptest.NewServer(h)
	k.close = ts.Close
	t.Cleanup(func() {
		if err := k.Close(); err != nil {
			t.Errorf("emulatortest: %v", err)
		}
	})
	k.URL = ts.URL
	region := st.opts.Region
	if region == "" {
		region = "us-east-1"
	}
	k.AWSConfig = aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider("lamb", "lamb", ""),
		BaseEndpoint:     aws.String(k.URL),
		RetryMaxAttempts: 1,
	}
	for _, edit := range st.config {
		edit(&k.AWSConfig)
	}
	k.Lambda = lambda.NewFromConfig(k.AWSConfig)
	k.S3Endpoint = emulator.S3Endpoint(k.URL)
	k.S3 = s3.NewFromConfig(k.AWSConfig, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(k.S3Endpoint)
		o.UsePathStyle = true
	})
	return k
}

// Close stops the listener, the server (see emulator.Server.Close: its
// state directory is released) and the runner. The test's end does it; a
// test that restarts a server over the same state directory calls it
// first. Closing twice is harmless.
func (k *Kit) Close() error {
	k.closeOnce.Do(func() {
		k.close()
		if err := k.Server.Close(); err != nil {
			k.closeErr = fmt.Errorf("close server: %w", err)
		}
		if k.Runner != nil {
			if err := k.Runner.Close(); err != nil {
				k.closeErr = errors.Join(k.closeErr, fmt.Errorf("close runner: %w", err))
			}
		}
	})
	return k.closeErr
}

// CreateInput is a CreateFunction input for a Go function: runtime
// provided.al2023, handler bootstrap, Role, and the architecture of this
// machine (where the code runs).
func CreateInput(name string, zip []byte) *lambda.CreateFunctionInput {
	arch, _ := lambdaspec.HostArch()
	return &lambda.CreateFunctionInput{
		FunctionName:  aws.String(name),
		Runtime:       types.RuntimeProvidedal2023,
		Role:          aws.String(Role),
		Handler:       aws.String("bootstrap"),
		Code:          &types.FunctionCode{ZipFile: zip},
		Architectures: []types.Architecture{types.Architecture(arch)},
	}
}

// CreateFunction creates the function and waits until it is Active.
func (k *Kit) CreateFunction(t testing.TB, in *lambda.CreateFunctionInput) *lambda.CreateFunctionOutput {
	t.Helper()
	out, err := k.Lambda.CreateFunction(context.Background(), in)
	if err != nil {
		t.Fatalf("create %s: %v", aws.ToString(in.FunctionName), err)
	}
	k.WaitActive(t, aws.ToString(in.FunctionName))
	return out
}

// WaitActive waits (the SDK's FunctionActiveV2 waiter, polling every few
// milliseconds, 10 s at most) until the function is Active.
func (k *Kit) WaitActive(t testing.TB, name string) {
	t.Helper()
	w := lambda.NewFunctionActiveV2Waiter(k.Lambda, func(o *lambda.FunctionActiveV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = time.Millisecond, 10*time.Millisecond
	})
	if err := w.Wait(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(name)}, 10*time.Second); err != nil {
		t.Fatalf("wait active %s: %v", name, err)
	}
}

// WaitUpdated waits (FunctionUpdatedV2) until the function's last update
// has ended, and returns the waiter's error: an update that ended Failed
// is an error.
func (k *Kit) WaitUpdated(t testing.TB, name string) error {
	t.Helper()
	w := lambda.NewFunctionUpdatedV2Waiter(k.Lambda, func(o *lambda.FunctionUpdatedV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = time.Millisecond, 10*time.Millisecond
	})
	return w.Wait(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(name)}, 10*time.Second)
}

// Zip returns a deployment package holding files (name → content), every
// file executable, in name order.
func Zip(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(0o755)
		w, err := zw.CreateHeader(h)
		if err == nil {
			_, err = w.Write([]byte(files[name]))
		}
		if err != nil {
			t.Fatalf("emulatortest: zip: %v", err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatalf("emulatortest: zip: %v", err)
	}
	return buf.Bytes()
}

// BootstrapZip is a deployment package holding bin as an executable
// bootstrap, stored uncompressed (extraction is then a copy, which keeps
// -race runs fast).
func BootstrapZip(bin []byte) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Store}
	h.SetMode(0o755)
	w, _ := zw.CreateHeader(h) // writes to a bytes.Buffer do not fail
	w.Write(bin)
	zw.Close()
	return buf.Bytes()
}

type build struct {
	once sync.Once
	zip  []byte
	err  error
}

var builds sync.Map // "dir\x00pkg" → *build

// BuildFunction builds the Go main package pkg of the module in dir for
// this machine, as lamb does (CGO_ENABLED=0, -tags lambda.norpc,
// -trimpath), and returns it as a deployment package (BootstrapZip). Each
// package is built once per test binary; concurrent callers share the
// build.
func BuildFunction(t testing.TB, dir, pkg string) []byte {
	t.Helper()
	v, _ := builds.LoadOrStore(dir+"\x00"+pkg, new(build))
	b := v.(*build)
	b.once.Do(func() {
		tmp, err := os.MkdirTemp("", "emulatortest-")
		if err != nil {
			b.err = err
			return
		}
		defer os.RemoveAll(tmp)
		out := filepath.Join(tmp, "bootstrap")
		cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH, "GOFLAGS=-buildvcs=false", "GOWORK=off")
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build %s in %s: %w\n%s", pkg, dir, err, msg)
			return
		}
		bin, err := os.ReadFile(out)
		if err != nil {
			b.err = err
			return
		}
		b.zip = BootstrapZip(bin)
	})
	if b.err != nil {
		t.Fatalf("emulatortest: %v", b.err)
	}
	return b.zip
}
