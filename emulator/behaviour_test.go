package emulator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/lambctl/lamb/emulator"
	"github.com/lambctl/lamb/emulator/emulatortest"
)

// stateDirs runs f on a server without a state directory and on one with
// (whose mutating calls are answered once their change is written).
func stateDirs(t *testing.T, f func(t *testing.T, o emulator.Options)) {
	for _, persistent := range []bool{false, true} {
		t.Run(fmt.Sprintf("StateDir=%v", persistent), func(t *testing.T) {
			t.Parallel()
			var o emulator.Options
			if persistent {
				o.StateDir = t.TempDir()
			}
			f(t, o)
		})
	}
}

func TestThrottling(t *testing.T) {
	t.Parallel()
	stateDirs(t, testThrottling)
}

func testThrottling(t *testing.T, o emulator.Options) {
	o.RateLimit = &emulator.RateLimit{PerSecond: 0.001, Burst: 2, GetFunctionPerSecond: 0.001, GetFunctionBurst: 3}
	k := emulatortest.New(t, emulatortest.WithOptions(o))
	ctx := context.Background()
	list := func() error { _, err := k.Lambda.ListFunctions(ctx, &lambda.ListFunctionsInput{}); return err }
	for i := range 2 {
		if err := list(); err != nil {
			t.Fatalf("call %d within burst: %v", i, err)
		}
	}
	err := list()
	var tmr *types.TooManyRequestsException
	if !errors.As(err, &tmr) || aws.ToString(tmr.Message) != "Rate exceeded" {
		t.Fatalf("over the rate: %v, want TooManyRequestsException Rate exceeded", err)
	}
	// GetFunction has its own bucket.
	for i := range 3 {
		_, err := k.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("nope")})
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Fatalf("GetFunction %d: %v, want not found (not throttled)", i, err)
		}
	}
	// Raw: status, header, Retry-After.
	resp, err := http.Get(k.URL + "/2015-03-31/functions/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("X-Amzn-ErrorType") != "TooManyRequestsException" || resp.Header.Get("Retry-After") == "" {
		t.Errorf("raw throttle: %d %q Retry-After %q", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), resp.Header.Get("Retry-After"))
	}
	// A call that changes state is throttled the same.
	req, err := http.NewRequest(http.MethodDelete, k.URL+"/2015-03-31/functions/nope", nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("X-Amzn-ErrorType") != "TooManyRequestsException" || resp.Header.Get("Retry-After") == "" {
		t.Errorf("raw throttle of DeleteFunction: %d %q Retry-After %q", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), resp.Header.Get("Retry-After"))
	}
	// The SDK's standard retryer retries 429 and gives up.
	_, err = lambda.NewFromConfig(k.AWSConfig, func(o *lambda.Options) { o.RetryMaxAttempts = 2 }).ListFunctions(ctx, &lambda.ListFunctionsInput{})
	if !errors.As(err, &tmr) {
		t.Errorf("with retries: %v", err)
	}
	var throttled int
	for _, c := range k.Server.Calls() {
		if c.Status == 429 {
			throttled++
		}
	}
	if throttled != 5 {
		t.Errorf("%d throttled calls logged, want 5", throttled)
	}
}

func TestDefaultRateLimit(t *testing.T) {
	t.Parallel()
	if diff := cmp.Diff(&emulator.RateLimit{PerSecond: 15, Burst: 15, GetFunctionPerSecond: 100, GetFunctionBurst: 100}, emulator.DefaultRateLimit()); diff != "" {
		t.Error(diff)
	}
}

