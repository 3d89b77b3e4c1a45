package deployer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	awssm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/deployer"
	"github.com/lambctl/lamb/emulator"
	"github.com/lambctl/lamb/emulator/awsjson/awstest"
	"github.com/lambctl/lamb/emulator/secretsmanager"
	"github.com/lambctl/lamb/emulator/ssm"
	"github.com/lambctl/lamb/internal/lambdaspec"
	"github.com/lambctl/lamb/manifest"
)

// secretStores serves the local Parameter Store and Secrets Manager and
// returns real SDK clients of them.
func secretStores(t *testing.T) (*awsssm.Client, *awssm.Client) {
	t.Helper()
	ps, err := ssm.New(ssm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sm, err := secretsmanager.New(secretsmanager.Options{})
	if err != nil {
		t.Fatal(err)
	}
	psrv, ssrv := httptest.NewServer(ps), httptest.NewServer(sm)
	t.Cleanup(psrv.Close)
	t.Cleanup(ssrv.Close)
	return awsssm.NewFromConfig(awstest.Config(), func(o *awsssm.Options) { o.BaseEndpoint = aws.String(psrv.URL) }),
		awssm.NewFromConfig(awstest.Config(), func(o *awssm.Options) { o.BaseEndpoint = aws.String(ssrv.URL) })
}

// The values kept outside the manifest: each holds every character JSON,
// HTML, URL and Markdown escape.
const (
	dbURL      = `postgres://app:sk_live_<>&"quote'\back@db/orders`
	dbPassword = `pw_live_<>&"quote'\back`
	dbRotated  = `pw_rotated_<>&"quote'\back`
)

// TestSecretsResolved deploys a function whose environment references a
// SecureString parameter and a key of a secret: the live function gets the
// values; no plan, result or error shows them (not even with ShowValues);
// a rotated secret is noticed and redeployed without being printed;
// resolution errors name the reference (issue 13).
func TestSecretsResolved(t *testing.T) {
	t.Parallel()
	e := newTestEnvHandler(t, emulator.Options{}, awsEnvEcho)
	ctx := context.Background()
	ps, sm := secretStores(t)
	if _, err := ps.PutParameter(ctx, &awsssm.PutParameterInput{Name: aws.String("/prod/db/url"), Value: aws.String(dbURL), Type: ssmtypes.ParameterTypeSecureString}); err != nil {
		t.Fatal(err)
	}
	secret, _ := json.Marshal(map[string]any{"user": "app", "password": dbPassword, "port": 5432})
	if _, err := sm.CreateSecret(ctx, &awssm.CreateSecretInput{Name: aws.String("prod/db"), SecretString: aws.String(string(secret))}); err != nil {
		t.Fatal(err)
	}
	w := e.world(t, map[string]string{"orders": "fo1"})
	w.edit("orders", func(f *manifest.Function) {
		f.Environment = map[string]string{"LOG_LEVEL": "info"}
		f.EnvRefs = map[string]manifest.EnvRef{
			"DB_URL":      {SSM: "/prod/db/url"},
			"DB_PASSWORD": {Secret: "prod/db", Key: "password"},
			"DB_PORT":     {Secret: "prod/db", Key: "port"},
		}
	})
	opts := testOptions(e)
	opts.SSM, opts.SecretsManager = ps, sm
	opts.ShowValues = true // literal values only

	noLeak := func(what string, outs map[string]string) {
		t.Helper()
		for name, s := range outs {
			for _, v := range []string{dbURL, dbPassword, dbRotated} {
				if l := leaks(s, v); len(l) > 0 {
					t.Errorf("%s: %s shows a secret as %q:\n%s", what, name, l, s)
				}
			}
		}
	}
	plan, res, err := e.deploy(ctx, t, w, opts)
	if err != nil {
		t.Fatal(err)
	}
	outs := outputs(t, res, err)
	maps.Copy(outs, planOutputs(t, plan))
	noLeak("first deploy", outs)
	live, err := e.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("orders")})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"LOG_LEVEL": "info", "DB_URL": dbURL, "DB_PASSWORD": dbPassword, "DB_PORT": "5432"}
	if diff := cmp.Diff(want, live.Configuration.Environment.Variables); diff != "" {
		t.Errorf("live environment (-want +got):\n%s", diff)
	}
	if p, err := deployer.New(opts).Plan(ctx, w.desired); err != nil || p.Changes() != 0 {
		t.Errorf("plan after deploy: %v, %+v", err, p.Functions)
	}

	// The secret rotates: the plan notices, without printing it.
	rotated, _ := json.Marshal(map[string]any{"user": "app", "password": dbRotated, "port": 5432})
	if _, err := sm.PutSecretValue(ctx, &awssm.PutSecretValueInput{SecretId: aws.String("prod/db"), SecretString: aws.String(string(rotated))}); err != nil {
		t.Fatal(err)
	}
	plan, err = deployer.New(opts).Plan(ctx, w.desired)
	if err != nil {
		t.Fatal(err)
	}
	wantChange := []deployer.Change{{Field: "environment.DB_PASSWORD", From: "(hidden)", To: "(hidden) (changed)", Ref: "secret:prod/db#password"}}
	if diff := cmp.Diff(wantChange, plan.Functions[0].Config); diff != "" {
		t.Errorf("plan after rotation (-want +got):\n%s", diff)
	}
	text, js := renderPlan(t, plan)
	checkGolden(t, "plan-rotated.txt", text)
	noLeak("rotation plan", map[string]string{"text": text, "json": js})
	_, res, err = e.deploy(ctx, t, w, opts)
	if err != nil || res.Updated != 1 {
		t.Fatalf("deploy after rotation: %v, %s", err, res.Summary())
	}
	live, err = e.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("orders"), Qualifier: aws.String("live")})
	if err != nil || live.Configuration.Environment.Variables["DB_PASSWORD"] != dbRotated {
		t.Errorf("the alias's version does not have the rotated password (%v)", err)
	}

	// Resolution errors, and an environment over 4 KB with the values
	// resolved (refused before Lambda could echo them).
	w.edit("orders", func(f *manifest.Function) {
		f.EnvRefs["DB_HOST"] = manifest.EnvRef{Secret: "prod/db", Key: "host"}
	})
	plan, err = deployer.New(opts).Plan(ctx, w.desired)
	if want := `orders: resolve environment: environment DB_HOST (secret:prod/db#host): the secret has no key "host"`; err == nil || err.Error() != want || plan.Functions[0].Error != want {
		t.Errorf("plan with a missing key: %v\nwant %s", err, want)
	}
	w.edit("orders", func(f *manifest.Function) {
		f.EnvRefs["DB_HOST"] = manifest.EnvRef{SSM: "/prod/db/host"}
	})
	_, err = deployer.New(opts).Plan(ctx, w.desired)
	if err == nil || !strings.HasPrefix(err.Error(), "orders: resolve environment: environment DB_HOST (ssm:/prod/db/host): ") || !strings.Contains(err.Error(), "ParameterNotFound") {
		t.Errorf("plan with a missing parameter: %v", err)
	}
	w.edit("orders", func(f *manifest.Function) {
		delete(f.EnvRefs, "DB_HOST")
		f.Environment["PADDING"] = strings.Repeat("p", 4100)
	})
	plan, res, err = e.deploy(ctx, t, w, opts)
	if err == nil || !strings.HasPrefix(err.Error(), "orders: environment: ") || !strings.Contains(err.Error(), "more than Lambda's 4 KB limit") {
		t.Fatalf("deploy over 4 KB: %v", err)
	}
	outs = outputs(t, res, err)
	maps.Copy(outs, planOutputs(t, plan))
	noLeak("4 KB error", outs)
}

