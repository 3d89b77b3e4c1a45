package binsize

// moduledata is the part of the runtime's moduledata (runtime/symtab.go)
// that locates the regions the function and type tables point into. The
// linker writes it as data, so it survives -s -w; it is found by looking for
// its first field, the address of the pclntab header.
type moduledata struct {
	findfunctab  uint64
	minpc, maxpc uint64
	text, etext  uint64
	types        uint64 // type descriptors and their names start here
	etypes       uint64
	rodata       uint64
	gofunc       uint64 // go:func.*, the base of funcdata offsets
	epclntab     uint64 // Go 1.26 and later; 0 before
}

// findModuledata looks for the moduledata of the binary in its writable
// sections. It returns false when no candidate is consistent with tab.
func findModuledata(im *image, tab *pclntab) (moduledata, bool) {
	ps := uint64(im.ptrSize)
	pcln := tab.sec.addr
	for _, s := range im.sects {
		if s.data == nil || s == tab.sec || s.name == ".text" {
			continue
		}
		for off := uint64(0); off+ps <= uint64(len(s.data)); off += ps {
			if im.word(s.data[off:]) != pcln {
				continue
			}
			if md, ok := readModuledata(im, tab, s.data[off:]); ok {
				return md, true
			}
		}
	}
	return moduledata{}, false
}

// readModuledata decodes the moduledata at the start of b and checks it
// against the pclntab header.
func readModuledata(im *image, tab *pclntab, b []byte) (moduledata, bool) {
	ps := im.ptrSize
	n := len(b) / ps
	w := func(i int) uint64 {
		if i >= n {
			return 0
		}
		return im.word(b[i*ps:])
	}
	pcln := tab.sec.addr
	// The slices must be the pclntab's subtables.
	if w(1) != pcln+tab.funcnameOff || w(2) != tab.cuOff-tab.funcnameOff ||
		w(7) != pcln+tab.filetabOff || w(10) != pcln+tab.pctabOff ||
		w(13) != pcln+tab.pclnOff || w(17) != tab.nfunc+1 {
		return moduledata{}, false
	}
	md := moduledata{
		findfunctab: w(19),
		minpc:       w(20),
		maxpc:       w(21),
		text:        w(22),
		etext:       w(23),
	}
	i := 32 // after noptrdata ... enoptrbss
	if tab.magic == go120Magic {
		i += 2 // covctrs, ecovctrs (Go 1.20)
	}
	i += 3 // end, gcdata, gcbss
	md.types, md.etypes, md.rodata, md.gofunc = w(i), w(i+1), w(i+2), w(i+3)
	if e := w(i + 4); e == pcln+tab.sec.size {
		md.epclntab = e
	}
	if md.text == 0 || md.etext < md.text || md.etypes < md.types {
		return moduledata{}, false
	}
	return md, true
}
