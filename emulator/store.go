package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/lambctl/lamb/emulator/awsjson/statefile"
)

const stateFile = "state.json"

func loadState(dir string, key *statefile.Key) (*state, error) {
	st := &state{Functions: map[string]*function{}}
	if _, err := statefile.Load(filepath.Join(dir, stateFile), st); err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	if st.Functions == nil {
		st.Functions = map[string]*function{}
	}
	for name, fn := range st.Functions {
		if fn == nil || fn.Latest == nil || slices.Contains(fn.Versions, nil) {
			return nil, fmt.Errorf("emulator: %s: function %s is malformed", stateFile, name)
		}
		for _, c := range append([]*config{fn.Latest}, fn.Versions...) {
			if err := openEnv(c, key); err != nil {
				return nil, fmt.Errorf("emulator: %s: function %s: %w", stateFile, name, err)
			}
		}
	}
	return st, nil
}

// openEnv sets c's environment from the state file's sealed (or, written
// before sealing, plain) one.
func openEnv(c *config, key *statefile.Key) error {
	env := c.PlainEnv
	c.PlainEnv = nil
	for k, v := range c.SealedEnv {
		if err := key.Open(&v); err != nil {
			return err
		}
		c.SealedEnv[k] = v
		if env == nil {
			env = map[string]string{}
		}
		env[k] = v.Clear()
	}
	c.Environment = env
	return nil
}

// sealEnvLocked brings the sealed environments up to date for a save;
// those that did not change keep their sealed form, so that the file
// changes only where the state does. s.mu is held.
func (s *Server) sealEnvLocked() {
	for _, fn := range s.st.Functions {
		for _, c := range append([]*config{fn.Latest}, fn.Versions...) {
			if sealedEqual(c.SealedEnv, c.Environment) {
				continue
			}
			c.SealedEnv = nil
			for k, v := range c.Environment {
				if c.SealedEnv == nil {
					c.SealedEnv = map[string]statefile.Secret{}
				}
				c.SealedEnv[k] = s.key.Seal(v)
			}
		}
	}
}

func sealedEqual(sealed map[string]statefile.Secret, env map[string]string) bool {
	if len(sealed) != len(env) {
		return false
	}
	for k, v := range env {
		if sv, ok := sealed[k]; !ok || sv.Clear() != v {
			return false
		}
	}
	return true
}

// ignoreFile keeps a state directory out of git, wherever it is: it holds
// functions' environments and sealed secrets with their key.
const ignoreFile = ".gitignore"

// ignoreState writes dir/.gitignore ignoring everything, unless the
// directory has one.
func ignoreState(dir string) error {
	path := filepath.Join(dir, ignoreFile)
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err := statefile.WriteAtomic(path, []byte("# lamb's local state: functions' environments, secrets and their key\n*\n")); err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	return nil
}

// saveLocked persists the state when there is a StateDir. s.mu is held.
func (s *Server) saveLocked() error {
	if s.closed {
		return serviceErr("the emulator is shutting down")
	}
	if s.opts.StateDir == "" {
		return nil
	}
	s.sealEnvLocked()
	if err := statefile.Save(filepath.Join(s.opts.StateDir, stateFile), s.st); err != nil {
		return fmt.Errorf("emulator: save state: %w", err)
	}
	return nil
}

// codePath is where the zip with the given hex SHA-256 is stored.
func (s *Server) codePath(hexSum string) string { return filepath.Join(s.codeDir, hexSum+".zip") }

// storeCode writes a zip under its SHA-256 unless it is there already.
func (s *Server) storeCode(hexSum string, zip []byte) error {
	p := s.codePath(hexSum)
	if b, err := os.ReadFile(p); err == nil && bytes.Equal(b, zip) {
		return nil
	}
	if err := statefile.WriteAtomic(p, zip); err != nil {
		return fmt.Errorf("emulator: store code: %w", err)
	}
	return nil
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