// TestResolvedEnvironmentOverLimit grows a parameter past what Lambda's
// 4 KB environment can hold: the plan fails the function, naming the limit
// and the size (never a value), and the deploy sends nothing (the manifest
// checks the literal values; only the deployer sees resolved ones).
func TestResolvedEnvironmentOverLimit(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, emulator.Options{})
	ctx := context.Background()
	ps, sm := secretStores(t)
	put := func(value string) {
		t.Helper()
		_, err := ps.PutParameter(ctx, &awsssm.PutParameterInput{Name: aws.String("/prod/cert"), Value: aws.String(value), Type: ssmtypes.ParameterTypeSecureString, Overwrite: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
	}
	put(dbURL)
	w := e.world(t, map[string]string{"orders": "fo1"})
	w.edit("orders", func(f *manifest.Function) {
		f.Environment = map[string]string{"LOG_LEVEL": "info"}
		f.EnvRefs = map[string]manifest.EnvRef{"CERT": {SSM: "/prod/cert"}}
	})
	opts := testOptions(e)
	opts.SSM, opts.SecretsManager = ps, sm
	if _, _, err := e.deploy(ctx, t, w, opts); err != nil {
		t.Fatal(err)
	}

	big := strings.Repeat(dbPassword, 4096/len(dbPassword)) // escapes make its JSON larger still
	put(big)
	size := len(mustJSON(t, map[string]string{"LOG_LEVEL": "info", "CERT": big}))
	want := fmt.Sprintf("orders: environment: %d bytes as JSON once its references (CERT) are resolved, more than Lambda's 4 KB limit (%d bytes): keep large values out of the environment (the function can read them itself at run time)", size, lambdaspec.EnvironmentLimit)
	e.srv.ResetCalls()
	plan, res, err := e.deploy(ctx, t, w, opts)
	if err == nil || err.Error() != want {
		t.Errorf("deploy error:\n%v\nwant\n%s", err, want)
	}
	if got := plan.Functions[0]; got.Action != deployer.ActionFailed || got.Error != want {
		t.Errorf("plan: %s %q", got.Action, got.Error)
	}
	if m := e.mutating(); len(m) != 0 {
		t.Errorf("mutating calls %v, want none", m)
	}
	if res.Failed != 1 {
		t.Errorf("summary %s", res.Summary())
	}
	outs := outputs(t, res, err)
	maps.Copy(outs, planOutputs(t, plan))
	for name, s := range outs {
		if l := leaks(s, dbPassword); len(l) > 0 {
			t.Errorf("%s shows the value as %q:\n%s", name, l, s)
		}
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
