package emulator

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
)

const testRole = "arn:aws:iam::123456789012:role/lambda"

// harness is an emulator behind a real HTTP server, and a real SDK client.
type harness struct {
	s   *Server
	url string
	c   *lambda.Client
}

func newHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		ts.Close()
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return &harness{s: s, url: ts.URL, c: newClient(ts.URL, 1)}
}

func newClient(url string, attempts int) *lambda.Client {
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("x", "x", ""),
	}
	return lambda.NewFromConfig(cfg, func(o *lambda.Options) {
		o.BaseEndpoint = aws.String(url)
		o.RetryMaxAttempts = attempts
	})
}

// makeZip returns a deployment package holding files.
func makeZip(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(0o755)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func bootstrapZip(t testing.TB, content string) []byte {
	return makeZip(t, map[string]string{"bootstrap": content})
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

func newCreateInput(name string, zip []byte) *lambda.CreateFunctionInput {
	return &lambda.CreateFunctionInput{
		FunctionName:  aws.String(name),
		Runtime:       types.RuntimeProvidedal2023,
		Role:          aws.String(testRole),
		Handler:       aws.String("bootstrap"),
		Code:          &types.FunctionCode{ZipFile: zip},
		Architectures: []types.Architecture{types.ArchitectureArm64},
	}
}

func (h *harness) waitActive(t *testing.T, name string) {
	t.Helper()
	w := lambda.NewFunctionActiveV2Waiter(h.c, func(o *lambda.FunctionActiveV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = time.Millisecond, 10*time.Millisecond
	})
	if err := w.Wait(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(name)}, 10*time.Second); err != nil {
		t.Fatalf("wait active %s: %v", name, err)
	}
}

func (h *harness) waitUpdated(t *testing.T, name string) error {
	t.Helper()
	w := lambda.NewFunctionUpdatedV2Waiter(h.c, func(o *lambda.FunctionUpdatedV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = time.Millisecond, 10*time.Millisecond
	})
	return w.Wait(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(name)}, 10*time.Second)
}

// create makes an Active function.
func (h *harness) create(t *testing.T, name string, zip []byte) *lambda.CreateFunctionOutput {
	t.Helper()
	out, err := h.c.CreateFunction(context.Background(), newCreateInput(name, zip))
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	h.waitActive(t, name)
	return out
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
