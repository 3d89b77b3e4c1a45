package deployer_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/deployer"
	"github.com/lambctl/lamb/emulator"
	"github.com/lambctl/lamb/internal/failure"
)

// requestID matches the request ids in SDK errors, which change per run.
var requestID = regexp.MustCompile(`RequestID: [0-9a-f-]+`)

// renderPlan returns the plan as text and as indented JSON, request ids
// normalized.
func renderPlan(t *testing.T, plan *deployer.Plan) (text, js string) {
	t.Helper()
	var tb strings.Builder
	if err := plan.WriteText(&tb); err != nil {
		t.Fatal(err)
	}
	var jb strings.Builder
	enc := json.NewEncoder(&jb)
	enc.SetIndent("", "  ")
	if err := enc.Encode(plan); err != nil {
		t.Fatal(err)
	}
	norm := func(s string) string { return requestID.ReplaceAllString(s, "RequestID: <id>") }
	return norm(tb.String()), norm(jb.String())
}

// TestPlanShowsFailures checks that functions whose read fails, and
// functions the pipeline fails (fingerprint, build), are in the plan as
// failed, in text and JSON, values hidden; and that Deploy reports them
// failed and deploys the others (issue 11 #9).
func TestPlanShowsFailures(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, emulator.Options{})
	ctx := context.Background()
	w := e.world(t, map[string]string{"a": "fa1", "b": "fb1", "c": "fc1", "e": "fe1"})
	if _, _, err := e.deploy(ctx, t, &world{desired: w.desired[3:], arts: w.arts}, testOptions(e)); err != nil {
		t.Fatal(err)
	}
	e.srv.Inject(emulator.Fault{Op: "GetFunction", Function: "b", Status: 403, Message: "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: lambda:GetFunction"})
	d := deployer.New(testOptions(e))
	plan, err := d.Plan(ctx, w.desired)
	if err == nil || !strings.HasPrefix(err.Error(), "b: get function: ") {
		t.Fatalf("plan error %v, want b's", err)
	}
	// The pipeline fails c's build (the message quotes c's SECRET) and d's
	// fingerprint (d is not in the plan: its graph failed).
	plan.Fail("c", errors.New("c: build: exit status 1\n./main.go:3:1: SECRET=hunter2 is not valid Go"))
	plan.Fail("d", &failure.Error{Function: "d", Op: "fingerprint", Err: errors.New("package ./functions/d: no Go files")})
	text, js := renderPlan(t, plan)
	checkGolden(t, "plan-failed.txt", text)
	checkGolden(t, "plan-failed.json", js)
	if strings.Contains(text+js, "hunter2") {
		t.Errorf("the plan shows c's SECRET:\n%s", text)
	}
	if diff := cmp.Diff([]string{"a"}, plan.NeedCode()); diff != "" {
		t.Errorf("NeedCode (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a"}, plan.Changed()); diff != "" {
		t.Errorf("Changed (-want +got):\n%s", diff)
	}

	res, err := d.Deploy(ctx, plan, []deployer.Artifact{w.arts["a"]})
	if err == nil {
		t.Fatal("deploy reported no failure")
	}
	var got []string
	for _, f := range res.Functions {
		got = append(got, f.Name+" "+string(f.Outcome))
	}
	if diff := cmp.Diff([]string{"a created", "b failed", "c failed", "d failed", "e unchanged"}, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if n := strings.Count(err.Error(), "\n"); !strings.Contains(err.Error(), "d: fingerprint: package ./functions/d: no Go files") || n != 3 {
		t.Errorf("deploy error (%d continuation lines):\n%v", n, err)
	}
}

// TestPlanUnreachable plans against an endpoint that does not answer:
// every function is in the plan as failed, not an empty plan.
func TestPlanUnreachable(t *testing.T) {
	t.Parallel()
	hs := httptest.NewServer(nil)
	url := hs.URL
	hs.Close()
	client := lambda.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}, func(o *lambda.Options) { o.BaseEndpoint = aws.String(url) })
	d := deployer.New(deployer.Options{Lambda: client, Rate: -1, ReadRate: -1})
	desired := []deployer.Desired{{Function: fn("b"), Fingerprint: "fb"}, {Function: fn("a"), Fingerprint: "fa"}}
	plan, err := d.Plan(context.Background(), desired)
	if err == nil {
		t.Fatal("plan against a closed port succeeded")
	}
	text, _ := renderPlan(t, plan)
	if !strings.HasSuffix(text, "\nPlan: 0 to create, 0 to update, 0 unchanged, 2 failed.\n") {
		t.Errorf("plan text:\n%s", text)
	}
	var got []string
	for _, f := range plan.Functions {
		got = append(got, f.Name+" "+string(f.Action))
		if !strings.HasPrefix(f.Error, f.Name+": get function: ") || !strings.Contains(f.Error, "connection refused") {
			t.Errorf("%s: error %q", f.Name, f.Error)
		}
	}
	if diff := cmp.Diff([]string{"a failed", "b failed"}, got); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
}
