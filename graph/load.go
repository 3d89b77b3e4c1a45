package graph

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/hashicorp/go-multierror"
	"github.com/lambctl/lamb/manifest"
	"golang.org/x/mod/modfile"
	"golang.org/x/sync/errgroup"
	"golang.org/x/tools/go/packages"
)

// missing is the hash recorded for a manifest file that does not exist.
const missing = "missing"

// loadMode is what a fingerprint needs from go/packages: no syntax, no types.
const loadMode = packages.NeedName | packages.NeedFiles | packages.NeedEmbedFiles |
	packages.NeedImports | packages.NeedDeps | packages.NeedModule

// config is one distinct build configuration: one package load.
type config struct {
	modRoot string   // absolute directory of the go.mod the packages belong to
	goarch  string   // target GOARCH
	tags    []string // sorted, lambda.norpc included
	env     []string // sorted KEY=VALUE of the manifest's build env
	extra   []string // environment lamb itself adds (GOWORK of a base worktree)
}

func (c config) key() string {
	return strings.Join([]string{c.modRoot, c.goarch, strings.Join(c.tags, ","), strings.Join(c.env, "\x00")}, "\x01")
}

// environ returns the environment of the go command for c.
func (c config) environ() []string {
	env := append(os.Environ(), c.extra...)
	env = append(env, c.env...)
	return append(env, "GOOS=linux", "GOARCH="+c.goarch, "CGO_ENABLED=0")
}

// goEnv is what lamb reads from `go env` for one configuration.
type goEnv struct {
	GOVERSION, GOWORK, GOFLAGS, GOARM64, GOAMD64, GOEXPERIMENT, GOFIPS140 string
}

func readGoEnv(ctx context.Context, dir string, env []string) (goEnv, error) {
	cmd := exec.CommandContext(ctx, "go", "env", "-json", "GOVERSION", "GOWORK", "GOFLAGS", "GOARM64", "GOAMD64", "GOEXPERIMENT", "GOFIPS140")
	cmd.Dir = dir
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return goEnv{}, fmt.Errorf("go env in %s: %w: %s", dir, err, strings.TrimSpace(stderr.String()))
	}
	var e goEnv
	if err := json.Unmarshal(out, &e); err != nil {
		return goEnv{}, fmt.Errorf("go env in %s: %w", dir, err)
	}
	return e, nil
}

// findModRoot returns the closest directory at or above dir with a go.mod,
// not looking above the top of the git repository (a directory with .git).
func findModRoot(dir string) (string, error) {
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		_, gerr := os.Lstat(filepath.Join(d, ".git"))
		if parent == d || gerr == nil {
			return "", fmt.Errorf("no go.mod at or above %s", dir)
		}
		d = parent
	}
}

