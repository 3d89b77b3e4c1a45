package binsize

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// sizes builds a Sizes with a total.
func sizes(text, info, types uint64) Sizes {
	s := Sizes{Text: text, FuncInfo: info, Types: types}
	s.sum()
	return s
}

// sampleReports are a base and a head report of one function: head adds
// the module example.com/big, grows std's fmt, drops example.com/old and
// bumps example.com/lib to a new version of the same size.
func sampleReports() (base, head *Report) {
	mod := func(path, version string, pkgs ...Package) Module {
		m := Module{Path: path, Version: version, Packages: pkgs}
		for _, p := range pkgs {
			m.Sizes.add(p.Sizes)
		}
		return m
	}
	pkg := func(path string, s Sizes, funcs ...Func) Package { return Package{Path: path, Sizes: s, Funcs: funcs} }
	fn := func(name string, text, info uint64) Func { return Func{Name: name, Sizes: sizes(text, info, 0)} }
	report := func(mods ...Module) *Report {
		r := &Report{Name: "orders", GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "arm64", MainModule: "example.com/app", Modules: mods}
		for _, m := range mods {
			r.Attributed += m.Total
		}
		r.Unattributed = []Unattributed{{Section: ".rodata", What: "string literals", Size: 100_000}, {What: "ELF headers", Size: 4_000}}
		r.FileSize = r.Attributed + r.UnattributedSize()
		r.Sections = []Section{{Name: ".text", Size: r.Attributed, InFile: true, Attributed: r.Attributed}, {Name: ".rodata", Size: 100_000, InFile: true}}
		return r
	}
	runtime := pkg("runtime", sizes(400_000, 300_000, 50_000), fn("runtime.mallocgc", 3_000, 2_000), fn("runtime.schedule", 2_000, 1_000))
	base = report(
		mod("std", "go1.26.8", runtime, pkg("fmt", sizes(60_000, 40_000, 5_000), fn("fmt.Sprintf", 500, 300))),
		mod("example.com/app", "(devel)", pkg("example.com/app/cmd/orders", sizes(2_000, 1_000, 500), fn("example.com/app/cmd/orders.main", 2_000, 1_000))),
		mod("example.com/lib", "v1.0.0", pkg("example.com/lib", sizes(10_000, 5_000, 1_000))),
		mod("example.com/old", "v0.1.0", pkg("example.com/old/x", sizes(3_000, 2_000, 0))),
	)
	head = report(
		mod("std", "go1.26.8", runtime, pkg("fmt", sizes(61_000, 40_500, 5_000), fn("fmt.Sprintf", 500, 300))),
		mod("example.com/big", "v2.3.4", pkg("example.com/big/client", sizes(200_000, 150_000, 40_000)), pkg("example.com/big/internal/wire", sizes(30_000, 20_000, 1_000))),
		mod("example.com/app", "(devel)", pkg("example.com/app/cmd/orders", sizes(2_100, 1_000, 500), fn("example.com/app/cmd/orders.main", 2_100, 1_000))),
		mod("example.com/lib", "v1.1.0", pkg("example.com/lib", sizes(10_000, 5_000, 1_000))),
	)
	head.Unattributed[0].Size = 120_000
	head.FileSize = head.Attributed + head.UnattributedSize()
	return base, head
}

func TestDiff(t *testing.T) {
	t.Parallel()
	base, head := sampleReports()
	d := Diff(base, head)
	want := Delta{
		Name:         "orders",
		FileSize:     Change{Base: base.FileSize, Head: head.FileSize, Delta: int64(head.FileSize) - int64(base.FileSize)},
		Unattributed: Change{Path: UnattributedPath, Base: 104_000, Head: 124_000, Delta: 20_000},
		Modules: []Change{
			{Path: "example.com/big", HeadVersion: "v2.3.4", Base: 0, Head: 441_000, Delta: 441_000},
			{Path: "example.com/old", BaseVersion: "v0.1.0", Base: 5_000, Head: 0, Delta: -5_000},
			{Path: "std", BaseVersion: "go1.26.8", HeadVersion: "go1.26.8", Base: 855_000, Head: 856_500, Delta: 1_500},
			{Path: "example.com/app", BaseVersion: "(devel)", HeadVersion: "(devel)", Base: 3_500, Head: 3_600, Delta: 100},
			{Path: "example.com/lib", BaseVersion: "v1.0.0", HeadVersion: "v1.1.0", Base: 16_000, Head: 16_000},
		},
		Packages: []Change{
			{Path: "example.com/big/client", Module: "example.com/big", Head: 390_000, Delta: 390_000},
			{Path: "example.com/big/internal/wire", Module: "example.com/big", Head: 51_000, Delta: 51_000},
			{Path: "example.com/old/x", Module: "example.com/old", Base: 5_000, Delta: -5_000},
			{Path: "fmt", Module: "std", Base: 105_000, Head: 106_500, Delta: 1_500},
			{Path: "example.com/app/cmd/orders", Module: "example.com/app", Base: 3_500, Head: 3_600, Delta: 100},
		},
	}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("Diff (-want +got):\n%s", diff)
	}
	// The module changes and the unattributed change add up to the file's.
	sum := d.Unattributed.Delta
	for _, c := range d.Modules {
		sum += c.Delta
	}
	if sum != d.FileSize.Delta {
		t.Errorf("changes add up to %d; file changed by %d", sum, d.FileSize.Delta)
	}

	for _, tc := range []struct {
		n    int
		want []string
	}{
		{0, nil},
		{1, []string{"example.com/big"}},
		{3, []string{"example.com/big", "std", "example.com/app"}},
		{10, []string{"example.com/big", "std", "example.com/app"}},
	} {
		var got []string
		for _, c := range d.TopGrowth(tc.n) {
			got = append(got, c.Path)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("TopGrowth(%d) (-want +got):\n%s", tc.n, diff)
		}
	}
	if got := d.TopPackageGrowth(1); len(got) != 1 || got[0].Path != "example.com/big/client" {
		t.Errorf("TopPackageGrowth(1) = %v", got)
	}
	if d := Diff(head, head); len(d.Modules) != 0 || len(d.Packages) != 0 || d.FileSize.Delta != 0 {
		t.Errorf("Diff of a report with itself: %+v", d)
	}
}

