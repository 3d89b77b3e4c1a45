package graph

import (
	"context"
	"maps"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/lambctl/lamb/manifest"
)

// A Tracker keeps the latest print of each function fingerprinted through
// it, with where each of the print's source files is, so that after edits
// it can fingerprint the functions again without loading packages — what
// lamb dev does on every save. Loading packages (go list) is most of a
// fingerprint's time; an edit of a Go file's code leaves the package graph
// as it was, and only the edited files need hashing again.
//
// Refresh does that when, and only when, the result is the one
// Fingerprints would give: every changed path is a file of a tracked print
// (a Go file whose load key, what go list reads of it, is unchanged; an
// embedded file; a manifest file), a _test.go file no build reads, or a
// file outside every print's package directories (mayMatter). Anything
// else — a file created, removed or renamed in a package, an import or
// build constraint edited, go.mod — makes it refuse, and the
// caller fingerprints with a package load (Fingerprints), which tracks the
// functions again. graph's TestOracle follows its steps with a Tracker and
// checks every tracked print against a package load.
type Tracker struct {
	mu  sync.Mutex
	fns map[string]*tracked // by function name
}

type tracked struct {
	print   Print
	root    string
	config  string            // trackedConfig of the function the print is of
	sources map[string]source // absolute path → where it is in the print
}

// source is where one file is in a print.
type source struct {
	pkg     string // import path in Inputs.Packages; "" for a manifest file
	rel     string // key in the package's Files or Embeds, or in Inputs.Files
	kind    sourceKind
	loadKey string // of a Go file (goSource)
}

type sourceKind int

const (
	srcGo       sourceKind = iota // a Go file of a package: refreshed if its load key holds
	srcOther                      // other package files (assembly, C, .syso, default.pgo): never refreshed
	srcEmbed                      // an embedded file
	srcManifest                   // a function's manifest file (files:)
)

// NewTracker returns an empty Tracker.
func NewTracker() *Tracker { return &Tracker{fns: map[string]*tracked{}} }

// Fingerprints is Fingerprints, recording every print it computes.
func (t *Tracker) Fingerprints(ctx context.Context, m *manifest.Manifest, fns []manifest.Function) ([]Print, error) {
	t.Forget(manifest.Names(fns)...) // a failed function keeps no older print
	return fingerprintsTracked(ctx, m.Root, fns, nil, t)
}

// trackedConfig is what of a function and its manifest its print depends
// on besides its sources: the build configuration, the package directory
// and the manifest files. "" when the function has no build configuration.
func trackedConfig(root string, f manifest.Function) string {
	cfg, err := f.BuildConfig()
	if err != nil {
		return ""
	}
	return strings.Join(append([]string{root, f.Dir, cfg.Key()}, f.Files...), "\x00")
}

