package emulator_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/lambctl/lamb/emulator"
	"github.com/lambctl/lamb/emulator/emulatortest"
	"github.com/lambctl/lamb/internal/lambdaspec"
)

// bombZip is a zip whose headers claim size bytes of content.
func bombZip(t *testing.T, size uint64) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "bootstrap", Method: zip.Store, UncompressedSize64: size, CompressedSize64: 1})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte{0})
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestErrors(t *testing.T) {
	t.Parallel()
	k := emulatortest.New(t)
	ctx := context.Background()
	zip := bootstrapZip(t, "x")
	create(t, k, "fn", zip)
	if _, err := k.Lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Lambda.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	with := func(mod func(*lambda.CreateFunctionInput)) func() error {
		return func() error {
			in := newCreateInput("other", zip)
			mod(in)
			_, err := k.Lambda.CreateFunction(ctx, in)
			return err
		}
	}
	tests := []struct {
		name     string
		call     func() error
		code     string
		msg      string // exact, or prefix when it ends with "..."
		typedErr any    // a pointer to the SDK's error type, when it has one
	}{
		{"get missing", func() error {
			_, err := k.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("nope")})
			return err
		}, "ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope", new(*types.ResourceNotFoundException)},
		{"get missing version", func() error {
			_, err := k.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn"), Qualifier: aws.String("9")})
			return err
		}, "ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:123456789012:function:fn:9", new(*types.ResourceNotFoundException)},
		{"create exists", func() error {
			_, err := k.Lambda.CreateFunction(ctx, newCreateInput("fn", zip))
			return err
		}, "ResourceConflictException", "Function already exist: fn", new(*types.ResourceConflictException)},
		{"bad role", with(func(in *lambda.CreateFunctionInput) { in.Role = aws.String("x") }),
			"ValidationException", "1 validation error detected: Value 'x' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: ...", nil},
		{"go1.x", with(func(in *lambda.CreateFunctionInput) { in.Runtime = types.RuntimeGo1x }),
			"InvalidParameterValueException", "The runtime parameter of go1.x is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions.", new(*types.InvalidParameterValueException)},
		{"provided", with(func(in *lambda.CreateFunctionInput) { in.Runtime = types.RuntimeProvided }),
			"InvalidParameterValueException", "The runtime parameter of provided is no longer supported...", new(*types.InvalidParameterValueException)},
		{"memory low", with(func(in *lambda.CreateFunctionInput) { in.MemorySize = aws.Int32(64) }),
			"ValidationException", "1 validation error detected: Value '64' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128", nil},
		{"memory high", with(func(in *lambda.CreateFunctionInput) { in.MemorySize = aws.Int32(10241) }),
			"ValidationException", "1 validation error detected: Value '10241' at 'memorySize'...", nil},
		{"timeout", with(func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(901) }),
			"ValidationException", "1 validation error detected: Value '901' at 'timeout'...", nil},
		{"two architectures", with(func(in *lambda.CreateFunctionInput) {
			in.Architectures = []types.Architecture{types.ArchitectureArm64, types.ArchitectureX8664}
		}), "ValidationException", "1 validation error detected: Value '[arm64, x86_64]' at 'architectures'...", nil},
		{"bad name", with(func(in *lambda.CreateFunctionInput) { in.FunctionName = aws.String("a b") }),
			"ValidationException", "1 validation error detected: Value 'a b' at 'functionName'...", nil},
		{"env too big", with(func(in *lambda.CreateFunctionInput) {
			in.Environment = &types.Environment{Variables: map[string]string{"BIG": strings.Repeat("s", 4100)}}
		}), "InvalidParameterValueException", "Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit...", new(*types.InvalidParameterValueException)},
		{"env reserved", with(func(in *lambda.CreateFunctionInput) {
			in.Environment = &types.Environment{Variables: map[string]string{"AWS_REGION": "x"}}
		}), "InvalidParameterValueException", "Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys...", nil},
		{"not a zip", with(func(in *lambda.CreateFunctionInput) { in.Code.ZipFile = []byte("hello") }),
			"InvalidParameterValueException", "Could not unzip uploaded file. Please check your file, then try to upload again.", nil},
		{"unzipped too big", with(func(in *lambda.CreateFunctionInput) { in.Code.ZipFile = bombZip(t, 262_144_000) }),
			"InvalidParameterValueException", "Unzipped size must be smaller than 262144000 bytes", nil},
		{"no code", with(func(in *lambda.CreateFunctionInput) { in.Code = &types.FunctionCode{} }),
			"InvalidParameterValueException", "Please provide a source for function code.", nil},
		{"too many tags", with(func(in *lambda.CreateFunctionInput) {
			in.Tags = map[string]string{}
			for i := range 51 {
				in.Tags[strings.Repeat("k", i+1)] = "v"
			}
		}), "InvalidParameterValueException", "Tag limit exceeded...", nil},
		{"publish wrong sha", func() error {
			_, err := k.Lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn"), CodeSha256: aws.String("abc")})
			return err
		}, "InvalidParameterValueException", "CodeSHA256 (abc) is different from current CodeSHA256 in $LATEST (" + sha(zip) + "). Please try again with the CodeSHA256 in $LATEST.", nil},
		{"publish wrong revision before sha", func() error {
			_, err := k.Lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn"), CodeSha256: aws.String("abc"), RevisionId: aws.String("stale")})
			return err
		}, "PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id", new(*types.PreconditionFailedException)},
		{"update code wrong revision", func() error {
			_, err := k.Lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("fn"), ZipFile: zip, RevisionId: aws.String("stale")})
			return err
		}, "PreconditionFailedException", "The Revision Id provided...", new(*types.PreconditionFailedException)},
		{"update config go1.x", func() error {
			_, err := k.Lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("fn"), Runtime: types.RuntimeGo1x})
			return err
		}, "InvalidParameterValueException", "The runtime parameter of go1.x is no longer supported...", nil},
		{"alias exists", func() error {
			_, err := k.Lambda.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"), FunctionVersion: aws.String("1")})
			return err
		}, "ResourceConflictException", "Alias already exists: arn:aws:lambda:us-east-1:123456789012:function:fn:live", nil},
		{"alias digits", func() error {
			_, err := k.Lambda.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("123"), FunctionVersion: aws.String("1")})
			return err
		}, "ValidationException", "1 validation error detected: Value '123' at 'name'...", nil},
		{"alias to missing version", func() error {
			_, err := k.Lambda.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("x"), FunctionVersion: aws.String("7")})
			return err
		}, "ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:123456789012:function:fn:7", nil},
		{"routing with $LATEST", func() error {
			_, err := k.Lambda.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("x"), FunctionVersion: aws.String("$LATEST"),
				RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"1": 0.5}}})
			return err
		}, "InvalidParameterValueException", "$LATEST is not supported for an alias pointing to more than 1 version", nil},
		{"routing weight", func() error {
			_, err := k.Lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"),
				RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"1": 1.5}}})
			return err
		}, "ValidationException", "1 validation error detected: Value '1.5' at 'routingConfig.additionalVersionWeights'...", nil},
		{"alias stale revision", func() error {
			_, err := k.Lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"), RevisionId: aws.String("stale")})
			return err
		}, "PreconditionFailedException", "The Revision Id provided...", nil},
		{"get missing alias", func() error {
			_, err := k.Lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("fn"), Name: aws.String("gone")})
			return err
		}, "ResourceNotFoundException", "Cannot find alias arn: arn:aws:lambda:us-east-1:123456789012:function:fn:gone", nil},
		{"delete $LATEST", func() error {
			_, err := k.Lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("fn"), Qualifier: aws.String("$LATEST")})
			return err
		}, "InvalidParameterValueException", "$LATEST version cannot be deleted without deleting the function.", nil},
		{"tag qualified arn", func() error {
			_, err := k.Lambda.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String("arn:aws:lambda:us-east-1:123456789012:function:fn:1"), Tags: map[string]string{"a": "b"}})
			return err
		}, "InvalidParameterValueException", "Tags on function aliases and versions are not supported...", nil},
		{"tag missing function", func() error {
			_, err := k.Lambda.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String("arn:aws:lambda:us-east-1:123456789012:function:nope")})
			return err
		}, "ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope", nil},
		{"tag key too long", func() error {
			_, err := k.Lambda.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String("arn:aws:lambda:us-east-1:123456789012:function:fn"), Tags: map[string]string{strings.Repeat("k", 129): "v"}})
			return err
		}, "ValidationException", "1 validation error detected...", nil},
		{"invoke without runtime", func() error {
			_, err := k.Lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("fn")})
			return err
		}, "ServiceException", "no runtime...", new(*types.ServiceException)},
		{"invoke payload not json", func() error {
			_, err := k.Lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("fn"), Payload: []byte("{")})
			return err
		}, "InvalidRequestContentException", "Could not parse request body into json...", nil},
		{"invoke payload too large", func() error {
			_, err := k.Lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("fn"), Payload: []byte(`"` + strings.Repeat("x", 6*1024*1024) + `"`)})
			return err
		}, "RequestTooLargeException", "Request must be smaller than 6291456 bytes for the InvokeFunction operation", new(*types.RequestTooLargeException)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil {
				t.Fatal("no error")
			}
			code, msg := apiErr(t, err)
			if code != tt.code {
				t.Errorf("code = %s, want %s (%s)", code, tt.code, msg)
			}
			if want, ok := strings.CutSuffix(tt.msg, "..."); ok {
				if !strings.HasPrefix(msg, want) {
					t.Errorf("message = %q, want prefix %q", msg, want)
				}
			} else if msg != tt.msg {
				t.Errorf("message = %q, want %q", msg, tt.msg)
			}
			if tt.typedErr != nil && !errors.As(err, tt.typedErr) {
				t.Errorf("errors.As(%T) false for %v", tt.typedErr, err)
			}
		})
	}
}

