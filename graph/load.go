package graph

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/lambctl/lamb/internal/buildcfg"
	"github.com/lambctl/lamb/internal/failure"
	"github.com/lambctl/lamb/internal/fsutil"
	"github.com/lambctl/lamb/manifest"
	"golang.org/x/mod/modfile"
	"golang.org/x/sync/errgroup"
	"golang.org/x/tools/go/packages"
)

// missing is the hash recorded for a manifest file that does not exist.
const missing = "missing"

// pgoProfile is the profile the go command applies to a main package
// (-pgo=auto, the default) when its directory has one.
const pgoProfile = "default.pgo"

// loadMode is what a fingerprint needs from go/packages: no syntax, no types.
const loadMode = packages.NeedName | packages.NeedFiles | packages.NeedEmbedFiles |
	packages.NeedImports | packages.NeedDeps | packages.NeedModule

// group is one package load: the functions of one module built with one
// configuration.
type group struct {
	cfg  buildcfg.Config
	mod  buildcfg.Module
	idx  []int    // indexes into fns
	dirs []string // absolute package directories, parallel to idx
}

// Fingerprints loads the package graph once per distinct build
// configuration (manifest.Function.BuildConfig: architecture, tags, flags,
// build env) and module, with the environment and flags the build runs
// with, and returns one Print per function, in the order of fns. Failures
// are *failure.Error values (Op "fingerprint") aggregated by
// failure.Append; the Prints of the other functions are still returned (a
// failed function's Print has only its Function set).
func Fingerprints(ctx context.Context, m *manifest.Manifest, fns []manifest.Function) ([]Print, error) {
	return fingerprints(ctx, m.Root, fns, nil)
}

// fail is the failure of one function to fingerprint.
func fail(function string, err error) error { return failure.New(function, "fingerprint", err) }

// fingerprints is Fingerprints of the tree at root, with extra environment
// for every go command (buildcfg.Config.Environ's extra).
func fingerprints(ctx context.Context, root string, fns []manifest.Function, extraEnv []string) ([]Print, error) {
	return fingerprintsTracked(ctx, root, fns, extraEnv, nil)
}

// fingerprintsTracked is fingerprints, recording each print in t (nil:
// none) with its sources.
func fingerprintsTracked(ctx context.Context, root string, fns []manifest.Function, extraEnv []string, t *Tracker) ([]Print, error) {
	prints := make([]Print, len(fns))
	errs := make([]error, len(fns))
	groups := map[string]*group{}
	var order []string
	for i, f := range fns {
		prints[i].Function = f.Name
		cfg, err := f.BuildConfig()
		if err != nil {
			errs[i] = fail(f.Name, err)
			continue
		}
		dir := filepath.Join(root, filepath.FromSlash(f.Dir))
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			errs[i] = fail(f.Name, fmt.Errorf("%s: %w", f.Dir, ErrPackageNotFound))
			continue
		}
		mod, err := buildcfg.FindModule(dir)
		if err != nil {
			errs[i] = fail(f.Name, err)
			continue
		}
		k := cfg.Key() + "\x02" + mod.Dir
		g := groups[k]
		if g == nil {
			g = &group{cfg: cfg, mod: mod}
			groups[k] = g
			order = append(order, k)
		}
		g.idx = append(g.idx, i)
		g.dirs = append(g.dirs, dir)
	}

	eg, ctx := errgroup.WithContext(ctx)
	eg.SetLimit(runtime.GOMAXPROCS(0))
	hashes := &fileHashes{m: map[string]fileValue{}}
	for _, k := range order {
		g := groups[k]
		eg.Go(func() error {
			ps, srcs, failed := loadGroup(ctx, g, extraEnv, hashes)
			for j, i := range g.idx {
				if failed[j] != nil {
					errs[i] = fail(fns[i].Name, failed[j])
					continue
				}
				p := ps[j]
				p.Function = fns[i].Name
				files, err := hashManifestFiles(root, fns[i].Files)
				if err != nil {
					errs[i] = fail(fns[i].Name, err)
					continue
				}
				p.Inputs.Files = files
				p.Fingerprint = p.Inputs.sum()
				prints[i] = p
				t.record(root, fns[i], p, srcs[j])
			}
			return nil
		})
	}
	_ = eg.Wait() // loadGroup reports per function
	if merr := failure.Append(nil, errs...); merr != nil {
		return prints, merr
	}
	return prints, nil
}

