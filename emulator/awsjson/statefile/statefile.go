// Package statefile persists the local Lambda's state and its neighbour
// services' as files: written through a synced temporary file and a rename
// (a crash leaves the old file or the new one, never half of one), mode
// 0600 because the state holds functions' environments and secrets.
// Errors name files relative to the working directory (DisplayPath), never
// by the host's absolute paths, and never quote a file's content.
//
// The caller owns the directory's exclusivity: the local Lambda locks its
// state directory, and its neighbour services write beside it.
package statefile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/lambctl/lamb/internal/fsutil"
)

// MaxSize bounds a state file read back.
const MaxSize = 1 << 30

// File is a service's state file in a state directory. The zero File is
// no file: the state lives in memory only, Load finds nothing and Save
// writes nothing.
type File struct{ path string }

// At is the file name in dir; the zero File when dir is "".
func At(dir, name string) File {
	if dir == "" {
		return File{}
	}
	return File{filepath.Join(dir, name)}
}

// Persistent reports whether f is a file (not the zero File).
func (f File) Persistent() bool { return f.path != "" }

// Load is Load of the file into v; found is false without one.
func (f File) Load(v any) (found bool, err error) {
	if f.path == "" {
		return false, nil
	}
	return Load(f.path, v)
}

// Save is Save of v to the file; nothing without one.
func (f File) Save(v any) error {
	if f.path == "" {
		return nil
	}
	return Save(f.path, v)
}

// Write is WriteAtomic of encoded state to the file; nothing without one.
func (f File) Write(b []byte) error {
	if f.path == "" {
		return nil
	}
	return WriteAtomic(f.path, b)
}

// Load decodes the JSON file at path into v. A missing file is not an
// error: found is false and v is untouched.
func Load(path string, v any) (found bool, err error) {
	b, err := fsutil.ReadRegular(path, MaxSize)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("statefile: %w", PathError("load", path, err))
	}
	if err := json.Unmarshal(b, v); err != nil {
		// The decoder's message may quote the file's bytes; keep only where.
		shown := DisplayPath(path)
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return false, fmt.Errorf("statefile: load %s: invalid JSON at offset %d", shown, se.Offset)
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return false, fmt.Errorf("statefile: load %s: member %s has the wrong type", shown, te.Field)
		}
		return false, fmt.Errorf("statefile: load %s: invalid state", shown)
	}
	return true, nil
}

// Save writes v as JSON to path atomically, mode 0600, creating the
// directory (0700) if needed.
func Save(path string, v any) error {
	b, err := Encode(v)
	if err != nil {
		return fmt.Errorf("statefile: encode %s: %w", DisplayPath(path), err)
	}
	return WriteAtomic(path, b)
}

// Encode is v as Save writes it, for a caller that encodes under its lock
// and writes outside it.
func Encode(v any) ([]byte, error) {
	return json.MarshalIndent(v, "", "\t")
}

// WriteAtomic writes b to path through a synced temporary file (mode 0600)
// in the same directory and a rename, then syncs the directory.
func WriteAtomic(path string, b []byte) error { return replace(path, b, true) }

// WriteUnsynced is WriteAtomic without the fsyncs: the rename still
// replaces the file whole, so a crash of the process leaves the old file or
// the new one; a crash of the machine may leave it old, empty or missing.
// It is for what can be rebuilt and is checked after such a crash (the
// local Lambda's Options.NoSync); Sync makes it durable.
func WriteUnsynced(path string, b []byte) error { return replace(path, b, false) }

// Sync fsyncs the regular files among paths, then the directories among
// them, in that order; paths that do not exist are skipped.
func Sync(paths ...string) error {
	var errs []error
	var dirs []string
	for _, p := range paths {
		fi, err := os.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			errs = append(errs, PathError("sync", p, err))
			continue
		case fi.IsDir():
			dirs = append(dirs, p)
			continue
		case !fi.Mode().IsRegular():
			continue
		}
		errs = append(errs, syncPath(p))
	}
	for _, d := range dirs {
		errs = append(errs, syncPath(d))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("statefile: %w", err)
	}
	return nil
}

func syncPath(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return PathError("sync", p, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return PathError("sync", p, err)
	}
	return nil
}

func replace(path string, b []byte, sync bool) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("statefile: %w", PathError("write", path, err))
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("statefile: %w", PathError("write", path, err))
	}
	tmp := f.Name()
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(b)
	}
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("statefile: %w", PathError("write", path, err))
	}
	if !sync {
		return nil
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// DisplayPath is how errors name a state path: relative to the working
// directory when it is inside it, so that what lamb prints does not spell
// out the user's home (issue 11); as given otherwise.
func DisplayPath(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	rel, err := filepath.Rel(wd, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return p
	}
	return rel
}

// PathError is err of doing op on path, the path named by DisplayPath:
// "op PATH: err", the path an os error carries dropped (it is absolute
// when path is).
func PathError(op, path string, err error) error {
	switch e := err.(type) {
	case *fs.PathError:
		err = fmt.Errorf("%s: %w", e.Op, e.Err)
	case *os.LinkError:
		err = fmt.Errorf("%s: %w", e.Op, e.Err)
	}
	return fmt.Errorf("%s %s: %w", op, DisplayPath(path), err)
}
