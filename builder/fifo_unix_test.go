//go:build unix

package builder

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lambctl/lamb/internal/fsutil"
)

// mkfifo makes a FIFO at p and, at cleanup, opens it for writing without
// blocking so that a reader stuck on it (the bug under test) is released.
func mkfifo(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	t.Cleanup(func() {
		if f, err := os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
}

// within fails t unless f returns within d.
func within(t *testing.T, d time.Duration, what string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("%s still blocked after %s", what, d)
		return nil
	}
}

// TestFIFONeverBlocks is issue 11 #4 for the builder: a FIFO where a
// regular file is expected (a files: entry swapped for one after it was
// checked, artifacts.json, the build state, a cached zip) is refused at
// once, never read.
func TestFIFONeverBlocks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	mkfifo(t, fifo)
	tests := []struct {
		name string
		f    func() error
	}{
		{"zip entry", func() error {
			_, err := WriteZip(io.Discard, []ZipFile{{Name: "config/x.json", Src: fifo, Mode: 0o644}}, defaultEpoch)
			return err
		}},
		{"files: entry", func() error {
			_, err := extraFiles(dir, []string{"fifo"})
			return err
		}},
		{"entry hash", func() error {
			_, err := hashEntries([]ZipFile{{Name: "config/x.json", Src: fifo, Mode: 0o644}})
			if err != nil && !strings.HasPrefix(err.Error(), "config/x.json: ") {
				t.Errorf("error does not name the entry: %v", err)
			}
			return err
		}},
		{"artifacts.json", func() error {
			_, err := ReadManifest(fifo, dir)
			return err
		}},
		{"zip checksum", func() error {
			_, err := fileSha256(fifo)
			return err
		}},
		{"cache copy", func() error {
			_, _, err := copyFileAtomic(context.Background(), fifo, filepath.Join(dir, "copy"))
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := within(t, 10*time.Second, tt.name, tt.f)
			if !errors.Is(err, fsutil.ErrNotRegular) {
				t.Errorf("err = %v, want %v", err, fsutil.ErrNotRegular)
			}
		})
	}
	t.Run("build state", func(t *testing.T) {
		within(t, 10*time.Second, "loadState", func() error { loadState(fifo); return nil })
	})
}
