package deployer_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
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

func TestDeployThroughS3(t *testing.T) {
	backend := s3mem.New()
	if err := backend.CreateBucket("artifacts"); err != nil {
		t.Fatal(err)
	}
	s3srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(s3srv.Close)
	e := newTestEnv(t, emulator.Options{S3Endpoint: s3srv.URL})
	s3c := s3.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("lamb", "lamb", ""),
		Retryer:     deployer.NewRetryer,
	}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(s3srv.URL)
		o.UsePathStyle = true
	})
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
