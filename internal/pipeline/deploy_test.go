package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/deployer"
	"github.com/lambctl/lamb/emulator"
	"github.com/lambctl/lamb/emulator/emulatortest"
	"github.com/lambctl/lamb/internal/sample"
	"github.com/lambctl/lamb/manifest"
)

// TestDeployEach deploys the sample's functions to a local Lambda each as
// soon as it is zipped: the ones that build are live, the one that does
// not is reported failed with the compiler's message, results come in plan
// order, and a second deploy finds nothing to do.
func TestDeployEach(t *testing.T) {
	if testing.Short() {
		t.Skip("builds functions")
	}
	root := filepath.Join(t.TempDir(), "repo")
	if err := sample.Copy(filepath.Join("..", "..", "testdata", "monorepo"), root); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(root, "functions", "users", "get", "main.go")
	b, err := os.ReadFile(broken)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(broken, append(b, "\nvar _ = undefinedInTest\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Load(filepath.Join(root, "lamb.yaml"), manifest.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	l, err := StartLocal(LocalOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	target, err := LocalTarget(l, m)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	deploy := func() (*deployer.Result, error) {
		t.Helper()
		sel, err := Select(ctx, m, SelectOptions{Names: []string{"users-get", "orders-get", "probe"}})
		if err != nil {
			t.Fatal(err)
		}
		sel.UseTarget(target)
		d := deployer.New(target.DeployerOptions(sel))
		plan, _ := sel.Plan(ctx, d)
		return sel.Deploy(ctx, d, plan, BuildOptions{NoCache: true, Uncompressed: true, DeployEach: true, OutDir: filepath.Join(root, ".lamb", "each")})
	}
	outcomes := func(res *deployer.Result) [][2]string {
		var out [][2]string
		for _, f := range res.Functions {
			out = append(out, [2]string{f.Name, string(f.Outcome)})
		}
		return out
	}

	res, err := deploy()
	if err == nil || !strings.Contains(err.Error(), "users-get") || !strings.Contains(err.Error(), "undefinedInTest") || strings.Contains(err.Error(), "orders-get") {
		t.Fatalf("error: %v; want users-get's compile error alone", err)
	}
	want := [][2]string{{"orders-get", string(deployer.Created)}, {"probe", string(deployer.Created)}, {"users-get", string(deployer.Failed)}}
	if diff := cmp.Diff(want, outcomes(res)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if res.Created != 2 || res.Failed != 1 {
		t.Errorf("counts: %s", res.Summary())
	}
	out, err := target.Lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("probe"), Payload: []byte(`{"action":"echo","message":"hi"}`)})
	if err != nil || out.FunctionError != nil {
		t.Fatalf("probe after the deploy: %v %v", err, aws.ToString(out.FunctionError))
	}

	// Fixed: users-get is created, the others are unchanged.
	if err := os.WriteFile(broken, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if res, err = deploy(); err != nil {
		t.Fatal(err)
	}
	want = [][2]string{{"orders-get", string(deployer.Unchanged)}, {"probe", string(deployer.Unchanged)}, {"users-get", string(deployer.Created)}}
	if diff := cmp.Diff(want, outcomes(res)); diff != "" {
		t.Errorf("second deploy (-want +got):\n%s", diff)
	}

	// An edit: the new zip goes from the builder's memory to the local
	// Lambda in process, with the SHA-256 the builder took of it (checked
	// by the emulator in a test binary: a wrong one would be refused, and
	// the update made a second time, over HTTP).
	getMain := filepath.Join(root, "functions", "orders", "get", "main.go")
	g, err := os.ReadFile(getMain)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(getMain, append(g, "\nfunc init() { slog.Debug(\"edited in test\") }\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	l.Server.ResetCalls()
	if res, err = deploy(); err != nil {
		t.Fatal(err)
	}
	want = [][2]string{{"orders-get", string(deployer.Updated)}, {"probe", string(deployer.Unchanged)}, {"users-get", string(deployer.Unchanged)}}
	if diff := cmp.Diff(want, outcomes(res)); diff != "" {
		t.Errorf("deploy after an edit (-want +got):\n%s", diff)
	}
	var updates []emulator.Call
	for _, c := range l.Server.Calls() {
		if c.Op == "UpdateFunctionCode" {
			updates = append(updates, emulator.Call{Op: c.Op, Function: c.Function, Status: c.Status})
		}
	}
	if diff := cmp.Diff([]emulator.Call{{Op: "UpdateFunctionCode", Function: "orders-get", Status: 200}}, updates); diff != "" {
		t.Errorf("code updates (-want +got):\n%s", diff)
	}
	zip, err := os.ReadFile(filepath.Join(root, ".lamb", "each", "orders-get.zip"))
	if err != nil {
		t.Fatal(err)
	}
	live, err := target.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("orders-get")})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(zip)
	if got, want := aws.ToString(live.Configuration.CodeSha256), base64.StdEncoding.EncodeToString(sum[:]); got != want {
		t.Errorf("live CodeSha256 %s, want the zip written's %s", got, want)
	}
}

// TestLocalLambdaFallsBack updates code through a local target's deploy
// client: in process when the call succeeds, and when the API refuses it,
// over HTTP, so the error is the SDK's type, as from AWS.
func TestLocalLambdaFallsBack(t *testing.T) {
	l, err := StartLocal(LocalOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	target, err := LocalTarget(l, &manifest.Manifest{Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	zip1 := emulatortest.Zip(t, map[string]string{"bootstrap": "v1"})
	if _, err := target.Lambda.CreateFunction(ctx, emulatortest.CreateInput("fn", zip1)); err != nil {
		t.Fatal(err)
	}
	api := target.DeployLambda()
	zip2 := emulatortest.Zip(t, map[string]string{"bootstrap": "v2"})
	_, err = api.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("fn"), ZipFile: zip2, RevisionId: aws.String("stale")})
	var pf *types.PreconditionFailedException
	if !errors.As(err, &pf) {
		t.Fatalf("stale revision: %v (%T), want *types.PreconditionFailedException", err, err)
	}
	_, err = api.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("nope"), ZipFile: zip2})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("unknown function: %v (%T), want *types.ResourceNotFoundException", err, err)
	}
	// The CodeSha256 the deployer hands with the call reaches the local
	// Lambda: a wrong one is refused there (in a test binary), and the
	// update is made again over HTTP.
	other := sha256.Sum256([]byte("another package"))
	l.Server.ResetCalls()
	if _, err := api.UpdateFunctionCode(deployer.WithZipSha256(ctx, base64.StdEncoding.EncodeToString(other[:])), &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("fn"), ZipFile: zip2}); err != nil {
		t.Fatal(err)
	}
	var calls []emulator.Call
	for _, c := range l.Server.Calls() {
		calls = append(calls, emulator.Call{Op: c.Op, Status: c.Status, ErrorType: c.ErrorType})
	}
	if diff := cmp.Diff([]emulator.Call{{Op: "UpdateFunctionCode", Status: 500, ErrorType: "ServiceException"}, {Op: "UpdateFunctionCode", Status: 200}}, calls); diff != "" {
		t.Errorf("update with a wrong CodeSha256 (-want +got):\n%s", diff)
	}
	out, err := target.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn")})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(zip2)
	if got, want := aws.ToString(out.Configuration.CodeSha256), base64.StdEncoding.EncodeToString(sum[:]); got != want {
		t.Errorf("CodeSha256 %s, want %s (the new package's)", got, want)
	}
}
