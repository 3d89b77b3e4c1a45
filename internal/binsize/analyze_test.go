package binsize

import (
	"bytes"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The margins the tests hold the attribution to.
const (
	// Per package, the code size read from the stripped binary's function
	// table agrees with `go tool nm -size` of the unstripped build within
	// this fraction (for packages with at least nmMinPackage bytes of code;
	// smaller ones within nmSlack bytes). Measured: at most 0.03% (amd64,
	// functions that end in INT3 lose that byte to the padding) and 0%
	// (arm64).
	nmMargin     = 0.02
	nmMinPackage = 1024
	nmSlack      = 32
	// The module totals cover at least this share of .text, .rodata,
	// .gopclntab, .typelink and .itablink together: minCoverage with the
	// data estimate (Sizes.Data), minExactCoverage without it. Measured:
	// 98.8% and 96.0% (amd64), 98.9% and 96.2% (arm64); without the
	// estimate what is left is mostly string literals in .rodata.
	minCoverage      = 0.97
	minExactCoverage = 0.95
)

var arches = []string{"amd64", "arm64"}

// nmText runs `go tool nm -size -sort address` on bin and returns the code
// size per package of the text symbols, and the symbols' names. Packages
// are derived from the names as the function table's are; assembly
// functions without a package in their name are looked up in byName (the
// report's functions) for theirs.
func nmText(t *testing.T, bin string, byName map[string]string, mainPkg string) map[string]uint64 {
	t.Helper()
	out, err := exec.Command("go", "tool", "nm", "-size", "-sort", "address", bin).Output()
	if err != nil {
		t.Fatalf("go tool nm: %v", err)
	}
	sizes := map[string]uint64{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || f[2] != "T" && f[2] != "t" {
			continue
		}
		size, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			t.Fatalf("nm line %q: %v", line, err)
		}
		// ABI0 assembly functions carry a suffix the table does not.
		name := strings.TrimSuffix(strings.Join(f[3:], " "), ".abi0")
		pkg := packageOf(name)
		switch {
		case pkg == "main":
			pkg = mainPkg
		case pkg == "":
			pkg = byName[name]
		}
		if pkg != "" {
			sizes[pkg] += size
		}
	}
	return sizes
}

func TestTextMatchesNM(t *testing.T) {
	t.Parallel()
	for _, arch := range arches {
		t.Run(arch, func(t *testing.T) {
			t.Parallel()
			r := analyzeOnce(t, buildSpec{arch: arch, stripped: true})
			unstripped := buildOnce(t, buildSpec{arch: arch})
			got := map[string]uint64{}
			byName := map[string]string{}
			for _, m := range r.Modules {
				for _, p := range m.Packages {
					got[p.Path] = p.Text
					for _, f := range p.Funcs {
						byName[f.Name] = p.Path
					}
				}
			}
			want := nmText(t, unstripped, byName, mainPkgOf(r))
			var worst float64
			var worstPkg string
			var sumGot, sumWant uint64
			for pkg, w := range want {
				g := got[pkg]
				sumGot += g
				sumWant += w
				diff := float64(max(g, w) - min(g, w))
				if w >= nmMinPackage {
					if rel := diff / float64(w); rel > worst {
						worst, worstPkg = rel, pkg
					}
					if diff > nmMargin*float64(w) {
						t.Errorf("%s: code %d bytes, go tool nm says %d", pkg, g, w)
					}
				} else if diff > nmSlack {
					t.Errorf("%s: code %d bytes, go tool nm says %d", pkg, g, w)
				}
			}
			for pkg, g := range got {
				if _, ok := want[pkg]; !ok && g > nmSlack {
					t.Errorf("%s: code %d bytes, go tool nm has none", pkg, g)
				}
			}
			if len(want) < 20 {
				t.Errorf("go tool nm listed %d packages; want the program's dozens", len(want))
			}
			t.Logf("%s: %d packages, code %d bytes vs nm %d; worst package %s off by %.3f%%",
				arch, len(want), sumGot, sumWant, worstPkg, 100*worst)
		})
	}
}

// mainPkgOf returns the import path of the program's main package.
func mainPkgOf(r *Report) string {
	return r.MainModule + "/internal/binsize/testdata/sizeprog"
}

