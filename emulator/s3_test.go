package emulator_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/lambctl/lamb/emulator"
	"github.com/lambctl/lamb/emulator/emulatortest"
	"github.com/lambctl/lamb/internal/lambdaspec"
)

// bigZip is the probe with a filler of n incompressible bytes and a
// version.txt holding version.
func bigZip(t *testing.T, n int, version string) []byte {
	t.Helper()
	probe := probeZip(t)
	src, err := zip.NewReader(bytes.NewReader(probe), int64(len(probe)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range src.File {
		if err := zw.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	filler := make([]byte, n)
	rng := rand.NewChaCha8([32]byte{1})
	rng.Read(filler)
	for name, body := range map[string][]byte{"filler.bin": filler, "version.txt": []byte(version)} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestCodeFromOwnS3: code over the 50 MB direct-upload limit goes through
// S3 as on AWS: the local Lambda serves an S3 endpoint itself, the real S3
// client uploads to it, and CreateFunction / UpdateFunctionCode take
// S3Bucket/S3Key.
func TestCodeFromOwnS3(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs a function")
	}
	size := 60 << 20
	if raceEnabled {
		size = 1 << 20 // the same path; 60 MB through -race is slow
	}
	k := emulatortest.New(t, emulatortest.WithRuntime())
	ctx := context.Background()
	if k.S3Endpoint != k.URL+emulator.S3Path {
		t.Errorf("S3Endpoint %q", k.S3Endpoint)
	}
	zipA := bigZip(t, size, "A")
	if !raceEnabled && len(zipA) <= lambdaspec.DirectUploadLimit {
		t.Fatalf("zip of %d bytes: not over the direct upload limit", len(zipA))
	}
	// As the deployer uploads: HeadObject (not there), then PutObject.
	_, err := k.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(emulator.DefaultS3Bucket), Key: aws.String("fn/a.zip")})
	var nf *s3types.NotFound
	if !errors.As(err, &nf) {
		t.Fatalf("HeadObject of a missing key: %v", err)
	}
	if _, err := k.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(emulator.DefaultS3Bucket), Key: aws.String("fn/a.zip"),
		Body: bytes.NewReader(zipA), ContentType: aws.String("application/zip"), Metadata: map[string]string{"code-sha256": sha(zipA)}}); err != nil {
		t.Fatal(err)
	}
	in := emulatortest.CreateInput("big", nil)
	in.Code = &types.FunctionCode{S3Bucket: aws.String(emulator.DefaultS3Bucket), S3Key: aws.String("fn/a.zip")}
	out := k.CreateFunction(t, in)
	if aws.ToString(out.CodeSha256) != sha(zipA) || out.CodeSize != int64(len(zipA)) {
		t.Errorf("CodeSha256 %s CodeSize %d, want %s %d", aws.ToString(out.CodeSha256), out.CodeSize, sha(zipA), len(zipA))
	}
	runs := func(want string) {
		t.Helper()
		res, err := k.Lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("big"), Payload: []byte(`{"action":"file","message":"version.txt"}`)})
		if err != nil {
			t.Fatal(err)
		}
		if r := decodeReply(t, res.Payload); r.Message != want || res.FunctionError != nil {
			t.Errorf("code %q runs (%s), want %q", r.Message, res.Payload, want)
		}
	}
	runs("A")

	// Any bucket name works: buckets are created on first use.
	zipB := bigZip(t, size, "B")
	if _, err := k.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("acme-artifacts"), Key: aws.String("big/b.zip"), Body: bytes.NewReader(zipB)}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("big"),
		S3Bucket: aws.String("acme-artifacts"), S3Key: aws.String("big/b.zip")}); err != nil {
		t.Fatal(err)
	}
	if err := k.WaitUpdated(t, "big"); err != nil {
		t.Fatal(err)
	}
	runs("B")

	// AWS's errors for what S3 does not have.
	for _, c := range []struct{ bucket, key, code string }{
		{emulator.DefaultS3Bucket, "missing.zip", "NoSuchKey"},
		{"nobody", "x.zip", "NoSuchBucket"},
	} {
		_, err := k.Lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("big"), S3Bucket: aws.String(c.bucket), S3Key: aws.String(c.key)})
		if code, msg := apiErr(t, err); code != "InvalidParameterValueException" || msg != "Error occurred while GetObject. S3 Error Code: "+c.code+". S3 Error Message: "+map[string]string{"NoSuchKey": "The specified key does not exist.", "NoSuchBucket": "The specified bucket does not exist"}[c.code] {
			t.Errorf("s3://%s/%s: %s %q", c.bucket, c.key, code, msg)
		}
	}
}

// TestInfoS3: GET /_lamb/info tells a client where the S3 endpoint is and
// which bucket is there from the start.
func TestInfoS3(t *testing.T) {
	t.Parallel()
	k := emulatortest.New(t)
	resp, err := http.Get(k.URL + "/_lamb/info")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info emulator.Info
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		t.Fatal(err)
	}
	if info.S3Endpoint != k.S3Endpoint || info.S3Bucket != emulator.DefaultS3Bucket {
		t.Errorf("info %+v, want S3 endpoint %s bucket %s", info, k.S3Endpoint, emulator.DefaultS3Bucket)
	}
	out, err := k.S3.ListBuckets(context.Background(), &s3.ListBucketsInput{})
	if err != nil || len(out.Buckets) != 1 || aws.ToString(out.Buckets[0].Name) != emulator.DefaultS3Bucket {
		t.Errorf("ListBuckets: %v %v", out, err)
	}
}

// TestS3RefusesBrowsers: the S3 endpoint is under the same policy: a page
// cannot POST a form upload to it.
func TestS3RefusesBrowsers(t *testing.T) {
	t.Parallel()
	k := emulatortest.New(t)
	for _, c := range []struct {
		name   string
		header map[string]string
		status int
	}{
		{"form upload", map[string]string{"Content-Type": "multipart/form-data; boundary=x"}, 415},
		{"form upload from a page", map[string]string{"Content-Type": "multipart/form-data; boundary=x", "Origin": "https://evil.example"}, 403},
	} {
		if status, body := rawCall(t, k, "POST", emulator.S3Path+"/"+emulator.DefaultS3Bucket, "", c.header, "--x--"); status != c.status {
			t.Errorf("%s: %d, want %d (%s)", c.name, status, c.status, body)
		}
	}
	if status, body := rawCall(t, k, "GET", emulator.S3Path+"/"+emulator.DefaultS3Bucket, "rebind.attacker.example", nil, ""); status != 403 {
		t.Errorf("DNS rebinding list: %d (%s)", status, body)
	}
}
