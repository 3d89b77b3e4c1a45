package builder

import (
	"archive/zip"
	"context"
	"errors"
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
	if err == nil || !strings.Contains(err.Error(), "pricing: build: files: config/rates.json changed since it was fingerprinted") {
		t.Fatalf("err = %v", err)
	}
	if info, _ := CacheInfo(cacheDir); info.Entries != 0 {
		t.Errorf("artifact cache holds %d entries for a failed build", info.Entries)
	}
}

// corruptInPlace flips one byte in the middle of the file p and gives it
// back its size and modification time.
func corruptInPlace(t *testing.T, p string) {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0xff
	if err := os.WriteFile(p, data, fi.Mode()); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
}

// checkZip fails t unless the zip at a.Path has a.CodeSha256 and every
// entry passes its CRC.
func checkZip(t *testing.T, a Artifact) {
	t.Helper()
	if sum, err := fileSha256(a.Path); err != nil || sum != a.CodeSha256 {
		t.Errorf("%s: code_sha256 %s, the zip's is %s (%v)", a.Function, a.CodeSha256, sum, err)
	}
	zr, err := zip.OpenReader(a.Path)
	if err != nil {
		t.Errorf("%s: %v", a.Function, err)
		return
	}
	defer zr.Close()
	for _, f := range zr.File {
		rc, err := f.Open()
		if err == nil {
			_, err = io.Copy(io.Discard, rc)
			rc.Close()
		}
		if err != nil {
			t.Errorf("%s: %s: %v", a.Function, f.Name, err)
		}
	}
}

// TestCorruptZipRebuilt is issue 11 #13: a zip corrupted in place (same
// size and mtime), in the dist directory or in the artifact cache, is
// never reported as built or cached: it is dropped and made again.
func TestCorruptZipRebuilt(t *testing.T) {
	t.Parallel()
	m := monorepo(t)
	ts := targets(t, m, "worker")
	tests := []struct {
		name      string
		noCache   bool
		newDist   bool // a new dist directory: only the cache has the zip
		dist      bool // corrupt the dist zip
		cache     bool // corrupt the cache entry
		wantCache bool // the result comes from the (good) cache entry
	}{
		{name: "dist, no cache", noCache: true, dist: true},
		{name: "dist, cache good", dist: true, wantCache: true},
		{name: "dist and cache", dist: true, cache: true},
		{name: "cache", newDist: true, cache: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cacheDir := t.TempDir()
			o := Options{Root: m.Root, CacheDir: cacheDir, NoCache: tt.noCache, OutDir: t.TempDir()}
			first, err := New(o).Build(context.Background(), ts)
			if err != nil {
				t.Fatal(err)
			}
			b := New(o)
			if tt.dist {
				corruptInPlace(t, first[0].Path)
			}
			zipPath, _ := b.cachePaths(cacheKey(zipFormat, ts[0].Fingerprint, defaultEpoch.Unix(), false))
			if tt.cache {
				corruptInPlace(t, zipPath)
			}
			if tt.newDist {
				o.OutDir = t.TempDir()
			}
			got, err := New(o).Build(context.Background(), ts)
			if err != nil {
				t.Fatal(err)
			}
			checkZip(t, got[0])
			if got[0].CodeSha256 != first[0].CodeSha256 {
				t.Errorf("code_sha256 %s, built %s", got[0].CodeSha256, first[0].CodeSha256)
			}
			if got[0].Cached != tt.wantCache {
				t.Errorf("cached = %v, want %v", got[0].Cached, tt.wantCache)
			}
			if !tt.noCache {
				// The cache entry is good again (dropped and stored anew).
				checkZip(t, Artifact{Function: "cache entry", Path: zipPath, CodeSha256: first[0].CodeSha256})
			}
		})
	}
}

// TestCorruptSharedEntry: a shared cache entry whose zip matches its
// recorded SHA-256 but fails its CRC (written corrupt) is not used: the
// function is built.
func TestCorruptSharedEntry(t *testing.T) {
	t.Parallel()
	m := monorepo(t)
	remote := newS3Remote(t)
	ts := targets(t, m, "worker")
	o := Options{Root: m.Root, CacheDir: t.TempDir(), Remote: remote}
	built, err := New(o).Build(context.Background(), ts)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.zip")
	data, err := os.ReadFile(built[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0xff
	if err := os.WriteFile(bad, data, 0o644); err != nil {
		t.Fatal(err)
	}
	sum, _ := fileSha256(bad)
	if err := remote.Put(context.Background(), cacheKey(zipFormat, ts[0].Fingerprint, defaultEpoch.Unix(), false), bad, sum); err != nil {
		t.Fatal(err)
	}
	o.CacheDir, o.OutDir = t.TempDir(), t.TempDir()
	got, err := New(o).Build(context.Background(), ts)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Cached {
		t.Error("the corrupt shared entry was used")
	}
	checkZip(t, got[0])
}

// BenchmarkZipSha256 measures what checking a dist zip by content costs:
// one SHA-256 of a zip the size of a typical function's (3 MB).
func BenchmarkZipSha256(b *testing.B) {
	p := filepath.Join(b.TempDir(), "f.zip")
	data := make([]byte, 3<<20)
	for i := range data {
		data[i] = byte(i * 7919 >> 3)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := fileSha256(p); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCopyAndZipStopOnCancel: reading files for a zip or a cache copy
// stops with the context.
func TestCopyAndZipStopOnCancel(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTestFiles(t, dir, map[string]string{"a": "aaaa", "b": "bbbb"})
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("interrupted")
	cancel(stop)
	if _, _, err := copyFileAtomic(ctx, filepath.Join(dir, "a"), filepath.Join(dir, "c")); !errors.Is(err, stop) {
		t.Errorf("copy: err = %v, want %v", err, stop)
	}
	if _, err := os.Stat(filepath.Join(dir, "c")); err == nil {
		t.Error("a cancelled copy left its destination")
	}
	files := []ZipFile{{Name: "a", Src: filepath.Join(dir, "a"), Mode: 0o644}, {Name: "b", Src: filepath.Join(dir, "b"), Mode: 0o644}}
	if _, err := writeZip(ctx, io.Discard, files, defaultEpoch, false); !errors.Is(err, stop) {
		t.Errorf("zip: err = %v, want %v", err, stop)
	}
}
