package emulator

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/emulator/rapi"
)

var probe struct {
	once sync.Once
	zip  []byte
	err  error
}

// probeZip builds testdata/monorepo/functions/ops/probe for the host, once.
func probeZip(t *testing.T) []byte {
	t.Helper()
	probe.once.Do(func() {
		dir, err := os.MkdirTemp("", "emulator-probe-")
		if err != nil {
			probe.err = err
			return
		}
		defer os.RemoveAll(dir)
		cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(dir, "bootstrap"), "./functions/ops/probe")
		cmd.Dir = filepath.Join("..", "testdata", "monorepo")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
		if out, err := cmd.CombinedOutput(); err != nil {
			probe.err = errors.New(err.Error() + ": " + string(out))
			return
		}
		bin, err := os.ReadFile(filepath.Join(dir, "bootstrap"))
		if err != nil {
			probe.err = err
			return
		}
		probe.zip = makeZipBytes(bin)
	})
	if probe.err != nil {
		t.Fatalf("build probe: %v", probe.err)
	}
	return probe.zip
}

// makeZipBytes stores bootstrap uncompressed: deflate is slow under -race.
func makeZipBytes(bootstrap []byte) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Store}
	h.SetMode(0o755)
	w, _ := zw.CreateHeader(h)
	w.Write(bootstrap)
	zw.Close()
	return buf.Bytes()
}

func TestInvoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a function")
	}
	zip := probeZip(t)
	runner, err := rapi.NewRunner(rapi.RunnerOptions{WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { runner.Close() })
	h := newHarness(t, Options{Runtime: runner, Region: "eu-west-1"})
	ctx := context.Background()
	in := newCreateInput("probe", zip)
	in.Environment = &types.Environment{Variables: map[string]string{"LOG_LEVEL": "debug"}}
	h.create(t, "probe", zip)
	if _, err := h.c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("probe"), Environment: in.Environment}); err != nil {
		t.Fatal(err)
	}
	if err := h.waitUpdated(t, "probe"); err != nil {
		t.Fatal(err)
	}

	out, err := h.c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("probe"), Payload: []byte(`{"action":"echo","message":"hi"}`), LogType: types.LogTypeTail})
	if err != nil {
		t.Fatal(err)
	}
	if out.StatusCode != 200 || out.FunctionError != nil || aws.ToString(out.ExecutedVersion) != "$LATEST" {
		t.Errorf("echo: status %d error %v version %s", out.StatusCode, aws.ToString(out.FunctionError), aws.ToString(out.ExecutedVersion))
	}
	var echo map[string]any
	if err := json.Unmarshal(out.Payload, &echo); err != nil || echo["message"] != "hi" {
		t.Errorf("echo payload %s (%v)", out.Payload, err)
	}
	logs, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if err != nil || !strings.Contains(string(logs), "START RequestId:") || !strings.Contains(string(logs), "REPORT RequestId:") {
		t.Errorf("tail logs %q (%v)", logs, err)
	}

	out, err = h.c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("probe"), Payload: []byte(`{"action":"error","message":"boom"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.FunctionError) != "Unhandled" || !strings.Contains(string(out.Payload), "boom") || out.LogResult != nil {
		t.Errorf("error: FunctionError %q payload %s LogResult %v", aws.ToString(out.FunctionError), out.Payload, out.LogResult)
	}

	// Versions and aliases run the code and configuration they name.
	if _, err := h.c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("probe")}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("probe"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	out, err = h.c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("probe:live"), Payload: []byte(`{"action":"env"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.ExecutedVersion) != "1" {
		t.Errorf("alias invoke executed %s, want 1", aws.ToString(out.ExecutedVersion))
	}
	var env map[string]string
	if err := json.Unmarshal(out.Payload, &env); err != nil {
		t.Fatalf("env payload %s: %v", out.Payload, err)
	}
	want := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME": "probe", "AWS_LAMBDA_FUNCTION_VERSION": "1", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
		"AWS_REGION": "eu-west-1", "_HANDLER": "bootstrap", "LOG_LEVEL": "debug",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("function saw %s=%q, want %q", k, env[k], v)
		}
	}

	// Weighted routing: weight 1 always picks the extra version.
	if _, err := h.c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("probe"), MemorySize: aws.Int32(256)}); err != nil {
		t.Fatal(err)
	}
	if err := h.waitUpdated(t, "probe"); err != nil {
		t.Fatal(err)
	}
	v, err := h.c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("probe")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("probe"), Name: aws.String("live"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{aws.ToString(v.Version): 1}}}); err != nil {
		t.Fatal(err)
	}
	out, err = h.c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("probe"), Qualifier: aws.String("live"), Payload: []byte(`{"action":"echo"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.ExecutedVersion); got != aws.ToString(v.Version) {
		t.Errorf("weighted alias executed %s, want %s", got, aws.ToString(v.Version))
	}

	// Event and DryRun.
	out, err = h.c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("probe"), InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"action":"echo"}`)})
	if err != nil || out.StatusCode != 202 {
		t.Errorf("Event: %v status %d", err, out.StatusCode)
	}
	out, err = h.c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("probe"), InvocationType: types.InvocationTypeDryRun})
	if err != nil || out.StatusCode != 204 {
		t.Errorf("DryRun: %v status %d", err, out.StatusCode)
	}
	// Missing function.
	_, err = h.c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("nope")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || aws.ToString(nf.Message) != "Function not found: arn:aws:lambda:eu-west-1:123456789012:function:nope" {
		t.Errorf("invoke missing: %v", err)
	}
	var invokes []string
	for _, c := range h.s.Calls() {
		if c.Op == "Invoke" {
			invokes = append(invokes, c.Function)
		}
	}
	if diff := cmp.Diff([]string{"probe", "probe", "probe", "probe", "probe", "probe", "nope"}, invokes); diff != "" {
		t.Errorf("invoke calls (-want +got):\n%s", diff)
	}
}

