package binsize

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// The pclntab magic numbers (runtime/symtab.go, internal/abi/symtab.go).
const (
	go118Magic = 0xfffffff0 // Go 1.18 and 1.19
	go120Magic = 0xfffffff1 // Go 1.20 and later
)

// errNoTextStart reports a pclntab header without the text start (Go 1.26
// and later leave it zero).
var errNoTextStart = errors.New("pclntab: no text start")

// errOldPclntab reports a binary built by a Go older than 1.18.
var errOldPclntab = errors.New("pclntab older than go1.18 is not supported")

// pclntab is the parsed .gopclntab section: the runtime's function table,
// which -s -w leaves in place because the runtime needs it for stack traces
// and garbage collection.
type pclntab struct {
	sec     *section
	data    []byte
	order   binary.ByteOrder
	magic   uint32
	ptrSize int
	minLC   uint8

	nfunc, nfiles uint64
	// Offsets of the subtables from the start of the section.
	funcnameOff, cuOff, filetabOff, pctabOff, pclnOff uint64

	funcs []fn
}

// fn is one entry of the function table.
type fn struct {
	name       string
	entry, end uint64 // absolute addresses; end is the next entry
	nameOff    uint32 // offset in funcnametab
	funcOff    uint64 // offset of the _func struct from pclnOff
	structSize uint64 // the _func struct with its pcdata and funcdata offsets
	cuOffset   uint32
	pcsp       uint32
	pcfile     uint32
	pcln       uint32
	pcdata     []uint32 // offsets into pctab; 0 means none
	funcdata   []uint32 // offsets from go:func.*; ^0 means none
}

// parsePclntab parses the header and the function table of sec. textStart
// is the address the function entry offsets count from (moduledata.text),
// or 0 to take it from the header (Go 1.18 to 1.25 write it there).
func parsePclntab(sec *section, order binary.ByteOrder, textStart uint64) (*pclntab, error) {
	d := sec.data
	if len(d) < 8 {
		return nil, fmt.Errorf("pclntab: %d bytes is too short", len(d))
	}
	t := &pclntab{sec: sec, data: d, order: order, magic: order.Uint32(d)}
	switch t.magic {
	case go118Magic, go120Magic:
	case 0xfffffffa, 0xfffffffb:
		return nil, errOldPclntab
	default:
		return nil, fmt.Errorf("pclntab: unknown magic %#x", t.magic)
	}
	if d[4] != 0 || d[5] != 0 {
		return nil, fmt.Errorf("pclntab: bad header padding")
	}
	t.minLC, t.ptrSize = d[6], int(d[7])
	if t.ptrSize != 4 && t.ptrSize != 8 {
		return nil, fmt.Errorf("pclntab: pointer size %d", t.ptrSize)
	}
	word := func(i int) uint64 {
		off := 8 + i*t.ptrSize
		if off+t.ptrSize > len(d) {
			return ^uint64(0)
		}
		if t.ptrSize == 4 {
			return uint64(order.Uint32(d[off:]))
		}
		return order.Uint64(d[off:])
	}
	t.nfunc, t.nfiles = word(0), word(1)
	if textStart == 0 {
		textStart = word(2)
	}
	t.funcnameOff, t.cuOff, t.filetabOff, t.pctabOff, t.pclnOff = word(3), word(4), word(5), word(6), word(7)
	size := uint64(len(d))
	hdr := uint64(8 + 8*t.ptrSize)
	if !(hdr <= t.funcnameOff && t.funcnameOff <= t.cuOff && t.cuOff <= t.filetabOff &&
		t.filetabOff <= t.pctabOff && t.pctabOff <= t.pclnOff && t.pclnOff <= size) {
		return nil, fmt.Errorf("pclntab: subtable offsets out of order")
	}
	// Each function has a table entry (8 bytes) and a struct (40 or more),
	// and the table has an end entry.
	if t.nfunc >= (size-t.pclnOff)/48 {
		return nil, fmt.Errorf("pclntab: %d functions do not fit", t.nfunc)
	}
	if textStart == 0 {
		return nil, errNoTextStart
	}

	ftab := d[t.pclnOff:]
	entry := func(i uint64) (uint64, uint64) {
		return uint64(order.Uint32(ftab[8*i:])), uint64(order.Uint32(ftab[8*i+4:]))
	}
	t.funcs = make([]fn, 0, min(t.nfunc, 1<<16))
	for i := range t.nfunc {
		entryOff, funcOff := entry(i)
		nextOff, _ := entry(i + 1)
		if nextOff < entryOff {
			return nil, fmt.Errorf("pclntab: function %d: entries out of order", i)
		}
		f, err := t.parseFunc(ftab, funcOff)
		if err != nil {
			return nil, fmt.Errorf("pclntab: function %d: %w", i, err)
		}
		f.entry, f.end = textStart+entryOff, textStart+nextOff
		t.funcs = append(t.funcs, f)
	}
	return t, nil
}

