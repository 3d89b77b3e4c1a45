package binsize

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A fake Go binary written by hand: two functions, one type, the tables
// that point at them and the build info, laid out as the go linker lays
// them out. Small enough to predict every byte of the report, and the seed
// of the fuzz targets.

// fakeSection is a section of the fake binary.
type fakeSection struct {
	name  string
	flags elf.SectionFlag
	addr  uint64
	data  []byte
	bss   uint64 // size of a NOBITS section
}

const (
	fakeText   = 0x401000
	fakeRodata = 0x500000
	fakePcln   = 0x600000
	fakeLinks  = 0x700000
	fakeItabs  = 0x700100
	fakeInfo   = 0x710000
	fakeModule = 0x720000
	fakeBss    = 0x730000
)

// le builds little-endian data.
type le struct{ bytes.Buffer }

func (b *le) u8(v uint8)   { b.WriteByte(v) }
func (b *le) u16(v uint16) { b.Write(binary.LittleEndian.AppendUint16(nil, v)) }
func (b *le) u32(v uint32) { b.Write(binary.LittleEndian.AppendUint32(nil, v)) }
func (b *le) u64(v uint64) { b.Write(binary.LittleEndian.AppendUint64(nil, v)) }
func (b *le) pad(to int) {
	for b.Len() < to {
		b.WriteByte(0)
	}
}

// fakeLayout is where the fake pclntab's parts are, for expectations.
type fakeLayout struct {
	funcnameOff, cuOff, filetabOff, pctabOff, pclnOff, gofuncOff, findOff, end int
}

func fakePclntab() ([]byte, fakeLayout) {
	var l fakeLayout
	var b le
	// Header (runtime.pcHeader, Go 1.26: no text start).
	b.u32(go120Magic)
	b.u8(0)
	b.u8(0)
	b.u8(1) // minLC
	b.u8(8) // ptrSize
	words := b.Len()
	b.pad(8 + 8*8)
	l.funcnameOff = b.Len()
	b.WriteString("main.main\x00fmt.Println\x00fmt.inlined\x00")
	l.cuOff = b.Len()
	b.u32(0) // CU 0, file 0 → filetab offset 0
	l.filetabOff = b.Len()
	b.WriteString("example.com/app/main.go\x00")
	l.pctabOff = b.Len()
	b.u8(0)                  // offset 0 means no table
	b.Write([]byte{2, 4, 0}) // at 1: value 0 (from -1) for 4 pcs, end
	b.pad(roundUpInt(b.Len(), 8))
	l.pclnOff = b.Len()
	// Function table: entry offset, func struct offset; then the end.
	b.u32(0x00)
	b.u32(24)
	b.u32(0x40)
	b.u32(72)
	b.u32(0x80)
	b.u32(0)
	// _func of main.main at 24: one funcdata.
	fn := func(entry, nameOff uint32, funcdata []uint32) {
		b.u32(entry)
		b.u32(nameOff)
		b.u32(0) // args
		b.u32(0) // deferreturn
		b.u32(1) // pcsp
		b.u32(1) // pcfile
		b.u32(1) // pcln
		b.u32(0) // npcdata
		b.u32(0) // cuOffset
		b.u32(1) // startLine
		b.u8(0)  // funcID
		b.u8(0)  // flag
		b.u8(0)
		b.u8(uint8(len(funcdata)))
		for _, f := range funcdata {
			b.u32(f)
		}
		b.pad(roundUpInt(b.Len()-l.pclnOff, 8) + l.pclnOff)
	}
	fn(0x00, 0, []uint32{0})
	fn(0x40, 10, nil)
	l.gofuncOff = b.Len()
	b.Write(bytes.Repeat([]byte{0xaa}, 16)) // funcdata of main.main
	l.findOff = b.Len()
	b.Write(make([]byte, 20)) // findfunctab: one bucket
	l.end = b.Len()

	d := b.Bytes()
	for i, v := range []uint64{2, 1, 0, uint64(l.funcnameOff), uint64(l.cuOff), uint64(l.filetabOff), uint64(l.pctabOff), uint64(l.pclnOff)} {
		binary.LittleEndian.PutUint64(d[words+8*i:], v)
	}
	return d, l
}

func roundUpInt(n, to int) int { return (n + to - 1) / to * to }