func TestChangeRatio(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		c    Change
		want float64
	}{
		{Change{Base: 100, Head: 110, Delta: 10}, 0.1},
		{Change{Base: 100, Head: 50, Delta: -50}, -0.5},
		{Change{Base: 0, Head: 50, Delta: 50}, 1},
		{Change{Base: 0, Head: 0}, 0},
	} {
		if got := tc.c.Ratio(); got != tc.want {
			t.Errorf("%+v.Ratio() = %v; want %v", tc.c, got, tc.want)
		}
	}
}

// TestDiffAddedImport builds the program again with one more import
// (golang.org/x/mod/modfile, tag sizegrow): the module must be the top
// growth, with its packages, and the rest nearly unchanged.
func TestDiffAddedImport(t *testing.T) {
	t.Parallel()
	base := analyzeOnce(t, buildSpec{arch: "amd64", stripped: true})
	head := analyzeOnce(t, buildSpec{arch: "amd64", stripped: true, tags: []string{"sizegrow"}})
	d := Diff(base, head)
	top := d.TopGrowth(3)
	if len(top) == 0 || top[0].Path != "golang.org/x/mod" || top[0].Base != 0 || top[0].HeadVersion != "v0.43.0" {
		t.Fatalf("top growth %+v; want golang.org/x/mod, new", top)
	}
	// x/mod is most of the growth; std grows by what modfile uses of it.
	if top[0].Delta < d.FileSize.Delta/3 {
		t.Errorf("x/mod grew %d of the file's %d", top[0].Delta, d.FileSize.Delta)
	}
	var modPkgs []string
	for _, c := range d.Packages {
		if c.Module == "golang.org/x/mod" {
			modPkgs = append(modPkgs, c.Path)
		}
	}
	for _, want := range []string{"golang.org/x/mod/modfile", "golang.org/x/mod/module", "golang.org/x/mod/semver"} {
		if !containsString(modPkgs, want) {
			t.Errorf("no change for %s among %v", want, modPkgs)
		}
	}
	if c := changeOf(d.Modules, "github.com/google/go-cmp"); c != nil && abs64(c.Delta) > int64(c.Base)/100 {
		t.Errorf("go-cmp changed by %d, more than 1%%", c.Delta)
	}
	var buf bytes.Buffer
	if err := WriteDeltaTable(&buf, d, TableOptions{Packages: 5}); err != nil {
		t.Fatal(err)
	}
	t.Logf("file %+d bytes; modules:\n%s", d.FileSize.Delta, buf.String())
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func changeOf(cs []Change, path string) *Change {
	for i := range cs {
		if cs[i].Path == path {
			return &cs[i]
		}
	}
	return nil
}

func abs64(n int64) int64 { return max(n, -n) }

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}

func TestWriteTable(t *testing.T) {
	t.Parallel()
	_, head := sampleReports()
	for _, tc := range []struct {
		name string
		opt  TableOptions
	}{
		{"table.golden", TableOptions{}},
		{"table-packages.golden", TableOptions{Modules: 2, Packages: 1, Unattributed: true}},
	} {
		var buf bytes.Buffer
		if err := WriteTable(&buf, head, tc.opt); err != nil {
			t.Fatal(err)
		}
		golden(t, tc.name, buf.Bytes())
	}
}

func TestWriteDeltaTable(t *testing.T) {
	t.Parallel()
	base, head := sampleReports()
	var buf bytes.Buffer
	if err := WriteDeltaTable(&buf, Diff(base, head), TableOptions{Packages: 3}); err != nil {
		t.Fatal(err)
	}
	buf.WriteString("---\n")
	if err := WriteDeltaTable(&buf, Diff(head, head), TableOptions{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "delta.golden", buf.Bytes())
}

// TestJSONShape pins the field names of -o json.
func TestJSONShape(t *testing.T) {
	t.Parallel()
	base, head := sampleReports()
	head.Modules = head.Modules[2:3] // one small module keeps the file short
	out, err := json.MarshalIndent(struct {
		Report *Report `json:"report"`
		Delta  Delta   `json:"delta"`
	}{head, Diff(base, head)}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "shape.json", append(out, '\n'))
}
