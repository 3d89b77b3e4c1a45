package binsize

import (
	"cmp"
	"slices"
	"strings"
)

// UnattributedPath is the path Delta gives the change of the unattributed
// bytes, so that the module changes and it add up to the file size change.
const UnattributedPath = "(unattributed)"

// Delta is how a binary changed from a base build to a head build. Field
// names are the JSON shape and stay stable.
type Delta struct {
	Name     string `json:"name,omitempty"` // the head report's Name
	FileSize Change `json:"fileSize"`
	// Unattributed is the change of the bytes no package is charged for.
	Unattributed Change `json:"unattributed"`
	// Modules and Packages that changed, largest absolute change first.
	// A module or package only in one build has 0 on the other side.
	Modules  []Change `json:"modules"`
	Packages []Change `json:"packages"`
}

// Change is the size of one thing in the base and the head build.
type Change struct {
	Path string `json:"path"`
	// Module is the module of a package; empty for modules.
	Module string `json:"module,omitempty"`
	// Versions of a module, when it has one.
	BaseVersion string `json:"baseVersion,omitempty"`
	HeadVersion string `json:"headVersion,omitempty"`
	Base        uint64 `json:"base"`
	Head        uint64 `json:"head"`
	Delta       int64  `json:"delta"` // Head - Base
}

// Ratio is the change relative to the base size: 0.1 for 10% growth. It is
// 0 when nothing changed and 1 for something new.
func (c Change) Ratio() float64 {
	switch {
	case c.Delta == 0:
		return 0
	case c.Base == 0:
		return 1
	}
	return float64(c.Delta) / float64(c.Base)
}

func change(path string, base, head uint64) Change {
	return Change{Path: path, Base: base, Head: head, Delta: int64(head) - int64(base)}
}

// Diff compares the base and head reports of one binary: which modules and
// packages grew or shrank, and by how much.
func Diff(base, head *Report) Delta {
	d := Delta{
		Name:         head.Name,
		FileSize:     change("", base.FileSize, head.FileSize),
		Unattributed: change(UnattributedPath, base.UnattributedSize(), head.UnattributedSize()),
	}
	type side struct {
		base, head      uint64
		bver, hver, mod string
	}
	mods, pkgs := map[string]*side{}, map[string]*side{}
	get := func(m map[string]*side, k string) *side {
		s := m[k]
		if s == nil {
			s = &side{}
			m[k] = s
		}
		return s
	}
	for _, m := range base.Modules {
		s := get(mods, m.Path)
		s.base, s.bver = m.Total, m.Version
		for _, p := range m.Packages {
			ps := get(pkgs, p.Path)
			ps.base, ps.mod = p.Total, m.Path
		}
	}
	for _, m := range head.Modules {
		s := get(mods, m.Path)
		s.head, s.hver = m.Total, m.Version
		for _, p := range m.Packages {
			ps := get(pkgs, p.Path)
			ps.head, ps.mod = p.Total, m.Path
		}
	}
	for path, s := range mods {
		c := change(path, s.base, s.head)
		c.BaseVersion, c.HeadVersion = s.bver, s.hver
		if c.Delta != 0 || c.BaseVersion != c.HeadVersion {
			d.Modules = append(d.Modules, c)
		}
	}
	for path, s := range pkgs {
		c := change(path, s.base, s.head)
		c.Module = s.mod
		if c.Delta != 0 {
			d.Packages = append(d.Packages, c)
		}
	}
	sortChanges(d.Modules)
	sortChanges(d.Packages)
	return d
}

// sortChanges orders by absolute change, largest first, then by path.
func sortChanges(cs []Change) {
	abs := func(n int64) int64 { return max(n, -n) }
	slices.SortFunc(cs, func(a, b Change) int {
		return cmp.Or(cmp.Compare(abs(b.Delta), abs(a.Delta)), cmp.Compare(b.Delta, a.Delta), strings.Compare(a.Path, b.Path))
	})
}

// TopGrowth returns the n modules that grew most, largest growth first;
// fewer if fewer grew.
func (d Delta) TopGrowth(n int) []Change {
	return topGrowth(d.Modules, n)
}

// TopPackageGrowth returns the n packages that grew most.
func (d Delta) TopPackageGrowth(n int) []Change {
	return topGrowth(d.Packages, n)
}

func topGrowth(cs []Change, n int) []Change {
	var out []Change
	for _, c := range cs {
		if c.Delta > 0 {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b Change) int { return cmp.Compare(b.Delta, a.Delta) })
	return out[:min(n, len(out))]
}