// fakeRodataBytes holds one type, main.ID (a named int), with its names.
func fakeRodataBytes() []byte {
	var b le
	b.pad(8)
	// abi.Type at types+8.
	b.u64(8)      // Size_
	b.u64(0)      // PtrBytes
	b.u32(0x1234) // Hash
	b.u8(0x05)    // TFlag: uncommon, named
	b.u8(8)       // Align_
	b.u8(8)       // FieldAlign_
	b.u8(2)       // Kind_: int
	b.u64(0)      // Equal
	b.u64(0)      // GCData
	b.u32(0x50)   // Str
	b.u32(0)      // PtrToThis
	b.u32(0x60)   // uncommon PkgPath
	b.u16(0)      // Mcount
	b.u16(0)      // Xcount
	b.u32(16)     // Moff
	b.u32(0)      //
	b.pad(0x50)   // alignment
	b.u8(0)       // name flags
	b.u8(7)       // length
	b.WriteString("main.ID")
	b.pad(0x60)
	b.u8(0)
	b.u8(4)
	b.WriteString("main")
	b.pad(0x200)
	b.WriteString("string literals here")
	return b.Bytes()
}

func fakeModuledata(l fakeLayout) []byte {
	var b le
	w := func(vs ...uint64) {
		for _, v := range vs {
			b.u64(v)
		}
	}
	p := uint64(fakePcln)
	w(p)
	w(p+uint64(l.funcnameOff), uint64(l.cuOff-l.funcnameOff), uint64(l.cuOff-l.funcnameOff))
	w(p+uint64(l.cuOff), 1, 1)
	w(p+uint64(l.filetabOff), uint64(l.pctabOff-l.filetabOff), uint64(l.pctabOff-l.filetabOff))
	w(p+uint64(l.pctabOff), uint64(l.pclnOff-l.pctabOff), uint64(l.pclnOff-l.pctabOff))
	w(p+uint64(l.pclnOff), uint64(l.gofuncOff-l.pclnOff), uint64(l.gofuncOff-l.pclnOff))
	w(p+uint64(l.pclnOff), 3, 3)                // ftab
	w(p + uint64(l.findOff))                    // findfunctab
	w(fakeText, fakeText+0x80)                  // minpc, maxpc
	w(fakeText, fakeText+0x80)                  // text, etext
	w(0, 0, 0, 0, fakeBss, fakeBss+0x100, 0, 0) // noptrdata ... enoptrbss
	w(0, 0)                                     // covctrs
	w(0, 0, 0)                                  // end, gcdata, gcbss
	w(fakeRodata, fakeRodata+0x200, fakeRodata) // types, etypes, rodata
	w(p+uint64(l.gofuncOff), p+uint64(l.end))   // gofunc, epclntab
	return b.Bytes()
}

func fakeBuildInfo() []byte {
	var b le
	b.WriteString("\xff Go buildinf:")
	b.u8(8)
	b.u8(2) // inline strings, little endian
	b.pad(32)
	str := func(s string) {
		b.Write(binary.AppendUvarint(nil, uint64(len(s))))
		b.WriteString(s)
	}
	str("go1.26.8")
	str("0123456789abcdef" +
		"path\texample.com/app\nmod\texample.com/app\t(devel)\t\n" +
		"build\tGOARCH=amd64\nbuild\tGOOS=linux\n" +
		"fedcba9876543210")
	return b.Bytes()
}

func fakeTextBytes() []byte {
	text := bytes.Repeat([]byte{0x90}, 0x80)
	for i := 0x30; i < 0x40; i++ {
		text[i] = 0xcc // padding after main.main
	}
	return text
}

func fakeSections() []fakeSection {
	pcln, l := fakePclntab()
	return []fakeSection{
		{".text", elf.SHF_ALLOC | elf.SHF_EXECINSTR, fakeText, fakeTextBytes(), 0},
		{".rodata", elf.SHF_ALLOC, fakeRodata, fakeRodataBytes(), 0},
		{".gopclntab", elf.SHF_ALLOC, fakePcln, pcln, 0},
		{".typelink", elf.SHF_ALLOC, fakeLinks, binary.LittleEndian.AppendUint32(nil, 8), 0},
		{".go.buildinfo", elf.SHF_ALLOC | elf.SHF_WRITE, fakeInfo, fakeBuildInfo(), 0},
		{".go.module", elf.SHF_ALLOC | elf.SHF_WRITE, fakeModule, fakeModuledata(l), 0},
		{".bss", elf.SHF_ALLOC | elf.SHF_WRITE, fakeBss, nil, 0x100},
	}
}

