package s3cache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		in      string
		want    Location
		wantErr bool
	}{
		{in: "s3://my-bucket", want: Location{Bucket: "my-bucket"}},
		{in: "s3://my-bucket/", want: Location{Bucket: "my-bucket"}},
		{in: "s3://my.bucket/lamb/cache/", want: Location{Bucket: "my.bucket", Prefix: "lamb/cache"}},
		{in: "s3://b12/p", want: Location{Bucket: "b12", Prefix: "p"}},
		{in: "https://bucket/p", wantErr: true},
		{in: "bucket/p", wantErr: true},
		{in: "s3://", wantErr: true},
		{in: "s3://ab/p", wantErr: true},
		{in: "s3://My-Bucket/p", wantErr: true},
		{in: "s3://-bucket/p", wantErr: true},
		{in: "s3://bucket-/p", wantErr: true},
		{in: "s3://bucket/a//b", wantErr: true},
		{in: "s3://bucket/a/../b", wantErr: true},
		{in: "s3://bucket/p?x=1", wantErr: true},
		{in: "s3://user@bucket/p", wantErr: true},
		{in: "s3://bucket:9000/p", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseURL(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseURL(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if err == nil {
				if back, err := ParseURL(got.String()); err != nil || back != got {
					t.Errorf("ParseURL(%q) = %v, %v; want %v", got.String(), back, err, got)
				}
			}
		})
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"s3://bucket/p", "s3://b.c-d/x/y/", "s3://x", "s3://bucket/../x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		loc, err := ParseURL(s)
		if err != nil {
			return
		}
		if !validBucket(loc.Bucket) || strings.HasPrefix(loc.Prefix, "/") || strings.HasSuffix(loc.Prefix, "/") {
			t.Fatalf("ParseURL(%q) = %+v", s, loc)
		}
		for _, part := range strings.Split(loc.Prefix, "/") {
			if loc.Prefix != "" && (part == ".." || part == "." || part == "") {
				t.Fatalf("ParseURL(%q) prefix %q has %q", s, loc.Prefix, part)
			}
		}
	})
}

// env is an in-process S3 (gofakes3) with the real SDK client, path-style.
type env struct {
	backend *s3mem.Backend
	client  *s3.Client
	cache   *Cache
	mu      sync.Mutex
	warns   []string
}

const bucket = "lamb-cache"

func newEnv(t *testing.T, prefix string) *env {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	client := s3.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("lamb", "lamb", ""),
	}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.UsePathStyle = true
	})
	e := &env{backend: backend, client: client}
	e.cache = New(client, Location{Bucket: bucket, Prefix: prefix}, Options{Warn: e.warn})
	return e
}

func (e *env) warn(msg string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.warns = append(e.warns, msg)
}

func (e *env) warnings() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.warns...)
}

// putRaw stores an object directly in the backend, bypassing Put.
func (e *env) putRaw(t *testing.T, key string, data []byte, meta map[string]string) {
	t.Helper()
	hdr := map[string]string{}
	for k, v := range meta {
		hdr["X-Amz-Meta-"+k] = v
	}
	if _, err := e.backend.PutObject(bucket, key, hdr, bytes.NewReader(data), int64(len(data)), nil); err != nil {
		t.Fatal(err)
	}
}

func sum(data []byte) string {
	h := sha256.Sum256(data)
	return base64.StdEncoding.EncodeToString(h[:])
}

func writeZip(t *testing.T, dir string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, "fn.zip")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var zipData = bytes.Repeat([]byte("PK\x03\x04 reproducible zip bytes "), 4000)

const key = "3f2a9c0e7b1d4a5c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f"

