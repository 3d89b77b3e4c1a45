package manifest

import (
	"encoding/json"
	"errors"
	"fmt"
	"go/build"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/lambctl/lamb/internal/fsutil"
	"github.com/lambctl/lamb/internal/lambdaspec"
	"github.com/lambctl/lamb/internal/route"
)

// resolver turns a validated rawManifest into Functions, checking what needs
// the file system: packages, discovery, files.
type resolver struct {
	*decoder
	root     string // absolute
	realRoot string // root with symlinks resolved
	pkgs     map[string]pkgInfo
}

type pkgInfo struct {
	name    string          // package name of the non-test files; "" if none
	imports map[string]bool // with parser.ImportsOnly
	err     error           // parse error
}

// relPath checks a repo-relative path as written and returns it cleaned,
// slash-separated; ok is false after reporting the problem.
func (r *resolver) relPath(s str, what string) (string, bool) {
	v := s.Value
	if filepath.IsAbs(v) || path.IsAbs(filepath.ToSlash(v)) || filepath.VolumeName(v) != "" {
		r.errorf(s.Pos, "%s %q is absolute: use a path relative to %s", what, v, r.file)
		return "", false
	}
	clean := path.Clean(filepath.ToSlash(v))
	if clean == ".." || strings.HasPrefix(clean, "../") {
		r.errorf(s.Pos, "%s %q is outside the repo", what, v)
		return "", false
	}
	abs := filepath.Join(r.root, filepath.FromSlash(clean))
	if _, err := os.Lstat(abs); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			r.errorf(s.Pos, "%s %q does not exist", what, v)
		} else {
			r.errorf(s.Pos, "%s %q: %v", what, v, pathless(err))
		}
		return "", false
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		r.errorf(s.Pos, "%s %q: %v", what, v, pathless(err))
		return "", false
	}
	if !within(r.realRoot, real) {
		r.errorf(s.Pos, "%s %q resolves outside the repo (symlink to %s)", what, v, real)
		return "", false
	}
	return clean, true
}

// pathless is err without the absolute path a *fs.PathError names: the
// message names the path as written.
func pathless(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// pkg returns what the Go files in dir (repo-relative) declare.
func (r *resolver) pkg(dir string) pkgInfo {
	if info, ok := r.pkgs[dir]; ok {
		return info
	}
	info := readPackage(filepath.Join(r.root, filepath.FromSlash(dir)), parser.PackageClauseOnly)
	r.pkgs[dir] = info
	return info
}

// readPackage parses the package clauses of the non-test Go files in dir
// that a linux build would compile.
func readPackage(dir string, mode parser.Mode) pkgInfo {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return pkgInfo{err: err}
	}
	ctx := build.Default
	ctx.GOOS, ctx.GOARCH, ctx.CgoEnabled = "linux", "arm64", false
	// Every read is of a regular file and never blocks (a FIFO named x.go).
	ctx.OpenFile = func(p string) (io.ReadCloser, error) { return fsutil.OpenRegular(p) }
	fset := token.NewFileSet()
	var info pkgInfo
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") {
			continue
		}
		p := filepath.Join(dir, n)
		if fi, err := os.Stat(p); err != nil {
			return pkgInfo{err: err}
		} else if !fi.Mode().IsRegular() {
			return pkgInfo{err: fmt.Errorf("%s is a %s, not a regular file", n, fsutil.Kind(fi.Mode()))}
		}
		if ok, err := ctx.MatchFile(dir, n); err != nil || !ok {
			continue
		}
		src, err := fsutil.ReadRegular(p, 0)
		if err != nil {
			return pkgInfo{err: err}
		}
		f, err := parser.ParseFile(fset, p, src, mode)
		if err != nil {
			return pkgInfo{err: err}
		}
		for _, imp := range f.Imports {
			if info.imports == nil {
				info.imports = map[string]bool{}
			}
			info.imports[strings.Trim(imp.Path.Value, "`\"")] = true
		}
		if info.name == "" || f.Name.Name != "main" {
			info.name = f.Name.Name
		}
	}
	return info
}

// checkMain reports why dir is not a main package.
func (r *resolver) checkMain(p Pos, written, dir string) bool {
	fi, err := os.Stat(filepath.Join(r.root, filepath.FromSlash(dir)))
	if err == nil && !fi.IsDir() {
		r.errorf(p, "package %q is not a directory", written)
		return false
	}
	info := r.pkg(dir)
	switch {
	case info.err != nil:
		r.errorf(p, "package %q: %v", written, info.err)
	case info.name == "":
		r.errorf(p, "package %q has no Go files", written)
	case info.name != "main":
		r.errorf(p, "package %q is not a main package (package %s)", written, info.name)
	default:
		return true
	}
	return false
}

