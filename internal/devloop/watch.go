package devloop

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Debounce defaults: a batch of changes is handed over once the tree has
// been quiet for DefaultQuiet, or DefaultMaxWait after its first change
// while changes keep coming (a git checkout). An editor's save is one
// write (VS Code, whose format-on-save edits the buffer before it), or a
// write, rename and chmod of a temporary or backup file (Vim, JetBrains'
// safe write), all within a millisecond or two: 10 ms covers it with room
// to spare, and every millisecond of it is added to every reload (webpack
// waits 20 ms, its watchOptions.aggregateTimeout). A burst split in two
// costs a second reload of what changed again, never a miss: every reload
// reads the files as they are then.
const (
	DefaultQuiet   = 10 * time.Millisecond
	DefaultMaxWait = 500 * time.Millisecond
)

// Batch is one debounced set of changes.
type Batch struct {
	// Paths are the absolute paths that changed (created, written,
	// removed, renamed), sorted, without duplicates.
	Paths []string
	// First is when the first change of the batch was seen.
	First time.Time
	// Overflow says changes were lost (the kernel's event queue
	// overflowed): every function must be looked at again.
	Overflow bool
}

// watcher watches directory trees recursively: directories created later
// are watched too, and the files already in them when their watch starts
// count as changed.
type watcher struct {
	fs    *fsnotify.Watcher
	quiet time.Duration
	max   time.Duration
	out   chan Batch
	errs  chan error
	mu    sync.Mutex
	dirs  map[string]bool // watched directories
	roots []string        // the trees watched
}

func newWatcher(quiet, maxWait time.Duration) (*watcher, error) {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	if quiet <= 0 {
		quiet = DefaultQuiet
	}
	if maxWait < quiet {
		maxWait = max(DefaultMaxWait, quiet)
	}
	return &watcher{fs: fw, quiet: quiet, max: maxWait, out: make(chan Batch), errs: make(chan error, 16),
		dirs: map[string]bool{}}, nil
}

// ignoredDir reports directories never watched: version control, lamb's
// own output, dependencies of other ecosystems, and hidden directories.
func ignoredDir(name string) bool {
	switch name {
	case ".git", ".hg", ".svn", ".lamb", "node_modules", ".idea", ".vscode":
		return true
	}
	return strings.HasPrefix(name, ".") && name != "."
}

// ignoredFile reports editor temporary and backup files: their changes are
// never a reason to reload.
func ignoredFile(name string) bool {
	switch {
	case name == "4913": // vim checks it can write the directory with it
		return true
	case strings.HasSuffix(name, "~"), strings.HasPrefix(name, ".#"),
		strings.HasPrefix(name, "#") && strings.HasSuffix(name, "#"):
		return true // emacs, many others
	case strings.HasPrefix(name, ".") && (strings.HasSuffix(name, ".swp") || strings.HasSuffix(name, ".swx") ||
		strings.HasSuffix(name, ".swo") || strings.HasSuffix(name, ".kate-swp")):
		return true // vim, kate
	case strings.HasSuffix(name, "___jb_tmp___"), strings.HasSuffix(name, "___jb_old___"):
		return true // JetBrains safe write
	case strings.HasSuffix(name, ".tmp") || strings.Contains(name, ".tmp."):
		return true
	case name == ".DS_Store":
		return true
	}
	return false
}

// ignored reports whether a change of path is not worth a look: in an
// ignored directory below the watched root holding it, or an editor's
// temporary file.
func ignored(roots []string, path string) bool {
	rel := ""
	for _, root := range roots { // the innermost root holding path
		if r, err := filepath.Rel(root, path); err == nil && r != ".." && !strings.HasPrefix(r, "../") && (rel == "" || len(r) < len(rel)) {
			rel = r
		}
	}
	if rel == "" {
		rel = filepath.Base(path)
	}
	parts := strings.Split(filepath.ToSlash(rel), "/")
	for _, p := range parts[:len(parts)-1] {
		if ignoredDir(p) {
			return true
		}
	}
	return ignoredFile(parts[len(parts)-1])
}

// addTree watches dir and every directory under it that is not ignored,
// and returns the files found in directories that were not watched before
// (a directory created while the loop runs: its files are new).
func (w *watcher) addTree(dir string, collect bool) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == dir {
				return err
			}
			return nil // vanished meanwhile
		}
		if !d.IsDir() {
			if collect && !ignoredFile(d.Name()) {
				files = append(files, path)
			}
			return nil
		}
		if path != dir && ignoredDir(d.Name()) {
			return filepath.SkipDir
		}
		w.mu.Lock()
		seen := w.dirs[path]
		w.dirs[path] = true
		w.mu.Unlock()
		if seen {
			return nil
		}
		if err := w.fs.Add(path); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		return nil
	})
	return files, err
}

// Watch starts watching the trees under roots.
func (w *watcher) Watch(roots ...string) error {
	for _, r := range roots {
		if _, err := w.addTree(r, false); err != nil {
			return err
		}
		w.mu.Lock()
		w.roots = append(w.roots, r)
		w.mu.Unlock()
	}
	return nil
}

// run debounces events into batches until ctx is done.
func (w *watcher) run(ctx context.Context) {
	defer close(w.out)
	pending := map[string]bool{}
	var first time.Time
	quiet := time.NewTimer(time.Hour)
	quiet.Stop()
	var deadline <-chan time.Time
	flush := func() {
		if len(pending) == 0 {
			return
		}
		b := Batch{First: first}
		for p := range pending {
			b.Paths = append(b.Paths, p)
		}
		slices.Sort(b.Paths)
		clear(pending)
		deadline = nil
		select {
		case w.out <- b:
		case <-ctx.Done():
		}
	}
	add := func(p string) {
		w.mu.Lock()
		skip := ignored(w.roots, p)
		w.mu.Unlock()
		if skip {
			return
		}
		if len(pending) == 0 {
			first = time.Now()
			deadline = time.After(w.max)
		}
		pending[p] = true
		quiet.Reset(w.quiet)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.fs.Events:
			if !ok {
				return
			}
			if ev.Op == fsnotify.Chmod {
				continue // touching modes changes no input
			}
			if ev.Has(fsnotify.Create) {
				if st, err := os.Lstat(ev.Name); err == nil && st.IsDir() {
					if ignoredDir(filepath.Base(ev.Name)) {
						continue
					}
					files, err := w.addTree(ev.Name, true)
					if err != nil {
						w.report(err)
					}
					for _, f := range files {
						add(f)
					}
					add(ev.Name)
					continue
				}
			}
			if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
				w.forget(ev.Name)
			}
			add(ev.Name)
		case err, ok := <-w.fs.Errors:
			if !ok {
				return
			}
			w.report(err)
		case <-quiet.C:
			flush()
		case <-deadline:
			flush()
		}
	}
}

// forget drops the watches of a removed directory tree (the kernel drops
// them itself; this keeps a re-created directory watchable).
func (w *watcher) forget(path string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	prefix := path + string(filepath.Separator)
	for d := range w.dirs {
		if d == path || strings.HasPrefix(d, prefix) {
			delete(w.dirs, d)
		}
	}
}

func (w *watcher) report(err error) {
	select {
	case w.errs <- err:
	default:
	}
}

func (w *watcher) Close() error { return w.fs.Close() }
