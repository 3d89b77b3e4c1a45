package emulatortest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambctl/lamb/emulator"
	"github.com/lambctl/lamb/emulator/emulatortest"
)

// TestKit: one call gives a server and a client that work together, with
// the options applied; a real function runs with WithRuntime.
func TestKit(t *testing.T) {
	t.Parallel()
	var requests atomic.Int64
	k := emulatortest.New(t,
		emulatortest.WithRuntime(),
		emulatortest.WithOptions(emulator.Options{Region: "eu-west-1"}),
		emulatortest.WithHandler(func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { requests.Add(1); h.ServeHTTP(w, r) })
		}),
		emulatortest.WithAWSConfig(func(c *aws.Config) { c.AppID = "kit-test" }),
	)
	if k.AWSConfig.Region != "eu-west-1" || k.AWSConfig.AppID != "kit-test" || aws.ToString(k.AWSConfig.BaseEndpoint) != k.URL || k.Runner == nil {
		t.Fatalf("kit: region %q app %q endpoint %q runner %v", k.AWSConfig.Region, k.AWSConfig.AppID, aws.ToString(k.AWSConfig.BaseEndpoint), k.Runner)
	}
	zip := emulatortest.BuildFunction(t, filepath.Join("..", "rapi", "testdata", "probe"), ".")
	out := k.CreateFunction(t, emulatortest.CreateInput("probe", zip))
	if aws.ToString(out.FunctionArn) != "arn:aws:lambda:eu-west-1:123456789012:function:probe" {
		t.Errorf("FunctionArn %s", aws.ToString(out.FunctionArn))
	}
	res, err := k.Lambda.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("probe"), Payload: []byte(`{"action":"echo","message":"hi"}`)})
	if err != nil {
		t.Fatal(err)
	}
	var reply struct{ Action, Message string }
	if err := json.Unmarshal(res.Payload, &reply); err != nil || reply.Message != "hi" || res.FunctionError != nil {
		t.Errorf("invoke: %s %v %v", res.Payload, aws.ToString(res.FunctionError), err)
	}
	if requests.Load() == 0 {
		t.Error("WithHandler's middleware saw no request")
	}
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	if err := k.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := k.Lambda.ListFunctions(context.Background(), &lambda.ListFunctionsInput{}); err == nil {
		t.Error("the server answers after Close")
	}
}

// TestBuildFunctionShared: concurrent callers get the one build.
func TestBuildFunctionShared(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("..", "rapi", "testdata", "probe")
	zips := make(chan []byte, 2)
	for range 2 {
		go func() { zips <- emulatortest.BuildFunction(t, dir, ".") }()
	}
	a, b := <-zips, <-zips
	if len(a) == 0 || &a[0] != &b[0] {
		t.Error("two builds of the same package")
	}
}
