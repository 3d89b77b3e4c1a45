package deployer_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/deployer"
	"github.com/lambctl/lamb/emulator"
	"github.com/lambctl/lamb/emulator/awsjson/awstest"
	"github.com/lambctl/lamb/emulator/sts"
)

// stsClient serves the local STS for account and returns a real SDK
// client of it, and a count of the calls it answered.
func stsClient(t *testing.T, account string) (*awssts.Client, *atomic.Int32) {
	t.Helper()
	svc := sts.New(sts.Options{AccountID: account, Arn: "arn:aws:iam::" + account + ":user/ci"})
	var calls atomic.Int32
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		svc.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	return awssts.NewFromConfig(awstest.Config(), func(o *awssts.Options) {
		o.BaseEndpoint = aws.String(hs.URL)
		o.RetryMaxAttempts = 1
	}), &calls
}

// TestAccountChecked refuses to plan or deploy a stage whose account is
// not the credentials' (issue 13, production safety), with STS asked once.
func TestAccountChecked(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, emulator.Options{})
	ctx := context.Background()
	w := e.world(t, map[string]string{"a": "fa1", "b": "fb1"})
	client, calls := stsClient(t, "111111111111")
	opts := testOptions(e)
	opts.Stage, opts.Account, opts.STS = "prod", "222222222222", client

	d := deployer.New(opts)
	plan, err := d.Plan(ctx, w.desired)
	want := "wrong AWS account: the credentials are for account 111111111111 (arn:aws:iam::111111111111:user/ci), but stage prod deploys to account 222222222222: use credentials for 222222222222 (AWS_PROFILE, --profile)"
	if err == nil || err.Error() != want || !errors.Is(err, deployer.ErrWrongAccount) {
		t.Errorf("plan error %v\nwant %s", err, want)
	}
	if diff := cmp.Diff([]string{"a failed", "b failed"}, actions(plan)); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
	if got := plan.Functions[0].Error; got != "a: check account: "+want {
		t.Errorf("a's error %q", got)
	}
	res, err := d.Deploy(ctx, plan, nil)
	if err == nil || res.Failed != 2 {
		t.Errorf("deploy: %v, %s", err, res.Summary())
	}
	if c := e.srv.Calls(); len(c) != 0 {
		t.Errorf("Lambda was called: %+v", c)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("STS answered %d calls, want 1", n)
	}

	// The right account deploys; no STS client at all refuses.
	client, _ = stsClient(t, "222222222222")
	opts.STS = client
	if _, _, err := e.deploy(ctx, t, w, opts); err != nil {
		t.Fatal(err)
	}
	e.checkConverged(t, w)
	opts.STS = nil
	if _, err := deployer.New(opts).Plan(ctx, w.desired); err == nil || !strings.Contains(err.Error(), "no STS client") {
		t.Errorf("plan without an STS client: %v", err)
	}
}
