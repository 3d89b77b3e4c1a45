package binsize

import (
	"cmp"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"slices"
)

// maxSection is the largest section read into memory. A Lambda zip holds at
// most 250 MB unpacked, so a bigger section is a broken or hostile file.
const maxSection = 256 << 20

// image is the loaded part of an ELF executable: the sections with bytes in
// memory, readable by virtual address, each with a record of which of its
// bytes an owner has claimed.
type image struct {
	order   binary.ByteOrder
	ptrSize int
	sects   []*section // allocated sections, by address
	byName  map[string]*section
}

// section is one allocated ELF section.
type section struct {
	name    string
	addr    uint64
	size    uint64
	data    []byte // nil for NOBITS (.bss, .noptrbss)
	claimed bitset // bytes attributed so far
}

func (s *section) contains(addr, n uint64) bool {
	return addr >= s.addr && n <= s.size && addr-s.addr <= s.size-n
}

// loadImage reads the allocated sections of f, a file of fileSize bytes.
// Sections without bytes in the file (.bss) are kept for their size only.
func loadImage(f *elf.File, fileSize uint64) (*image, error) {
	im := &image{order: f.ByteOrder, byName: map[string]*section{}}
	var offs []span // file offsets of im.sects
	switch f.Class {
	case elf.ELFCLASS64:
		im.ptrSize = 8
	case elf.ELFCLASS32:
		im.ptrSize = 4
	default:
		return nil, fmt.Errorf("unknown elf class %v", f.Class)
	}
	for _, s := range f.Sections {
		if s.Flags&elf.SHF_ALLOC == 0 || s.Size == 0 {
			continue
		}
		sec := &section{name: s.Name, addr: s.Addr, size: s.Size}
		if s.Type != elf.SHT_NOBITS {
			if s.Size > maxSection {
				return nil, fmt.Errorf("section %s: %d bytes is too big", s.Name, s.Size)
			}
			if s.Offset > fileSize || s.Size > fileSize-s.Offset {
				return nil, fmt.Errorf("section %s: %d bytes at offset %d are past the end of the file", s.Name, s.Size, s.Offset)
			}
			data := make([]byte, s.Size)
			if _, err := io.ReadFull(s.Open(), data); err != nil {
				return nil, fmt.Errorf("read section %s: %w", s.Name, err)
			}
			sec.data = data
			sec.claimed = newBitset(s.Size)
		}
		im.sects = append(im.sects, sec)
		offs = append(offs, span{s.Offset, s.Size})
		if _, dup := im.byName[s.Name]; !dup {
			im.byName[s.Name] = sec
		}
	}
	// The go linker lays sections out one after another, in the file and
	// in memory; overlaps would count bytes twice.
	addrs := make([]span, len(im.sects))
	for i, s := range im.sects {
		addrs[i] = span{s.addr, s.size}
		if s.data == nil {
			offs[i].size = 0
		}
	}
	if overlap(addrs) || overlap(offs) {
		return nil, fmt.Errorf("sections overlap")
	}
	return im, nil
}

type span struct{ start, size uint64 }

// overlap reports whether any two of the spans overlap.
func overlap(spans []span) bool {
	spans = slices.Clone(spans)
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	var end uint64
	for i, s := range spans {
		if s.size == 0 {
			continue
		}
		if i > 0 && s.start < end {
			return true
		}
		if s.start+s.size < s.start {
			return true // wraps around
		}
		end = max(end, s.start+s.size)
	}
	return false
}

// sectionAt returns the section with bytes holding [addr, addr+n), or nil.
func (im *image) sectionAt(addr, n uint64) *section {
	for _, s := range im.sects {
		if s.data != nil && s.contains(addr, n) {
			return s
		}
	}
	return nil
}

// bytes returns the n bytes at addr, or nil if they are not all in one
// section with bytes.
func (im *image) bytes(addr, n uint64) []byte {
	s := im.sectionAt(addr, n)
	if s == nil {
		return nil
	}
	off := addr - s.addr
	return s.data[off : off+n]
}

// ptr reads a pointer-sized word at addr.
func (im *image) ptr(addr uint64) (uint64, bool) {
	b := im.bytes(addr, uint64(im.ptrSize))
	if b == nil {
		return 0, false
	}
	return im.word(b), true
}

// word decodes a pointer-sized word from b.
func (im *image) word(b []byte) uint64 {
	if im.ptrSize == 4 {
		return uint64(im.order.Uint32(b))
	}
	return im.order.Uint64(b)
}

// claim attributes the bytes [addr, addr+n) to whoever calls it and returns
// how many of them were not claimed before. Bytes outside any section with
// file bytes are ignored.
func (im *image) claim(addr, n uint64) uint64 {
	if n == 0 {
		return 0
	}
	s := im.sectionAt(addr, 1)
	if s == nil {
		return 0
	}
	off := addr - s.addr
	n = min(n, s.size-off)
	return s.claimed.set(off, off+n)
}

// bitset is a fixed-size set of byte offsets.
type bitset []uint64

func newBitset(n uint64) bitset { return make(bitset, (n+63)/64) }

// set adds [lo, hi) and returns how many of those were not in the set.
func (b bitset) set(lo, hi uint64) uint64 {
	var added uint64
	for lo < hi {
		w, bit := lo/64, lo%64
		span := min(64-bit, hi-lo)
		mask := ^uint64(0)
		if span < 64 {
			mask = (uint64(1)<<span - 1) << bit
		}
		added += uint64(bits.OnesCount64(mask &^ b[w]))
		b[w] |= mask
		lo += span
	}
	return added
}

// count returns the number of offsets in the set.
func (b bitset) count() uint64 {
	var n int
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return uint64(n)
}

// countRange returns how many offsets in [lo, hi) are in the set.
func (b bitset) countRange(lo, hi uint64) uint64 {
	var n uint64
	for lo < hi {
		w, bit := lo/64, lo%64
		span := min(64-bit, hi-lo)
		mask := ^uint64(0)
		if span < 64 {
			mask = (uint64(1)<<span - 1) << bit
		}
		n += uint64(bits.OnesCount64(mask & b[w]))
		lo += span
	}
	return n
}
