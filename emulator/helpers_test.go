package emulator_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/lambctl/lamb/emulator/emulatortest"
)

const testRole = emulatortest.Role

func bootstrapZip(t testing.TB, content string) []byte {
	return emulatortest.Zip(t, map[string]string{"bootstrap": content})
}

// sha is the CodeSha256 of a zip.
func sha(b []byte) string {
	s := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

// hexSHA names a zip in the state directory's code/.
func hexSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// newCreateInput is emulatortest.CreateInput for arm64 (these tests do not
// run the code).
func newCreateInput(name string, zip []byte) *lambda.CreateFunctionInput {
	in := emulatortest.CreateInput(name, zip)
	in.Architectures = []types.Architecture{types.ArchitectureArm64}
	return in
}

// create makes an Active function.
func create(t *testing.T, k *emulatortest.Kit, name string, zip []byte) *lambda.CreateFunctionOutput {
	t.Helper()
	return k.CreateFunction(t, newCreateInput(name, zip))
}

// apiErr returns the error code and message of an SDK error.
func apiErr(t *testing.T, err error) (code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("not an API error: %v", err)
	}
	return ae.ErrorCode(), ae.ErrorMessage()
}
