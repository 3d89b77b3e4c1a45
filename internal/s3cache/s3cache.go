// Package s3cache is a shared artifact cache on S3: runners that build a
// function upload its zip under its cache key, and runners that need the
// same key download it instead of building.
//
// Every object carries the base64 SHA-256 of the zip (the CodeSha256
// Lambda reports) as the user metadata "code-sha256", or in a sidecar object
// <key>.zip.sha256. Get verifies the downloaded bytes against it and treats
// a corrupt, partial or unverifiable object as a miss, so the caller
// rebuilds; a bad cache can cost time, never a wrong deploy.
package s3cache

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// MetaCodeSha256 is the user metadata key holding the zip's base64 SHA-256.
const MetaCodeSha256 = "code-sha256"

// SidecarSuffix is appended to an object's key to name its sidecar, an
// object holding the base64 SHA-256 as text, read when the metadata is
// absent (e.g. objects copied by tools that drop metadata).
const SidecarSuffix = ".sha256"

// DefaultMaxSize bounds a downloaded object (Lambda's own limit for an
// unzipped function is 250 MB; a zip is smaller).
const DefaultMaxSize = 256 << 20

// API is the part of the S3 client the cache uses; *s3.Client satisfies it.
type API interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

var _ API = (*s3.Client)(nil)

// Location is a bucket and a key prefix (no leading or trailing slash).
type Location struct {
	Bucket string
	Prefix string
}

// String returns the location as an s3:// URL.
func (l Location) String() string {
	if l.Prefix == "" {
		return "s3://" + l.Bucket
	}
	return "s3://" + l.Bucket + "/" + l.Prefix
}

// ParseURL parses s3://bucket[/prefix].
func ParseURL(s string) (Location, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Location{}, fmt.Errorf("cache %q: %w", s, err)
	}
	if u.Scheme != "s3" {
		return Location{}, fmt.Errorf("cache %q: want s3://bucket/prefix", s)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return Location{}, fmt.Errorf("cache %q: want s3://bucket/prefix, without user, query or fragment", s)
	}
	if !validBucket(u.Host) {
		return Location{}, fmt.Errorf("cache %q: invalid bucket name %q", s, u.Host)
	}
	prefix := strings.Trim(u.Path, "/")
	for _, part := range strings.Split(prefix, "/") {
		if prefix != "" && (part == "" || part == "." || part == "..") {
			return Location{}, fmt.Errorf("cache %q: invalid prefix %q", s, prefix)
		}
	}
	return Location{Bucket: u.Host, Prefix: prefix}, nil
}

// validBucket checks the S3 bucket naming rules that matter here: 3-63
// lowercase letters, digits, '.' and '-', starting and ending with a letter
// or digit.
func validBucket(b string) bool {
	if len(b) < 3 || len(b) > 63 {
		return false
	}
	for i, c := range b {
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || i == len(b)-1 || c != '.' && c != '-') {
			return false
		}
	}
	return true
}

// Options configure a Cache.
type Options struct {
	// Warn receives one line per object ignored as corrupt, partial or
	// unverifiable; nil discards them. Calls never overlap.
	Warn func(msg string)
	// MaxSize bounds a downloaded object; default DefaultMaxSize.
	MaxSize int64
}

// Cache is an artifact cache at a Location. It is safe for concurrent use.
type Cache struct {
	api    API
	loc    Location
	o      Options
	warnMu sync.Mutex
}

// New returns a cache at loc using api. Configure the client with
// UsePathStyle for S3-compatible endpoints.
func New(api API, loc Location, o Options) *Cache {
	if o.Warn == nil {
		o.Warn = func(string) {}
	}
	if o.MaxSize <= 0 {
		o.MaxSize = DefaultMaxSize
	}
	return &Cache{api: api, loc: loc, o: o}
}

// Location returns where the cache lives.
func (c *Cache) Location() Location { return c.loc }

// ObjectKey returns the object key of a cache key: <prefix>/<key>.zip.
func (c *Cache) ObjectKey(key string) string {
	if c.loc.Prefix == "" {
		return key + ".zip"
	}
	return c.loc.Prefix + "/" + key + ".zip"
}

// checkKey accepts keys that are safe as one object name and one file name:
// letters, digits, '-', '_' and '.', not starting with '.'.
func checkKey(key string) error {
	if key == "" || len(key) > 200 || key[0] == '.' {
		return fmt.Errorf("invalid cache key %q", key)
	}
	for _, c := range key {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("invalid cache key %q", key)
		}
	}
	return nil
}

