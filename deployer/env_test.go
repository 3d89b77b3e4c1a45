package deployer_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambctl/lamb/deployer"
	"github.com/lambctl/lamb/emulator"
	"github.com/lambctl/lamb/emulator/emulatortest"
	"github.com/lambctl/lamb/manifest"
)

// testEnv is an emulator served over HTTP and a real SDK client for it.
type testEnv struct {
	srv    *emulator.Server
	url    string
	client *lambda.Client
	s3     *s3.Client // the local Lambda's own S3
	dir    string
}

func newTestEnv(t testing.TB, opts emulator.Options) *testEnv {
	t.Helper()
	return newKitEnv(t, emulatortest.WithOptions(opts))
}

// newTestEnvHandler serves the emulator through wrap.
func newTestEnvHandler(t testing.TB, opts emulator.Options, wrap func(http.Handler) http.Handler) *testEnv {
	t.Helper()
	return newKitEnv(t, emulatortest.WithOptions(opts), emulatortest.WithHandler(wrap))
}

// newKitEnv starts the local Lambda with emulatortest; its client retries
// as lamb's does (NewRetryer).
func newKitEnv(t testing.TB, opts ...emulatortest.Option) *testEnv {
	t.Helper()
	opts = append(opts, emulatortest.WithAWSConfig(func(c *aws.Config) {
		c.Retryer, c.RetryMaxAttempts = deployer.NewRetryer, 0
	}))
	k := emulatortest.New(t, opts...)
	return &testEnv{srv: k.Server, url: k.URL, client: k.Lambda, s3: k.S3, dir: t.TempDir()}
}

func newClient(url string) *lambda.Client {
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		Retryer:     deployer.NewRetryer,
	}
	return lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.BaseEndpoint = aws.String(url) })
}

// fn is a resolved function as the sample manifest's defaults make it.
func fn(name string) manifest.Function {
	return manifest.Function{
		Name: name, Key: name, Package: "./functions/" + name, Dir: "functions/" + name,
		Runtime: "provided.al2023", Architecture: "arm64", Memory: 128, Timeout: 10,
		Role:        "arn:aws:iam::123456789012:role/lambda-basic",
		Environment: map[string]string{"LOG_LEVEL": "info", "SECRET": "hunter2"},
		Tags:        map[string]string{"team": "core"},
		Alias:       "live",
	}
}

// artifact writes a small zip holding a bootstrap whose bytes depend on
// content, as a real build would for another fingerprint.
func (e *testEnv) artifact(t testing.TB, name, fingerprint string) deployer.Artifact {
	t.Helper()
	script := fmt.Sprintf("#!/bin/sh\n# %s %s\n", name, fingerprint)
	return writeArtifact(t, e.dir, name, fingerprint, zipEntry{name: "bootstrap", data: []byte(script), mode: 0o755, method: zip.Deflate})
}

// zipEntry is a file of a test zip.
type zipEntry struct {
	name   string
	data   []byte
	mode   os.FileMode
	method uint16
}

// writeArtifact writes a zip of entries (with a fixed time, so the same
// entries make the same bytes) to dir as NAME-FINGERPRINT.zip and returns
// it as an artifact.
func writeArtifact(t testing.TB, dir, name, fingerprint string, entries ...zipEntry) deployer.Artifact {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range entries {
		h := &zip.FileHeader{Name: f.name, Method: f.method, Modified: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)}
		h.SetMode(f.mode)
		w, err := zw.CreateHeader(h)
		if err == nil {
			_, err = w.Write(f.data)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+"-"+fingerprint+".zip")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return deployer.Artifact{Function: name, Fingerprint: fingerprint, Path: path, CodeSha256: base64.StdEncoding.EncodeToString(sum[:]), Size: int64(buf.Len())}
}

// world is a set of desired functions with their artifacts.
type world struct {
	desired []deployer.Desired
	arts    map[string]deployer.Artifact
}