// candidate is a function before settings are applied.
type candidate struct {
	key    string
	dir    string
	files  []string
	pos    Pos
	layers []*rawSettings // lowest precedence first, after defaults
	http   *rawHTTP       // explicit functions only
}

func (r *resolver) explicit(m *rawManifest) []candidate {
	var out []candidate
	for _, f := range m.Functions {
		c := candidate{key: f.Key.Value, pos: f.Key.Pos, layers: []*rawSettings{&f.rawSettings}, http: &f.HTTP}
		if f.Package.Value != "" {
			if dir, ok := r.relPath(f.Package, "package"); ok && r.checkMain(f.Package.Pos, f.Package.Value, dir) {
				c.dir = dir
			}
		}
		first := map[string]Pos{}
		for _, s := range f.Files.Items {
			clean, ok := r.relPath(s, "files:")
			if !ok {
				continue
			}
			if p, dup := first[clean]; dup {
				// The zip would have the entry twice: the build refuses it.
				r.errorf(s.Pos, "files: %q is listed twice (first at %s)", s.Value, p)
				continue
			}
			first[clean] = s.Pos
			switch {
			case !r.regular(s, clean, "files:"):
			case clean == "bootstrap":
				r.errorf(s.Pos, "files: %q would replace the function's executable in the zip", s.Value)
			default:
				c.files = append(c.files, clean)
			}
		}
		out = append(out, c)
	}
	return out
}

// regular reports whether the repo-relative path clean, written as s, is
// a regular file (following symbolic links), reporting why not. It never
// opens the file.
func (r *resolver) regular(s str, clean, what string) bool {
	fi, err := os.Stat(filepath.Join(r.root, filepath.FromSlash(clean)))
	switch {
	case err != nil:
		r.errorf(s.Pos, "%s %q: %v", what, s.Value, pathless(err))
	case fi.IsDir():
		r.errorf(s.Pos, "%s %q is a directory: list the files", what, s.Value)
	case !fi.Mode().IsRegular():
		r.errorf(s.Pos, "%s %q is a %s: %s lists regular files only", what, s.Value, fsutil.Kind(fi.Mode()), what)
	default:
		return true
	}
	return false
}

// checkSmoke checks the smoke events of a rollout layer: regular files in
// the repo, JSON of at most Lambda's synchronous payload, each listed
// once; r.smoke gets the valid ones, cleaned.
func (r *resolver) checkSmoke(ro *rawRollout) {
	first := map[string]Pos{}
	for _, s := range ro.Smoke.Items {
		clean, ok := r.relPath(s, "rollout.smoke:")
		if !ok || !r.regular(s, clean, "rollout.smoke:") {
			continue
		}
		if p, dup := first[clean]; dup {
			r.errorf(s.Pos, "rollout.smoke: %q is listed twice (first at %s)", s.Value, p)
			continue
		}
		first[clean] = s.Pos
		data, err := fsutil.ReadRegular(filepath.Join(r.root, filepath.FromSlash(clean)), maxSmokeEvent)
		switch {
		case errors.Is(err, fsutil.ErrTooLarge):
			r.errorf(s.Pos, "rollout.smoke: %q is more than Lambda's %d-byte invoke payload", s.Value, maxSmokeEvent)
		case err != nil:
			r.errorf(s.Pos, "rollout.smoke: %q: %v", s.Value, pathless(err))
		case !json.Valid(data):
			r.errorf(s.Pos, "rollout.smoke: %q is not JSON (an event is the JSON payload of an invoke)", s.Value)
		default:
			ro.smoke = append(ro.smoke, clean)
		}
	}
}

// checkRoutes reports routes of different functions (or one function)
// that match the same requests, at both positions.
func (r *resolver) checkRoutes(m *rawManifest) {
	type at struct {
		fn  string
		pos Pos
	}
	var t route.Table
	where := map[string]at{} // route key → where it was added
	for _, f := range m.Functions {
		for _, rt := range f.HTTP.Routes.Items {
			k, err := route.Parse(rt.Value)
			if err != nil {
				continue // reported by validateHTTP
			}
			err = t.Add(k, f.Key.Value)
			var ce *route.ConflictError
			if !errors.As(err, &ce) {
				where[k.String()] = at{f.Key.Value, rt.Pos}
				continue
			}
			prev := where[ce.Existing.Key.String()]
			r.errorf(rt.Pos, "http.routes: %v (at %s)", ce, prev.pos)
			mirror := &route.ConflictError{Key: ce.Existing.Key, Target: ce.Existing.Target, Existing: route.Route{Key: k, Target: f.Key.Value}}
			r.errorf(prev.pos, "http.routes: %v (at %s)", mirror, rt.Pos)
		}
	}
}