// Get downloads the zip of key to dest when the cache holds a verified
// copy. It returns hit=false with a nil error on a miss and when the object
// is corrupt, partial, too large or has no recorded checksum (with a
// warning); dest is then untouched. Other failures (access denied, network)
// are returned as errors with hit=false; callers usually warn and build.
// dest is replaced atomically.
func (c *Cache) Get(ctx context.Context, key, dest string) (bool, error) {
	if err := checkKey(key); err != nil {
		return false, err
	}
	obj := c.ObjectKey(key)
	out, err := c.api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(c.loc.Bucket), Key: aws.String(obj)})
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("cache get s3://%s/%s: %w", c.loc.Bucket, obj, err)
	}
	defer out.Body.Close()
	if out.ContentLength != nil && *out.ContentLength > c.o.MaxSize {
		c.warnf("ignoring s3://%s/%s: %d bytes exceeds the %d byte limit", c.loc.Bucket, obj, *out.ContentLength, c.o.MaxSize)
		return false, nil
	}
	want := metaValue(out.Metadata, MetaCodeSha256)
	if want == "" {
		want, err = c.sidecar(ctx, obj)
		if err != nil {
			return false, err
		}
		if want == "" {
			c.warnf("ignoring s3://%s/%s: no recorded %s (metadata or %s sidecar)", c.loc.Bucket, obj, MetaCodeSha256, SidecarSuffix)
			return false, nil
		}
	}

	tmp, err := os.CreateTemp(filepath.Dir(dest), ".s3cache-*")
	if err != nil {
		return false, fmt.Errorf("cache get: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(out.Body, c.o.MaxSize+1))
	if cerr := tmp.Close(); err == nil && cerr != nil {
		return false, fmt.Errorf("cache get: %w", cerr)
	}
	if err != nil {
		if ctx.Err() != nil {
			return false, fmt.Errorf("cache get s3://%s/%s: %w", c.loc.Bucket, obj, ctx.Err())
		}
		c.warnf("ignoring s3://%s/%s: download failed after %d bytes: %v", c.loc.Bucket, obj, n, err)
		return false, nil
	}
	if n > c.o.MaxSize {
		c.warnf("ignoring s3://%s/%s: exceeds the %d byte limit", c.loc.Bucket, obj, c.o.MaxSize)
		return false, nil
	}
	if out.ContentLength != nil && n != *out.ContentLength {
		c.warnf("ignoring s3://%s/%s: partial object (%d of %d bytes)", c.loc.Bucket, obj, n, *out.ContentLength)
		return false, nil
	}
	if got := base64.StdEncoding.EncodeToString(h.Sum(nil)); got != want {
		c.warnf("ignoring s3://%s/%s: SHA-256 %s does not match its recorded %s %s (corrupt or partial object)", c.loc.Bucket, obj, got, MetaCodeSha256, want)
		return false, nil
	}
	if err := os.Rename(tmp.Name(), dest); err != nil {
		return false, fmt.Errorf("cache get: %w", err)
	}
	return true, nil
}

// sidecar returns the trimmed content of obj's sidecar, "" when absent.
func (c *Cache) sidecar(ctx context.Context, obj string) (string, error) {
	out, err := c.api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(c.loc.Bucket), Key: aws.String(obj + SidecarSuffix)})
	if isNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("cache get s3://%s/%s%s: %w", c.loc.Bucket, obj, SidecarSuffix, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(io.LimitReader(out.Body, 1024))
	if err != nil {
		return "", nil
	}
	return strings.TrimSpace(string(data)), nil
}

// Put uploads the zip at zipPath under key with its base64 SHA-256
// codeSha256 recorded as metadata. It first checks that the file has that
// checksum, so a damaged local file never reaches the cache, and asks S3 to
// verify the upload against it too.
func (c *Cache) Put(ctx context.Context, key, zipPath, codeSha256 string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	f, err := os.Open(zipPath)
	if err != nil {
		return fmt.Errorf("cache put: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	size, err := io.Copy(h, f)
	if err != nil {
		return fmt.Errorf("cache put %s: %w", zipPath, err)
	}
	if got := base64.StdEncoding.EncodeToString(h.Sum(nil)); got != codeSha256 {
		return fmt.Errorf("cache put %s: SHA-256 is %s, want %s", zipPath, got, codeSha256)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("cache put %s: %w", zipPath, err)
	}
	obj := c.ObjectKey(key)
	_, err = c.api.PutObject(ctx, &s3.PutObjectInput{
		Bucket:         aws.String(c.loc.Bucket),
		Key:            aws.String(obj),
		Body:           f,
		ContentLength:  aws.Int64(size),
		ContentType:    aws.String("application/zip"),
		Metadata:       map[string]string{MetaCodeSha256: codeSha256},
		ChecksumSHA256: aws.String(codeSha256),
	})
	if err != nil {
		return fmt.Errorf("cache put s3://%s/%s: %w", c.loc.Bucket, obj, err)
	}
	return nil
}

func (c *Cache) warnf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	c.warnMu.Lock()
	defer c.warnMu.Unlock()
	c.o.Warn(msg)
}

// metaValue looks key up in S3 user metadata, whose keys may come back in
// any case.
func metaValue(m map[string]string, key string) string {
	if v, ok := m[key]; ok {
		return strings.TrimSpace(v)
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func isNotFound(err error) bool {
	if err == nil {
		return false
	}
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) {
		return true
	}
	var ae smithy.APIError
	return errors.As(err, &ae) && (ae.ErrorCode() == "NoSuchKey" || ae.ErrorCode() == "NotFound")
}
