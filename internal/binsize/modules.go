package binsize

import (
	"cmp"
	"runtime/debug"
	"slices"
	"strings"
)

// StdModule is the module path the report gives the standard library.
const StdModule = "std"

// moduleMap maps import paths to the modules of the build.
type moduleMap struct {
	mainPkg      string     // import path of the main package
	goVersion    string     // the standard library's version
	goExperiment string     // GOEXPERIMENT of the build
	mods         []modEntry // longest path first
}

type modEntry struct{ path, version string }

func newModuleMap(bi *debug.BuildInfo) *moduleMap {
	m := &moduleMap{mainPkg: bi.Path, goVersion: bi.GoVersion}
	if m.mainPkg == "" {
		m.mainPkg = "main"
	}
	for _, st := range bi.Settings {
		if st.Key == "GOEXPERIMENT" {
			m.goExperiment = st.Value
		}
	}
	if bi.Main.Path != "" {
		m.mods = append(m.mods, modEntry{bi.Main.Path, bi.Main.Version})
	}
	for _, d := range bi.Deps {
		v := d.Version
		if d.Replace != nil {
			v += " => " + strings.TrimSpace(d.Replace.Path+" "+d.Replace.Version)
		}
		m.mods = append(m.mods, modEntry{d.Path, v})
	}
	slices.SortFunc(m.mods, func(a, b modEntry) int {
		return cmp.Or(cmp.Compare(len(b.path), len(a.path)), strings.Compare(a.path, b.path))
	})
	return m
}

// lookup returns the module of the package pkg: the module with the longest
// path that is a prefix of pkg's, else the standard library for paths whose
// first element has no dot, else "(unknown)".
func (m *moduleMap) lookup(pkg string) (path, version string) {
	for _, e := range m.mods {
		if pkg == e.path || strings.HasPrefix(pkg, e.path+"/") {
			return e.path, e.version
		}
	}
	first, _, _ := strings.Cut(pkg, "/")
	if !strings.Contains(first, ".") {
		return StdModule, m.goVersion
	}
	return "(unknown)", ""
}
