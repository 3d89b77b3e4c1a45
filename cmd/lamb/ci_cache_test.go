package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-cmp/cmp"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/lambctl/lamb/emulator/emulatortest"
	"github.com/lambctl/lamb/internal/s3cache"
	samplerepo "github.com/lambctl/lamb/internal/sample"
)

// copyTree copies the files of src that git tracks to dst: what a fresh
// clone has, never the .lamb/ a quickstart run leaves behind.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	if err := samplerepo.Copy(src, dst); err != nil {
		t.Fatal(err)
	}
}

// TestSharedCacheAcrossClones runs `lamb build --cache s3://...` in
// separate clones, each with its own empty local artifact cache, against
// an in-process S3 (gofakes3) reached by the real SDK client through
// AWS_ENDPOINT_URL_S3: the first clone builds and uploads, the second
// builds nothing and gets the same zips, and after the objects are
// corrupted a third clone ignores them, rebuilds and repairs the cache.
func TestSharedCacheAcrossClones(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Go binaries")
	}
	wd, backend, tmp := s3Env(t)
	args := []string{"build", "--cache", "s3://lamb-cache/ci", "mailer", "orders-get"}

	out1, _ := lambIn(t, wd, tmp, "runner1", args...)
	first, st1 := sums(out1), statuses(out1)
	if len(first) != 2 || st1["mailer"] != "built" || st1["orders-get"] != "built" {
		t.Fatalf("runner1 output:\n%s\nwant mailer and orders-get built", out1)
	}
	keys := objectKeys(t, backend)
	if len(keys) != 2 {
		t.Fatalf("bucket holds %q after the first build, want 2 zips", keys)
	}

	// A fresh runner, with an empty local cache: everything comes from S3,
	// byte for byte, without the go command.
	out2, err2 := lambIn(t, wd, tmp, "runner2", args...)
	if diff := cmp.Diff(first, sums(out2)); diff != "" {
		t.Errorf("runner2 zips differ from runner1's (-runner1 +runner2):\n%s", diff)
	}
	if st := statuses(out2); st["mailer"] != "cached" || st["orders-get"] != "cached" {
		t.Errorf("runner2 output:\n%s\nwant both cached (no go build)", out2)
	}
	if strings.Contains(err2, "warning") || strings.Contains(err2, "go build") {
		t.Errorf("runner2 stderr:\n%s", err2)
	}

	// Corrupt every object, keeping its recorded checksum.
	for _, k := range keys {
		obj, err := backend.GetObject("lamb-cache", k, nil)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(obj.Contents)
		obj.Contents.Close()
		data[len(data)/2] ^= 0xff
		if _, err := backend.PutObject("lamb-cache", k, obj.Metadata, bytes.NewReader(data), int64(len(data)), nil); err != nil {
			t.Fatal(err)
		}
	}
	out3, err3 := lambIn(t, wd, tmp, "runner3", args...)
	if st := statuses(out3); st["mailer"] != "built" || st["orders-get"] != "built" {
		t.Errorf("runner3 output:\n%s\nwant both rebuilt after corruption", out3)
	}
	// The SDK's response checksum or lamb's own check rejects them.
	if n := strings.Count(err3, "warning: ignoring s3://lamb-cache/ci/"); n != 2 {
		t.Errorf("runner3 stderr has %d warnings about ignored objects, want 2:\n%s", n, err3)
	}
	if diff := cmp.Diff(first, sums(out3)); diff != "" {
		t.Errorf("runner3 rebuilt other zips (-runner1 +runner3):\n%s", diff)
	}
	// The rebuild repaired the cache.
	for _, k := range keys {
		obj, err := backend.GetObject("lamb-cache", k, nil)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(obj.Contents)
		obj.Contents.Close()
		want := ""
		for mk, mv := range obj.Metadata {
			if strings.EqualFold(mk, "X-Amz-Meta-"+s3cache.MetaCodeSha256) {
				want = mv
			}
		}
		if got := zipSha(data); got != want {
			t.Errorf("object %s still corrupt after the rebuild: sha %s, recorded %s", k, got, want)
		}
	}
}

// sums maps function to the CodeSha256 column of lamb build's text output
// (NAME ARCH SIZE UNIT SHA256 STATUS).
func sums(out string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) > 2 {
			m[f[0]] = f[len(f)-2]
		}
	}
	return m
}

// statuses maps function to the last column of lamb build's text output.
func statuses(out string) map[string]string {
	st := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) > 1 {
			st[f[0]] = f[len(f)-1]
		}
	}
	return st
}

