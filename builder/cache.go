package builder

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/lambctl/lamb/internal/fsutil"
)

// The local artifact cache lives in CacheDir (default DefaultCacheDir): an
// entry is <key[:2]>/<key>.zip with its <key>.json (cacheMeta). The zip's
// modification time is the entry's last use: lamb sets it when it stores
// or copies the entry. PruneCache trims the cache by age and total size,
// and Build does so by itself at most once every AutoPruneInterval.
//
// An entry in use is never removed: a build copying a zip out of the cache
// holds a shared lock on it (flock on Unix), and PruneCache removes an
// entry only under an exclusive lock it can take at once, skipping the
// others. On systems without flock there is no lock: a prune may remove an
// entry while a build copies it, and that build then misses (the copy is
// verified against its SHA-256) and builds the function instead.

// Defaults of the local artifact cache's limits.
const (
	// DefaultCacheMaxAge: entries unused for longer are removed.
	DefaultCacheMaxAge = 30 * 24 * time.Hour
	// DefaultCacheMaxSize: beyond it, the least recently used entries are
	// removed.
	DefaultCacheMaxSize = 2 << 30 // 2 GiB
	// AutoPruneInterval is how often Build trims the cache by itself.
	AutoPruneInterval = 24 * time.Hour
)

// pruneStamp is the file in the cache directory whose modification time
// is the last prune.
const pruneStamp = "pruned"

// tmpMaxAge is the age beyond which a temporary file in the cache is the
// leftover of an interrupted write.
const tmpMaxAge = time.Hour

// DefaultCacheDir returns the local artifact cache directory:
// lamb/artifacts under os.UserCacheDir ($XDG_CACHE_HOME or ~/.cache on
// Linux, ~/Library/Caches on macOS).
func DefaultCacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("artifact cache: %w", err)
	}
	return filepath.Join(d, "lamb", "artifacts"), nil
}

// cacheKey is the artifact cache key of a fingerprint: the zip of a
// function is a function of its fingerprint, the zip layout, the entries'
// timestamp and whether it is a debug build (which the fingerprint, a
// property of the manifest's function, does not cover). format is the zip
// layout (zipFormat, or zipFormatStored for Options.Uncompressed).
func cacheKey(format, fingerprint string, epoch int64, debug bool) string {
	variant := ""
	if debug {
		variant = "debug\n"
	}
	h := sha256.Sum256(fmt.Appendf(nil, "%s\n%d\n%s%s\n", format, epoch, variant, fingerprint))
	return hex.EncodeToString(h[:])
}

// cacheMeta is stored next to each cached zip.
type cacheMeta struct {
	Size       int64  `json:"size"`
	BinarySize int64  `json:"binary_size"`
	CodeSha256 string `json:"code_sha256"`
}

func cachePaths(dir, key string) (zipPath, metaPath string) {
	d := filepath.Join(dir, key[:2])
	return filepath.Join(d, key+".zip"), filepath.Join(d, key+".json")
}

func (b *Builder) cachePaths(key string) (zipPath, metaPath string) {
	return cachePaths(b.o.CacheDir, key)
}

// useEntry opens the cached zip at zipPath and takes a shared lock on it,
// so that no prune removes it while it is read. false when it is absent,
// or being removed or already removed by a prune. release closes it.
func useEntry(zipPath string) (f *os.File, ok bool) {
	f, err := fsutil.OpenRegular(zipPath)
	if err != nil {
		return nil, false
	}
	if !tryLock(f, false) {
		f.Close()
		return nil, false
	}
	// A prune may have removed it between the open and the lock.
	fi, err1 := f.Stat()
	now, err2 := os.Stat(zipPath)
	if err1 != nil || err2 != nil || !os.SameFile(fi, now) {
		f.Close()
		return nil, false
	}
	return f, true
}

// cacheGet copies the cached zip of key to dst, verifying its checksum,
// and marks the entry used. A corrupt entry is dropped.
func (b *Builder) cacheGet(ctx context.Context, key, dst string) (cacheMeta, bool) {
	if b.o.CacheDir == "" {
		return cacheMeta{}, false
	}
	zipPath, metaPath := b.cachePaths(key)
	f, ok := useEntry(zipPath)
	if !ok {
		return cacheMeta{}, false
	}
	m, ok, corrupt := copyEntry(ctx, f, metaPath, dst)
	f.Close()
	if corrupt {
		removeEntry(zipPath, metaPath)
	}
	if ok {
		now := time.Now()
		os.Chtimes(zipPath, now, now) // the last use; failing only ages it
	}
	return m, ok
}