// record tracks p, the print of f under root computed with a package load,
// with its package sources srcs; t may be nil.
func (t *Tracker) record(root string, f manifest.Function, p Print, srcs map[string]source) {
	if t == nil {
		return
	}
	cfg := trackedConfig(root, f)
	if cfg == "" {
		return
	}
	all := maps.Clone(srcs)
	if all == nil {
		all = map[string]source{}
	}
	for rel := range p.Inputs.Files {
		abs := filepath.Join(root, filepath.FromSlash(rel))
		all[abs] = source{rel: rel, kind: srcManifest}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.fns[f.Name] = &tracked{print: p, root: root, config: cfg, sources: all}
}

// Forget drops the prints of the functions named.
func (t *Tracker) Forget(names ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, n := range names {
		delete(t.fns, n)
	}
}

// Print returns the tracked print of f in the manifest rooted at root, if
// there is one of f as it is now (same build configuration, directory and
// manifest files).
func (t *Tracker) Print(root string, f manifest.Function) (Print, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tr, ok := t.fns[f.Name]
	if !ok || tr.root != root || tr.config != trackedConfig(root, f) {
		return Print{}, false
	}
	return tr.print, true
}

// Refresh fingerprints the tracked functions again after the files at
// changed (absolute paths) changed, without loading packages, and reports
// whether it could: see Tracker. When it cannot, it forgets every print
// (a created file, go.mod, may change any of them: they need a package
// load). Every tracked function with a changed file is refreshed, so
// that no tracked print is older than the changes handed to Refresh.
func (t *Tracker) Refresh(changed []string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	var dirs map[string]bool // the package directories of the prints, when needed
	relevant := func(p string) bool {
		if dirs == nil {
			dirs = t.packageDirsLocked()
		}
		return mayMatter(p, dirs)
	}
	// Each changed file is read and hashed once however many prints have
	// it (fileHashes); each print's source is checked against it.
	hashes := &fileHashes{m: map[string]fileValue{}}
	type key struct {
		path string
		kind sourceKind // a file may be a Go source of one print and a manifest file of another
	}
	values := map[key]string{}
	touched := map[string]bool{} // functions with a changed file
	ok := true
	for _, p := range changed {
		p = filepath.Clean(p)
		known := false
		for name, tr := range t.fns {
			src, has := tr.sources[p]
			if !has {
				continue
			}
			known = true
			touched[name] = true
			if !ok {
				continue
			}
			v, good := refreshValue(tr.root, p, src, hashes)
			if !good {
				ok = false
				continue
			}
			values[key{p, src.kind}] = v
		}
		if !known && relevant(p) {
			ok = false // a file of no print: a new file, a removed one, go.mod...
		}
	}
	if !ok {
		// Any print may be out of date now (a file created in a package
		// directory, go.mod or go.work edited): all need a package load.
		clear(t.fns)
		return false
	}
	for name := range touched {
		tr := t.fns[name]
		in := tr.print.Inputs
		in.Packages = maps.Clone(in.Packages)
		in.Files = maps.Clone(in.Files)
		cloned := map[string]bool{}
		for k, v := range values {
			src, has := tr.sources[k.path]
			if !has || src.kind != k.kind {
				continue
			}
			if src.kind == srcManifest {
				in.Files[src.rel] = v
				continue
			}
			pi := in.Packages[src.pkg]
			if !cloned[src.pkg] {
				pi.Files, pi.Embeds = maps.Clone(pi.Files), maps.Clone(pi.Embeds)
				cloned[src.pkg] = true
			}
			if src.kind == srcEmbed {
				pi.Embeds[src.rel] = v
			} else {
				pi.Files[src.rel] = v
			}
			in.Packages[src.pkg] = pi
		}
		tr.print.Inputs = in
		tr.print.Fingerprint = in.sum()
	}
	return true
}

// packageDirsLocked returns the directories of the tracked prints'
// packages. t.mu is held.
func (t *Tracker) packageDirsLocked() map[string]bool {
	dirs := map[string]bool{}
	for _, tr := range t.fns {
		for p, src := range tr.sources {
			if src.kind == srcGo || src.kind == srcOther {
				dirs[filepath.Dir(p)] = true
			}
		}
	}
	return dirs
}

// mayMatter reports whether a change of a path no tracked print has may
// change one: a module file (go.mod, go.sum, go.work, vendor/) anywhere,
// or any file but a test in a package directory of a print or below it
// (a new file of a package, a new embedded file, a new package). A file
// elsewhere — a README at the top, another ecosystem's files — may not.
func mayMatter(p string, pkgDirs map[string]bool) bool {
	base := filepath.Base(p)
	switch base {
	case "go.mod", "go.sum", "go.work", "go.work.sum":
		return true
	}
	if strings.HasSuffix(base, "_test.go") {
		return false // go build never reads one
	}
	for d := filepath.Dir(p); ; d = filepath.Dir(d) {
		if pkgDirs[d] || filepath.Base(d) == "vendor" {
			return true
		}
		if parent := filepath.Dir(d); parent == d {
			return false
		}
	}
}

// refreshValue returns the new fingerprint value of the file at p, which
// is src in a print of a function under root, and false when the file
// cannot be refreshed without a package load. Package files are read
// through hashes, once each.
func refreshValue(root, p string, src source, hashes *fileHashes) (string, bool) {
	switch src.kind {
	case srcGo:
		v, err := hashes.file(p)
		if err != nil || v.loadKey == "" || v.loadKey != src.loadKey {
			return "", false // gone, unreadable, or the package graph may differ
		}
		return v.value, true
	case srcEmbed:
		v, err := hashes.file(p)
		if err != nil {
			return "", false // gone: the embed patterns no longer match it
		}
		return v.value, true
	case srcManifest:
		files, err := hashManifestFiles(root, []string{path.Clean(src.rel)})
		if err != nil {
			return "", false
		}
		return files[src.rel], true
	}
	return "", false
}