// loadGroup loads the packages of g with its configuration and returns a
// Print (without the manifest's files) or an error for each of them, and
// the sources of each print (absolute path → where it is in the print).
func loadGroup(ctx context.Context, g *group, extraEnv []string, hashes *fileHashes) ([]Print, []map[string]source, []error) {
	prints := make([]Print, len(g.dirs))
	sources := make([]map[string]source, len(g.dirs))
	failed := make([]error, len(g.dirs))
	failAll := func(err error) ([]Print, []map[string]source, []error) {
		for i := range failed {
			failed[i] = err
		}
		return prints, sources, failed
	}
	modRoot := g.mod.Dir
	env := g.cfg.Environ(os.Environ(), extraEnv...)
	genv, err := buildcfg.ReadGoEnv(ctx, modRoot, env)
	if err != nil {
		return failAll(err)
	}
	settings := settingsOf(g.cfg, genv)
	patterns := make([]string, len(g.dirs))
	for i, d := range g.dirs {
		rel, err := filepath.Rel(modRoot, d)
		if err != nil {
			return failAll(err)
		}
		patterns[i] = "./" + filepath.ToSlash(rel)
	}
	pcfg := &packages.Config{
		Context:    ctx,
		Mode:       loadMode,
		Dir:        modRoot,
		Env:        env,
		BuildFlags: g.cfg.ListFlags(),
	}
	roots, err := packages.Load(pcfg, patterns...)
	if err != nil {
		return failAll(fmt.Errorf("loading packages in %s: %w", modRoot, err))
	}
	byDir := map[string]*packages.Package{}
	for _, p := range roots {
		byDir[filepath.Clean(p.Dir)] = p
		if real, err := filepath.EvalSymlinks(p.Dir); err == nil {
			byDir[real] = p
		}
	}

	directives, err := readDirectives(modRoot, genv.GOWORK)
	if err != nil {
		return failAll(err)
	}
	mainPath := g.mod.Path
	mainGoMod := filepath.Join(modRoot, "go.mod")
	vendorDir := filepath.Join(modRoot, "vendor")

	pkgInputs := map[*packages.Package]*PackageInputs{}
	pkgSources := map[*packages.Package]map[string]source{}
	for i, d := range g.dirs {
		root := byDir[filepath.Clean(d)]
		if root == nil {
			if real, err := filepath.EvalSymlinks(d); err == nil {
				root = byDir[real]
			}
		}
		if root == nil {
			failed[i] = fmt.Errorf("%s: %w", patterns[i], ErrPackageNotFound)
			continue
		}
		if root.Name != "main" && len(root.Errors) == 0 {
			failed[i] = fmt.Errorf("%s (%s) is package %s, not a main package", patterns[i], root.PkgPath, root.Name)
			continue
		}
		in := Inputs{
			Toolchain:  genv.Vars["GOVERSION"],
			Settings:   settings,
			Directives: maps.Clone(directives),
			Packages:   map[string]PackageInputs{},
			Modules:    map[string]string{},
		}
		var perr []string
		var ferr error
		fnSources := map[string]source{}
		packages.Visit([]*packages.Package{root}, nil, func(p *packages.Package) {
			for _, e := range p.Errors {
				perr = append(perr, e.Error())
			}
			if isStd(p) {
				return // the standard library: covered by the toolchain version
			}
			if !isRepo(p) {
				mod := p.Module
				if mod == nil {
					perr = append(perr, fmt.Sprintf("%s: no module", p.PkgPath))
					return
				}
				in.Modules[mod.Path] = moduleVersion(mod)
				if !within(p.Dir, vendorDir) {
					return
				}
				// Vendored: its files are in the repository and may be
				// edited in place; hash them too.
			}
			pi := pkgInputs[p]
			if pi == nil {
				var err error
				var srcs map[string]source
				pi, srcs, err = packageInputs(p, mainPath, p == root, hashes)
				if err != nil {
					ferr = err
					return
				}
				pkgInputs[p] = pi
				pkgSources[p] = srcs
			}
			in.Packages[p.PkgPath] = *pi
			maps.Copy(fnSources, pkgSources[p])
			if gomod := modGoMod(p.Module); gomod != "" && filepath.Clean(gomod) != mainGoMod {
				k := p.Module.Path + ": go"
				if _, ok := in.Directives[k]; !ok {
					if mf, err := parseModFile(gomod); err == nil {
						maps.Copy(in.Directives, modDirectives(mf, p.Module.Path+": "))
					} else {
						in.Directives[k] = p.Module.GoVersion
					}
				}
			}
		})
		if len(perr) > 0 {
			sort.Strings(perr)
			failed[i] = fmt.Errorf("%s", strings.Join(dedupe(perr), "; "))
			continue
		}
		if ferr != nil {
			failed[i] = ferr
			continue
		}
		prints[i] = Print{Package: root.PkgPath, Inputs: in}
		sources[i] = fnSources
	}
	return prints, sources, failed
}