// templateData are the fields of a discover name template.
type templateData struct {
	Dir    string // last element of the package directory: "create"
	Path   string // package directory relative to the repo: "functions/orders/create"
	Parent string // the element before Dir: "orders"
}

var templateFuncs = template.FuncMap{
	"replace":    strings.ReplaceAll,
	"lower":      strings.ToLower,
	"upper":      strings.ToUpper,
	"trimPrefix": func(prefix, s string) string { return strings.TrimPrefix(s, prefix) },
	"trimSuffix": func(suffix, s string) string { return strings.TrimSuffix(s, suffix) },
}

// skipDir reports whether discovery skips the directory named name.
func skipDir(name string) bool {
	return name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

func (r *resolver) discover(m *rawManifest, claimed map[string]bool) []candidate {
	var out []candidate
	for _, e := range m.Discover {
		if e.Packages.Value == "" {
			continue
		}
		namePos := e.Pos
		text := "{{.Dir}}"
		if e.Name.Set && e.Name.Value != "" {
			text, namePos = e.Name.Value, e.Name.Pos
		}
		tmpl, err := template.New("name").Funcs(templateFuncs).Option("missingkey=error").Parse(text)
		if err != nil {
			r.errorf(namePos, "name: %v", err)
			continue
		}
		pattern := filepath.ToSlash(e.Packages.Value)
		base, recursive := pattern, false
		if pattern == "..." || pattern == "./..." {
			base, recursive = ".", true
		} else if b, ok := strings.CutSuffix(pattern, "/..."); ok {
			base, recursive = b, true
		}
		if strings.Contains(base, "...") || strings.ContainsAny(base, "*?[") {
			r.errorf(e.Packages.Pos, "packages: %q: want a directory or DIR/... pattern", e.Packages.Value)
			continue
		}
		dir, ok := r.relPath(str{Value: base, Pos: e.Packages.Pos}, "packages")
		if !ok {
			continue
		}
		var dirs []string
		start := filepath.Join(r.root, filepath.FromSlash(dir))
		err = filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() {
				return nil
			}
			if p != start {
				if skipDir(d.Name()) {
					return filepath.SkipDir
				}
				if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
					return filepath.SkipDir // a nested module
				}
			}
			rel, err := filepath.Rel(r.root, p)
			if err != nil {
				return err
			}
			dirs = append(dirs, filepath.ToSlash(rel))
			if !recursive {
				return filepath.SkipDir
			}
			return nil
		})
		if err != nil {
			r.errorf(e.Packages.Pos, "packages: %v", err)
			continue
		}
		found := 0
		for _, d := range dirs {
			if info := r.pkg(d); info.err != nil || info.name != "main" {
				continue
			}
			found++
			if claimed[d] {
				continue
			}
			claimed[d] = true
			data := templateData{Dir: path.Base(d), Path: d}
			if parent := path.Dir(d); parent != "." {
				data.Parent = path.Base(parent)
			}
			var b strings.Builder
			if err := tmpl.Execute(&b, data); err != nil {
				r.errorf(namePos, "name: %v", err)
				break
			}
			key := b.String()
			if !nameRE.MatchString(key) || len(key) > maxNameLen {
				r.errorf(namePos, "name: %q gives function name %q for %s; names must be 1-%d characters of [a-zA-Z0-9-_]", text, key, d, maxNameLen)
				continue
			}
			out = append(out, candidate{key: key, dir: d, pos: namePos, layers: []*rawSettings{&e.rawSettings}})
		}
		if found == 0 {
			r.errorf(e.Packages.Pos, "packages: %q matched no main packages", e.Packages.Value)
		}
	}
	return out
}

func pickStr(v *string, s str) {
	if s.Set {
		*v = s.Value
	}
}

func mergeInto(dst map[string]string, m strMap) map[string]string {
	for _, e := range m.Entries {
		if dst == nil {
			dst = map[string]string{}
		}
		dst[e.Key] = e.Value
	}
	return dst
}