func TestPersistence(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	zip := bootstrapZip(t, "v1")

	k := emulatortest.New(t, emulatortest.WithOptions(emulator.Options{StateDir: dir}))
	if _, err := emulator.New(emulator.Options{StateDir: dir}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("second server on the same state dir: %v, want a lock error", err)
	}
	create(t, k, "fn", zip)
	in := newCreateInput("slow", zip)
	if _, err := k.Lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Lambda.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Lambda.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String("arn:aws:lambda:us-east-1:123456789012:function:fn"), Tags: map[string]string{"team": "a"}}); err != nil {
		t.Fatal(err)
	}
	// A function left Pending by a slow transition.
	k.Server.Inject(emulator.Fault{Op: "CreateFunction", Delay: time.Hour})
	if _, err := k.Lambda.CreateFunction(ctx, in); err != nil {
		t.Fatal(err)
	}
	before, err := k.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn")})
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "code")); err != nil {
		t.Fatal(err)
	}

	k2 := emulatortest.New(t, emulatortest.WithOptions(emulator.Options{StateDir: dir}))
	after, err := k2.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before.Configuration.RevisionId, after.Configuration.RevisionId); diff != "" {
		t.Errorf("RevisionId changed across restart: %s", diff)
	}
	if diff := cmp.Diff(map[string]string{"team": "a"}, after.Tags); diff != "" {
		t.Errorf("tags: %s", diff)
	}
	a, err := k2.Lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live")})
	if err != nil || aws.ToString(a.FunctionVersion) != "1" {
		t.Errorf("alias after restart: %v %v", a, err)
	}
	// The code is served again.
	resp, err := http.Get(aws.ToString(after.Code.Location))
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	got.ReadFrom(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(got.Bytes(), zip) {
		t.Errorf("code after restart: %d bytes, want the %d uploaded", got.Len(), len(zip))
	}
	// The pending transition completes after reload.
	k2.WaitActive(t, "slow")
	// Versions keep counting.
	if _, err := k2.Lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("fn"), ZipFile: bootstrapZip(t, "v2"), Publish: true}); err != nil {
		t.Fatal(err)
	}
	v, err := k2.Lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("fn:2")})
	if err != nil || aws.ToString(v.Version) != "2" {
		t.Errorf("version 2 after restart: %v", err)
	}
	// Deleting the function drops its code.
	if _, err := k2.Lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("fn")}); err != nil {
		t.Fatal(err)
	}
	// slow's code (the same zip as fn's v1) stays.
	var left []string
	ents, _ := os.ReadDir(filepath.Join(dir, "code"))
	for _, e := range ents {
		left = append(left, e.Name())
	}
	if diff := cmp.Diff([]string{hexSHA(zip) + ".zip"}, left); diff != "" {
		t.Errorf("zips in code/ (-want +got):\n%s", diff)
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	stateDirs(t, testFaults)
}

func testFaults(t *testing.T, o emulator.Options) {
	k := emulatortest.New(t, emulatortest.WithOptions(o))
	ctx := context.Background()
	zip := bootstrapZip(t, "x")
	create(t, k, "fn", zip)
	update := func() error {
		_, err := k.Lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("fn"), ZipFile: zip})
		return err
	}
	tests := []struct {
		fault emulator.Fault
		check func(error) bool
	}{
		{emulator.Fault{Op: "UpdateFunctionCode", Status: 409}, func(err error) bool { var e *types.ResourceConflictException; return errors.As(err, &e) }},
		{emulator.Fault{Op: "UpdateFunctionCode", Status: 429}, func(err error) bool { var e *types.TooManyRequestsException; return errors.As(err, &e) }},
		{emulator.Fault{Op: "UpdateFunctionCode", Status: 500}, func(err error) bool { var e *types.ServiceException; return errors.As(err, &e) }},
		{emulator.Fault{Op: "UpdateFunctionCode", Drop: true}, func(err error) bool {
			var ae interface{ ErrorCode() string }
			return err != nil && !errors.As(err, &ae)
		}},
	}
	for _, tt := range tests {
		k.Server.Inject(tt.fault)
		if err := update(); !tt.check(err) {
			t.Errorf("fault %+v: got %v", tt.fault, err)
		}
	}
	// Faults are consumed: the next update works.
	if err := update(); err != nil {
		t.Fatal(err)
	}
	if err := k.WaitUpdated(t, "fn"); err != nil {
		t.Fatal(err)
	}
	// Count and Function.
	k.Server.Inject(emulator.Fault{Op: "GetFunctionConfiguration", Function: "fn", Status: 500, Count: 2})
	for i, wantErr := range []bool{true, true, false} {
		_, err := k.Lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("fn")})
		if (err != nil) != wantErr {
			t.Errorf("call %d: err %v, want error %v", i, err, wantErr)
		}
	}
	// A failed transition ends the waiter with an error.
	k.Server.Inject(emulator.Fault{Op: "UpdateFunctionCode", FailTransition: true})
	if err := update(); err != nil {
		t.Fatal(err)
	}
	if err := k.WaitUpdated(t, "fn"); err == nil || !strings.Contains(strings.ToLower(err.Error()), "failure") {
		t.Errorf("waiter on failed update: %v, want failure", err)
	}
	cfg, err := k.Lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("fn")})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.LastUpdateStatus != types.LastUpdateStatusFailed || aws.ToString(cfg.LastUpdateStatusReason) == "" || cfg.LastUpdateStatusReasonCode == "" {
		t.Errorf("failed update: %q %q %q", cfg.LastUpdateStatus, aws.ToString(cfg.LastUpdateStatusReason), cfg.LastUpdateStatusReasonCode)
	}
	// After a failed update a new update is allowed.
	if err := update(); err != nil {
		t.Errorf("update after failure: %v", err)
	}
	if err := k.WaitUpdated(t, "fn"); err != nil {
		t.Fatal(err)
	}
	// A failed create ends FunctionActiveV2 with an error.
	k.Server.Inject(emulator.Fault{Op: "CreateFunction", FailTransition: true})
	if _, err := k.Lambda.CreateFunction(ctx, newCreateInput("broken", zip)); err != nil {
		t.Fatal(err)
	}
	w := lambda.NewFunctionActiveV2Waiter(k.Lambda, func(o *lambda.FunctionActiveV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = time.Millisecond, 5*time.Millisecond
	})
	if err := w.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("broken")}, 5*time.Second); err == nil {
		t.Error("FunctionActiveV2 on a failed create: no error")
	}
}

