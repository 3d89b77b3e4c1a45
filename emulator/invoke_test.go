package emulator_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"
	"github.com/lambctl/lamb/emulator"
	"github.com/lambctl/lamb/emulator/emulatortest"
	"github.com/lambctl/lamb/internal/lambdaspec"
)

// probeZip is emulator/rapi's test function (an aws-lambda-go program),
// built once per test binary for this machine.
func probeZip(t *testing.T) []byte {
	t.Helper()
	return emulatortest.BuildFunction(t, filepath.Join("rapi", "testdata", "probe"), ".")
}

// reply is what the probe answers.
type reply struct {
	Action  string            `json:"action"`
	Message string            `json:"message"`
	PID     int               `json:"pid"`
	Request string            `json:"requestId"`
	Env     map[string]string `json:"env"`
	Event   json.RawMessage   `json:"event"`
}

func decodeReply(t *testing.T, payload []byte) reply {
	t.Helper()
	var r reply
	if err := json.Unmarshal(payload, &r); err != nil {
		t.Fatalf("probe reply %s: %v", payload, err)
	}
	return r
}

func TestInvoke(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs a function")
	}
	zip := probeZip(t)
	k := emulatortest.New(t, emulatortest.WithRuntime(), emulatortest.WithOptions(emulator.Options{Region: "eu-west-1"}))
	ctx := context.Background()
	in := emulatortest.CreateInput("probe", zip)
	k.CreateFunction(t, in)
	in.Environment = &types.Environment{Variables: map[string]string{"LOG_LEVEL": "debug"}}
	if _, err := k.Lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("probe"), Environment: in.Environment}); err != nil {
		t.Fatal(err)
	}
	if err := k.WaitUpdated(t, "probe"); err != nil {
		t.Fatal(err)
	}

	out, err := k.Lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("probe"), Payload: []byte(`{"action":"echo","message":"hi"}`), LogType: types.LogTypeTail})
	if err != nil {
		t.Fatal(err)
	}
	if out.StatusCode != 200 || out.FunctionError != nil || aws.ToString(out.ExecutedVersion) != "$LATEST" {
		t.Errorf("echo: status %d error %v version %s", out.StatusCode, aws.ToString(out.FunctionError), aws.ToString(out.ExecutedVersion))
	}
	if r := decodeReply(t, out.Payload); r.Action != "echo" || r.Message != "hi" {
		t.Errorf("echo payload %s", out.Payload)
	}
	logs, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if err != nil || !strings.Contains(string(logs), "START RequestId:") || !strings.Contains(string(logs), "REPORT RequestId:") {
		t.Errorf("tail logs %q (%v)", logs, err)
	}

	out, err = k.Lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("probe"), Payload: []byte(`{"action":"error","message":"boom"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.FunctionError) != "Unhandled" || !strings.Contains(string(out.Payload), "boom") || out.LogResult != nil {
		t.Errorf("error: FunctionError %q payload %s LogResult %v", aws.ToString(out.FunctionError), out.Payload, out.LogResult)
	}

	// Versions and aliases run the code and configuration they name.
	if _, err := k.Lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("probe")}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Lambda.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("probe"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	out, err = k.Lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("probe:live"), Payload: []byte(`{"action":"env"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.ExecutedVersion) != "1" {
		t.Errorf("alias invoke executed %s, want 1", aws.ToString(out.ExecutedVersion))
	}
	env := decodeReply(t, out.Payload).Env
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
	if _, err := k.Lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("probe"), MemorySize: aws.Int32(256)}); err != nil {
		t.Fatal(err)
	}
	if err := k.WaitUpdated(t, "probe"); err != nil {
		t.Fatal(err)
	}
	v, err := k.Lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("probe")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("probe"), Name: aws.String("live"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{aws.ToString(v.Version): 1}}}); err != nil {
		t.Fatal(err)
	}
	out, err = k.Lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("probe"), Qualifier: aws.String("live"), Payload: []byte(`{"action":"echo"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.ExecutedVersion); got != aws.ToString(v.Version) {
		t.Errorf("weighted alias executed %s, want %s", got, aws.ToString(v.Version))
	}

	// Event and DryRun.
	out, err = k.Lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("probe"), InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"action":"echo"}`)})
	if err != nil || out.StatusCode != 202 {
		t.Errorf("Event: %v status %d", err, out.StatusCode)
	}
	out, err = k.Lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("probe"), InvocationType: types.InvocationTypeDryRun})
	if err != nil || out.StatusCode != 204 {
		t.Errorf("DryRun: %v status %d", err, out.StatusCode)
	}
	// Missing function.
	_, err = k.Lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("nope")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || aws.ToString(nf.Message) != "Function not found: arn:aws:lambda:eu-west-1:123456789012:function:nope" {
		t.Errorf("invoke missing: %v", err)
	}
	var invokes []string
	for _, c := range k.Server.Calls() {
		if c.Op == "Invoke" {
			invokes = append(invokes, c.Function)
		}
	}
	if diff := cmp.Diff([]string{"probe", "probe", "probe", "probe", "probe", "probe", "nope"}, invokes); diff != "" {
		t.Errorf("invoke calls (-want +got):\n%s", diff)
	}
}

func TestInvokePending(t *testing.T) {
	t.Parallel()
	k := emulatortest.New(t)
	k.Server.Inject(emulator.Fault{Op: "CreateFunction", Delay: 1 << 40})
	if _, err := k.Lambda.CreateFunction(context.Background(), newCreateInput("fn", bootstrapZip(t, "x"))); err != nil {
		t.Fatal(err)
	}
	_, err := k.Lambda.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("fn")})
	if code, msg := apiErr(t, err); code != "ResourceConflictException" || !strings.Contains(msg, "Pending") {
		t.Errorf("invoke while Pending: %s %q", code, msg)
	}
}

func TestInvokeStartFailure(t *testing.T) {
	t.Parallel()
	k := emulatortest.New(t, emulatortest.WithRuntime())
	other := types.ArchitectureArm64
	if host, _ := lambdaspec.HostArch(); host == lambdaspec.ArchARM64 {
		other = types.ArchitectureX8664
	}
	in := newCreateInput("bad", bootstrapZip(t, "not a binary"))
	in.Architectures = []types.Architecture{other}
	if _, err := k.Lambda.CreateFunction(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	k.WaitActive(t, "bad")
	out, err := k.Lambda.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("bad"), LogType: types.LogTypeTail})
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
