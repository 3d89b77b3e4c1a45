package emulator

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/lambctl/lamb/emulator/awsjson/statefile"
	"github.com/lambctl/lamb/internal/fsutil"
)

const stateFile = "state.json"

// unsyncedFile marks a state directory written without fsync
// (Options.NoSync) by a server that has not closed.
const unsyncedFile = "unsynced"

// openState loads the state from StateDir. After an unclean stop of a
// server that wrote without fsync (the marker is there), the stored code
// is checked and an unreadable state replaced by an empty one; with
// NoSync, the marker is put in place, synced, before anything is written
// unsynced.
func (s *Server) openState() error {
	marker := filepath.Join(s.opts.StateDir, unsyncedFile)
	_, err := os.Lstat(marker)
	crashed := err == nil
	st, err := loadState(s.opts.StateDir, s.key)
	if err != nil && crashed {
		s.log.Warn("the functions' state, written without fsync, is unreadable after an unclean stop: starting without functions", "err", err)
		st, err = &state{Functions: map[string]*function{}}, nil
	}
	if err != nil {
		return err
	}
	s.st = st
	s.saves.written = s.codeRefsLocked() // not shared yet: no lock needed
	if crashed {
		s.checkCode()
		s.saves.want++ // the state as checked replaces what is on disk
	}
	if s.opts.NoSync {
		if err := statefile.WriteAtomic(marker, []byte("lamb's local Lambda writes this state without fsync; see docs/emulator.md\n")); err != nil {
			return fmt.Errorf("emulator: %w", err)
		}
	}
	if err := s.persist(); err != nil {
		return err
	}
	if crashed && !s.opts.NoSync {
		// Synced from now on: what the last server left unsynced is
		// synced before the marker goes.
		return s.syncState()
	}
	return nil
}

// checkCode checks that every stored zip a function uses has the SHA-256
// its name says. A damaged zip is removed; each configuration whose zip is
// missing or damaged gets LastUpdateStatus Failed, so that lamb's deployer
// uploads its code again (deployer.Plan: "the last update failed"). A
// transition the lost code was in (a create or update the crash cut short)
// ends there: the function is Active, its last update Failed, and no
// pending transition completes it as Successful after the start.
func (s *Server) checkCode() {
	intact := map[string]bool{}
	for name, fn := range s.st.Functions {
		for _, c := range append([]*config{fn.Latest}, fn.Versions...) {
			h := c.codeHex()
			ok, seen := intact[h]
			if !seen {
				ok = s.codeIntact(h)
				intact[h] = ok
			}
			if !ok {
				s.log.Warn("code lost in an unclean stop of the machine", "function", name, "version", c.Version, "CodeSha256", c.CodeSha256)
				c.LastUpdateStatus = "Failed"
				c.LastUpdateStatusReason = "The function's code was lost when the machine stopped before it was written to disk; deploy it again."
				c.LastUpdateStatusReasonCode = "InternalError"
				if c == fn.Latest && fn.Transition != nil {
					fn.Transition = nil
					c.State, c.StateReason, c.StateReasonCode = "Active", "", ""
				}
			}
		}
	}
}

// codeIntact reports whether the stored zip named by hexSum has that
// SHA-256, removing it when it has not.
func (s *Server) codeIntact(hexSum string) bool {
	p := s.codePath(hexSum)
	b, err := fsutil.ReadRegular(p, maxZipFile)
	if err != nil {
		return false
	}
	sum := sha256.Sum256(b)
	if hex.EncodeToString(sum[:]) != hexSum {
		os.Remove(p)
		return false
	}
	return true
}