func configFor(root string, f manifest.Function, extraEnv []string) (config, string, error) {
	dir := filepath.Join(root, filepath.FromSlash(f.Dir))
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return config{}, "", fmt.Errorf("%s: %w", f.Dir, ErrPackageNotFound)
	}
	modRoot, err := findModRoot(dir)
	if err != nil {
		return config{}, "", err
	}
	tags := []string{"lambda.norpc"}
	for _, t := range f.Build.Tags {
		if t != "" && !contains(tags, t) {
			tags = append(tags, t)
		}
	}
	sort.Strings(tags)
	var env []string
	for k, v := range f.Build.Env {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	return config{modRoot: modRoot, goarch: f.GOARCH(), tags: tags, env: env, extra: extraEnv}, dir, nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// Fingerprints loads the package graph once per distinct build configuration
// (GOOS=linux, the function's GOARCH, CGO_ENABLED=0, tags lambda.norpc plus
// the manifest's, the build env) and returns one Print per function, in the
// order of fns. Failures are returned as *FunctionError values aggregated in
// a multierror; the Prints of the other functions are still returned (a
// failed function's Print has only its Function set).
func Fingerprints(ctx context.Context, m *manifest.Manifest, fns []manifest.Function) ([]Print, error) {
	return fingerprints(ctx, m, fns, nil)
}

// fingerprints is Fingerprints with extra environment for the go command.
func fingerprints(ctx context.Context, m *manifest.Manifest, fns []manifest.Function, extraEnv []string) ([]Print, error) {
	prints := make([]Print, len(fns))
	errs := make([]error, len(fns))
	type group struct {
		cfg  config
		idx  []int    // indexes into fns
		dirs []string // absolute package directories, parallel to idx
	}
	groups := map[string]*group{}
	var order []string
	for i, f := range fns {
		prints[i].Function = f.Name
		cfg, dir, err := configFor(m.Root, f, extraEnv)
		if err != nil {
			errs[i] = &FunctionError{Function: f.Name, Err: err}
			continue
		}
		k := cfg.key()
		g := groups[k]
		if g == nil {
			g = &group{cfg: cfg}
			groups[k] = g
			order = append(order, k)
		}
		g.idx = append(g.idx, i)
		g.dirs = append(g.dirs, dir)
	}

	eg, ctx := errgroup.WithContext(ctx)
	eg.SetLimit(runtime.GOMAXPROCS(0))
	hashes := &fileHashes{m: map[string]string{}}
	for _, k := range order {
		g := groups[k]
		eg.Go(func() error {
			ps, fail := loadGroup(ctx, g.cfg, g.dirs, hashes)
			for j, i := range g.idx {
				if fail[j] != nil {
					errs[i] = &FunctionError{Function: fns[i].Name, Err: fail[j]}
					continue
				}
				p := ps[j]
				p.Function = fns[i].Name
				p.Inputs.Settings.Tags = append([]string(nil), g.cfg.tags...)
				p.Inputs.Settings.LDFlags = fns[i].Build.LDFlags
				p.Inputs.Settings.GCFlags = fns[i].Build.GCFlags
				if len(fns[i].Build.Env) > 0 {
					p.Inputs.Settings.Env = fns[i].Build.Env
				}
				files, err := hashManifestFiles(m.Root, fns[i].Files)
				if err != nil {
					errs[i] = &FunctionError{Function: fns[i].Name, Err: err}
					continue
				}
				p.Inputs.Files = files
				p.Fingerprint = p.Inputs.sum()
				prints[i] = p
			}
			return nil
		})
	}
	_ = eg.Wait() // loadGroup reports per function
	var merr *multierror.Error
	for _, err := range errs {
		if err != nil {
			merr = multierror.Append(merr, err)
		}
	}
	if merr != nil {
		merr.ErrorFormat = listFormat
		return prints, merr
	}
	return prints, nil
}

// listFormat prints one error a line, with no header.
func listFormat(es []error) string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// loadGroup loads the packages in dirs with cfg and returns a Print (without
// the manifest's per-function parts) or an error for each of them.
func loadGroup(ctx context.Context, cfg config, dirs []string, hashes *fileHashes) ([]Print, []error) {
	prints := make([]Print, len(dirs))
	fail := make([]error, len(dirs))
	failAll := func(err error) ([]Print, []error) {
		for i := range fail {
			fail[i] = err
		}
		return prints, fail
	}
	env := cfg.environ()
	genv, err := readGoEnv(ctx, cfg.modRoot, env)
	if err != nil {
		return failAll(err)
	}
	patterns := make([]string, len(dirs))
	for i, d := range dirs {
		rel, err := filepath.Rel(cfg.modRoot, d)
		if err != nil {
			return failAll(err)
		}
		patterns[i] = "./" + filepath.ToSlash(rel)
	}
	pcfg := &packages.Config{
		Context:    ctx,
		Mode:       loadMode,
		Dir:        cfg.modRoot,
		Env:        env,
		BuildFlags: []string{"-tags=" + strings.Join(cfg.tags, ",")},
	}
	roots, err := packages.Load(pcfg, patterns...)
	if err != nil {
		return failAll(fmt.Errorf("loading packages in %s: %w", cfg.modRoot, err))
	}
	byDir := map[string]*packages.Package{}
	for _, p := range roots {
		byDir[filepath.Clean(p.Dir)] = p
		if real, err := filepath.EvalSymlinks(p.Dir); err == nil {
			byDir[real] = p
		}
	}

	directives, err := readDirectives(cfg.modRoot, genv.GOWORK)
	if err != nil {
		return failAll(err)
	}
	var mainPath string
	mainGoMod := filepath.Join(cfg.modRoot, "go.mod")
	vendorDir := filepath.Join(cfg.modRoot, "vendor")
	if mf, err := parseModFile(filepath.Join(cfg.modRoot, "go.mod")); err == nil && mf.Module != nil {
		mainPath = mf.Module.Mod.Path
	}

	pkgInputs := map[*packages.Package]*PackageInputs{}
	for i, d := range dirs {
		root := byDir[filepath.Clean(d)]
		if root == nil {
			if real, err := filepath.EvalSymlinks(d); err == nil {
				root = byDir[real]
			}
		}
		if root == nil {
			fail[i] = fmt.Errorf("%s: %w", patterns[i], ErrPackageNotFound)
			continue
		}
		if root.Name != "main" && len(root.Errors) == 0 {
			fail[i] = fmt.Errorf("%s (%s) is package %s, not a main package", patterns[i], root.PkgPath, root.Name)
			continue
		}
		in := Inputs{
			Toolchain: genv.GOVERSION,
			Settings: Settings{
				GOOS: "linux", GOARCH: cfg.goarch,
				GOARM64: genv.GOARM64, GOAMD64: genv.GOAMD64, GOEXPERIMENT: genv.GOEXPERIMENT, GOFLAGS: relevantGOFLAGS(genv.GOFLAGS),
				GOFIPS140: genv.GOFIPS140,
			},
			Directives: map[string]string{},
			Packages:   map[string]PackageInputs{},
			Modules:    map[string]string{},
		}
		for k, v := range directives {
			in.Directives[k] = v
		}
		var perr []string
		var ferr error
		packages.Visit([]*packages.Package{root}, nil, func(p *packages.Package) {
			for _, e := range p.Errors {
				perr = append(perr, e.Error())
			}
			if p.Module == nil {
				if isStd(p) {
					return // the standard library: covered by the toolchain version
				}
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
				pi, err = packageInputs(p, mainPath, hashes)
				if err != nil {
					ferr = err
					return
				}
				pkgInputs[p] = pi
			}
			in.Packages[p.PkgPath] = *pi
			if gomod := modGoMod(p.Module); gomod != "" && filepath.Clean(gomod) != mainGoMod {
				k := p.Module.Path + ": go"
				if _, ok := in.Directives[k]; !ok {
					if mf, err := parseModFile(gomod); err == nil {
						for kk, v := range modDirectives(mf, p.Module.Path+": ") {
							in.Directives[kk] = v
						}
					} else {
						in.Directives[k] = p.Module.GoVersion
					}
				}
			}
		})
		if len(perr) > 0 {
			sort.Strings(perr)
			fail[i] = fmt.Errorf("%s", strings.Join(dedupe(perr), "; "))
			continue
		}
		if ferr != nil {
			fail[i] = ferr
			continue
		}
		prints[i] = Print{Package: root.PkgPath, Inputs: in}
	}
	return prints, fail
}

// within reports whether path is dir or inside it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// relevantGOFLAGS drops from GOFLAGS the flags that cannot change lamb's
// binaries: lamb's builder passes -trimpath and -buildvcs=false itself, and
// the others only change logging or scheduling. A machine's go env file
// then does not change every fingerprint.
func relevantGOFLAGS(goflags string) string {
	var keep []string
	for _, f := range strings.Fields(goflags) {
		name, _, _ := strings.Cut(strings.TrimLeft(f, "-"), "=")
		switch name {
		case "buildvcs", "trimpath", "modcacherw", "p", "v", "x", "json":
			continue
		}
		keep = append(keep, f)
	}
	return strings.Join(keep, " ")
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

func packageInputs(p *packages.Package, mainPath string, hashes *fileHashes) (*PackageInputs, error) {
	pi := &PackageInputs{Name: displayName(p.PkgPath, mainPath), Files: map[string]string{}}
	add := func(dst map[string]string, files []string) error {
		for _, f := range files {
			rel, err := filepath.Rel(p.Dir, f)
			if err != nil || strings.HasPrefix(rel, "..") {
				rel = filepath.Base(f)
			}
			h, err := hashes.get(f)
			if err != nil {
				return fmt.Errorf("package %s: %w", p.PkgPath, err)
			}
			dst[filepath.ToSlash(rel)] = h
		}
		return nil
	}
	if err := add(pi.Files, p.GoFiles); err != nil {
		return nil, err
	}
	if err := add(pi.Files, p.OtherFiles); err != nil {
		return nil, err
	}
	if len(p.EmbedFiles) > 0 {
		pi.Embeds = map[string]string{}
		if err := add(pi.Embeds, p.EmbedFiles); err != nil {
			return nil, err
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
	return pi, nil
}

// fileHashes caches the sha256 of files by absolute path, for one run.
type fileHashes struct {
	mu sync.Mutex
	m  map[string]string
}

func (c *fileHashes) get(name string) (string, error) {
	c.mu.Lock()
	h, ok := c.m[name]
	c.mu.Unlock()
	if ok {
		return h, nil
	}
	h, err := hashFile(name)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.m[name] = h
	c.mu.Unlock()
	return h, nil
}

func hashFile(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hashManifestFiles hashes the function's manifest files (a directory
// contributes every file under it) by path relative to root.
func hashManifestFiles(root string, files []string) (map[string]string, error) {
	if len(files) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, f := range files {
		rel := path.Clean(filepath.ToSlash(f))
		abs := filepath.Join(root, filepath.FromSlash(rel))
		st, err := os.Stat(abs)
		if errors.Is(err, fs.ErrNotExist) {
			out[rel] = missing
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("files: %w", err)
		}
		if !st.IsDir() {
			h, err := hashFile(abs)
			if err != nil {
				return nil, fmt.Errorf("files: %w", err)
			}
			out[rel] = h
			continue
		}
		err = filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			r, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			h, err := hashFile(p)
			if err != nil {
				return err
			}
			out[filepath.ToSlash(r)] = h
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("files: %w", err)
		}
	}
	return out, nil
}

func parseModFile(name string) (*modfile.File, error) {
	data, err := os.ReadFile(name)
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