func (e *testEnv) world(t testing.TB, fps map[string]string) *world {
	w := &world{arts: map[string]deployer.Artifact{}}
	for _, name := range sortedNames(fps) {
		w.desired = append(w.desired, deployer.Desired{Function: fn(name), Fingerprint: fps[name]})
		w.arts[name] = e.artifact(t, name, fps[name])
	}
	return w
}

// set changes name's fingerprint (and so its artifact).
func (w *world) set(t testing.TB, e *testEnv, name, fp string) {
	for i := range w.desired {
		if w.desired[i].Function.Name == name {
			w.desired[i].Fingerprint = fp
		}
	}
	w.arts[name] = e.artifact(t, name, fp)
}

func (w *world) edit(name string, f func(*manifest.Function)) {
	for i := range w.desired {
		if w.desired[i].Function.Name == name {
			f(&w.desired[i].Function)
		}
	}
}

func sortedNames(m map[string]string) []string {
	var names []string
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

func testOptions(e *testEnv) deployer.Options {
	return deployer.Options{Lambda: e.client, Rate: -1, ReadRate: -1, WaitMinDelay: 5 * time.Millisecond, Concurrency: 4}
}

// deploy plans and deploys w the way lamb deploy does: only the artifacts
// the plan needs are passed.
func (e *testEnv) deploy(ctx context.Context, t testing.TB, w *world, opts deployer.Options) (*deployer.Plan, *deployer.Result, error) {
	t.Helper()
	d := deployer.New(opts)
	plan, err := d.Plan(ctx, w.desired)
	if err != nil {
		t.Logf("plan: %v", err) // Deploy reports it again, with the others' outcome
	}
	var arts []deployer.Artifact
	for _, name := range plan.NeedCode() {
		arts = append(arts, w.arts[name])
	}
	res, err := d.Deploy(ctx, plan, arts)
	return plan, res, err
}

// mutating returns "Op Function" for every mutating call the server answered.
func (e *testEnv) mutating() []string {
	var out []string
	for _, c := range e.srv.Calls() {
		if c.Mutating {
			out = append(out, c.Op+" "+c.Function)
		}
	}
	return out
}

// checkConverged asserts that every function of w is live with its
// artifact's code, tagged, and that its alias points to a version holding
// that code; and that a new plan has nothing to do.
func (e *testEnv) checkConverged(t testing.TB, w *world) {
	t.Helper()
	ctx := context.Background()
	for _, want := range w.desired {
		name := want.Function.Name
		art := w.arts[name]
		got, err := e.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if s := aws.ToString(got.Configuration.CodeSha256); s != art.CodeSha256 {
			t.Errorf("%s: live code %s, want %s", name, s, art.CodeSha256)
		}
		if got.Tags[deployer.TagFingerprint] != want.Fingerprint || got.Tags[deployer.TagCodeSha256] != art.CodeSha256 {
			t.Errorf("%s: tags %v, want fingerprint %s and code %s", name, got.Tags, want.Fingerprint, art.CodeSha256)
		}
		if got.Tags["team"] != want.Function.Tags["team"] {
			t.Errorf("%s: tag team = %q, want %q", name, got.Tags["team"], want.Function.Tags["team"])
		}
		if want.Function.Alias == "" {
			continue
		}
		al, err := e.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name), Qualifier: aws.String(want.Function.Alias)})
		if err != nil {
			t.Errorf("%s alias: %v", name, err)
			continue
		}
		if s := aws.ToString(al.Configuration.CodeSha256); s != art.CodeSha256 {
			t.Errorf("%s: alias %s points to version %s with code %s, want %s", name, want.Function.Alias, aws.ToString(al.Configuration.Version), s, art.CodeSha256)
		}
		if m := aws.ToInt32(al.Configuration.MemorySize); int(m) != want.Function.Memory {
			t.Errorf("%s: alias version memory %d, want %d", name, m, want.Function.Memory)
		}
	}
	plan, err := deployer.New(testOptions(e)).Plan(ctx, w.desired)
	if err != nil {
		t.Fatalf("plan after deploy: %v", err)
	}
	if n := plan.Changes(); n != 0 {
		t.Errorf("plan after deploy has %d changes: %+v", n, plan.Functions)
	}
}
