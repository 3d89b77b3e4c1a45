package rapi

import (
	"archive/zip"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// ErrTooLarge is returned (wrapped) by ExtractZip when the package unzips
// to more than the limit.
var ErrTooLarge = errors.New("unzipped size exceeds the limit")

// ErrUnsafePath is returned (wrapped) by ExtractZip for an entry that would
// land outside the target directory.
var ErrUnsafePath = errors.New("unsafe path in zip")

// ExtractZip extracts zipPath into dir (created 0700 if missing). It refuses
// absolute paths, ".." and symlinks that point outside dir, writes only
// through dir (an os.Root, so no entry can be written through a symlink to
// outside), stops once more than maxBytes would be written (counting bytes
// actually written, not the sizes headers claim), and keeps exec bits:
// files are 0755 when any exec bit is set in the zip, else 0644.
func ExtractZip(zipPath, dir string, maxBytes int64) error {
	return extractZip(zipPath, dir, maxBytes, zipPath)
}

// extractZip is ExtractZip naming the package label in errors. With a
// label other than the path, no error carries a path of the host: the
// runner's errors reach API clients.
func extractZip(zipPath, dir string, maxBytes int64, label string) error {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxUnzipped
	}
	hide := func(err error) error {
		var pe *fs.PathError
		if label != zipPath && errors.As(err, &pe) {
			return fmt.Errorf("%s: %w", pe.Op, pe.Err)
		}
		return err
	}
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return fmt.Errorf("extract %s: %w", label, hide(err))
	}
	defer zr.Close()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("extract %s: %w", label, hide(err))
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("extract %s: %w", label, hide(err))
	}
	defer root.Close()

	budget := maxBytes
	for _, f := range zr.File {
		name, err := entryName(f.Name)
		if err != nil {
			return fmt.Errorf("extract %s: %q: %w", label, f.Name, err)
		}
		if name == "" {
			continue // the root itself
		}
		if err := extractEntry(root, f, name, &budget); err != nil {
			return fmt.Errorf("extract %s: %s: %w", label, name, hide(err))
		}
	}
	return nil
}

// entryName validates a zip entry name and returns it cleaned, relative to
// the root ("" for the root itself).
func entryName(n string) (string, error) {
	if n == "" || strings.ContainsRune(n, 0) || strings.Contains(n, `\`) {
		return "", ErrUnsafePath
	}
	if strings.HasPrefix(n, "/") || len(n) > 1 && n[1] == ':' {
		return "", fmt.Errorf("%w: absolute", ErrUnsafePath)
	}
	for _, el := range strings.Split(n, "/") {
		if el == ".." {
			return "", fmt.Errorf("%w: a .. element", ErrUnsafePath)
		}
	}
	c := path.Clean(n)
	if c == "." {
		return "", nil
	}
	return c, nil
}

func extractEntry(root *os.Root, f *zip.File, name string, budget *int64) error {
	mode := f.Mode()
	if err := root.MkdirAll(path.Dir(name), 0o755); err != nil && path.Dir(name) != "." {
		return err
	}
	switch {
	case mode.IsDir():
		return root.MkdirAll(name, 0o755)
	case mode&fs.ModeSymlink != 0:
		return extractSymlink(root, f, name, budget)
	case mode.IsRegular():
	default:
		return fmt.Errorf("unsupported file mode %v", mode)
	}
	perm := fs.FileMode(0o644)
	if mode&0o111 != 0 {
		perm = 0o755
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	root.Remove(name) // replace, never write through an existing link
	out, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	n, err := io.Copy(out, io.LimitReader(rc, *budget+1))
	*budget -= n
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if *budget < 0 {
		return ErrTooLarge
	}
	// umask may have narrowed the mode.
	return root.Chmod(name, perm)
}

func extractSymlink(root *os.Root, f *zip.File, name string, budget *int64) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 4096))
	if err != nil {
		return err
	}
	*budget -= int64(len(b))
	if *budget < 0 {
		return ErrTooLarge
	}
	target := string(b)
	if target == "" || path.IsAbs(target) || strings.ContainsRune(target, 0) {
		return fmt.Errorf("%w: symlink to %q", ErrUnsafePath, target)
	}
	resolved := path.Join(path.Dir(name), target)
	if resolved == ".." || strings.HasPrefix(resolved, "../") {
		return fmt.Errorf("%w: symlink to %q escapes", ErrUnsafePath, target)
	}
	root.Remove(name)
	return root.Symlink(target, name)
}

// TailLog returns the base64 of the last 4 KB of logs, as AWS's
// X-Amz-Log-Result header for LogType Tail.
func TailLog(logs []byte) string {
	const max = 4096
	if len(logs) > max {
		logs = logs[len(logs)-max:]
	}
	return base64.StdEncoding.EncodeToString(logs)
}