// writeELF writes a 64-bit little-endian ELF executable with the sections,
// one PT_LOAD segment each, then .shstrtab and the section headers.
func writeELF(machine elf.Machine, secs []fakeSection) []byte {
	var b le
	shstr := []byte{0}
	nameOff := make([]uint32, len(secs))
	for i, s := range secs {
		nameOff[i] = uint32(len(shstr))
		shstr = append(append(shstr, s.name...), 0)
	}
	shstrName := uint32(len(shstr))
	shstr = append(shstr, ".shstrtab\x00"...)

	const ehsize, phsize, shsize = 64, 56, 64
	phoff := ehsize
	dataOff := phoff + phsize*len(secs)
	offs := make([]int, len(secs))
	off := dataOff
	for i, s := range secs {
		off = roundUpInt(off, 16)
		offs[i] = off
		off += len(s.data)
	}
	strOff := off
	shoff := roundUpInt(strOff+len(shstr), 8)

	// ELF header.
	b.Write([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0})
	b.pad(16)
	b.u16(uint16(elf.ET_EXEC))
	b.u16(uint16(machine))
	b.u32(1)
	b.u64(fakeText)
	b.u64(uint64(phoff))
	b.u64(uint64(shoff))
	b.u32(0)
	b.u16(ehsize)
	b.u16(phsize)
	b.u16(uint16(len(secs)))
	b.u16(shsize)
	b.u16(uint16(len(secs) + 2))
	b.u16(uint16(len(secs) + 1))
	// Program headers.
	for i, s := range secs {
		flags := elf.PF_R
		if s.flags&elf.SHF_WRITE != 0 {
			flags |= elf.PF_W
		}
		if s.flags&elf.SHF_EXECINSTR != 0 {
			flags |= elf.PF_X
		}
		b.u32(uint32(elf.PT_LOAD))
		b.u32(uint32(flags))
		b.u64(uint64(offs[i]))
		b.u64(s.addr)
		b.u64(s.addr)
		b.u64(uint64(len(s.data)))
		b.u64(uint64(len(s.data)) + s.bss)
		b.u64(0x1000)
	}
	for i, s := range secs {
		b.pad(offs[i])
		b.Write(s.data)
	}
	b.pad(strOff)
	b.Write(shstr)
	b.pad(shoff)
	// Section headers: null, the sections, .shstrtab.
	b.Write(make([]byte, shsize))
	sh := func(name uint32, typ elf.SectionType, flags elf.SectionFlag, addr uint64, off, size int) {
		b.u32(name)
		b.u32(uint32(typ))
		b.u64(uint64(flags))
		b.u64(addr)
		b.u64(uint64(off))
		b.u64(uint64(size))
		b.u32(0)
		b.u32(0)
		b.u64(1)
		b.u64(0)
	}
	for i, s := range secs {
		typ, size := elf.SHT_PROGBITS, len(s.data)
		if s.bss > 0 {
			typ, size = elf.SHT_NOBITS, int(s.bss)
		}
		sh(nameOff[i], typ, s.flags, s.addr, offs[i], size)
	}
	sh(shstrName, elf.SHT_STRTAB, 0, 0, strOff, len(shstr))
	return b.Bytes()
}