func TestReportAddsUp(t *testing.T) {
	t.Parallel()
	for _, arch := range arches {
		t.Run(arch, func(t *testing.T) {
			t.Parallel()
			r := analyzeOnce(t, buildSpec{arch: arch, stripped: true})
			if r.GOARCH != arch || r.GOOS != "linux" || !strings.HasPrefix(r.GoVersion, "go1.") {
				t.Errorf("GOOS/GOARCH %s/%s, Go %s; want linux/%s", r.GOOS, r.GOARCH, r.GoVersion, arch)
			}
			if r.MainModule != "github.com/lambctl/lamb" {
				t.Errorf("main module %q", r.MainModule)
			}
			// The file is the attributed bytes plus the unattributed ones.
			if got := r.Attributed + r.UnattributedSize(); got != r.FileSize {
				t.Errorf("attributed %d + unattributed %d = %d; file is %d", r.Attributed, r.UnattributedSize(), got, r.FileSize)
			}
			var mods, sects uint64
			for _, m := range r.Modules {
				var pkgs Sizes
				for _, p := range m.Packages {
					pkgs.add(p.Sizes)
					checkSum(t, p.Path, p.Sizes)
					var funcs uint64
					for _, f := range p.Funcs {
						funcs += f.Text + f.Padding
					}
					if funcs != p.Text+p.Padding {
						t.Errorf("%s: functions' code %d, package's %d", p.Path, funcs, p.Text+p.Padding)
					}
				}
				if pkgs != m.Sizes {
					t.Errorf("%s: packages add up to %+v, module says %+v", m.Path, pkgs, m.Sizes)
				}
				checkSum(t, m.Path, m.Sizes)
				mods += m.Total
			}
			if mods != r.Attributed {
				t.Errorf("modules add up to %d, attributed %d", mods, r.Attributed)
			}
			for _, s := range r.Sections {
				sects += s.Attributed
			}
			if sects != r.Attributed {
				t.Errorf("sections' attributed bytes add up to %d, attributed %d", sects, r.Attributed)
			}

			// The stated margin: modules cover text, read-only data and the
			// runtime tables.
			var covered, estimated, size uint64
			for _, name := range []string{".text", ".rodata", ".gopclntab", ".typelink", ".itablink"} {
				s := r.Section(name)
				if s == nil {
					t.Fatalf("no section %s", name)
				}
				covered += s.Attributed
				estimated += s.Estimated
				size += s.Size
			}
			var data, sectData uint64
			for _, m := range r.Modules {
				data += m.Data
			}
			for _, s := range r.Sections {
				sectData += s.Estimated
			}
			if data != sectData {
				t.Errorf("modules' data %d, sections' estimated bytes %d", data, sectData)
			}
			cov := float64(covered) / float64(size)
			exact := float64(covered-estimated) / float64(size)
			if cov < minCoverage || exact < minExactCoverage {
				t.Errorf("modules cover %.1f%% of text+rodata+pclntab (%.1f%% without the data estimate); want at least %.0f%% (%.0f%%)",
					100*cov, 100*exact, 100*minCoverage, 100*minExactCoverage)
			}
			text := r.Section(".text")
			t.Logf("%s: file %d, attributed %.1f%%; text %.2f%%, rodata %.1f%%, pclntab %.2f%%; text+rodata+pclntab+links %.1f%% (%.1f%% without the data estimate)",
				arch, r.FileSize, 100*float64(r.Attributed)/float64(r.FileSize),
				pct(text), pct(r.Section(".rodata")), pct(r.Section(".gopclntab")), 100*cov, 100*exact)

			for _, mod := range []string{StdModule, "github.com/google/go-cmp", "github.com/lambctl/lamb"} {
				if r.Module(mod) == nil {
					t.Errorf("no module %s", mod)
				}
			}
			if m := r.Module("github.com/lambctl/lamb"); m != nil {
				if len(m.Packages) != 1 || m.Packages[0].Path != mainPkgOf(r) {
					t.Errorf("main module packages %v; want only %s", pkgPaths(m), mainPkgOf(r))
				}
			}
			if m := r.Module("github.com/google/go-cmp"); m != nil && m.Version != "v0.7.0" {
				t.Errorf("go-cmp version %q", m.Version)
			}
		})
	}
}

func pct(s *Section) float64 { return 100 * float64(s.Attributed) / float64(s.Size) }

func pkgPaths(m *Module) []string {
	var ps []string
	for _, p := range m.Packages {
		ps = append(ps, p.Path)
	}
	return ps
}

func checkSum(t *testing.T, what string, s Sizes) {
	t.Helper()
	if s.Total != s.Text+s.Padding+s.FuncInfo+s.Types+s.Files+s.Data {
		t.Errorf("%s: total %d is not the sum of %+v", what, s.Total, s)
	}
}

// TestTypesCharged checks the type descriptors of the program's own types
// go to its main package, and the standard library's to theirs.
func TestTypesCharged(t *testing.T) {
	t.Parallel()
	r := analyzeOnce(t, buildSpec{arch: "amd64", stripped: true})
	for _, pkg := range []string{mainPkgOf(r), "encoding/json", "reflect", "github.com/google/go-cmp/cmp"} {
		p := findPackage(r, pkg)
		if p == nil {
			t.Errorf("no package %s", pkg)
			continue
		}
		if p.Types == 0 {
			t.Errorf("%s: no type bytes", pkg)
		}
	}
	if p := findPackage(r, builtinPkg); p == nil || p.Types == 0 || p.Text != 0 {
		t.Errorf("builtin: %+v; want type bytes only", p)
	}
}

func findPackage(r *Report, path string) *Package {
	for _, m := range r.Modules {
		for i := range m.Packages {
			if m.Packages[i].Path == path {
				return &m.Packages[i]
			}
		}
	}
	return nil
}

func TestAnalyzeErrors(t *testing.T) {
	t.Parallel()
	bin := buildOnce(t, buildSpec{arch: "amd64", stripped: true})
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	// Zero the .gopclntab magic: the binary reads as ELF and Go (build
	// info) but its function table does not parse.
	noMagic := slices.Clone(data)
	if i := bytes.Index(noMagic, []byte{0xf1, 0xff, 0xff, 0xff, 0, 0}); i >= 0 {
		copy(noMagic[i:], []byte{0, 0, 0, 0})
	} else {
		t.Fatal("no pclntab magic in the binary")
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "read elf"},
		{"not elf", []byte("#!/bin/sh\necho hi\n"), "read elf"},
		{"truncated", data[:4096], ""},
		{"bad pclntab", noMagic, "pclntab: unknown magic"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := AnalyzeReader(bytes.NewReader(tc.data), int64(len(tc.data)))
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q; want it to say %q", err, tc.want)
			}
		})
	}
	if _, err := Analyze("/nonexistent/binary"); err == nil || !strings.HasPrefix(err.Error(), "binsize.Analyze: ") {
		t.Errorf("Analyze of a missing file: %v", err)
	}
}
