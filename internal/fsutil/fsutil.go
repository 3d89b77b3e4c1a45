// Package fsutil is the one home of how lamb reads files it does not
// control (manifest files:, the manifest itself, cached zips): regular
// files only, never blocking on a FIFO or device, bounded in size, and
// hashed by content.
package fsutil

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// ErrNotRegular reports a path that is a directory, FIFO, socket or device
// where a regular file is needed.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge reports a file over the size a reader allows.
var ErrTooLarge = errors.New("file too large")

// OpenRegular opens name for reading if it is a regular file (following
// symlinks). Opening a FIFO does not block (O_NONBLOCK), and anything but a
// regular file is refused with ErrNotRegular, naming its kind.
func OpenRegular(name string) (*os.File, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%w (%s)", ErrNotRegular, Kind(fi.Mode()))}
	}
	return f, nil
}

// Kind names the type of a file mode: "regular file", "directory", "FIFO",
// "socket", "device", "symlink".
func Kind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "regular file"
	case m.IsDir():
		return "directory"
	case m&fs.ModeNamedPipe != 0:
		return "FIFO"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0 || m&fs.ModeCharDevice != 0:
		return "device"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	}
	return "irregular file"
}

// ReadRegular reads the regular file name, refusing more than max bytes
// (max <= 0: no limit) with ErrTooLarge.
func ReadRegular(name string, max int64) ([]byte, error) {
	f, err := OpenRegular(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if max > 0 {
		r = io.LimitReader(f, max+1)
	}
	// Sized by the file, as os.ReadFile does: a large file (a bootstrap)
	// is read into one buffer, not grown and copied step by step.
	size := 512
	if fi, err := f.Stat(); err == nil && fi.Size() > 0 && fi.Size() < 1<<40 {
		size = int(fi.Size()) + 1 // +1: the read that sees EOF
		if max > 0 && fi.Size() > max {
			size = int(max) + 1
		}
	}
	b := make([]byte, 0, size)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(b) == cap(b) { // the file grew: room for more
			b = append(b, 0)[:len(b)]
		}
	}
	if max > 0 && int64(len(b)) > max {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)}
	}
	return b, nil
}

// SHA256 returns the SHA-256 of the regular file name's content.
func SHA256(name string) ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	f, err := OpenRegular(name)
	if err != nil {
		return sum, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return sum, err
	}
	copy(sum[:], h.Sum(nil))
	return sum, nil
}