func TestControlEndpoints(t *testing.T) {
	t.Parallel()
	k := emulatortest.New(t)
	ctx := context.Background()
	resp, err := http.Post(k.URL+"/_lamb/faults", "application/json", strings.NewReader(`[{"op":"ListFunctions","status":500,"count":1},{"op":"CreateFunction","delay":"1h"}]`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST /_lamb/faults: %d", resp.StatusCode)
	}
	if _, err := k.Lambda.ListFunctions(ctx, &lambda.ListFunctionsInput{}); err == nil {
		t.Error("injected 500 not answered")
	}
	if _, err := k.Lambda.CreateFunction(ctx, newCreateInput("fn", bootstrapZip(t, "x"))); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Lambda.ListFunctions(ctx, &lambda.ListFunctionsInput{}); err != nil {
		t.Fatal(err)
	}
	cfg, _ := k.Lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("fn")})
	if cfg.State != types.StatePending {
		t.Errorf("delayed create: State %q, want Pending", cfg.State)
	}
	resp, err = http.Get(k.URL + "/_lamb/calls")
	if err != nil {
		t.Fatal(err)
	}
	var calls []emulator.Call
	json.NewDecoder(resp.Body).Decode(&calls)
	resp.Body.Close()
	want := []emulator.Call{
		{Op: "ListFunctions", Status: 500, ErrorType: "ServiceException"},
		{Op: "CreateFunction", Function: "fn", Status: 201, Mutating: true},
		{Op: "ListFunctions", Status: 200},
		{Op: "GetFunctionConfiguration", Function: "fn", Status: 200},
	}
	if diff := cmp.Diff(want, calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	req, _ := http.NewRequest(http.MethodDelete, k.URL+"/_lamb/calls", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 204 {
		t.Fatalf("DELETE /_lamb/calls: %v", err)
	}
	if n := len(k.Server.Calls()); n != 0 {
		t.Errorf("%d calls after reset", n)
	}
	resp, _ = http.Post(k.URL+"/_lamb/faults", "application/json", strings.NewReader(`{"bogus":1}`))
	if resp.StatusCode != 400 {
		t.Errorf("bad fault: %d, want 400", resp.StatusCode)
	}
}

func TestMutatingCallLog(t *testing.T) {
	t.Parallel()
	k := emulatortest.New(t)
	ctx := context.Background()
	zip := bootstrapZip(t, "x")
	create(t, k, "fn", zip)
	k.Server.ResetCalls()
	// What a no-op deploy does: reads only.
	k.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn")})
	k.Lambda.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String("fn")})
	k.Lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live")})
	k.Lambda.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String("arn:aws:lambda:us-east-1:123456789012:function:fn")})
	for _, c := range k.Server.Calls() {
		if c.Mutating {
			t.Errorf("read %s logged as mutating", c.Op)
		}
	}
	k.Lambda.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String("arn:aws:lambda:us-east-1:123456789012:function:fn"), Tags: map[string]string{"a": "b"}})
	k.Lambda.UntagResource(ctx, &lambda.UntagResourceInput{Resource: aws.String("arn:aws:lambda:us-east-1:123456789012:function:fn"), TagKeys: []string{"a", "zz"}})
	k.Lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")})
	k.Lambda.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"), FunctionVersion: aws.String("1")})
	k.Lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"), Description: aws.String("d")})
	k.Lambda.DeleteAlias(ctx, &lambda.DeleteAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live")})
	var got []string
	for _, c := range k.Server.Calls() {
		if c.Mutating {
			got = append(got, c.Op+" "+http.StatusText(c.Status))
		}
	}
	want := []string{"TagResource No Content", "UntagResource No Content", "PublishVersion Created", "CreateAlias Created", "UpdateAlias OK", "DeleteAlias No Content"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mutating calls (-want +got):\n%s", diff)
	}
	tags, err := k.Lambda.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String("arn:aws:lambda:us-east-1:123456789012:function:fn")})
	if err != nil || tags.Tags == nil || len(tags.Tags) != 0 {
		t.Errorf("ListTags after untag: %v %v", tags, err)
	}
}