// function applies defaults, the candidate's own settings and the stage,
// in that order: later layers win.
func function(c candidate, defaults *rawSettings, st *rawStage) Function {
	f := Function{
		Name: c.key, Key: c.key, Package: "./" + c.dir, Dir: c.dir, Files: c.files,
		Runtime: DefaultRuntime, Architecture: DefaultArchitecture,
		Memory: DefaultMemory, Timeout: DefaultTimeout, Manage: ManageAll, Pos: c.pos,
	}
	var ro rolloutAcc
	if c.dir == "." {
		f.Package = "."
	}
	for _, s := range append([]*rawSettings{defaults}, c.layers...) {
		pickStr(&f.Runtime, s.Runtime)
		pickStr(&f.Architecture, s.Architecture)
		if s.Memory.Set {
			f.Memory = s.Memory.Value
		}
		if s.Timeout.Set {
			f.Timeout = s.Timeout.Value
		}
		pickStr(&f.Role, s.Role)
		pickStr(&f.Alias, s.Alias)
		pickStr(&f.Manage, s.Manage)
		mergeEnv(&f.Environment, &f.EnvRefs, s.Environment)
		f.Tags = mergeInto(f.Tags, s.Tags)
		if s.Build.Tags.Set {
			f.Build.Tags = nil
			for _, t := range s.Build.Tags.Items {
				f.Build.Tags = append(f.Build.Tags, t.Value)
			}
		}
		pickStr(&f.Build.LDFlags, s.Build.LDFlags)
		pickStr(&f.Build.GCFlags, s.Build.GCFlags)
		f.Build.Env = mergeInto(f.Build.Env, s.Build.Env)
		ro.merge(&s.Rollout)
		mergeBudget(&f.Budget, &s.Budget)
	}
	if c.http != nil {
		f.HTTP = httpOf(c.http)
	}
	if st != nil {
		f.Name = st.Prefix.Value + c.key
		pickStr(&f.Role, st.Role)
		pickStr(&f.Alias, st.Alias)
		pickStr(&f.Manage, st.Manage)
		mergeEnv(&f.Environment, &f.EnvRefs, st.Environment)
		f.Tags = mergeInto(f.Tags, st.Tags)
		ro.merge(&st.Rollout)
	}
	f.Rollout = ro.rollout()
	return f
}

// mergeEnv applies an environment layer: a key set to a literal value
// drops an earlier reference, and the other way round.
func mergeEnv(env *map[string]string, refs *map[string]EnvRef, m strMap) {
	for _, e := range m.Entries {
		if e.Ref != nil {
			delete(*env, e.Key)
			if *refs == nil {
				*refs = map[string]EnvRef{}
			}
			(*refs)[e.Key] = EnvRef{SSM: e.Ref.SSM.Value, Secret: e.Ref.Secret.Value, Key: e.Ref.Key.Value}
			continue
		}
		delete(*refs, e.Key)
		if *env == nil {
			*env = map[string]string{}
		}
		(*env)[e.Key] = e.Value
	}
}

// rolloutAcc merges rollout layers: fields merge as everywhere (later
// wins, lists replaced as a whole); none/false turns the rollout off, and
// a later layer that sets steps turns it on again.
type rolloutAcc struct {
	r           Rollout
	on          bool
	intervalSet bool
}

func (a *rolloutAcc) merge(r *rawRollout) {
	switch {
	case !r.Set:
		return
	case r.Off:
		a.on = false
		return
	}
	if r.Steps.Set {
		a.on = true
		a.r.Steps = nil
		for _, s := range r.Steps.Items {
			a.r.Steps = append(a.r.Steps, s.Value)
		}
	}
	if r.Interval.Set {
		a.r.Interval, a.intervalSet = r.interval, true
	}
	if r.Smoke.Set {
		a.r.Smoke = append([]string(nil), r.smoke...)
	}
	if r.Alarms.Set {
		a.r.Alarms = nil
		for _, al := range r.Alarms.Items {
			a.r.Alarms = append(a.r.Alarms, al.Value)
		}
	}
	if r.MaxErrors.Set {
		a.r.MaxErrors = r.MaxErrors.Value
	}
}

// rollout is the merged rollout, nil when off.
func (a *rolloutAcc) rollout() *Rollout {
	if !a.on {
		return nil
	}
	r := a.r
	if !a.intervalSet {
		r.Interval = DefaultRolloutInterval
	}
	return &r
}

// mergeBudget applies a budget layer field by field.
func mergeBudget(dst *Budget, b *rawBudget) {
	if b.Zip.Set {
		dst.Zip = b.zip
	}
	if b.Growth.Set && b.growth != nil {
		g := *b.growth
		dst.Growth = &g
	}
	if b.Init.Set {
		dst.Init = b.init
	}
}

