package deployer_test

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/lambctl/lamb/deployer"
	"github.com/lambctl/lamb/emulator"
)

// countingS3 counts PutObject calls.
type countingS3 struct {
	deployer.S3API
	puts atomic.Int32
}

func (c *countingS3) PutObject(ctx context.Context, in *s3.PutObjectInput, o ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	c.puts.Add(1)
	return c.S3API.PutObject(ctx, in, o...)
}

// fakeS3 serves an in-memory S3 holding bucket, and returns its backend,
// its URL and a client of it that retries as lamb's do.
func fakeS3(t testing.TB, bucket string) (*s3mem.Backend, string, *s3.Client) {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	c := s3.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("lamb", "lamb", ""),
		Retryer:     deployer.NewRetryer,
	}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.UsePathStyle = true
	})
	return backend, srv.URL, c
}

func TestDeployThroughS3(t *testing.T) {
	backend, s3url, s3c := fakeS3(t, "artifacts")
	e := newTestEnv(t, emulator.Options{S3Endpoint: s3url})
	counting := &countingS3{S3API: s3c}
	ctx := context.Background()
	w := e.world(t, map[string]string{"a": "fa1", "b": "fb1"})
	opts := testOptions(e)
	opts.S3, opts.Bucket = counting, "artifacts"
	if _, _, err := e.deploy(ctx, t, w, opts); err != nil {
		t.Fatal(err)
	}
	e.checkConverged(t, w)
	if n := counting.puts.Load(); n != 2 {
		t.Errorf("%d uploads, want 2", n)
	}
	objs, err := backend.ListBucket("artifacts", &gofakes3.Prefix{}, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs.Contents {
		if !strings.HasPrefix(o.Key, "lamb/") || !strings.HasSuffix(o.Key, ".zip") || len(o.Key) != len("lamb/")+64+len(".zip") {
			t.Errorf("object key %q, want lamb/<sha256 hex>.zip", o.Key)
		}
	}

	// b goes back to its first code: the object exists, nothing is uploaded.
	w.set(t, e, "b", "fb2")
	if _, _, err := e.deploy(ctx, t, w, opts); err != nil {
		t.Fatal(err)
	}
	w.set(t, e, "b", "fb1")
	counting.puts.Store(0)
	if _, _, err := e.deploy(ctx, t, w, opts); err != nil {
		t.Fatal(err)
	}
	if n := counting.puts.Load(); n != 0 {
		t.Errorf("redeploying known code uploaded %d objects, want 0", n)
	}
	e.checkConverged(t, w)
}

// bigArtifact writes a zip of name over size bytes: a bootstrap and
// size bytes of random (incompressible, stored) data.
func (e *testEnv) bigArtifact(t testing.TB, name, fingerprint string, size int) deployer.Artifact {
	t.Helper()
	path := filepath.Join(e.dir, name+"-"+fingerprint+".zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	zw := zip.NewWriter(io.MultiWriter(f, h))
	bh := &zip.FileHeader{Name: "bootstrap", Method: zip.Store, Modified: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)}
	bh.SetMode(0o755)
	w, err := zw.CreateHeader(bh)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(w, "#!/bin/sh\n# %s %s\n", name, fingerprint)
	w, err = zw.CreateHeader(&zip.FileHeader{Name: "data.bin", Method: zip.Store, Modified: bh.Modified})
	if err != nil {
		t.Fatal(err)
	}
	var seed [32]byte
	copy(seed[:], fingerprint)
	if _, err := io.CopyN(w, rand.NewChaCha8(seed), int64(size)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return deployer.Artifact{Function: name, Fingerprint: fingerprint, Path: path, CodeSha256: base64.StdEncoding.EncodeToString(h.Sum(nil)), Size: st.Size()}
}

// TestLargeZipThroughS3 deploys a 60 MB function through the artifact
// bucket: the plan says so before anything is built, the local Lambda
// takes the code from S3 (issue 11 #8).
func TestLargeZipThroughS3(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 60 MB through S3")
	}
	_, s3url, s3c := fakeS3(t, "artifacts")
	e := newTestEnv(t, emulator.Options{S3Endpoint: s3url})
	ctx := context.Background()
	w := e.world(t, map[string]string{"big": "fb1"})
	w.arts["big"] = e.bigArtifact(t, "big", "fb1", 60<<20)
	opts := testOptions(e)
	opts.S3, opts.Bucket = s3c, "artifacts"
	plan, res, err := e.deploy(ctx, t, w, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.Functions[0].Upload; got != "s3://artifacts" {
		t.Errorf("plan upload %q, want s3://artifacts", got)
	}
	var text strings.Builder
	if err := plan.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "code uploaded through s3://artifacts") {
		t.Errorf("plan text does not say how the code is uploaded:\n%s", text.String())
	}
	if res.Created != 1 {
		t.Errorf("result %s", res.Summary())
	}
	e.checkConverged(t, w)
	for _, c := range e.srv.Calls() {
		if c.Op == "CreateFunction" && c.Status != 201 {
			t.Errorf("CreateFunction answered %d", c.Status)
		}
	}
}

// TestLargeZipLocalS3 deploys a 60 MB function to the local Lambda
// through its own S3 endpoint, as lamb deploy --local does: only the
// package over the direct upload limit goes through S3 (BucketForLarge).
func TestLargeZipLocalS3(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 60 MB through S3")
	}
	t.Parallel()
	e := newTestEnv(t, emulator.Options{})
	ctx := context.Background()
	w := e.world(t, map[string]string{"big": "fb1", "small": "fs1"})
	w.arts["big"] = e.bigArtifact(t, "big", "fb1", 60<<20)
	counting := &countingS3{S3API: e.s3}
	opts := testOptions(e)
	opts.S3, opts.Bucket, opts.BucketForLarge = counting, emulator.DefaultS3Bucket, true
	if _, _, err := e.deploy(ctx, t, w, opts); err != nil {
		t.Fatal(err)
	}
	if n := counting.puts.Load(); n != 1 {
		t.Errorf("%d uploads to S3, want 1 (big's)", n)
	}
	e.checkConverged(t, w)
}

