package binsize

import (
	"cmp"
	"debug/buildinfo"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// Analyze reads the Go executable at path.
func Analyze(path string) (*Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("binsize.Analyze: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("binsize.Analyze: %w", err)
	}
	r, err := AnalyzeReader(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("binsize.Analyze %s: %w", path, err)
	}
	return r, nil
}

// AnalyzeReader reads a Go ELF executable of size bytes from r. It needs
// the function table, so binaries of Go 1.18 and later; it does not need
// the symbol table or DWARF.
func AnalyzeReader(r io.ReaderAt, size int64) (*Report, error) {
	f, err := elf.NewFile(r)
	if err != nil {
		return nil, fmt.Errorf("read elf: %w", err)
	}
	bi, err := buildinfo.Read(r)
	if err != nil {
		return nil, fmt.Errorf("read build info: %w", err)
	}
	im, err := loadImage(f, uint64(max(size, 0)))
	if err != nil {
		return nil, err
	}
	a := &analyzer{
		im:   im,
		arch: f.Machine,
		mods: newModuleMap(bi),
		pkgs: map[string]*pkgAcc{}, estimated: map[*section]uint64{},
	}
	if err := a.run(); err != nil {
		return nil, err
	}
	rep := a.report(uint64(max(size, 0)))
	rep.GoVersion = bi.GoVersion
	rep.MainModule = bi.Main.Path
	for _, s := range bi.Settings {
		switch s.Key {
		case "GOOS":
			rep.GOOS = s.Value
		case "GOARCH":
			rep.GOARCH = s.Value
		}
	}
	return rep, nil
}

// kind is what a claimed byte is; it selects a field of Sizes.
type kind int

const (
	kText kind = iota
	kPadding
	kFuncInfo
	kTypes
	kFiles
	kData
)

func (s *Sizes) field(k kind) *uint64 {
	switch k {
	case kText:
		return &s.Text
	case kPadding:
		return &s.Padding
	case kFuncInfo:
		return &s.FuncInfo
	case kTypes:
		return &s.Types
	case kFiles:
		return &s.Files
	default:
		return &s.Data
	}
}

// pkgAcc accumulates one package's bytes.
type pkgAcc struct {
	sizes Sizes
	funcs []Func
}

// region is a named part of a section, for describing what stays
// unattributed in it.
type region struct {
	sect   *section
	lo, hi uint64 // offsets in the section
	what   string
}

type analyzer struct {
	im      *image
	arch    elf.Machine
	mods    *moduleMap
	tab     *pclntab
	md      moduledata
	hasMD   bool
	pkgs    map[string]*pkgAcc
	regions []region
	marks   []mark
	// estimated counts the bytes of each section charged as Data.
	estimated map[*section]uint64
	// trace, when set (by tests), sees every claim that took bytes.
	trace func(pkg string, k kind, addr, n uint64)
}

// mark is a count of bytes set aside under a name without a package.
type mark struct {
	sect *section
	what string
	n    uint64
}

// setAside claims the bytes [addr, addr+n) for no package, under the name
// what in the unattributed list.
func (a *analyzer) setAside(addr, n uint64, what string) {
	s := a.im.sectionAt(addr, 1)
	if s == nil {
		return
	}
	got := a.im.claim(addr, n)
	for i := range a.marks {
		if a.marks[i].sect == s && a.marks[i].what == what {
			a.marks[i].n += got
			return
		}
	}
	a.marks = append(a.marks, mark{s, what, got})
}

// acc returns the accumulator of the package pkg.
func (a *analyzer) acc(pkg string) *pkgAcc {
	p := a.pkgs[pkg]
	if p == nil {
		p = &pkgAcc{}
		a.pkgs[pkg] = p
	}
	return p
}

// claim charges the unclaimed bytes of [addr, addr+n) to pkg as k and
// returns how many there were. An empty pkg charges nothing.
func (a *analyzer) claim(pkg string, k kind, addr, n uint64) uint64 {
	if pkg == "" {
		return 0
	}
	got := a.im.claim(addr, n)
	*a.acc(pkg).sizes.field(k) += got
	if k == kData && got > 0 {
		a.estimated[a.im.sectionAt(addr, 1)] += got
	}
	if a.trace != nil && got > 0 {
		a.trace(pkg, k, addr, n)
	}
	return got
}

// describe names a part of a section for the unattributed list; the bytes
// in it no package claimed are reported under that name.
func (a *analyzer) describe(sect *section, lo, hi uint64, what string) {
	if sect == nil || sect.data == nil {
		return
	}
	lo, hi = min(lo, sect.size), min(hi, sect.size)
	if lo < hi {
		a.regions = append(a.regions, region{sect, lo, hi, what})
	}
}

func (a *analyzer) run() error {
	text := a.im.byName[".text"]
	pcln := a.im.byName[".gopclntab"]
	if text == nil || text.data == nil || pcln == nil || pcln.data == nil {
		return fmt.Errorf("no .text or .gopclntab section: not a Go executable, or not ELF as the go linker writes it")
	}
	// The function table's entries count from moduledata.text, which Go
	// 1.18 to 1.25 also write in the pclntab header; it is the start of
	// .text when the go linker links internally.
	tab, err := parsePclntab(pcln, a.im.order, 0)
	if err == errNoTextStart {
		tab, err = parsePclntab(pcln, a.im.order, text.addr)
	}
	if err != nil {
		return err
	}
	a.tab = tab
	a.md, a.hasMD = findModuledata(a.im, tab)
	if a.hasMD && a.md.text != 0 && a.md.text != text.addr {
		if tab, err = parsePclntab(pcln, a.im.order, a.md.text); err != nil {
			return err
		}
		a.tab = tab
	}
	a.funcs()
	a.types()
	a.dataRefs()
	return nil
}

// funcs charges each function's code and metadata to its package.
func (a *analyzer) funcs() {
	tab, im := a.tab, a.im
	text := im.byName[".text"]
	pcln := tab.sec
	ps := uint64(tab.ptrSize)
	fill, align := textFill(a.arch)
	for i, f := range tab.funcs {
		pkg := a.funcPackage(f)
		if pkg == "" {
			continue
		}
		p := a.acc(pkg)
		fs := Func{Name: a.displayName(f.name)}
		span := f.end - f.entry
		code := span
		if b := im.bytes(f.entry, span); b != nil {
			code = codeLen(b, fill, align)
		}
		fs.Text = a.claim(pkg, kText, f.entry, code)
		fs.Padding = a.claim(pkg, kPadding, f.entry+code, span-code)
		info := a.claim(pkg, kFuncInfo, pcln.addr+tab.pclnOff+8*uint64(i), 8)
		info += a.claim(pkg, kFuncInfo, pcln.addr+tab.pclnOff+f.funcOff, roundUp(f.structSize, ps))
		info += a.claim(pkg, kFuncInfo, pcln.addr+tab.funcnameOff+uint64(f.nameOff), uint64(len(f.name))+1)
		for _, off := range append([]uint32{f.pcsp, f.pcfile, f.pcln}, f.pcdata...) {
			info += a.claim(pkg, kFuncInfo, pcln.addr+tab.pctabOff+uint64(off), tab.pcTableLen(off))
		}
		fs.FuncInfo = info
		fs.sum()
		p.funcs = append(p.funcs, fs)
	}
	a.funcdata()
	a.findFuncTab()
	a.names()
	a.files()
	a.compUnits()

	a.describe(text, 0, text.size, "code outside the function table (linker-generated)")
	end := pcln.size
	if a.hasMD && a.md.findfunctab > pcln.addr && a.md.findfunctab < pcln.addr+pcln.size {
		a.describe(pcln, a.md.findfunctab-pcln.addr, end, "pc lookup buckets (findfunctab) past the text")
		end = a.md.findfunctab - pcln.addr
	}
	if a.hasMD && a.md.gofunc > pcln.addr && a.md.gofunc-pcln.addr < end {
		a.describe(pcln, a.md.gofunc-pcln.addr, end, "funcdata not attributed (last entry, alignment)")
		end = a.md.gofunc - pcln.addr
	}
	a.describe(pcln, 0, tab.funcnameOff, "pclntab header")
	a.describe(pcln, tab.funcnameOff, tab.cuOff, "function names of unknown packages")
	a.describe(pcln, tab.cuOff, tab.filetabOff, "compilation unit file index")
	a.describe(pcln, tab.filetabOff, tab.pctabOff, "file names of unknown packages")
	a.describe(pcln, tab.pctabOff, tab.pclnOff, "pc-value tables not reached from a function")
	a.describe(pcln, tab.pclnOff, end, "function table of unknown packages, alignment")
}

// findFuncTab charges the runtime's pc lookup table (findfunctab: a 20
// byte bucket per 4 KiB of text) bucket by bucket to the package of the
// function in the middle of the bucket's text.
func (a *analyzer) findFuncTab() {
	md := a.md
	if !a.hasMD || md.findfunctab == 0 || md.maxpc <= md.minpc {
		return
	}
	const bucket, entry = 4096, 20
	fs := a.tab.funcs
	for b := range (md.maxpc - md.minpc + bucket - 1) / bucket {
		pc := md.minpc + b*bucket + bucket/2
		i, _ := slices.BinarySearchFunc(fs, pc, func(f fn, pc uint64) int { return cmp.Compare(f.entry, pc) })
		if i < len(fs) && fs[i].entry == pc {
			i++
		}
		if i == 0 {
			continue
		}
		if a.claim(a.funcPackage(fs[i-1]), kFuncInfo, md.findfunctab+b*entry, entry) == 0 && a.im.sectionAt(md.findfunctab+b*entry, entry) == nil {
			return // not a table in the file
		}
	}
}

// funcAt returns the name of the function whose entry is addr, or "".
func (a *analyzer) funcAt(addr uint64) string {
	fs := a.tab.funcs
	i, ok := slices.BinarySearchFunc(fs, addr, func(f fn, addr uint64) int { return cmp.Compare(f.entry, addr) })
	if !ok {
		return ""
	}
	return fs[i].name
}

// funcPackage returns the import path of the package of f, from its name,
// or, for unqualified assembly functions, from its source file.
func (a *analyzer) funcPackage(f fn) string {
	pkg := packageOf(f.name)
	if pkg == "main" {
		return a.mods.mainPkg
	}
	if pkg != "" {
		return pkg
	}
	if strings.HasPrefix(f.name, "go:") {
		return "" // linker-generated markers
	}
	return filePackage(a.funcFile(f))
}

// displayName is a function's name with the main package's path in place
// of "main".
func (a *analyzer) displayName(name string) string {
	if rest, ok := strings.CutPrefix(name, "main."); ok {
		return a.mods.mainPkg + "." + rest
	}
	return name
}

// funcFile returns the name of the source file of f's entry: the first
// value of its pcfile table indexes its compilation unit's file list.
func (a *analyzer) funcFile(f fn) string {
	tab := a.tab
	start := tab.pctabOff + uint64(f.pcfile)
	if f.pcfile == 0 || start >= tab.pclnOff {
		return ""
	}
	uv, n := binary.Uvarint(tab.data[start:tab.pclnOff])
	if n <= 0 {
		return ""
	}
	idx := int64(-1) + int64(int32(-(uv&1))^int32(uv>>1))
	if idx < 0 {
		return ""
	}
	cu := tab.cuOff + 4*(uint64(f.cuOffset)+uint64(idx))
	if cu+4 > tab.filetabOff {
		return ""
	}
	off := tab.order.Uint32(tab.data[cu:])
	name, _ := cstring(tab.data, tab.filetabOff+uint64(off), tab.pctabOff)
	return name
}

// funcdata charges the funcdata blobs (stack maps, inlining trees, argument
// info) to the package of the first function that refers to each. Their
// sizes are not recorded anywhere; a blob ends where the next one starts.
func (a *analyzer) funcdata() {
	if !a.hasMD || a.md.gofunc == 0 {
		return
	}
	owner := map[uint32]string{}
	for _, f := range a.tab.funcs {
		pkg := a.funcPackage(f)
		for _, off := range f.funcdata {
			if off == ^uint32(0) {
				continue
			}
			if _, ok := owner[off]; !ok {
				owner[off] = pkg
			}
		}
	}
	offs := make([]uint32, 0, len(owner))
	for off := range owner {
		offs = append(offs, off)
	}
	slices.Sort(offs)
	// The last blob ends at the end of go:func.*, known when it is in
	// .gopclntab (Go 1.26) and followed by findfunctab.
	var end uint64
	if f := a.md.findfunctab; f > a.md.gofunc && a.tab.sec.contains(a.md.gofunc, f-a.md.gofunc) {
		end = f - a.md.gofunc
	}
	for i, off := range offs {
		next := end
		if i+1 < len(offs) {
			next = uint64(offs[i+1])
		}
		if next <= uint64(off) {
			continue
		}
		a.claim(owner[off], kFuncInfo, a.md.gofunc+uint64(off), next-uint64(off))
	}
}

// names charges the function names no function entry claimed (the names of
// inlined functions, which inlining trees refer to) to the package each
// name belongs to.
func (a *analyzer) names() {
	tab := a.tab
	base := tab.sec.addr + tab.funcnameOff
	d := tab.data[tab.funcnameOff:tab.cuOff]
	for off := 0; off < len(d); {
		n := indexByte(d[off:], 0)
		if n < 0 {
			break
		}
		if pkg := packageOf(string(d[off : off+n])); pkg != "" {
			if pkg == "main" {
				pkg = a.mods.mainPkg
			}
			a.claim(pkg, kFuncInfo, base+uint64(off), uint64(n)+1)
		}
		off += n + 1
	}
}

// files charges each source file name to the package of the file.
func (a *analyzer) files() {
	tab := a.tab
	base := tab.sec.addr + tab.filetabOff
	d := tab.data[tab.filetabOff:tab.pctabOff]
	for off := 0; off < len(d); {
		n := indexByte(d[off:], 0)
		if n < 0 {
			break
		}
		if pkg := filePackage(string(d[off : off+n])); pkg != "" {
			a.claim(pkg, kFiles, base+uint64(off), uint64(n)+1)
		}
		off += n + 1
	}
}

// compUnits charges each compilation unit's file index (a run of cutab
// entries) to the package of the unit's first function. A unit is one
// package's compilation; its run ends where the next unit's starts.
func (a *analyzer) compUnits() {
	tab := a.tab
	owner := map[uint32]string{}
	n := (tab.filetabOff - tab.cuOff) / 4
	for _, f := range tab.funcs {
		if _, ok := owner[f.cuOffset]; !ok && uint64(f.cuOffset) < n {
			owner[f.cuOffset] = a.funcPackage(f)
		}
	}
	cus := make([]uint32, 0, len(owner))
	for cu := range owner {
		cus = append(cus, cu)
	}
	slices.Sort(cus)
	for i, cu := range cus {
		next := n
		if i+1 < len(cus) {
			next = uint64(cus[i+1])
		}
		if uint64(cu) < next {
			a.claim(owner[cu], kFiles, tab.sec.addr+tab.cuOff+4*uint64(cu), 4*(next-uint64(cu)))
		}
	}
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func roundUp(n, to uint64) uint64 { return (n + to - 1) / to * to }

// textFill returns the byte the go linker pads between functions with, and
// the function alignment, for the architecture. On arm64 the assembler
// pads each function to its alignment inside the symbol, which is then
// code as `go tool nm` counts it.
func textFill(m elf.Machine) (fill byte, align uint64) {
	switch m {
	case elf.EM_X86_64, elf.EM_386:
		return 0xcc, 32 // INT3
	}
	return 0, 1
}

// codeLen returns the length of a function's code in b, its span up to the
// next function: the span less the trailing fill shorter than the
// alignment.
func codeLen(b []byte, fill byte, align uint64) uint64 {
	n := uint64(len(b))
	for k := uint64(0); k+1 < align && n > 0 && b[n-1] == fill; k++ {
		n--
	}
	return n
}

// report assembles the Report from the accumulated claims.
func (a *analyzer) report(fileSize uint64) *Report {
	rep := &Report{FileSize: fileSize}
	mods := map[string]*Module{}
	for pkg, p := range a.pkgs {
		p.sizes.sum()
		if p.sizes.Total == 0 {
			continue
		}
		path, version := a.mods.lookup(pkg)
		m := mods[path]
		if m == nil {
			m = &Module{Path: path, Version: version}
			mods[path] = m
		}
		funcs := p.funcs
		slices.SortFunc(funcs, func(x, y Func) int {
			return cmp.Or(cmp.Compare(y.Total, x.Total), strings.Compare(x.Name, y.Name))
		})
		m.Packages = append(m.Packages, Package{Path: pkg, Sizes: p.sizes, Funcs: funcs})
		m.Sizes.add(p.sizes)
	}
	for _, m := range mods {
		slices.SortFunc(m.Packages, func(x, y Package) int {
			return cmp.Or(cmp.Compare(y.Total, x.Total), strings.Compare(x.Path, y.Path))
		})
		rep.Modules = append(rep.Modules, *m)
		rep.Attributed += m.Total
	}
	slices.SortFunc(rep.Modules, func(x, y Module) int {
		return cmp.Or(cmp.Compare(y.Total, x.Total), strings.Compare(x.Path, y.Path))
	})

	// Unattributed: the named regions first, then the rest of each section.
	var inFile uint64
	for _, s := range a.im.sects {
		sec := Section{Name: s.name, Size: s.size, InFile: s.data != nil}
		if s.data != nil {
			sec.Estimated = a.estimated[s]
			sec.Attributed = s.claimed.count()
			for _, m := range a.marks {
				if m.sect == s {
					sec.Attributed -= m.n
				}
			}
			inFile += s.size
		}
		rep.Sections = append(rep.Sections, sec)
	}
	for _, s := range a.im.sects {
		if s.data == nil {
			continue
		}
		for _, m := range a.marks {
			if m.sect == s && m.n > 0 {
				rep.Unattributed = append(rep.Unattributed, Unattributed{Section: s.name, What: m.what, Size: m.n})
			}
		}
		left := s.size - s.claimed.count()
		for _, rg := range a.regions {
			if rg.sect != s || left == 0 {
				continue
			}
			n := min(left, (rg.hi-rg.lo)-s.claimed.countRange(rg.lo, rg.hi))
			// Bytes named by an earlier region are not named again.
			s.claimed.set(rg.lo, rg.hi)
			if n > 0 {
				rep.Unattributed = append(rep.Unattributed, Unattributed{Section: s.name, What: rg.what, Size: n})
				left -= n
			}
		}
		if left > 0 {
			rep.Unattributed = append(rep.Unattributed, Unattributed{Section: s.name, What: sectionWhat(s.name), Size: left})
		}
	}
	if fileSize > inFile {
		rep.Unattributed = append(rep.Unattributed, Unattributed{What: "ELF headers, non-allocated sections and alignment between sections", Size: fileSize - inFile})
	}
	return rep
}

// sectionWhat says what a section's unattributed bytes are.
func sectionWhat(name string) string {
	switch name {
	case ".rodata":
		return "data no code refers to: closures, GC masks, itabs of unknown packages, tables only data points to"
	case ".noptrdata", ".data":
		return "package-level variables no code refers to"
	case ".go.buildinfo":
		return "build info"
	case ".go.module":
		return "runtime module data"
	case ".go.fipsinfo":
		return "FIPS module checksum info"
	case ".typelink", ".itablink":
		return "links to types of unknown packages"
	case ".note.go.buildid", ".note.gnu.build-id":
		return "build ID"
	}
	return "not attributed"
}
