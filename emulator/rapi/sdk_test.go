package rapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambctl/lamb/emulator/emulatortest"
	"github.com/lambctl/lamb/emulator/rapi"
)

// TestSDKInvokeThroughEmulator drives the runner the way users do: the
// aws-sdk-go-v2 Lambda client over HTTP against the control-plane emulator,
// whose Invoke runs the code here.
func TestSDKInvokeThroughEmulator(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k := emulatortest.New(t, emulatortest.WithRuntime())
	c := k.Lambda

	zipBytes, err := os.ReadFile(rapi.ProbeZip())
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("probe"),
		Role:         aws.String("arn:aws:iam::123456789012:role/lambda"),
		Runtime:      types.RuntimeProvidedal2023,
		Handler:      aws.String("bootstrap"),
		Code:         &types.FunctionCode{ZipFile: zipBytes},
		Timeout:      aws.Int32(1),
		Environment:  &types.Environment{Variables: map[string]string{"GREETING": "hello"}},
	})
	if err != nil {
		t.Fatalf("CreateFunction: %v", err)
	}
	waiter := lambda.NewFunctionActiveV2Waiter(c, func(o *lambda.FunctionActiveV2WaiterOptions) { o.MinDelay = 10 * time.Millisecond })
	if err := waiter.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("probe")}, 10*time.Second); err != nil {
		t.Fatalf("wait active: %v", err)
	}

	invoke := func(event string) *lambda.InvokeOutput {
		t.Helper()
		out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("probe"), Payload: []byte(event), LogType: types.LogTypeTail})
		if err != nil {
			t.Fatalf("Invoke %s: %v", event, err)
		}
		return out
	}
	logsOf := func(out *lambda.InvokeOutput) string {
		b, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	// Success, cold: the REPORT line has an Init Duration.
	out := invoke(`{"action":"env"}`)
	if out.StatusCode != 200 || out.FunctionError != nil {
		t.Fatalf("status %d, function error %v: %s", out.StatusCode, aws.ToString(out.FunctionError), out.Payload)
	}
	var reply struct {
		PID int               `json:"pid"`
		Env map[string]string `json:"env"`
		ARN string            `json:"arn"`
	}
	if err := json.Unmarshal(out.Payload, &reply); err != nil {
		t.Fatal(err)
	}
	if reply.Env["GREETING"] != "hello" || reply.Env["AWS_LAMBDA_FUNCTION_NAME"] != "probe" {
		t.Errorf("function environment: GREETING=%q AWS_LAMBDA_FUNCTION_NAME=%q", reply.Env["GREETING"], reply.Env["AWS_LAMBDA_FUNCTION_NAME"])
	}
	if !strings.HasSuffix(reply.ARN, ":function:probe:$LATEST") && !strings.HasSuffix(reply.ARN, ":function:probe") {
		t.Errorf("invoked ARN %q", reply.ARN)
	}
	logs := logsOf(out)
	if !regexp.MustCompile(`(?m)^REPORT RequestId: \S+\tDuration: .*\tInit Duration: `).MatchString(logs) {
		t.Errorf("cold invoke's tail lacks REPORT with Init Duration:\n%s", logs)
	}

	// Warm: same process, no Init Duration.
	out = invoke(`{"action":"echo"}`)
	var warm struct {
		PID int `json:"pid"`
	}
	json.Unmarshal(out.Payload, &warm)
	if warm.PID != reply.PID {
		t.Errorf("warm invoke ran in pid %d, want %d", warm.PID, reply.PID)
	}
	if strings.Contains(logsOf(out), "Init Duration") {
		t.Errorf("warm invoke reported an Init Duration:\n%s", logsOf(out))
	}

	// A function error: X-Amz-Function-Error and the error payload.
	out = invoke(`{"action":"error","message":"nope"}`)
	if aws.ToString(out.FunctionError) != "Unhandled" || string(out.Payload) != `{"errorMessage":"nope","errorType":"errorString"}` {
		t.Errorf("function error: %q %s", aws.ToString(out.FunctionError), out.Payload)
	}

	// A timeout (Timeout 1 s).
	out = invoke(`{"action":"sleep","ms":5000}`)
	if aws.ToString(out.FunctionError) != "Unhandled" || !strings.Contains(string(out.Payload), `"errorType":"Sandbox.Timedout"`) {
		t.Errorf("timeout: %q %s", aws.ToString(out.FunctionError), out.Payload)
	}
	if !strings.Contains(logsOf(out), "Task timed out after 1.00 seconds") {
		t.Errorf("timeout tail lacks Task timed out:\n%s", logsOf(out))
	}
}