// maxCreateBody is the largest CreateFunction request AWS takes.
const maxCreateBody = 70_167_211

func TestRequestTooLarge(t *testing.T) {
	t.Parallel()
	k := emulatortest.New(t)
	b64 := func(n int) string { return strings.Repeat("A", (n+2)/3*4) }
	tests := []struct {
		name, path string
		body       func() string
		slow       bool
	}{
		{"decoded ZipFile over 50 MB", "/2015-03-31/functions", func() string {
			return `{"FunctionName":"big","Runtime":"provided.al2023","Handler":"bootstrap","Role":"` + testRole + `","Code":{"ZipFile":"` + b64(lambdaspec.DirectUploadLimit+3) + `"}}`
		}, false},
		{"update code over 50 MB", "/2015-03-31/functions/big/code", func() string { return `{"ZipFile":"` + b64(lambdaspec.DirectUploadLimit+3) + `"}` }, true},
		{"create body over limit", "/2015-03-31/functions", func() string {
			return `{"FunctionName":"big","Description":"` + strings.Repeat("x", maxCreateBody) + `"}`
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.slow && (raceEnabled || testing.Short()) {
				t.Skip("70 MB through the race detector is slow; runs without -race")
			}
			method := http.MethodPost
			if strings.HasSuffix(tt.path, "/code") {
				method = http.MethodPut
			}
			// In-process: the limit is the server's, not the network's.
			req := httptest.NewRequest(method, tt.path, strings.NewReader(tt.body()))
			req.Host = "localhost"
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			k.Server.ServeHTTP(rec, req)
			resp := rec.Result()
			if resp.StatusCode != 413 || resp.Header.Get("X-Amzn-ErrorType") != "RequestEntityTooLargeException" {
				t.Errorf("got %d %s, want 413 RequestEntityTooLargeException", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
			}
		})
	}
}

func TestCodeStorageExceeded(t *testing.T) {
	t.Parallel()
	zip := bootstrapZip(t, "x")
	k := emulatortest.New(t, emulatortest.WithOptions(emulator.Options{CodeStorageLimit: int64(len(zip)) + 10}))
	create(t, k, "a", zip)
	_, err := k.Lambda.CreateFunction(context.Background(), newCreateInput("b", zip))
	var cse *types.CodeStorageExceededException
	if !errors.As(err, &cse) {
		t.Errorf("got %v, want CodeStorageExceededException", err)
	}
}

func TestUpdateInProgressConflicts(t *testing.T) {
	t.Parallel()
	k := emulatortest.New(t)
	ctx := context.Background()
	zip := bootstrapZip(t, "x")
	// Pending (for an hour): updates and publish answer 409, reads and tags do not.
	k.Server.Inject(emulator.Fault{Op: "CreateFunction", Delay: time.Hour})
	if _, err := k.Lambda.CreateFunction(ctx, newCreateInput("pending", zip)); err != nil {
		t.Fatal(err)
	}
	_, err := k.Lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("pending"), ZipFile: zip})
	if code, msg := apiErr(t, err); code != "ResourceConflictException" || msg != "The operation cannot be performed at this time. The function is currently in the following state: Pending" {
		t.Errorf("update while Pending: %s %q", code, msg)
	}
	if _, err := k.Lambda.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String("arn:aws:lambda:us-east-1:123456789012:function:pending"), Tags: map[string]string{"a": "b"}}); err != nil {
		t.Errorf("tag while Pending: %v", err)
	}
	if _, err := k.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("pending")}); err != nil {
		t.Errorf("read while Pending: %v", err)
	}

	create(t, k, "fn", zip)
	// The winning update's transition takes an hour.
	k.Server.Inject(emulator.Fault{Op: "UpdateFunctionConfiguration", Delay: time.Hour})
	// Concurrent updates: exactly one wins, the others get 409.
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = k.Lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("fn"), Timeout: aws.Int32(int32(10 + i))})
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		var rce *types.ResourceConflictException
		switch {
		case err == nil:
			ok++
		case errors.As(err, &rce):
			if want := "The operation cannot be performed at this time. An update is in progress for resource: arn:aws:lambda:us-east-1:123456789012:function:fn"; aws.ToString(rce.Message) != want {
				t.Errorf("409 message %q, want %q", aws.ToString(rce.Message), want)
			}
		default:
			t.Errorf("concurrent update: %v", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d concurrent updates succeeded, want 1", ok)
	}
	_, err = k.Lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")})
	var rce *types.ResourceConflictException
	if !errors.As(err, &rce) {
		t.Errorf("publish while InProgress: %v, want 409", err)
	}
}
