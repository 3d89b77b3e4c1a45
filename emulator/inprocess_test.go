package emulator_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/emulator"
	"github.com/lambctl/lamb/emulator/emulatortest"
)

// TestUpdateFunctionCodeInProcess updates code in process and reads the
// result over the API, as UpdateFunctionCode over HTTP would leave it; a
// call the API would refuse changes nothing and reports false.
func TestUpdateFunctionCodeInProcess(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k := emulatortest.New(t)
	k.CreateFunction(t, emulatortest.CreateInput("fn", emulatortest.Zip(t, map[string]string{"bootstrap": "v1"})))
	k.WaitActive(t, "fn")
	get := func() *lambda.GetFunctionOutput {
		t.Helper()
		out, err := k.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn")})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	before := get()
	v2 := emulatortest.Zip(t, map[string]string{"bootstrap": "v2"})
	sum := sha256.Sum256(v2)
	k.Server.ResetCalls()

	v2sha := base64.StdEncoding.EncodeToString(sum[:])
	other := sha256.Sum256([]byte("another package"))
	tests := []struct {
		name     string
		fn       string
		zip      []byte
		sha      string
		archs    []string
		revision string
		ok       bool
	}{
		{"unknown function", "nope", v2, "", nil, "", false},
		{"stale revision", "fn", v2, "", nil, "stale", false},
		{"not a zip", "fn", []byte("not a zip"), "", nil, "", false},
		{"bad architecture", "fn", v2, "", []string{"sparc"}, "", false},
		{"no package", "fn", nil, "", nil, "", false},
		// A test binary checks the caller's SHA-256 of the package.
		{"wrong sha", "fn", v2, base64.StdEncoding.EncodeToString(other[:]), nil, "", false},
		{"new code with its sha", "fn", v2, v2sha, []string{"x86_64"}, aws.ToString(before.Configuration.RevisionId), true},
	}
	for _, tt := range tests {
		if got := k.Server.UpdateFunctionCodeInProcess(ctx, tt.fn, emulator.InProcessCode{Zip: tt.zip, Sha256: tt.sha}, tt.archs, tt.revision, false); got != tt.ok {
			t.Errorf("%s: ok = %v, want %v", tt.name, got, tt.ok)
		}
		if !tt.ok {
			if got := get(); aws.ToString(got.Configuration.CodeSha256) != aws.ToString(before.Configuration.CodeSha256) {
				t.Fatalf("%s: a refused call changed the code", tt.name)
			}
		}
	}
	if err := k.WaitUpdated(t, "fn"); err != nil {
		t.Fatal(err)
	}
	after := get()
	if got, want := aws.ToString(after.Configuration.CodeSha256), v2sha; got != want {
		t.Errorf("CodeSha256 = %s, want %s (the new package's)", got, want)
	}
	if got := after.Configuration.Architectures; len(got) != 1 || got[0] != "x86_64" {
		t.Errorf("Architectures = %v, want [x86_64]", got)
	}
	if aws.ToString(after.Configuration.RevisionId) == aws.ToString(before.Configuration.RevisionId) {
		t.Error("RevisionId unchanged by the update")
	}
	// The call log has every call, with what the API answered.
	var got []emulator.Call
	for _, c := range k.Server.Calls() {
		if c.Op == "UpdateFunctionCode" {
			got = append(got, emulator.Call{Op: c.Op, Function: c.Function, Status: c.Status, ErrorType: c.ErrorType, Mutating: c.Mutating})
		}
	}
	want := []emulator.Call{
		{Op: "UpdateFunctionCode", Function: "nope", Status: 404, Mutating: true, ErrorType: "ResourceNotFoundException"},
		{Op: "UpdateFunctionCode", Function: "fn", Status: 412, Mutating: true, ErrorType: "PreconditionFailedException"},
		{Op: "UpdateFunctionCode", Function: "fn", Status: 400, Mutating: true, ErrorType: "InvalidParameterValueException"},
		{Op: "UpdateFunctionCode", Function: "fn", Status: 400, Mutating: true, ErrorType: "ValidationException"},
		{Op: "UpdateFunctionCode", Function: "fn", Status: 500, Mutating: true, ErrorType: "ServiceException"},
		{Op: "UpdateFunctionCode", Function: "fn", Status: 200, Mutating: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("call log (-want +got):\n%s", diff)
	}

	// A fault injected for the call is left to the call over HTTP.
	k.Server.Inject(emulator.Fault{Op: "UpdateFunctionCode", Function: "fn", Status: 429})
	if k.Server.UpdateFunctionCodeInProcess(ctx, "fn", emulator.InProcessCode{Zip: emulatortest.Zip(t, map[string]string{"bootstrap": "v3"})}, nil, "", false) {
		t.Error("the in-process call went through a queued fault")
	}
	_, err := k.Lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("fn"), ZipFile: v2})
	var tm *types.TooManyRequestsException
	if !errors.As(err, &tm) {
		t.Errorf("over HTTP after the in-process call: %v, want the injected 429", err)
	}
}