// copyEntry copies the locked cached zip f to dst and verifies it against
// the entry's metadata at metaPath; corrupt reports an entry to drop.
func copyEntry(ctx context.Context, f *os.File, metaPath, dst string) (m cacheMeta, ok, corrupt bool) {
	data, err := fsutil.ReadRegular(metaPath, maxMetaSize)
	if err != nil {
		return cacheMeta{}, false, !errors.Is(err, fs.ErrNotExist)
	}
	if json.Unmarshal(data, &m) != nil || m.CodeSha256 == "" {
		return cacheMeta{}, false, true
	}
	sum, size, err := copyAtomic(ctx, ctxReader{ctx, f}, dst)
	if err != nil {
		return cacheMeta{}, false, false
	}
	if sum != m.CodeSha256 || size != m.Size {
		os.Remove(dst)
		return cacheMeta{}, false, true
	}
	return m, true, false
}

// cachePut stores the zip src under key. Failures only cost a rebuild later.
func (b *Builder) cachePut(ctx context.Context, key, src string, m cacheMeta) error {
	if b.o.CacheDir == "" {
		return nil
	}
	zipPath, metaPath := b.cachePaths(key)
	if err := os.MkdirAll(filepath.Dir(zipPath), 0o755); err != nil {
		return err
	}
	if _, _, err := copyFileAtomic(ctx, src, zipPath); err != nil {
		return err
	}
	data, _ := json.Marshal(m)
	return writeFileAtomic(metaPath, data)
}

// removeEntry removes a cache entry unless someone uses it (holds a lock
// on its zip): false then.
func removeEntry(zipPath, metaPath string) bool {
	f, err := fsutil.OpenRegular(zipPath)
	if err != nil {
		// No zip: the metadata alone is useless.
		os.Remove(metaPath)
		return errors.Is(err, fs.ErrNotExist)
	}
	defer f.Close()
	if !tryLock(f, true) {
		return false
	}
	os.Remove(metaPath)
	return os.Remove(zipPath) == nil
}

// PruneOptions bound the local artifact cache.
type PruneOptions struct {
	// MaxAge removes the entries unused for longer; 0 means
	// DefaultCacheMaxAge, a negative value no limit on age.
	MaxAge time.Duration
	// MaxSize then removes the least recently used entries until the
	// cache holds at most MaxSize bytes; 0 means DefaultCacheMaxSize, a
	// negative value no limit on size.
	MaxSize int64

	now func() time.Time // tests
}

func (o PruneOptions) withDefaults() PruneOptions {
	if o.MaxAge == 0 {
		o.MaxAge = DefaultCacheMaxAge
	}
	if o.MaxSize == 0 {
		o.MaxSize = DefaultCacheMaxSize
	}
	if o.now == nil {
		o.now = time.Now
	}
	return o
}

// PruneResult is what PruneCache did.
type PruneResult struct {
	// Removed entries and the bytes they held (with leftover temporary
	// files).
	Removed      int
	RemovedBytes int64
	// Kept entries and their bytes.
	Kept      int
	KeptBytes int64
	// InUse counts the entries over a limit that a running build was
	// using: they are kept (and counted in Kept).
	InUse int
}

// CacheStats describe the local artifact cache.
type CacheStats struct {
	Dir     string
	Entries int
	Bytes   int64
	// Oldest and Newest are the last uses of the least and the most
	// recently used entries; zero when the cache is empty.
	Oldest, Newest time.Time
	// LastPrune is when the cache was last trimmed; zero if never.
	LastPrune time.Time
}

// cacheEntry is one entry found in a cache directory.
type cacheEntry struct {
	zipPath, metaPath string
	size              int64
	used              time.Time
}

// scanCache lists the entries of the cache at dir, least recently used
// first, and the leftover temporary files older than tmpMaxAge.
func scanCache(dir string, now time.Time) (entries []cacheEntry, stale []string, staleBytes int64, err error) {
	shards, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, 0, nil
	}
	if err != nil {
		return nil, nil, 0, fmt.Errorf("artifact cache: %w", err)
	}
	for _, sh := range shards {
		if !sh.IsDir() || len(sh.Name()) != 2 {
			continue
		}
		sd := filepath.Join(dir, sh.Name())
		files, err := os.ReadDir(sd)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("artifact cache: %w", err)
		}
		metas := map[string]int64{}
		for _, f := range files {
			if k, ok := strings.CutSuffix(f.Name(), ".json"); ok {
				if fi, err := f.Info(); err == nil {
					metas[k] = fi.Size()
				}
			}
		}
		for _, f := range files {
			fi, err := f.Info()
			if err != nil || !fi.Mode().IsRegular() {
				continue
			}
			p := filepath.Join(sd, f.Name())
			if strings.HasPrefix(f.Name(), ".tmp-") {
				if now.Sub(fi.ModTime()) > tmpMaxAge {
					stale, staleBytes = append(stale, p), staleBytes+fi.Size()
				}
				continue
			}
			k, ok := strings.CutSuffix(f.Name(), ".zip")
			if !ok {
				continue
			}
			entries = append(entries, cacheEntry{
				zipPath:  p,
				metaPath: filepath.Join(sd, k+".json"),
				size:     fi.Size() + metas[k],
				used:     fi.ModTime(),
			})
		}
	}
	sort.Slice(entries, func(i, j int) bool {
		if !entries[i].used.Equal(entries[j].used) {
			return entries[i].used.Before(entries[j].used)
		}
		return entries[i].zipPath < entries[j].zipPath
	})
	return entries, stale, staleBytes, nil
}

