package builder

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// testNow is the clock of the prune tests.
var testNow = time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)

// putEntry stores content as the cache entry of key in b's cache, last
// used age before testNow, and returns the entry's size on disk.
func putEntry(t *testing.T, b *Builder, key, content string, age time.Duration) int64 {
	t.Helper()
	src := filepath.Join(t.TempDir(), "src.zip")
	if err := os.WriteFile(src, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := fileSha256(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.cachePut(context.Background(), key, src, cacheMeta{Size: int64(len(content)), CodeSha256: sum}); err != nil {
		t.Fatal(err)
	}
	zipPath, metaPath := b.cachePaths(key)
	used := testNow.Add(-age)
	if err := os.Chtimes(zipPath, used, used); err != nil {
		t.Fatal(err)
	}
	zi, err1 := os.Stat(zipPath)
	mi, err2 := os.Stat(metaPath)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	return zi.Size() + mi.Size()
}

// key returns a cache key for name.
func key(name string) string { return cacheKey(zipFormat, name, 0, false) }

// cachedKeys lists the keys in the cache at dir, as names among names.
func cachedKeys(t *testing.T, dir string, names ...string) []string {
	t.Helper()
	var out []string
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(dir, key(n)[:2], key(n)+".zip")); err == nil {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

func TestPruneCache(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	ages := map[string]time.Duration{"a": 1 * day, "b": 10 * day, "c": 40 * day, "d": 100 * day}
	tests := []struct {
		name string
		o    func(entry int64) PruneOptions
		want []string
	}{
		{"default age", func(int64) PruneOptions { return PruneOptions{} }, []string{"a", "b"}},
		{"age", func(int64) PruneOptions { return PruneOptions{MaxAge: 5 * day} }, []string{"a"}},
		{"size keeps the most recently used", func(e int64) PruneOptions { return PruneOptions{MaxAge: -1, MaxSize: 2*e + e/2} }, []string{"a", "b"}},
		{"age and size", func(e int64) PruneOptions { return PruneOptions{MaxAge: 50 * day, MaxSize: 2 * e} }, []string{"a", "b"}},
		{"no limits", func(int64) PruneOptions { return PruneOptions{MaxAge: -1, MaxSize: -1} }, []string{"a", "b", "c", "d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			b := New(Options{CacheDir: dir})
			var entry int64
			for n, age := range ages {
				entry = putEntry(t, b, key(n), strings.Repeat(n, 1000), age)
			}
			// A temporary file left by an interrupted write, and one being
			// written now.
			leftover := filepath.Join(dir, key("a")[:2], ".tmp-123")
			writing := filepath.Join(dir, key("b")[:2], ".tmp-456")
			for p, age := range map[string]time.Duration{leftover: 2 * time.Hour, writing: time.Minute} {
				if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
					t.Fatal(err)
				}
				mt := testNow.Add(-age)
				os.Chtimes(p, mt, mt)
			}
			o := tt.o(entry)
			o.now = func() time.Time { return testNow }
			r, err := PruneCache(context.Background(), dir, o)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, cachedKeys(t, dir, "a", "b", "c", "d")); diff != "" {
				t.Errorf("entries left (-want +got):\n%s", diff)
			}
			removed := 4 - len(tt.want)
			want := PruneResult{Removed: removed, RemovedBytes: int64(removed)*entry + 7, Kept: len(tt.want), KeptBytes: int64(len(tt.want)) * entry}
			if diff := cmp.Diff(want, r); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			if _, err := os.Stat(leftover); err == nil {
				t.Error("leftover temporary file kept")
			}
			if _, err := os.Stat(writing); err != nil {
				t.Error("temporary file being written removed")
			}
			info, err := CacheInfo(dir)
			if err != nil {
				t.Fatal(err)
			}
			if info.Entries != len(tt.want) || info.Bytes != r.KeptBytes || !info.LastPrune.Equal(testNow) {
				t.Errorf("info after prune = %+v, result %+v", info, r)
			}
		})
	}
}

func TestCacheInfo(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "cache")
	info, err := CacheInfo(dir)
	if err != nil || info != (CacheStats{Dir: dir}) {
		t.Fatalf("missing cache: %+v, %v", info, err)
	}
	b := New(Options{CacheDir: dir})
	n1 := putEntry(t, b, key("x"), "xxxx", 48*time.Hour)
	n2 := putEntry(t, b, key("y"), "yyyyyyyy", time.Hour)
	info, err = CacheInfo(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := CacheStats{Dir: dir, Entries: 2, Bytes: n1 + n2, Oldest: testNow.Add(-48 * time.Hour), Newest: testNow.Add(-time.Hour)}
	if diff := cmp.Diff(want, info); diff != "" {
		t.Errorf("CacheInfo (-want +got):\n%s", diff)
	}
}

// TestPruneKeepsEntryInUse: an entry a build is copying out of the cache
// is not removed, whatever its age; it goes at the next prune.
func TestPruneKeepsEntryInUse(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("no cache locks on this system")
	}
	t.Parallel()
	dir := t.TempDir()
	b := New(Options{CacheDir: dir})
	putEntry(t, b, key("old"), "old", 90*24*time.Hour)
	putEntry(t, b, key("older"), "older", 91*24*time.Hour)
	zipPath, _ := b.cachePaths(key("old"))
	f, ok := useEntry(zipPath)
	if !ok {
		t.Fatal("useEntry: not ok")
	}
	o := PruneOptions{now: func() time.Time { return testNow }}
	r, err := PruneCache(context.Background(), dir, o)
	if err != nil {
		t.Fatal(err)
	}
	if r.InUse != 1 || r.Removed != 1 || !cmp.Equal(cachedKeys(t, dir, "old", "older"), []string{"old"}) {
		t.Errorf("prune with old in use: %+v, left %v", r, cachedKeys(t, dir, "old", "older"))
	}
	f.Close()
	if r, err := PruneCache(context.Background(), dir, o); err != nil || r.Removed != 1 || len(cachedKeys(t, dir, "old")) != 0 {
		t.Errorf("prune after use: %+v, %v", r, err)
	}
}

