// Package statefile persists a local service's state as one JSON file:
// written through a synced temporary file and a rename (a crash leaves the
// old file or the new one, never half of one), mode 0600 because the state
// of Parameter Store and Secrets Manager holds secrets.
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

	"github.com/lambctl/lamb/internal/fsutil"
)

// MaxSize bounds a state file read back.
const MaxSize = 1 << 30

// Load decodes the JSON file at path into v. A missing file is not an
// error: found is false and v is untouched.
func Load(path string, v any) (found bool, err error) {
	b, err := fsutil.ReadRegular(path, MaxSize)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("statefile: load: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		// The decoder's message may quote the file's bytes; keep only where.
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return false, fmt.Errorf("statefile: load %s: invalid JSON at offset %d", path, se.Offset)
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return false, fmt.Errorf("statefile: load %s: member %s has the wrong type", path, te.Field)
		}
		return false, fmt.Errorf("statefile: load %s: invalid state", path)
	}
	return true, nil
}

// Save writes v as JSON to path atomically, mode 0600, creating the
// directory (0700) if needed.
func Save(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "\t")
	if err != nil {
		return fmt.Errorf("statefile: encode %s: %w", path, err)
	}
	return WriteAtomic(path, b)
}

// WriteAtomic writes b to path through a synced temporary file (mode 0600)
// in the same directory and a rename, then syncs the directory.
func WriteAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("statefile: %w", err)
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("statefile: %w", err)
	}
	tmp := f.Name()
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(b)
	}
	if err == nil {
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
		return fmt.Errorf("statefile: write %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