// syncState makes what was written without fsync durable, then removes
// the marker (Close, with NoSync; New, after a server that wrote without
// fsync stopped uncleanly).
func (s *Server) syncState() error {
	paths := []string{filepath.Join(s.opts.StateDir, stateFile)}
	if ents, err := os.ReadDir(s.codeDir); err == nil {
		for _, e := range ents {
			paths = append(paths, filepath.Join(s.codeDir, e.Name()))
		}
	}
	paths = append(paths, s.codeDir, s.opts.StateDir)
	if err := statefile.Sync(paths...); err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	marker := filepath.Join(s.opts.StateDir, unsyncedFile)
	if err := os.Remove(marker); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("emulator: %w", statefile.PathError("remove", marker, err))
	}
	return statefile.Sync(s.opts.StateDir)
}

// writeState writes a file of the functions' state: synced, unless NoSync.
func (s *Server) writeState(path string, b []byte) error {
	if s.opts.NoSync {
		return statefile.WriteUnsynced(path, b)
	}
	return statefile.WriteAtomic(path, b)
}

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

// saveLocked records that the state changed, for persist to write. s.mu
// is held. Every change is written before its call is answered: the
// operation wrapper holds a mutating call's answer until persist has
// written the state (or answers the error it met), and a transition
// completing persists its own change.
func (s *Server) saveLocked() error {
	if s.closed {
		return serviceErr("the emulator is shutting down")
	}
	if s.opts.StateDir != "" {
		s.saves.want++
	}
	return nil
}

// saves is the group commit of the state file: changes are counted under
// s.mu (want), and written outside it by one persist at a time, which
// writes the state as it is then, covering every change made so far
// (done). Concurrent calls share one write and one fsync instead of taking
// their turns under s.mu, where every other call waited for each.
type saves struct {
	mu      sync.Mutex      // held by the persist writing
	want    uint64          // changes made; under Server.mu
	done    uint64          // changes written; under Server.mu
	written map[string]bool // the zips the state on disk uses; under Server.mu
	stopped bool            // Close wrote the last state; under mu
}

// persist writes the state if a change is not written yet, returning once
// every change made before the call is on disk. s.mu is not held.
func (s *Server) persist() error {
	if s.opts.StateDir == "" {
		return nil
	}
	s.saves.mu.Lock()
	defer s.saves.mu.Unlock()
	s.mu.Lock()
	want := s.saves.want
	if want == s.saves.done {
		s.mu.Unlock()
		return nil
	}
	if s.saves.stopped { // changed after Close wrote the last state
		s.mu.Unlock()
		return serviceErr("the emulator is shutting down")
	}
	s.sealEnvLocked()
	b, err := statefile.Encode(s.st)
	refs := s.codeRefsLocked()
	s.mu.Unlock()
	path := filepath.Join(s.opts.StateDir, stateFile)
	if err == nil {
		err = s.writeState(path, b)
	}
	if err != nil {
		return fmt.Errorf("emulator: save state: %w", err)
	}
	s.mu.Lock()
	s.saves.done, s.saves.written = want, refs
	s.gcCodeLocked() // what only the state replaced used
	s.mu.Unlock()
	return nil
}

// stopSaving writes the last changes and refuses later ones (Close).
func (s *Server) stopSaving() error {
	err := s.persist()
	s.saves.mu.Lock()
	s.saves.stopped = true
	s.saves.mu.Unlock()
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
	if err := s.writeState(p, zip); err != nil {
		return fmt.Errorf("emulator: store code: %w", err)
	}
	return nil
}

// gcCodeLocked removes stored zips nothing uses: no version in memory,
// no request holding one, and no version of the state last written — the
// state on disk keeps its code until a state without it is written, so
// that a crash between the two leaves no function without its code. s.mu
// is held.
func (s *Server) gcCodeLocked() {
	used := s.codeRefsLocked()
	for h := range s.inflight {
		used[h] = true
	}
	for h := range s.saves.written {
		used[h] = true
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

// codeRefsLocked returns the stored zips the functions' versions use, by
// hex SHA-256. s.mu is held.
func (s *Server) codeRefsLocked() map[string]bool {
	refs := map[string]bool{}
	for _, fn := range s.st.Functions {
		refs[fn.Latest.codeHex()] = true
		for _, v := range fn.Versions {
			refs[v.codeHex()] = true
		}
	}
	return refs
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