// httpOf is a function's http: setting, route keys as route.Key.String
// writes them.
func httpOf(h *rawHTTP) HTTP {
	var out HTTP
	for _, r := range h.Routes.Items {
		if k, err := route.Parse(r.Value); err == nil {
			out.Routes = append(out.Routes, k.String())
		}
	}
	if h.URL.Set && h.URL.Enabled {
		auth := URLAuthIAM
		if h.URL.Auth.Set {
			auth = h.URL.Auth.Value
		}
		out.URL = &FunctionURL{Auth: auth}
	}
	return out
}

// envSize is the size Lambda counts: the variables as compact JSON. A
// reference counts as an empty value: its value is only known at deploy
// time, where the deployer checks the limit again.
func envSize[M map[string]string | []entry](env M, refs ...map[string]EnvRef) int {
	m := map[string]string{}
	switch env := any(env).(type) {
	case map[string]string:
		m = env
		if len(refs) > 0 && len(refs[0]) > 0 {
			m = maps.Clone(env)
			if m == nil {
				m = map[string]string{}
			}
			for k := range refs[0] {
				m[k] = ""
			}
		}
	case []entry:
		for _, e := range env {
			m[e.Key] = e.Value
		}
	}
	if len(m) == 0 {
		return 0
	}
	b, _ := json.Marshal(m)
	return len(b)
}

// resolve returns the functions with stage sel applied (nil for none),
// checking the resolved functions under every stage.
func (r *resolver) resolve(m *rawManifest, sel *rawStage) []Function {
	r.checkSmoke(&m.Defaults.Rollout)
	for _, f := range m.Functions {
		r.checkSmoke(&f.Rollout)
	}
	for _, e := range m.Discover {
		r.checkSmoke(&e.Rollout)
	}
	for _, s := range m.Stages {
		r.checkSmoke(&s.Rollout)
	}
	cands := r.explicit(m)
	claimed := map[string]bool{}
	for _, c := range cands {
		if c.dir != "" {
			claimed[c.dir] = true
		}
	}
	cands = append(cands, r.discover(m, claimed)...)

	first := map[string]candidate{}
	for _, c := range cands {
		if prev, dup := first[c.key]; dup {
			r.errorf(c.pos, "duplicate function name %q (package ./%s; also package ./%s at %s)", c.key, c.dir, prev.dir, prev.pos)
			continue
		}
		first[c.key] = c
	}

	r.checkRoutes(m)
	stages := append([]*rawStage{nil}, m.Stages...)
	var out []Function
	for _, c := range cands {
		envReported, tagsReported := false, false
		for _, st := range stages {
			f := function(c, &m.Defaults, st)
			in := ""
			if st != nil {
				in = fmt.Sprintf(" (stage %s)", st.Name.Value)
				if nameRE.MatchString(c.key) && len(c.key) <= maxNameLen && nameRE.MatchString(st.Prefix.Value+"x") && len(f.Name) > maxNameLen {
					r.errorf(c.pos, "function name %q%s is %d characters, more than %d", f.Name, in, len(f.Name), maxNameLen)
				}
			}
			if n := envSize(f.Environment, f.EnvRefs); n > lambdaspec.EnvironmentLimit && !envReported && !partOver(m, c, st, envField) {
				envReported = true
				r.errorf(c.pos, "function %q%s: environment is %d bytes as JSON, more than Lambda's 4 KB limit (%d)", c.key, in, n, lambdaspec.EnvironmentLimit)
			}
			if n := len(f.Tags); n > MaxUserTags && !tagsReported && !partOver(m, c, st, tagsField) {
				tagsReported = true
				r.errorf(c.pos, "function %q%s: %s", c.key, in, tagCountMsg(n))
			}
			if st == sel && c.dir != "" {
				out = append(out, f)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// partOver reports whether one layer of c alone (defaults, the function's
// own settings, the stage) breaks a limit: that was reported where it is
// written, so the merged result is not reported again.
func partOver(m *rawManifest, c candidate, st *rawStage, field func(*rawSettings) strMap) bool {
	if field(&m.Defaults).over {
		return true
	}
	for _, l := range c.layers {
		if field(l).over {
			return true
		}
	}
	return st != nil && field(&rawSettings{Environment: st.Environment, Tags: st.Tags}).over
}

func envField(s *rawSettings) strMap  { return s.Environment }
func tagsField(s *rawSettings) strMap { return s.Tags }