func TestPutThenGet(t *testing.T) {
	e := newEnv(t, "ci/cache")
	ctx := context.Background()
	src := writeZip(t, t.TempDir(), zipData)
	if err := e.cache.Put(ctx, key, src, sum(zipData)); err != nil {
		t.Fatal(err)
	}
	obj, err := e.backend.HeadObject(bucket, "ci/cache/"+key+".zip")
	if err != nil {
		t.Fatalf("object not at <prefix>/<key>.zip: %v", err)
	}
	if got := metaValue(obj.Metadata, "X-Amz-Meta-"+MetaCodeSha256); got != sum(zipData) {
		t.Errorf("metadata %s = %q, want %q (all: %v)", MetaCodeSha256, got, sum(zipData), obj.Metadata)
	}

	// Another runner: a different directory, the same bucket.
	dest := filepath.Join(t.TempDir(), "dist.zip")
	hit, err := e.cache.Get(ctx, key, dest)
	if err != nil || !hit {
		t.Fatalf("Get = %v, %v; want hit", hit, err)
	}
	got, err := os.ReadFile(dest)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, zipData) {
		t.Error("downloaded zip differs from the uploaded one")
	}
	if w := e.warnings(); len(w) != 0 {
		t.Errorf("warnings on a clean hit: %q", w)
	}
	assertNoTemp(t, filepath.Dir(dest))
}

func TestGetMiss(t *testing.T) {
	e := newEnv(t, "")
	dest := filepath.Join(t.TempDir(), "dist.zip")
	hit, err := e.cache.Get(context.Background(), key, dest)
	if err != nil || hit {
		t.Fatalf("Get = %v, %v; want a clean miss", hit, err)
	}
	assertAbsent(t, dest)
	if w := e.warnings(); len(w) != 0 {
		t.Errorf("warnings on a miss: %q", w)
	}
}

func TestGetIgnoresBadObjects(t *testing.T) {
	half := zipData[:len(zipData)/2]
	corrupt := bytes.Clone(zipData)
	corrupt[100] ^= 0xff
	tests := []struct {
		name    string
		data    []byte
		meta    map[string]string
		sidecar string // content of the sidecar object, if any
		max     int64
		want    bool
		warning string
	}{
		{name: "corrupt", data: corrupt, meta: map[string]string{MetaCodeSha256: sum(zipData)}, warning: "does not match"},
		{name: "partial", data: half, meta: map[string]string{MetaCodeSha256: sum(zipData)}, warning: "does not match"},
		{name: "empty", data: nil, meta: map[string]string{MetaCodeSha256: sum(zipData)}, warning: "does not match"},
		{name: "no checksum", data: zipData, warning: "no recorded"},
		{name: "sidecar", data: zipData, sidecar: sum(zipData) + "\n", want: true},
		{name: "wrong sidecar", data: zipData, sidecar: sum(half), warning: "does not match"},
		{name: "metadata wins over sidecar", data: zipData, meta: map[string]string{MetaCodeSha256: sum(zipData)}, sidecar: "junk", want: true},
		{name: "too large", data: zipData, meta: map[string]string{MetaCodeSha256: sum(zipData)}, max: 1000, warning: "limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, "p")
			if tt.max > 0 {
				e.cache.o.MaxSize = tt.max
			}
			e.putRaw(t, "p/"+key+".zip", tt.data, tt.meta)
			if tt.sidecar != "" {
				e.putRaw(t, "p/"+key+".zip"+SidecarSuffix, []byte(tt.sidecar), nil)
			}
			dir := t.TempDir()
			dest := filepath.Join(dir, "dist.zip")
			hit, err := e.cache.Get(context.Background(), key, dest)
			if err != nil {
				t.Fatalf("Get error = %v; a bad object must be a miss, not an error", err)
			}
			if hit != tt.want {
				t.Fatalf("Get hit = %v, want %v (warnings %q)", hit, tt.want, e.warnings())
			}
			w := e.warnings()
			if tt.warning == "" && len(w) != 0 {
				t.Errorf("unexpected warnings %q", w)
			}
			if tt.warning != "" && (len(w) != 1 || !strings.Contains(w[0], tt.warning) || !strings.Contains(w[0], "s3://lamb-cache/p/"+key+".zip")) {
				t.Errorf("warnings = %q, want one naming the object and containing %q", w, tt.warning)
			}
			if hit {
				got, _ := os.ReadFile(dest)
				if !bytes.Equal(got, zipData) {
					t.Error("hit with wrong bytes")
				}
			} else {
				assertAbsent(t, dest)
			}
			assertNoTemp(t, dir)
		})
	}
}

// truncating cuts every object body short with an error, as a dropped
// connection does.
type truncating struct{ API }

func (tr truncating) GetObject(ctx context.Context, in *s3.GetObjectInput, o ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	out, err := tr.API.GetObject(ctx, in, o...)
	if err != nil {
		return nil, err
	}
	out.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(io.LimitReader(out.Body, 10), errReader{}), out.Body}
	return out, nil
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset by peer") }

