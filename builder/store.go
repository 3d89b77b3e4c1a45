package builder

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/lambctl/lamb/internal/fsutil"
)

// copyFileAtomic copies the regular file src to dst through a temporary
// file and a rename, returning the base64 SHA-256 and size of what it
// copied. It stops with ctx's cause.
func copyFileAtomic(ctx context.Context, src, dst string) (string, int64, error) {
	in, err := fsutil.OpenRegular(src)
	if err != nil {
		return "", 0, err
	}
	defer in.Close()
	return copyAtomic(ctx, in, dst)
}

// copyAtomic copies in to dst as copyFileAtomic does.
func copyAtomic(ctx context.Context, in io.Reader, dst string) (string, int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".tmp-*")
	if err != nil {
		return "", 0, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), ctxReader{ctx, in})
	if err := finishTemp(tmp, dst, err); err != nil {
		return "", 0, err
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil)), n, nil
}

// outputMode is the mode of every file lamb writes (zips, artifacts.json,
// cache entries), as any build output.
const outputMode = 0o644

// finishTemp closes tmp and, unless err, gives it outputMode and renames it
// to dst; on any failure it removes tmp.
func finishTemp(tmp *os.File, dst string, err error) error {
	if err == nil {
		err = tmp.Chmod(outputMode)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// ctxReader reads from r until ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if c.ctx.Err() != nil {
		return 0, context.Cause(c.ctx)
	}
	return c.r.Read(p)
}

func writeFileAtomic(dst string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".tmp-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	return finishTemp(tmp, dst, err)
}

// fileSha256 returns the base64 SHA-256 of the regular file at p.
func fileSha256(p string) (string, error) {
	sum, err := fsutil.SHA256(p)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}

// Bounds on what lamb reads back of its own files.
const (
	maxMetaSize     = 1 << 20   // a cache entry's .json
	maxStateSize    = 256 << 20 // .lamb/build/state.json
	maxManifestSize = 256 << 20 // artifacts.json
)

// state is the builder's record of what is in the dist directory and which
// binaries the zips were made from: Root/.lamb/build/state.json.
type state struct {
	Version int `json:"version"`
	// Zips maps the absolute path of each zip lamb wrote to its record.
	Zips map[string]fnState `json:"zips"`
}

const stateVersion = 3

// fnState is the record of one zip in a dist directory.
type fnState struct {
	Key         string `json:"key"` // cache key the zip was built for
	Fingerprint string `json:"fingerprint"`
	Size        int64  `json:"size"`
	BinarySize  int64  `json:"binary_size"`
	CodeSha256  string `json:"code_sha256"`
	// Inputs is what the zip holds, by content (inputsDigest): the zip
	// format and timestamp and each entry's name, mode and SHA-256. Never
	// sizes or modification times.
	Inputs string `json:"inputs"`
}

func loadState(p string) *state {
	st := &state{Version: stateVersion, Zips: map[string]fnState{}}
	data, err := fsutil.ReadRegular(p, maxStateSize)
	if err != nil {
		return st
	}
	var s state
	if json.Unmarshal(data, &s) != nil || s.Version != stateVersion || s.Zips == nil {
		return st
	}
	return &s
}

func (s *state) save(p string) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return writeFileAtomic(p, append(data, '\n'))
}

// manifestFile is the JSON form of artifacts.json.
type manifestFile struct {
	Artifacts []Artifact `json:"artifacts"`
}

// WriteManifest writes arts, sorted by function, as artifacts.json to path;
// artifact paths are written relative to root when they are inside it.
func WriteManifest(path, root string, arts []Artifact) error {
	out := make([]Artifact, len(arts))
	for i, a := range arts {
		if rel, err := filepath.Rel(root, a.Path); err == nil && filepath.IsLocal(rel) {
			a.Path = filepath.ToSlash(rel)
		}
		out[i] = a
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Function < out[j].Function })
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(manifestFile{Artifacts: out}); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return writeFileAtomic(path, buf.Bytes())
}

// ReadManifest reads an artifacts.json written by WriteManifest; relative
// paths are resolved against root. A missing file is no artifacts.
func ReadManifest(path, root string) ([]Artifact, error) {
	data, err := fsutil.ReadRegular(path, maxManifestSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m manifestFile
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for i := range m.Artifacts {
		if p := m.Artifacts[i].Path; !filepath.IsAbs(p) {
			m.Artifacts[i].Path = filepath.Join(root, filepath.FromSlash(p))
		}
	}
	return m.Artifacts, nil
}
