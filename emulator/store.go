package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const stateFile = "state.json"

func loadState(dir string) (*state, error) {
	st := &state{Functions: map[string]*function{}}
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("emulator: load state %s: %w", displayPath(filepath.Join(dir, stateFile)), pathless(err))
	}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("emulator: load state %s: %w", displayPath(filepath.Join(dir, stateFile)), err)
	}
	if st.Functions == nil {
		st.Functions = map[string]*function{}
	}
	return st, nil
}

// saveLocked persists the state when there is a StateDir. s.mu is held.
func (s *Server) saveLocked() error {
	if s.closed {
		return serviceErr("the emulator is shutting down")
	}
	if s.opts.StateDir == "" {
		return nil
	}
	b, err := json.MarshalIndent(s.st, "", "\t")
	if err != nil {
		return fmt.Errorf("emulator: save state: %w", err)
	}
	return writeAtomic(filepath.Join(s.opts.StateDir, stateFile), b)
}

// writeAtomic writes b to path through a synced temporary file and a rename.
func writeAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("emulator: write %s: %w", displayPath(path), pathless(err))
	}
	tmp := f.Name()
	_, err = f.Write(b)
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
		return fmt.Errorf("emulator: write %s: %w", displayPath(path), pathless(err))
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// displayPath is how errors name a path of the state directory: relative
// to the working directory when it is inside it, so that what lamb prints
// does not spell out the user's home (issue 11).
func displayPath(p string) string {
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

// pathless drops the path an os error carries (the caller names it).
func pathless(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}

// codePath is where the zip with the given hex SHA-256 is stored.
func (s *Server) codePath(hexSum string) string { return filepath.Join(s.codeDir, hexSum+".zip") }

// storeCode writes a zip under its SHA-256 unless it is there already.
func (s *Server) storeCode(hexSum string, zip []byte) error {
	p := s.codePath(hexSum)
	if b, err := os.ReadFile(p); err == nil && bytes.Equal(b, zip) {
		return nil
	}
	return writeAtomic(p, zip)
}

// gcCodeLocked removes stored zips no version references. s.mu is held.
func (s *Server) gcCodeLocked() {
	used := map[string]bool{}
	for h := range s.inflight {
		used[h] = true
	}
	for _, fn := range s.st.Functions {
		used[fn.Latest.codeHex()] = true
		for _, v := range fn.Versions {
			used[v.codeHex()] = true
		}
	}
	ents, err := os.ReadDir(s.codeDir)
	if err != nil {
		return
	}
	for _, e := range ents {
		name := e.Name()
		if filepath.Ext(name) == ".zip" && !used[name[:len(name)-4]] {
			os.Remove(filepath.Join(s.codeDir, name))
		}
	}
}

// codeStorageLocked is the total size of stored code, counting every
// version as AWS does. s.mu is held.
func (s *Server) codeStorageLocked() int64 {
	var n int64
	for _, fn := range s.st.Functions {
		n += fn.Latest.CodeSize
		for _, v := range fn.Versions {
			n += v.CodeSize
		}
	}
	return n
}

// wireFault is a Fault as POST /_lamb/faults takes it: delay as a Go
// duration string ("1.5s") or nanoseconds.
type wireFault struct {
	Fault
	Delay json.RawMessage `json:"delay,omitempty"`
	d     time.Duration
}

func (w wireFault) toFault() Fault {
	f := w.Fault
	f.Delay = w.d
	return f
}

// decodeFaults reads one fault object or an array of them.
func decodeFaults(b []byte, out *[]wireFault) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		b = append(append([]byte{'['}, b...), ']')
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		return err
	}
	for i := range *out {
		f := &(*out)[i]
		if f.Op == "" {
			return errors.New(`"op" is required`)
		}
		if len(f.Delay) == 0 {
			continue
		}
		var str string
		if err := json.Unmarshal(f.Delay, &str); err == nil {
			d, err := time.ParseDuration(str)
			if err != nil {
				return err
			}
			f.d = d
			continue
		}
		var n int64
		if err := json.Unmarshal(f.Delay, &n); err != nil {
			return fmt.Errorf("delay: %w", err)
		}
		f.d = time.Duration(n)
	}
	return nil
}