func TestGetDroppedConnection(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	if err := e.cache.Put(ctx, key, writeZip(t, t.TempDir(), zipData), sum(zipData)); err != nil {
		t.Fatal(err)
	}
	c := New(truncating{e.client}, e.cache.Location(), Options{Warn: e.warn})
	dir := t.TempDir()
	dest := filepath.Join(dir, "dist.zip")
	if err := os.WriteFile(dest, []byte("previous"), 0o644); err != nil {
		t.Fatal(err)
	}
	hit, err := c.Get(ctx, key, dest)
	if err != nil || hit {
		t.Fatalf("Get = %v, %v; want a miss", hit, err)
	}
	if w := e.warnings(); len(w) != 1 || !strings.Contains(w[0], "connection reset") {
		t.Errorf("warnings = %q", w)
	}
	if got, _ := os.ReadFile(dest); string(got) != "previous" {
		t.Errorf("dest = %q; a miss must leave it untouched", got)
	}
	assertNoTemp(t, dir)
}

func TestGetErrors(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	c := New(e.client, Location{Bucket: "no-such-bucket"}, Options{})
	if hit, err := c.Get(ctx, key, filepath.Join(t.TempDir(), "x.zip")); err == nil || hit {
		t.Errorf("Get from a missing bucket = %v, %v; want an error", hit, err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if hit, err := e.cache.Get(cancelled, key, filepath.Join(t.TempDir(), "x.zip")); err == nil || hit {
		t.Errorf("Get with a cancelled context = %v, %v; want an error", hit, err)
	}
}

func TestPutErrors(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	src := writeZip(t, t.TempDir(), zipData)
	if err := e.cache.Put(ctx, key, src, sum([]byte("other"))); err == nil {
		t.Error("Put with a wrong checksum succeeded")
	}
	if err := e.cache.Put(ctx, key, filepath.Join(t.TempDir(), "missing.zip"), sum(zipData)); err == nil {
		t.Error("Put of a missing file succeeded")
	}
	if _, err := e.backend.HeadObject(bucket, key+".zip"); err == nil {
		t.Error("a failed Put left an object")
	}
	c := New(e.client, Location{Bucket: "no-such-bucket"}, Options{})
	if err := c.Put(ctx, key, src, sum(zipData)); err == nil {
		t.Error("Put to a missing bucket succeeded")
	}
}

func TestInvalidKeys(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	src := writeZip(t, t.TempDir(), zipData)
	for _, k := range []string{"", "../x", "a/b", ".hidden", "a b", strings.Repeat("a", 201)} {
		if _, err := e.cache.Get(ctx, k, filepath.Join(t.TempDir(), "x.zip")); err == nil {
			t.Errorf("Get(key %q) succeeded", k)
		}
		if err := e.cache.Put(ctx, k, src, sum(zipData)); err == nil {
			t.Errorf("Put(key %q) succeeded", k)
		}
	}
}

func assertAbsent(t *testing.T, p string) {
	t.Helper()
	if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s exists after a miss (stat error %v)", p, err)
	}
}

func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".s3cache-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

// TestConcurrentWarnings gets many bad objects at once; Warn, which here
// appends to a plain slice, must never be called concurrently (-race).
func TestConcurrentWarnings(t *testing.T) {
	e := newEnv(t, "")
	var warns []string // deliberately unsynchronized
	c := New(e.client, e.cache.Location(), Options{Warn: func(m string) { warns = append(warns, m) }})
	const n = 8
	for i := range n {
		e.putRaw(t, fmt.Sprintf("k%d.zip", i), zipData, map[string]string{MetaCodeSha256: sum([]byte("other"))})
	}
	var wg sync.WaitGroup
	dir := t.TempDir()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if hit, err := c.Get(context.Background(), fmt.Sprintf("k%d", i), filepath.Join(dir, fmt.Sprintf("%d.zip", i))); hit || err != nil {
				t.Errorf("Get = %v, %v; want a miss", hit, err)
			}
		}()
	}
	wg.Wait()
	if len(warns) != n {
		t.Errorf("%d warnings, want %d", len(warns), n)
	}
}