func TestInvokePending(t *testing.T) {
	h := newHarness(t, Options{})
	h.s.Inject(Fault{Op: "CreateFunction", Delay: 1 << 40})
	if _, err := h.c.CreateFunction(context.Background(), newCreateInput("fn", bootstrapZip(t, "x"))); err != nil {
		t.Fatal(err)
	}
	_, err := h.c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("fn")})
	if code, msg := apiErr(t, err); code != "ResourceConflictException" || !strings.Contains(msg, "Pending") {
		t.Errorf("invoke while Pending: %s %q", code, msg)
	}
}

func TestInvokeStartFailure(t *testing.T) {
	runner, err := rapi.NewRunner(rapi.RunnerOptions{WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { runner.Close() })
	h := newHarness(t, Options{Runtime: runner})
	other := types.ArchitectureArm64
	if hostArchitecture() == "arm64" {
		other = types.ArchitectureX8664
	}
	in := newCreateInput("bad", bootstrapZip(t, "not a binary"))
	in.Architectures = []types.Architecture{other}
	if _, err := h.c.CreateFunction(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	h.waitActive(t, "bad")
	out, err := h.c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("bad"), LogType: types.LogTypeTail})
	if err != nil {
		t.Fatalf("a function that cannot start is a function error, not an API error: %v", err)
	}
	var p struct{ ErrorType, ErrorMessage string }
	json.Unmarshal(out.Payload, &p)
	if aws.ToString(out.FunctionError) != "Unhandled" || p.ErrorType != "Runtime.InvalidEntrypoint" {
		t.Errorf("FunctionError %q payload %s", aws.ToString(out.FunctionError), out.Payload)
	}
	logs, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if !strings.Contains(string(logs)+p.ErrorMessage, "built for "+string(other)) {
		t.Errorf("no architecture hint in logs %q or message %q", logs, p.ErrorMessage)
	}
}