func TestTagsChangeRevision(t *testing.T) {
	t.Parallel()
	k := emulatortest.New(t)
	ctx := context.Background()
	create(t, k, "fn", bootstrapZip(t, "x"))
	arn := aws.String("arn:aws:lambda:us-east-1:123456789012:function:fn")
	before, _ := k.Lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("fn")})
	if _, err := k.Lambda.TagResource(ctx, &lambda.TagResourceInput{Resource: arn, Tags: map[string]string{"a": "1", "b": "2"}}); err != nil {
		t.Fatal(err)
	}
	after, _ := k.Lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("fn")})
	if aws.ToString(before.RevisionId) == aws.ToString(after.RevisionId) {
		t.Error("TagResource kept the RevisionId")
	}
	if _, err := k.Lambda.UntagResource(ctx, &lambda.UntagResourceInput{Resource: arn, TagKeys: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	got, _ := k.Lambda.ListTags(ctx, &lambda.ListTagsInput{Resource: arn})
	if diff := cmp.Diff(map[string]string{"b": "2"}, got.Tags); diff != "" {
		t.Error(diff)
	}
	// GetFunction omits Tags when there are none.
	k.Lambda.UntagResource(ctx, &lambda.UntagResourceInput{Resource: arn, TagKeys: []string{"b"}})
	resp, err := http.Get(k.URL + "/2015-03-31/functions/fn")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	json.NewDecoder(resp.Body).Decode(&raw)
	resp.Body.Close()
	if _, ok := raw["Tags"]; ok {
		t.Error("GetFunction sends Tags when there are none")
	}
}

func TestCodeFromS3(t *testing.T) {
	t.Parallel()
	backend := s3mem.New()
	s3srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(s3srv.Close)
	cl := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(s3srv.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("x", "x", "")})
	ctx := context.Background()
	if _, err := cl.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("artifacts")}); err != nil {
		t.Fatal(err)
	}
	zip := bootstrapZip(t, "from s3")
	if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("artifacts"), Key: aws.String("fn/abc.zip"), Body: bytes.NewReader(zip)}); err != nil {
		t.Fatal(err)
	}
	k := emulatortest.New(t, emulatortest.WithOptions(emulator.Options{S3Endpoint: s3srv.URL}))
	in := newCreateInput("fn", nil)
	in.Code = &types.FunctionCode{S3Bucket: aws.String("artifacts"), S3Key: aws.String("fn/abc.zip")}
	out, err := k.Lambda.CreateFunction(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.CodeSha256) != sha(zip) || out.CodeSize != int64(len(zip)) {
		t.Errorf("S3 code: sha %s size %d", aws.ToString(out.CodeSha256), out.CodeSize)
	}
	k.WaitActive(t, "fn")
	_, err = k.Lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("fn"), S3Bucket: aws.String("artifacts"), S3Key: aws.String("missing.zip")})
	if code, msg := apiErr(t, err); code != "InvalidParameterValueException" || !strings.Contains(msg, "NoSuchKey") {
		t.Errorf("missing key: %s %q", code, msg)
	}
	// Without Options.S3Endpoint, code comes from the server's own S3,
	// which has no bucket "artifacts".
	k2 := emulatortest.New(t)
	_, err = k2.Lambda.CreateFunction(ctx, in)
	if code, msg := apiErr(t, err); code != "InvalidParameterValueException" || !strings.Contains(msg, "NoSuchBucket") {
		t.Errorf("S3 code from the server's own S3: %s %q", code, msg)
	}
}

func TestCodeStore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	k := emulatortest.New(t, emulatortest.WithOptions(emulator.Options{StateDir: dir}))
	ctx := context.Background()
	zipA, zipB := bootstrapZip(t, "a"), bootstrapZip(t, "b")
	create(t, k, "fn", zipA)
	files := func() []string {
		ents, _ := os.ReadDir(filepath.Join(dir, "code"))
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		return names
	}
	want := []string{hexSHA(zipA) + ".zip"}
	// A refused create and a dry run keep no code.
	if _, err := k.Lambda.CreateFunction(ctx, newCreateInput("fn", zipB)); err == nil {
		t.Fatal("second create of fn succeeded")
	}
	out, err := k.Lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("fn"), ZipFile: zipB, DryRun: true})
	if err != nil || aws.ToString(out.CodeSha256) != sha(zipB) {
		t.Fatalf("dry run: %v", err)
	}
	if diff := cmp.Diff(want, files()); diff != "" {
		t.Errorf("code files (-want +got):\n%s", diff)
	}
	cfg, _ := k.Lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("fn")})
	if aws.ToString(cfg.CodeSha256) != sha(zipA) || cfg.LastUpdateStatus != types.LastUpdateStatusSuccessful {
		t.Errorf("dry run changed the function: %s %s", aws.ToString(cfg.CodeSha256), cfg.LastUpdateStatus)
	}
}
