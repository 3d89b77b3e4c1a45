package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/deployer"
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
}