// TestPruneWithConcurrentReaders: builds copying entries out of the cache
// while prunes remove them either get a complete, verified zip or a miss.
func TestPruneWithConcurrentReaders(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	b := New(Options{CacheDir: dir})
	const n = 8
	contents := map[string]string{}
	for i := range n {
		name := fmt.Sprint("e", i)
		contents[name] = strings.Repeat(name, 20000)
		putEntry(t, b, key(name), contents[name], time.Duration(i)*time.Hour)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex
	hits := 0
	for r := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dst := filepath.Join(t.TempDir(), "out.zip")
			for i := 0; ctx.Err() == nil; i++ {
				name := fmt.Sprint("e", (i+r)%n)
				m, ok := b.cacheGet(context.Background(), key(name), dst)
				if !ok {
					continue
				}
				data, err := os.ReadFile(dst)
				if err != nil || string(data) != contents[name] || m.Size != int64(len(data)) {
					t.Errorf("%s: got %d bytes (%v), want its content", name, len(data), err)
					return
				}
				mu.Lock()
				hits++
				mu.Unlock()
			}
		}()
	}
	// Prune everything, a few times, while the readers run.
	for range 20 {
		if _, err := PruneCache(context.Background(), dir, PruneOptions{MaxAge: -1, MaxSize: 1}); err != nil {
			t.Error(err)
		}
		for name, c := range contents {
			putEntry(t, b, key(name), c, 0)
		}
	}
	cancel()
	wg.Wait()
	if hits == 0 {
		t.Error("the readers never got an entry")
	}
}

// TestAutoPrune: Build trims the cache by itself, at most once every
// AutoPruneInterval.
func TestAutoPrune(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := t.TempDir()
	o := Options{Root: root, CacheDir: dir, CacheLimits: PruneOptions{now: func() time.Time { return testNow }}}
	b := New(o)
	putEntry(t, b, key("old"), "old", 60*24*time.Hour)
	build := func() {
		t.Helper()
		if _, err := New(o).Build(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
	}
	build()
	if got := cachedKeys(t, dir, "old"); len(got) != 0 {
		t.Errorf("first build did not prune: %v", got)
	}
	putEntry(t, b, key("old2"), "old2", 60*24*time.Hour)
	build()
	if got := cachedKeys(t, dir, "old2"); len(got) != 1 {
		t.Errorf("second build the same day pruned: %v", got)
	}
	stamp := filepath.Join(dir, pruneStamp)
	before := testNow.Add(-AutoPruneInterval - time.Minute)
	if err := os.Chtimes(stamp, before, before); err != nil {
		t.Fatal(err)
	}
	build()
	if got := cachedKeys(t, dir, "old2"); len(got) != 0 {
		t.Errorf("a build a day later did not prune: %v", got)
	}
}