func objectKeys(t *testing.T, backend *s3mem.Backend) []string {
	t.Helper()
	objs, err := backend.ListBucket("lamb-cache", &gofakes3.Prefix{}, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range objs.Contents {
		keys = append(keys, o.Key)
	}
	return keys
}

func zipSha(data []byte) string {
	h := sha256.Sum256(data)
	return base64.StdEncoding.EncodeToString(h[:])
}

// s3Env prepares a test that runs lamb against an in-process S3 (gofakes3,
// bucket lamb-cache) reached through AWS_ENDPOINT_URL_S3, with the real Go
// caches kept when XDG_CACHE_HOME moves. It returns the working directory
// (restored at the end), the S3 backend and a temporary directory.
func s3Env(t *testing.T) (string, *s3mem.Backend, string) {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(wd) // lamb -C changes directory; restore it afterwards
	for _, k := range []string{"GOCACHE", "GOMODCACHE"} {
		v, err := goEnvValue(k)
		if err != nil {
			t.Fatal(err)
		}
		t.Setenv(k, v) // keep the real caches when XDG_CACHE_HOME moves
	}
	backend := s3mem.New()
	if err := backend.CreateBucket("lamb-cache"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	tmp := t.TempDir()
	t.Setenv("AWS_ENDPOINT_URL_S3", srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "lamb")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "lamb")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(tmp, "aws-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(tmp, "aws-credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("GITHUB_ACTIONS", "")
	t.Setenv("CI", "true")
	return wd, backend, tmp
}

// lambIn runs lamb args in a fresh clone of the sample monorepo named name
// under tmp, as a fresh runner (its own empty local artifact cache).
func lambIn(t *testing.T, wd, tmp, name string, args ...string) (stdout, stderr string) {
	t.Helper()
	clone := filepath.Join(tmp, name)
	copyTree(t, filepath.Join(wd, "..", "..", "testdata", "monorepo"), clone)
	t.Setenv("XDG_CACHE_HOME", filepath.Join(tmp, name+"-cache"))
	var out, errb bytes.Buffer
	start := time.Now()
	code := run(context.Background(), append([]string{"-C", clone}, args...), proc{Stdout: &out, Stderr: &errb, Getenv: os.Getenv})
	t.Logf("%s: lamb %s: %v", name, strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	t.Chdir(wd)
	if code != 0 {
		t.Fatalf("%s: lamb %s exited %d\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), code, out.String(), errb.String())
	}
	return out.String(), errb.String()
}

// liveState is what a deploy leaves in Lambda for each function: code,
// fingerprint tag and the version the alias points to.
func liveState(t *testing.T, k *emulatortest.Kit) map[string]string {
	t.Helper()
	ctx := context.Background()
	c := k.Lambda
	list, err := c.ListFunctions(ctx, &lambda.ListFunctionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	state := map[string]string{}
	for _, f := range list.Functions {
		name := aws.ToString(f.FunctionName)
		fn, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: f.FunctionName})
		if err != nil {
			t.Fatal(err)
		}
		alias, err := c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: f.FunctionName, Name: aws.String("live")})
		if err != nil {
			t.Fatalf("%s: alias live: %v", name, err)
		}
		state[name] = fmt.Sprintf("code=%s fingerprint=%s arch=%v alias=%s",
			aws.ToString(fn.Configuration.CodeSha256), fn.Tags["lamb:fingerprint"],
			fn.Configuration.Architectures, aws.ToString(alias.FunctionVersion))
	}
	return state
}

// newEmulator serves an emulator that stands in for AWS: it hides
// /_lamb/info, so lamb deploys the manifest's architectures to it (the
// zips the shards built), as it would to AWS.
func newEmulator(t *testing.T) *emulatortest.Kit {
	t.Helper()
	return emulatortest.New(t, emulatortest.WithHandler(func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/_lamb/info" {
				http.NotFound(w, r)
				return
			}
			h.ServeHTTP(w, r)
		})
	}))
}

// TestShardedBuildThenDeploy is the fan-out workflow of
// docs/github-actions.md: two runners each build their shard into the
// shared cache, a third deploys everything without running go build, and
// the live state equals that of a single lamb deploy.
func TestShardedBuildThenDeploy(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Go binaries")
	}
	wd, backend, tmp := s3Env(t)
	const cache = "s3://lamb-cache/fanout"
	// Three of the sample's functions keep the test fast; the workflow is
	// the same for all of them.
	fns := []string{"mailer", "orders-get", "worker"}
	out1, _ := lambIn(t, wd, tmp, "shard1", append([]string{"build", "--shard", "1/2", "--cache", cache}, fns...)...)
	out2, _ := lambIn(t, wd, tmp, "shard2", append([]string{"build", "--shard", "2/2", "--cache", cache}, fns...)...)
	s1, s2 := statuses(out1), statuses(out2)
	for name := range s1 {
		if _, ok := s2[name]; ok {
			t.Errorf("%s built by both shards", name)
		}
	}
	if len(s1)+len(s2) != len(fns) || len(s1) == 0 || len(s2) == 0 {
		t.Errorf("shards built %v and %v; want %v split between them", s1, s2, fns)
	}
	if keys := objectKeys(t, backend); len(keys) != len(fns) {
		t.Errorf("cache holds %d zips, want %d", len(keys), len(fns))
	}

	fanout := newEmulator(t)
	_, errDeploy := lambIn(t, wd, tmp, "deployer", append([]string{"deploy", "--endpoint", fanout.URL, "--cache", cache}, fns...)...)
	if strings.Contains(errDeploy, "go build") {
		t.Errorf("the deploy job ran go build:\n%s", errDeploy)
	}

	single := newEmulator(t)
	lambIn(t, wd, tmp, "single", append([]string{"deploy", "--endpoint", single.URL}, fns...)...)

	got, want := liveState(t, fanout), liveState(t, single)
	if len(want) != len(fns) {
		t.Fatalf("single deploy left %d functions, want %d", len(want), len(fns))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fan-out live state differs from a single deploy (-single +fanout):\n%s", diff)
	}
}
