package builder

import (
	"archive/zip"
	"context"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/lambctl/lamb/internal/s3cache"
)

// newS3Remote returns a shared artifact cache (s3cache) on an in-process
// S3, through the real SDK client.
func newS3Remote(t *testing.T) *s3cache.Cache {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket("cache"); err != nil {
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
	return s3cache.New(client, s3cache.Location{Bucket: "cache", Prefix: "lamb"}, s3cache.Options{})
}

// zipEntry returns the content of the entry name of the zip at zipPath.
func zipEntry(t *testing.T, zipPath, name string) string {
	t.Helper()
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name != name {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatalf("%s in %s: %v", name, zipPath, err)
		}
		return string(b)
	}
	t.Fatalf("no %s in %s", name, zipPath)
	return ""
}

// editKeepingStat replaces old by new (of the same length) in the file p
// and gives it back its modification time, as `cp -p`, an edit and
// `touch -r` would: same name, size and mtime, different content.
func editKeepingStat(t *testing.T, p, old, new string) {
	t.Helper()
	if len(old) != len(new) {
		t.Fatalf("edit changes the size: %q → %q", old, new)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s has no %q", p, old)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(p)
	if err != nil || after.Size() != fi.Size() || !after.ModTime().Equal(fi.ModTime()) {
		t.Fatalf("stat changed: %v %v → %v", err, fi, after)
	}
}

// TestFilesByContent is issue 11's first critical case: a files: entry
// edited keeping its size and mtime. Every zip built afterwards, and every
// cache entry (local and shared) written for the new fingerprint, holds
// the new content; nothing is reused on the strength of size and mtime.
func TestFilesByContent(t *testing.T) {
	t.Parallel()
	m := monorepo(t)
	remote := newS3Remote(t)
	cacheDir := t.TempDir()
	opts := Options{Root: m.Root, CacheDir: cacheDir, Remote: remote}
	build := func(o Options, fp string) Artifact {
		t.Helper()
		ts := targets(t, m, "pricing")
		ts[0].Fingerprint = fp
		arts, err := New(o).Build(context.Background(), ts)
		if err != nil {
			t.Fatal(err)
		}
		return arts[0]
	}
	rates := func(a Artifact) string {
		t.Helper()
		return zipEntry(t, a.Path, "config/rates.json")
	}
	old := build(opts, "fp-1")
	if !strings.Contains(rates(old), `"ch": 810`) {
		t.Fatalf("first zip: %s", rates(old))
	}
	editKeepingStat(t, filepath.Join(m.Root, "config", "rates.json"), `"ch": 810`, `"ch": 999`)

	// The fingerprint changed (it hashes the content): the new zip has the
	// new content.
	got := build(opts, "fp-2")
	if !strings.Contains(rates(got), `"ch": 999`) || got.CodeSha256 == old.CodeSha256 {
		t.Fatalf("zip for the new content holds %s (code_sha256 %s, before %s)", rates(got), got.CodeSha256, old.CodeSha256)
	}

	t.Run("force no-cache", func(t *testing.T) {
		o := opts
		o.Force, o.NoCache, o.Remote = true, true, nil
		if a := build(o, "fp-2"); !strings.Contains(rates(a), `"ch": 999`) {
			t.Errorf("build --force --no-cache zipped %s", rates(a))
		}
	})
	t.Run("artifact cache", func(t *testing.T) {
		// A new dist directory (rm -rf .lamb): the cache entry of fp-2
		// holds what fp-2 covers.
		o := opts
		o.OutDir, o.Remote = t.TempDir(), nil
		a := build(o, "fp-2")
		if !a.Cached || !strings.Contains(rates(a), `"ch": 999`) {
			t.Errorf("artifact cache gave cached=%v %s", a.Cached, rates(a))
		}
	})
	t.Run("shared cache", func(t *testing.T) {
		// Another runner with an empty local cache gets fp-2 from S3.
		o := opts
		o.OutDir, o.CacheDir = t.TempDir(), t.TempDir()
		a := build(o, "fp-2")
		if !a.Cached || !strings.Contains(rates(a), `"ch": 999`) {
			t.Errorf("shared cache gave cached=%v %s", a.Cached, rates(a))
		}
	})
}

// TestFilesMustMatchFingerprint: a files: entry whose content is not the
// content its fingerprint covers (it changed after fingerprinting) fails
// the function instead of caching that content under the fingerprint.
func TestFilesMustMatchFingerprint(t *testing.T) {
	t.Parallel()
	m := monorepo(t)
	cacheDir := t.TempDir()
	ts := targets(t, m, "pricing")
	ts[0].Files = map[string]string{"config/rates.json": strings.Repeat("0", 64)}
	_, err := New(Options{Root: m.Root, CacheDir: cacheDir}).Build(context.Background(), ts)
	if err == nil || !strings.Contains(err.Error(), "files: config/rates.json changed since it was fingerprinted") {
		t.Fatalf("err = %v", err)
	}
	if entries, _ := os.ReadDir(cacheDir); len(entries) != 0 {
		t.Errorf("artifact cache holds %d entries for a failed build", len(entries))
	}
}