// CacheInfo describes the local artifact cache at dir ("" for
// DefaultCacheDir). A cache that does not exist is empty.
func CacheInfo(dir string) (CacheStats, error) {
	if dir == "" {
		d, err := DefaultCacheDir()
		if err != nil {
			return CacheStats{}, err
		}
		dir = d
	}
	st := CacheStats{Dir: dir}
	entries, _, _, err := scanCache(dir, time.Now())
	if err != nil {
		return st, err
	}
	for _, e := range entries {
		st.Entries++
		st.Bytes += e.size
	}
	if len(entries) > 0 {
		st.Oldest, st.Newest = entries[0].used, entries[len(entries)-1].used
	}
	if fi, err := os.Stat(filepath.Join(dir, pruneStamp)); err == nil {
		st.LastPrune = fi.ModTime()
	}
	return st, nil
}

// PruneCache trims the local artifact cache at dir ("" for
// DefaultCacheDir): it removes the entries unused for longer than
// o.MaxAge, then the least recently used until the cache holds at most
// o.MaxSize bytes, and temporary files left by interrupted writes. An entry
// a running build is using is kept (PruneResult.InUse). It stops with
// ctx's cause.
func PruneCache(ctx context.Context, dir string, o PruneOptions) (PruneResult, error) {
	if dir == "" {
		d, err := DefaultCacheDir()
		if err != nil {
			return PruneResult{}, err
		}
		dir = d
	}
	o = o.withDefaults()
	now := o.now()
	entries, stale, staleBytes, err := scanCache(dir, now)
	if err != nil {
		return PruneResult{}, err
	}
	var r PruneResult
	for _, p := range stale {
		os.Remove(p)
	}
	if len(stale) > 0 {
		r.RemovedBytes += staleBytes
	}
	var total int64
	for _, e := range entries {
		total += e.size
	}
	for _, e := range entries { // least recently used first
		if err := ctx.Err(); err != nil {
			return r, context.Cause(ctx)
		}
		old := o.MaxAge > 0 && now.Sub(e.used) > o.MaxAge
		over := o.MaxSize > 0 && total > o.MaxSize
		if !old && !over {
			r.Kept++
			r.KeptBytes += e.size
			continue
		}
		if !removeEntry(e.zipPath, e.metaPath) {
			r.InUse++
			r.Kept++
			r.KeptBytes += e.size
			continue
		}
		r.Removed++
		r.RemovedBytes += e.size
		total -= e.size
	}
	if err := touchStamp(dir, now); err != nil {
		return r, err
	}
	return r, nil
}

// touchStamp records a prune at now.
func touchStamp(dir string, now time.Time) error {
	p := filepath.Join(dir, pruneStamp)
	if err := os.WriteFile(p, nil, outputMode); err != nil {
		return fmt.Errorf("artifact cache: %w", err)
	}
	return os.Chtimes(p, now, now)
}

// autoPrune trims the cache when the last prune is older than
// AutoPruneInterval. It claims the turn first (the stamp), so builds that
// finish together do not all prune.
func (b *Builder) autoPrune(ctx context.Context) {
	dir := b.o.CacheDir
	if dir == "" || ctx.Err() != nil {
		return
	}
	if _, err := os.Stat(dir); err != nil {
		return // no cache yet
	}
	o := b.o.CacheLimits.withDefaults()
	now := o.now()
	if fi, err := os.Stat(filepath.Join(dir, pruneStamp)); err == nil && now.Sub(fi.ModTime()) < AutoPruneInterval {
		return
	}
	if err := touchStamp(dir, now); err != nil {
		b.progress("warning: %v", err)
		return
	}
	r, err := PruneCache(ctx, dir, o)
	if err != nil {
		b.progress("warning: trimming the artifact cache: %v", err)
		return
	}
	if r.Removed > 0 {
		b.progress("artifact cache %s: trimmed %d entries (%s), kept %d (%s)", dir, r.Removed, mib(r.RemovedBytes), r.Kept, mib(r.KeptBytes))
	}
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
