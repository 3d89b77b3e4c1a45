package devloop

import (
	"bytes"
	"context"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/lambctl/lamb/graph"
	"github.com/lambctl/lamb/internal/buildcfg"
)

// index tells which functions a changed path may affect, from their last
// prints: a function is a candidate when the path is in the directory of
// a package of its closure (a file added to a package is in it too), is
// one of its embedded or manifest files, or is a module file (go.mod,
// go.sum, go.work: every function). Candidates are then fingerprinted:
// the fingerprints decide, the index only keeps the work small.
type index struct {
	dirs  map[string]map[string]bool // absolute directory → functions
	files map[string]map[string]bool // absolute file → functions
	// unresolved are functions with a package whose directory is unknown:
	// every Go file change makes them candidates.
	unresolved map[string]bool
}

// moduleFile reports files whose change can affect every function.
func moduleFile(path string) bool {
	switch filepath.Base(path) {
	case "go.mod", "go.sum", "go.work", "go.work.sum":
		return true
	}
	return slices.Contains(strings.Split(filepath.ToSlash(path), "/"), "vendor")
}

// newIndex indexes prints; dirOf gives the directory of each function's
// main package (the module governing it resolves the other packages).
// Packages of other modules (a replace directive, a workspace) are
// resolved with one go list -find per module.
func newIndex(ctx context.Context, root string, prints map[string]graph.Print, fnDirs map[string]string, env []string) *index {
	ix := &index{dirs: map[string]map[string]bool{}, files: map[string]map[string]bool{}, unresolved: map[string]bool{}}
	add := func(m map[string]map[string]bool, k, fn string) {
		if m[k] == nil {
			m[k] = map[string]bool{}
		}
		m[k][fn] = true
	}
	type pending struct{ fn, imp string }
	foreign := map[string][]pending{} // module dir → packages to resolve
	pkgDirs := map[string]string{}    // import path → directory
	for fn, p := range prints {
		mod, err := buildcfg.FindModule(fnDirs[fn])
		if err != nil {
			ix.unresolved[fn] = true
			continue
		}
		for imp := range p.Inputs.Packages {
			switch {
			case imp == mod.Path:
				pkgDirs[imp] = mod.Dir
			case strings.HasPrefix(imp, mod.Path+"/"):
				pkgDirs[imp] = filepath.Join(mod.Dir, filepath.FromSlash(strings.TrimPrefix(imp, mod.Path+"/")))
			default:
				foreign[mod.Dir] = append(foreign[mod.Dir], pending{fn, imp})
			}
		}
		for f := range p.Inputs.Files {
			abs := filepath.Join(root, filepath.FromSlash(f))
			add(ix.files, abs, fn)
			add(ix.dirs, filepath.Dir(abs), fn) // a manifest file created later
		}
	}
	for _, modDir := range slices.Sorted(maps.Keys(foreign)) {
		var imps []string
		for _, p := range foreign[modDir] {
			if _, ok := pkgDirs[p.imp]; !ok {
				imps = append(imps, p.imp)
			}
		}
		maps.Copy(pkgDirs, findDirs(ctx, modDir, slices.Compact(slices.Sorted(slices.Values(imps))), env))
		for _, p := range foreign[modDir] {
			if _, ok := pkgDirs[p.imp]; !ok {
				ix.unresolved[p.fn] = true
			}
		}
	}
	for fn, p := range prints {
		for imp, pi := range p.Inputs.Packages {
			dir, ok := pkgDirs[imp]
			if !ok {
				continue
			}
			add(ix.dirs, dir, fn)
			for e := range pi.Embeds {
				add(ix.files, filepath.Join(dir, filepath.FromSlash(e)), fn)
				add(ix.dirs, filepath.Dir(filepath.Join(dir, filepath.FromSlash(e))), fn)
			}
		}
	}
	return ix
}

// findDirs asks the go command where packages are, without loading them.
func findDirs(ctx context.Context, modDir string, imps []string, env []string) map[string]string {
	out := map[string]string{}
	if len(imps) == 0 {
		return out
	}
	cmd := exec.CommandContext(ctx, "go", append([]string{"list", "-e", "-find", "-f", "{{.ImportPath}}\t{{.Dir}}"}, imps...)...)
	cmd.Dir = modDir
	cmd.Env = env
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	b, err := cmd.Output()
	if err != nil {
		return out
	}
	for line := range bytes.Lines(b) {
		imp, dir, ok := strings.Cut(strings.TrimSpace(string(line)), "\t")
		if ok && dir != "" {
			out[imp] = dir
		}
	}
	return out
}

// candidates returns the functions the changed paths may affect, and
// whether a module file changed (then every function is one).
func (ix *index) candidates(paths []string) (fns map[string]bool, all bool) {
	fns = map[string]bool{}
	for _, p := range paths {
		if moduleFile(p) {
			return nil, true
		}
		for fn := range ix.files[p] {
			fns[fn] = true
		}
		for fn := range ix.dirs[filepath.Dir(p)] {
			fns[fn] = true
		}
		for fn := range ix.dirs[p] { // the directory itself went away
			fns[fn] = true
		}
		if strings.HasSuffix(p, ".go") {
			for fn := range ix.unresolved {
				fns[fn] = true
			}
		}
	}
	return fns, false
}

// roots returns the directories to watch: the manifest root, the modules
// of the functions, and the package directories the prints reach outside
// those (a module replaced by a path, a workspace module), without
// directories inside another one of the list.
func (ix *index) roots(dirs ...string) []string {
	all := slices.Clone(dirs)
	for d := range ix.dirs {
		all = append(all, d)
	}
	slices.Sort(all)
	var keep []string
	for _, d := range all {
		if slices.ContainsFunc(keep, func(k string) bool { return within(d, k) }) {
			continue
		}
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			keep = append(keep, d)
		}
	}
	return keep
}

func within(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, dir+string(filepath.Separator))
}