// settingsOf returns the build settings of a print: exactly what the build
// runs with (the go command's flags, the environment lamb sets for it, and
// what the go command then sees in its environment).
func settingsOf(cfg buildcfg.Config, genv buildcfg.GoEnv) Settings {
	s := Settings{
		GOOS:   buildcfg.GOOS,
		GOARCH: cfg.GOARCH,
		Flags:  cfg.Flags(),
		Env:    effectiveEnv(cfg.Overlay()),
		CC:     genv.CC,
	}
	for k, v := range genv.Vars {
		if k == "GOVERSION" {
			continue // Inputs.Toolchain
		}
		if s.GoEnv == nil {
			s.GoEnv = map[string]string{}
		}
		s.GoEnv[k] = v
	}
	return s
}

// effectiveEnv returns the value each variable of env ends up with (later
// entries win, as in os/exec), as sorted KEY=VALUE.
func effectiveEnv(env []string) []string {
	last := map[string]string{}
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		last[k] = kv
	}
	return slices.Sorted(maps.Values(last))
}

// within reports whether path is dir or inside it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func isStd(p *packages.Package) bool {
	if p.Module != nil {
		return false
	}
	first, _, _ := strings.Cut(p.PkgPath, "/")
	return !strings.Contains(first, ".") || p.PkgPath == "unsafe"
}

// isRepo reports whether p's sources live in the repository: the main
// module, a go.work module, a module replaced by a local directory, or a
// package without a module version (vendored or GOPATH): its files are hashed.
func isRepo(p *packages.Package) bool {
	m := p.Module
	if m == nil {
		return true // not std, no module: hash its files to be safe
	}
	if m.Main {
		return true
	}
	if m.Replace != nil {
		return m.Replace.Version == ""
	}
	return m.Version == ""
}

// modGoMod returns the go.mod file of a repository module, if known.
func modGoMod(m *packages.Module) string {
	if m == nil {
		return ""
	}
	if m.Replace != nil && m.Replace.GoMod != "" {
		return m.Replace.GoMod
	}
	return m.GoMod
}

func moduleVersion(m *packages.Module) string {
	if r := m.Replace; r != nil {
		return fmt.Sprintf("%s => %s@%s", m.Version, r.Path, r.Version)
	}
	return m.Version
}

// displayName is a repository package's path as people read it: relative to
// the main module, or the import path when it is in another module.
func displayName(pkgPath, mainPath string) string {
	if mainPath != "" {
		if pkgPath == mainPath {
			return "."
		}
		if rest, ok := strings.CutPrefix(pkgPath, mainPath+"/"); ok {
			return rest
		}
	}
	return pkgPath
}

// packageInputs returns the inputs of the repository package p: every file
// the compiler reads (Go, cgo, C and headers, assembly, .syso; embedded
// files), and for the main package its PGO profile (the go command's
// -pgo=auto reads default.pgo in the main package's directory).
func packageInputs(p *packages.Package, mainPath string, isMain bool, hashes *fileHashes) (*PackageInputs, map[string]source, error) {
	pi := &PackageInputs{Name: displayName(p.PkgPath, mainPath), Files: map[string]string{}}
	srcs := map[string]source{}
	add := func(dst map[string]string, files []string, kind sourceKind) error {
		for _, f := range files {
			rel, err := filepath.Rel(p.Dir, f)
			if err != nil || strings.HasPrefix(rel, "..") {
				rel = filepath.Base(f)
			}
			v, err := hashes.file(f)
			if err != nil {
				return fmt.Errorf("package %s: %w", p.PkgPath, err)
			}
			dst[filepath.ToSlash(rel)] = v.value
			k := kind
			if k == srcGo && !strings.HasSuffix(f, ".go") {
				k = srcOther
			}
			srcs[filepath.Clean(f)] = source{pkg: p.PkgPath, rel: filepath.ToSlash(rel), kind: k, loadKey: v.loadKey}
		}
		return nil
	}
	if err := add(pi.Files, p.GoFiles, srcGo); err != nil {
		return nil, nil, err
	}
	if err := add(pi.Files, p.OtherFiles, srcOther); err != nil {
		return nil, nil, err
	}
	if isMain {
		prof := filepath.Join(p.Dir, pgoProfile)
		if _, err := os.Lstat(prof); err == nil {
			if err := add(pi.Files, []string{prof}, srcOther); err != nil {
				return nil, nil, err
			}
		}
	}
	if len(p.EmbedFiles) > 0 {
		pi.Embeds = map[string]string{}
		if err := add(pi.Embeds, p.EmbedFiles, srcEmbed); err != nil {
			return nil, nil, err
		}
	}
	mods := map[string]bool{}
	for _, imp := range p.Imports {
		switch {
		case isStd(imp):
		case isRepo(imp):
			pi.Imports = append(pi.Imports, imp.PkgPath)
		default:
			mods[imp.Module.Path] = true
		}
	}
	sort.Strings(pi.Imports)
	for m := range mods {
		pi.Modules = append(pi.Modules, m)
	}
	sort.Strings(pi.Modules)
	return pi, srcs, nil
}