func TestFakeBinary(t *testing.T) {
	t.Parallel()
	file := writeELF(elf.EM_X86_64, fakeSections())
	r, err := AnalyzeReader(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	_, l := fakePclntab()
	app := Sizes{
		Text:    0x30,
		Padding: 0x10,
		// functab entry, func struct with a funcdata, name, pc table (once
		// for three uses), the funcdata blob.
		FuncInfo: 8 + 48 + 10 + 3 + 16,
		// descriptor with uncommon type, two names, the type link.
		Types: 64 + 9 + 6 + 4,
		// file name, the CU's file index.
		Files: 24 + 4,
	}
	app.sum()
	// functab entry, func struct, name, an inlined function's name, the
	// pc lookup bucket (the text's middle is fmt.Println's).
	fmtPkg := Sizes{Text: 0x40, FuncInfo: 8 + 48 + 12 + 12 + 20}
	fmtPkg.sum()
	want := &Report{
		GoVersion:  "go1.26.8",
		GOOS:       "linux",
		GOARCH:     "amd64",
		MainModule: "example.com/app",
		FileSize:   uint64(len(file)),
		Attributed: app.Total + fmtPkg.Total,
		Sections: []Section{
			{Name: ".text", Size: 0x80, InFile: true, Attributed: 0x80},
			{Name: ".rodata", Size: uint64(len(fakeRodataBytes())), InFile: true, Attributed: 64 + 9 + 6},
			{Name: ".gopclntab", Size: uint64(l.end), InFile: true, Attributed: app.FuncInfo + fmtPkg.FuncInfo + app.Files},
			{Name: ".typelink", Size: 4, InFile: true, Attributed: 4},
			{Name: ".go.buildinfo", Size: uint64(len(fakeBuildInfo())), InFile: true},
			{Name: ".go.module", Size: uint64(len(fakeModuledata(l))), InFile: true},
			{Name: ".bss", Size: 0x100},
		},
		Modules: []Module{
			{Path: "example.com/app", Version: "(devel)", Sizes: app, Packages: []Package{{Path: "example.com/app", Sizes: app, Funcs: []Func{
				{Name: "example.com/app.main", Sizes: Sizes{Total: 0x40 + 8 + 48 + 10 + 3, Text: 0x30, Padding: 0x10, FuncInfo: 8 + 48 + 10 + 3}},
			}}}},
			{Path: "std", Version: "go1.26.8", Sizes: fmtPkg, Packages: []Package{{Path: "fmt", Sizes: fmtPkg, Funcs: []Func{
				{Name: "fmt.Println", Sizes: Sizes{Total: 0x40 + 8 + 48 + 12, Text: 0x40, FuncInfo: 8 + 48 + 12}},
			}}}},
		},
	}
	rodataLeft := uint64(len(fakeRodataBytes())) - (64 + 9 + 6)
	want.Unattributed = []Unattributed{
		{Section: ".rodata", What: "alignment between type descriptors", Size: 8 + 7},
		{Section: ".rodata", What: "type descriptors and names not reached or of unknown packages", Size: 8},
		{Section: ".rodata", What: sectionWhat(".rodata"), Size: rodataLeft - 15 - 8},
		{Section: ".gopclntab", What: "pclntab header", Size: uint64(l.funcnameOff)},
		{Section: ".gopclntab", What: "pc-value tables not reached from a function", Size: uint64(l.pclnOff - l.pctabOff - 3)},
		{Section: ".gopclntab", What: "function table of unknown packages, alignment", Size: 8},
		{Section: ".go.buildinfo", What: "build info", Size: uint64(len(fakeBuildInfo()))},
		{Section: ".go.module", What: "runtime module data", Size: uint64(len(fakeModuledata(l)))},
	}
	var inFile uint64
	for _, s := range want.Sections {
		if s.InFile {
			inFile += s.Size
		}
	}
	want.Unattributed = append(want.Unattributed, Unattributed{What: "ELF headers, non-allocated sections and alignment between sections", Size: uint64(len(file)) - inFile})
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
}

// FuzzAnalyze feeds whole files to AnalyzeReader: it may fail, never panic.
func FuzzAnalyze(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\x7fELF"))
	f.Add(writeELF(elf.EM_X86_64, fakeSections()))
	f.Add(writeELF(elf.EM_AARCH64, fakeSections()))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := AnalyzeReader(bytes.NewReader(data), int64(len(data)))
		if err == nil && r.Attributed+r.UnattributedSize() != r.FileSize {
			t.Errorf("attributed %d + unattributed %d != file %d", r.Attributed, r.UnattributedSize(), r.FileSize)
		}
	})
}

// FuzzTables feeds the tables (pclntab, read-only data with the types, the
// type links, the module data) to the analysis directly, past the ELF and
// build info checks that stop most garbage in FuzzAnalyze.
func FuzzTables(f *testing.F) {
	secs := fakeSections()
	f.Add(secs[2].data, secs[1].data, secs[3].data, secs[5].data)
	f.Add([]byte{0xf1, 0xff, 0xff, 0xff, 0, 0, 1, 8}, []byte{}, []byte{1, 2, 3}, []byte{})
	f.Fuzz(func(t *testing.T, pcln, rodata, typelink, module []byte) {
		im := &image{order: binary.LittleEndian, ptrSize: 8, byName: map[string]*section{}}
		for _, s := range []struct {
			name string
			addr uint64
			data []byte
		}{
			{".text", fakeText, fakeTextBytes()},
			{".rodata", fakeRodata, rodata},
			{".gopclntab", fakePcln, pcln},
			{".typelink", fakeLinks, typelink},
			{".itablink", fakeItabs, typelink},
			{".go.module", fakeModule, module},
		} {
			if len(s.data) == 0 {
				continue
			}
			sec := &section{name: s.name, addr: s.addr, size: uint64(len(s.data)), data: s.data, claimed: newBitset(uint64(len(s.data)))}
			im.sects = append(im.sects, sec)
			im.byName[s.name] = sec
		}
		a := &analyzer{im: im, arch: elf.EM_X86_64, pkgs: map[string]*pkgAcc{}, estimated: map[*section]uint64{},
			mods: &moduleMap{mainPkg: "example.com/app", goVersion: "go1.26.8", mods: []modEntry{{"example.com/app", "(devel)"}}}}
		if err := a.run(); err != nil {
			return
		}
		r := a.report(1 << 20)
		if r.Attributed+r.UnattributedSize() != r.FileSize {
			t.Errorf("attributed %d + unattributed %d != file %d", r.Attributed, r.UnattributedSize(), r.FileSize)
		}
	})
}
