package fsutil

import (
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestOpenRegularRefusesFIFOWithoutBlocking(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	// Without O_NONBLOCK this open would block for ever: no writer.
	_, err := OpenRegular(fifo)
	if !errors.Is(err, ErrNotRegular) {
		t.Fatalf("OpenRegular(fifo) = %v, want ErrNotRegular", err)
	}
	if _, err := ReadRegular(dir, 0); !errors.Is(err, ErrNotRegular) {
		t.Errorf("ReadRegular(dir) = %v, want ErrNotRegular", err)
	}
	if _, err := SHA256("/dev/null"); !errors.Is(err, ErrNotRegular) {
		t.Errorf("SHA256(/dev/null) = %v, want ErrNotRegular", err)
	}
}

func TestReadRegular(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadRegular(p, 5); err != nil || string(b) != "hello" {
		t.Errorf("ReadRegular(5) = %q, %v", b, err)
	}
	if _, err := ReadRegular(p, 4); !errors.Is(err, ErrTooLarge) {
		t.Errorf("ReadRegular(4) = %v, want ErrTooLarge", err)
	}
	link := p + ".link"
	if err := os.Symlink(p, link); err != nil {
		t.Fatal(err)
	}
	sum, err := SHA256(link)
	if err != nil || sum != sha256.Sum256([]byte("hello")) {
		t.Errorf("SHA256(symlink) = %x, %v", sum, err)
	}
}