// fileHashes caches the fingerprint values of files by absolute path, for
// one run: Go files by what of them reaches the binary (goSource),
// other files by their bytes. It keeps the load key of each Go file too
// (goSource), for a Tracker.
type fileHashes struct {
	mu sync.Mutex
	m  map[string]fileValue
}

// fileValue is a file's fingerprint value and, for a Go file, its load key.
type fileValue struct{ value, loadKey string }

func (c *fileHashes) file(name string) (fileValue, error) {
	c.mu.Lock()
	v, ok := c.m[name]
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := hashSource(name)
	if err != nil {
		return fileValue{}, err
	}
	c.mu.Lock()
	c.m[name] = v
	c.mu.Unlock()
	return v, nil
}

// hashSource returns the fingerprint value of a source file: by goSource
// for a Go file, by its bytes for any other.
func hashSource(name string) (fileValue, error) {
	if !strings.HasSuffix(name, ".go") {
		h, err := hashFile(name)
		return fileValue{value: h}, err
	}
	src, err := fsutil.ReadRegular(name, 0)
	if err != nil {
		return fileValue{}, err
	}
	v, key := goSource(name, src)
	return fileValue{v, key}, nil
}

// hashFile returns the sha256 of a regular file's content; anything else
// (a FIFO, a device) is refused without blocking.
func hashFile(name string) (string, error) {
	sum, err := fsutil.SHA256(name)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(sum[:]), nil
}

// hashManifestFiles hashes the function's manifest files (regular files
// only, as the manifest requires) by path relative to root; a file that
// does not exist is recorded as missing.
func hashManifestFiles(root string, files []string) (map[string]string, error) {
	if len(files) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, f := range files {
		rel := path.Clean(filepath.ToSlash(f))
		h, err := hashFile(filepath.Join(root, filepath.FromSlash(rel)))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			out[rel] = missing
		case err != nil:
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err // the path is rel
			}
			return nil, fmt.Errorf("files: %s: %w", rel, err)
		default:
			out[rel] = h
		}
	}
	return out, nil
}

func parseModFile(name string) (*modfile.File, error) {
	data, err := fsutil.ReadRegular(name, 16<<20)
	if err != nil {
		return nil, err
	}
	f, err := modfile.Parse(name, data, nil)
	if err != nil {
		// A newer go.mod syntax: keep what can be read.
		return modfile.ParseLax(name, data, nil)
	}
	return f, nil
}

// modDirectives returns the go, toolchain and godebug directives of a go.mod.
func modDirectives(f *modfile.File, prefix string) map[string]string {
	out := map[string]string{}
	if f.Go != nil {
		out[prefix+"go"] = f.Go.Version
	}
	if f.Toolchain != nil {
		out[prefix+"toolchain"] = f.Toolchain.Name
	}
	if len(f.Godebug) > 0 {
		var kv []string
		for _, g := range f.Godebug {
			kv = append(kv, g.Key+"="+g.Value)
		}
		sort.Strings(kv)
		out[prefix+"godebug"] = strings.Join(kv, ",")
	}
	return out
}

// readDirectives reads the directives of the main module's go.mod and of
// the go.work in use, if any.
func readDirectives(modRoot, gowork string) (map[string]string, error) {
	mf, err := parseModFile(filepath.Join(modRoot, "go.mod"))
	if err != nil {
		return nil, fmt.Errorf("reading go.mod: %w", err)
	}
	out := modDirectives(mf, "")
	if gowork != "" && gowork != "off" {
		data, err := os.ReadFile(gowork)
		if err != nil {
			return nil, fmt.Errorf("reading go.work: %w", err)
		}
		wf, err := modfile.ParseWork(gowork, data, nil)
		if err != nil {
			return nil, fmt.Errorf("reading go.work: %w", err)
		}
		if wf.Go != nil {
			out["go.work: go"] = wf.Go.Version
		}
		if wf.Toolchain != nil {
			out["go.work: toolchain"] = wf.Toolchain.Name
		}
		if len(wf.Godebug) > 0 {
			var kv []string
			for _, g := range wf.Godebug {
				kv = append(kv, g.Key+"="+g.Value)
			}
			sort.Strings(kv)
			out["go.work: godebug"] = strings.Join(kv, ",")
		}
	}
	return out, nil
}