// parseFunc reads the _func struct at off in ftab (runtime/runtime2.go).
func (t *pclntab) parseFunc(ftab []byte, off uint64) (fn, error) {
	fixed := uint64(44) // Go 1.20 added startLine
	if t.magic == go118Magic {
		fixed = 40
	}
	if off > uint64(len(ftab)) || uint64(len(ftab))-off < fixed {
		return fn{}, fmt.Errorf("func struct at %#x out of range", off)
	}
	b := ftab[off:]
	u32 := func(i int) uint32 { return t.order.Uint32(b[4*i:]) }
	f := fn{
		funcOff:  off,
		nameOff:  u32(1),
		pcsp:     u32(4),
		pcfile:   u32(5),
		pcln:     u32(6),
		cuOffset: u32(8),
	}
	npcdata := uint64(u32(7))
	nfuncdata := uint64(b[fixed-1])
	f.structSize = fixed + 4*npcdata + 4*nfuncdata
	if f.structSize > uint64(len(b)) {
		return fn{}, fmt.Errorf("func struct at %#x: %d pcdata, %d funcdata out of range", off, npcdata, nfuncdata)
	}
	for i := range npcdata {
		f.pcdata = append(f.pcdata, t.order.Uint32(b[fixed+4*i:]))
	}
	for i := range nfuncdata {
		f.funcdata = append(f.funcdata, t.order.Uint32(b[fixed+4*npcdata+4*i:]))
	}
	name, ok := cstring(t.data, t.funcnameOff+uint64(f.nameOff), t.cuOff)
	if !ok {
		return fn{}, fmt.Errorf("name at %#x out of range", f.nameOff)
	}
	f.name = name
	return f, nil
}

// cstring returns the NUL-terminated string at off in d, which must end
// before limit.
func cstring(d []byte, off, limit uint64) (string, bool) {
	limit = min(limit, uint64(len(d)))
	if off >= limit {
		return "", false
	}
	n := bytes.IndexByte(d[off:limit], 0)
	if n < 0 {
		return "", false
	}
	return string(d[off : off+uint64(n)]), true
}

// pcTableLen returns the length in bytes of the pc-value table at off in
// pctab: pairs of a varint value delta and a uvarint pc delta, ended by a
// zero value delta after the first pair (runtime.step).
func (t *pclntab) pcTableLen(off uint32) uint64 {
	start := t.pctabOff + uint64(off)
	if off == 0 || start >= t.pclnOff {
		return 0
	}
	p := t.data[start:t.pclnOff]
	i := 0
	for first := true; ; first = false {
		if i >= len(p) {
			return 0
		}
		if p[i] == 0 && !first {
			return uint64(i + 1)
		}
		_, n := binary.Uvarint(p[i:])
		if n <= 0 {
			return 0
		}
		i += n
		_, n = binary.Uvarint(p[i:])
		if n <= 0 {
			return 0
		}
		i += n
	}
}