// TestBucketForLarge sends only packages over the direct upload limit
// through the bucket, as a local Lambda does: the plan says direct until a
// size is known, CheckUploads sends a large one through S3 instead of
// failing it, and small ones never reach S3.
func TestBucketForLarge(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, emulator.Options{})
	ctx := context.Background()
	w := e.world(t, map[string]string{"big": "fb1", "small": "fs1"})
	counting := &countingS3{S3API: e.s3}
	opts := testOptions(e)
	opts.S3, opts.Bucket, opts.BucketForLarge = counting, emulator.DefaultS3Bucket, true
	plan, err := deployer.New(opts).Plan(ctx, w.desired)
	if err != nil {
		t.Fatal(err)
	}
	uploads := func() map[string]string {
		out := map[string]string{}
		for _, f := range plan.Functions {
			out[f.Name] = f.Upload
		}
		return out
	}
	if diff := cmp.Diff(map[string]string{"big": "direct", "small": "direct"}, uploads()); diff != "" {
		t.Errorf("plan uploads (-want +got):\n%s", diff)
	}
	if err := plan.CheckUploads(map[string]int64{"big": deployer.MaxDirectUpload + 1, "small": 1000}); err != nil {
		t.Errorf("CheckUploads: %v", err)
	}
	if diff := cmp.Diff(map[string]string{"big": "s3://" + emulator.DefaultS3Bucket, "small": "direct"}, uploads()); diff != "" {
		t.Errorf("uploads after CheckUploads (-want +got):\n%s", diff)
	}
	text, _ := renderPlan(t, plan)
	if n := strings.Count(text, "code uploaded through s3://"+emulator.DefaultS3Bucket); n != 1 {
		t.Errorf("plan says %d times that code goes through S3, want once (big):\n%s", n, text)
	}

	if _, _, err := e.deploy(ctx, t, w, opts); err != nil {
		t.Fatal(err)
	}
	if n := counting.puts.Load(); n != 0 {
		t.Errorf("%d uploads to S3, want none (every zip is small)", n)
	}
	for _, c := range e.srv.Calls() {
		if c.Op == "CreateFunction" && c.Status != 201 {
			t.Errorf("CreateFunction %s answered %d", c.Function, c.Status)
		}
	}
	e.checkConverged(t, w)
}

// TestLargeZipWithoutBucket refuses a zip over 50 MB when there is no
// artifact bucket: in the plan before building (CheckUploads with a
// known size) and in Deploy before any call to Lambda.
func TestLargeZipWithoutBucket(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, emulator.Options{})
	ctx := context.Background()
	w := e.world(t, map[string]string{"big": "fb1", "small": "fs1"})
	d := deployer.New(testOptions(e))

	plan, err := d.Plan(ctx, w.desired)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range plan.Functions {
		if f.Upload != deployer.UploadDirect {
			t.Errorf("%s: upload %q, want direct", f.Name, f.Upload)
		}
	}
	err = plan.CheckUploads(map[string]int64{"big": deployer.MaxDirectUpload + 1, "small": 1000})
	want := "big: upload: the zip is 50.0 MB (52428801 bytes), over Lambda's direct upload limit of 52428800 bytes (50 MB): set artifact_bucket in the stage so that it goes through S3"
	if err == nil || err.Error() != want {
		t.Errorf("CheckUploads: %v\nwant %s", err, want)
	}
	if diff := cmp.Diff([]string{"small"}, plan.NeedCode()); diff != "" {
		t.Errorf("NeedCode after CheckUploads (-want +got):\n%s", diff)
	}

	// Deploy checks the artifacts it is given the same way.
	plan, err = d.Plan(ctx, w.desired)
	if err != nil {
		t.Fatal(err)
	}
	big := e.bigArtifact(t, "big", "fb1", 51<<20)
	res, err := d.Deploy(ctx, plan, []deployer.Artifact{big, w.arts["small"]})
	if err == nil || !strings.HasPrefix(err.Error(), "big: upload: the zip is 51.0 MB") {
		t.Errorf("deploy error %v, want big's upload refused", err)
	}
	if got := res.Summary(); got != "created 1, updated 0, unchanged 0, failed 1" {
		t.Errorf("result %s", got)
	}
	for _, c := range e.srv.Calls() {
		if c.Function == "big" && c.Mutating {
			t.Errorf("big: %s sent to Lambda", c.Op)
		}
	}
}
