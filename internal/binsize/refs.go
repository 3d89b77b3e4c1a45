package binsize

import (
	"cmp"
	"debug/elf"
	"encoding/binary"
	"slices"
)

// Read-only data the type walk did not claim (string literals, constant
// tables, float constants) and package-level variables (.noptrdata,
// .data) have no sizes or owners in a stripped binary. The code that uses
// them says where they start: this file decodes the instructions the Go
// compiler emits to address a symbol (amd64: RIP-relative operands; arm64:
// ADRP followed by ADD, LDR or STR) and charges the bytes from each
// referenced address to the next referenced address (or claimed byte) to
// the package of the first function referring to it. Data that only other
// data points to stays inside the preceding referenced item; the sizes
// are estimates, and the report says so (Sizes.Data).

// dataSections are the sections whose unclaimed bytes references divide.
var dataSections = []string{".rodata", ".noptrdata", ".data"}

// dataRef is an address the code of a package refers to.
type dataRef struct {
	addr uint64
	pkg  string
}

// dataRefs charges the data the functions refer to.
func (a *analyzer) dataRefs() {
	decode := refDecoder(a.arch)
	if decode == nil {
		return
	}
	var secs []*section
	for _, name := range dataSections {
		if s := a.im.byName[name]; s != nil && s.data != nil {
			secs = append(secs, s)
		}
	}
	inData := func(addr uint64) bool {
		for _, s := range secs {
			if s.contains(addr, 1) {
				return true
			}
		}
		return false
	}
	var refs []dataRef
	for _, f := range a.tab.funcs {
		pkg := a.funcPackage(f)
		if pkg == "" {
			continue
		}
		code := a.im.bytes(f.entry, f.end-f.entry)
		if code == nil {
			continue
		}
		decode(code, f.entry, a.im.order, func(target uint64) {
			if inData(target) {
				refs = append(refs, dataRef{target, pkg})
			}
		})
	}
	// Function order decides who gets an item several packages use:
	// stable sort keeps the first.
	slices.SortStableFunc(refs, func(x, y dataRef) int { return cmp.Compare(x.addr, y.addr) })
	refs = slices.CompactFunc(refs, func(x, y dataRef) bool { return x.addr == y.addr })
	for i, r := range refs {
		s := a.im.sectionAt(r.addr, 1)
		off := r.addr - s.addr
		end := s.size
		if i+1 < len(refs) && refs[i+1].addr < s.addr+s.size {
			end = refs[i+1].addr - s.addr
		}
		// The item ends at the first claimed byte.
		n := uint64(0)
		for off+n < end && s.claimed.countRange(off+n, off+n+1) == 0 {
			n++
		}
		a.claim(r.pkg, kData, r.addr, n)
	}
}

// refDecoder returns the function that finds the absolute addresses the
// machine code in b (at address pc) refers to, for the architecture.
func refDecoder(m elf.Machine) func(b []byte, pc uint64, order binary.ByteOrder, ref func(uint64)) {
	switch m {
	case elf.EM_X86_64:
		return amd64Refs
	case elf.EM_AARCH64:
		return arm64Refs
	}
	return nil
}

// amd64Refs finds RIP-relative memory operands: a ModRM byte with mod 00
// and r/m 101, after the opcodes Go uses with symbols (LEA, MOV, MOVZX,
// MOVSD and friends, CMP and MOV with an immediate), then a 32-bit
// displacement from the end of the instruction. Instruction boundaries are
// not known, so every byte is tried; a false match must also land inside a
// data section to count.
func amd64Refs(b []byte, pc uint64, order binary.ByteOrder, ref func(uint64)) {
	for i := 0; i+6 <= len(b); i++ {
		var modrm, imm int
		switch op := b[i]; {
		case op == 0x8d || op == 0x8b || op == 0x89 || op == 0x8a || op == 0x88 || op == 0x3b || op == 0x39 || op == 0x38:
			modrm = i + 1
		case op == 0x0f:
			switch b[i+1] {
			case 0xb6, 0xb7, 0xbe, 0xbf, 0x10, 0x11, 0x28, 0x29, 0x6f, 0x7f, 0x2e:
				modrm = i + 2
			default:
				continue
			}
		case op == 0x80 || op == 0x83 || op == 0xc6:
			modrm, imm = i+1, 1
		case op == 0x81 || op == 0xc7:
			modrm, imm = i+1, 4
		default:
			continue
		}
		if modrm+5+imm > len(b) || b[modrm]&0xc7 != 0x05 {
			continue
		}
		disp := int32(order.Uint32(b[modrm+1:]))
		next := pc + uint64(modrm+5+imm)
		ref(uint64(int64(next) + int64(disp)))
	}
}

// arm64Refs finds ADRP Xd followed by ADD Xd, Xd, #imm or a load or store
// with an unsigned offset from Xd: the address of a symbol (MOVD $sym, R)
// or an access to it (MOVD sym, R).
func arm64Refs(b []byte, pc uint64, order binary.ByteOrder, ref func(uint64)) {
	for i := 0; i+8 <= len(b); i += 4 {
		adrp := order.Uint32(b[i:])
		if adrp&0x9f000000 != 0x90000000 {
			continue
		}
		rd := adrp & 0x1f
		imm := int64(adrp>>29&3) | int64(adrp>>5&0x7ffff)<<2
		imm = imm << 43 >> 43 // sign-extend 21 bits
		page := uint64(int64((pc+uint64(i))&^0xfff) + imm<<12)
		next := order.Uint32(b[i+4:])
		if next>>5&0x1f != rd {
			continue
		}
		switch {
		case next&0xffc00000 == 0x91000000: // ADD Xd, Xn, #imm12
			ref(page + uint64(next>>10&0xfff))
		case next&0x3b000000 == 0x39000000: // LDR/STR (unsigned offset), any size
			scale := next >> 30
			if next&0x04800000 == 0x04800000 { // 128-bit SIMD&FP
				scale = 4
			}
			ref(page + uint64(next>>10&0xfff)<<scale)
		}
	}
}
