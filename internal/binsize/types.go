package binsize

import (
	"encoding/binary"
	"go/version"
	"slices"
	"strings"
)

// Type kinds (internal/abi.Kind).
const (
	kindArray     = 17
	kindChan      = 18
	kindFunc      = 19
	kindInterface = 20
	kindMap       = 21
	kindPointer   = 22
	kindSlice     = 23
	kindStruct    = 25
	kindMax       = 26 // UnsafePointer
	kindMask      = 1<<5 - 1
)

// Type flags (internal/abi.TFlag).
const (
	tflagUncommon        = 1 << 0
	tflagExtraStar       = 1 << 1
	tflagNamed           = 1 << 2
	tflagGCMaskOnDemand  = 1 << 4
	tflagKnown           = 1<<6 - 1
	maxTypes             = 1 << 22 // a bound on the walk of a hostile file
	builtinPkg           = "builtin"
	typeHeaderWords      = 4 // Size_, PtrBytes, Equal, GCData
	typeHeaderFixedBytes = 16
)

// typeWalker walks the type descriptors of the binary (internal/abi's
// Type and the kind-specific structs that extend it), from the type links
// and itabs, and charges each descriptor with its names, method table and
// field list to a package: the named type's package, or for an unnamed type
// the package of the named type it is made of (*T, []T, map[K]T), or else
// the package of the type that first refers to it.
type typeWalker struct {
	a       *analyzer
	im      *image
	ps      uint64
	types   uint64 // moduledata.types: base of name and type offsets
	etypes  uint64
	swiss   bool // Go 1.24 and later map descriptors
	seen    map[uint64]bool
	owner   map[uint64]string // type → the package it was charged to
	pkgMemo map[uint64]string
	queue   []typeRef
	sect    *section // the section of the types region
	hi      uint64   // end of the highest descriptor or name claimed in it
}

type typeRef struct {
	addr   uint64
	parent string // package of the type that refers to it
}

// types charges the type descriptors, the type links and the itabs.
func (a *analyzer) types() {
	if !a.hasMD || a.md.types == 0 || a.md.etypes <= a.md.types {
		return
	}
	if !version.IsValid(a.mods.goVersion) || version.Compare(a.mods.goVersion, "go1.22") < 0 {
		return // older descriptor layouts are not read
	}
	w := &typeWalker{
		a:       a,
		im:      a.im,
		ps:      uint64(a.im.ptrSize),
		types:   a.md.types,
		etypes:  a.md.etypes,
		swiss:   version.Compare(a.mods.goVersion, "go1.24") >= 0 && !strings.Contains(a.mods.goExperiment, "noswissmap"),
		seen:    map[uint64]bool{},
		owner:   map[uint64]string{},
		pkgMemo: map[uint64]string{},
		sect:    a.im.sectionAt(a.md.types, 1),
	}
	w.itabs()
	w.typelinks()
	w.walk()
	for w.scanGaps() {
		w.walk()
	}
	// What no named type, element or referrer decided goes by its string.
	for w.byString() {
		w.walk()
	}
	w.claimTypelinks()
	w.padding()
	if rodata := a.im.sectionAt(a.md.types, 1); rodata != nil && w.hi > a.md.types {
		a.describe(rodata, a.md.types-rodata.addr, w.hi-rodata.addr, "type descriptors and names not reached or of unknown packages")
	}
}

// padding sets aside the runs of zeros shorter than 64 bytes between the
// claimed parts of the types region: the alignment of type descriptors.
func (w *typeWalker) padding() {
	s := w.sect
	if s == nil || w.hi <= w.types {
		return
	}
	lo, hi := w.types-s.addr, w.hi-s.addr
	for off := lo; off < hi; {
		if s.claimed.countRange(off, off+1) == 1 {
			off++
			continue
		}
		end := off
		for end < hi && end-off < 64 && s.data[end] == 0 && s.claimed.countRange(end, end+1) == 0 {
			end++
		}
		if end > off && end-off < 64 && off > lo && (end == hi || s.claimed.countRange(end, end+1) == 1) {
			w.a.setAside(s.addr+off, end-off, "alignment between type descriptors")
		}
		off = max(end, off+1)
	}
}

// typelinks queues the types of the type links (int32 offsets from
// moduledata.types).
func (w *typeWalker) typelinks() {
	s := w.im.byName[".typelink"]
	if s == nil || s.data == nil {
		return
	}
	for off := uint64(0); off+4 <= s.size; off += 4 {
		t := w.types + uint64(int64(int32(w.im.order.Uint32(s.data[off:]))))
		w.push(t, "")
	}
}

// claimTypelinks charges each type link to the package its type went to.
func (w *typeWalker) claimTypelinks() {
	s := w.im.byName[".typelink"]
	if s == nil || s.data == nil {
		return
	}
	for off := uint64(0); off+4 <= s.size; off += 4 {
		t := w.types + uint64(int64(int32(w.im.order.Uint32(s.data[off:]))))
		w.a.claim(w.owner[t], kTypes, s.addr+off, 4)
	}
}

// scanGaps looks for type descriptors in the unclaimed parts of the types
// region (types only code refers to) and queues those that pass the checks
// of isTypeStrict. It reports whether it queued any.
func (w *typeWalker) scanGaps() bool {
	s := w.im.sectionAt(w.types, 1)
	if s == nil {
		return false
	}
	found := false
	end := min(w.etypes, s.addr+s.size)
	hs := w.headerSize()
	for t := roundUp(w.types, w.ps); t+hs <= end; t += w.ps {
		off := t - s.addr
		if s.claimed.countRange(off, off+hs) != 0 || w.seen[t] {
			continue
		}
		if w.isTypeStrict(t) {
			w.push(t, "")
			found = true
		}
	}
	return found
}

// isTypeStrict reports whether the bytes at t look like a type descriptor
// beyond doubt: a known kind and flags, power-of-two alignments, sizes that
// agree, a name that parses, and pointers where pointers go.
func (w *typeWalker) isTypeStrict(t uint64) bool {
	if !w.isType(t) {
		return false
	}
	b := w.im.bytes(t, w.headerSize())
	h, _ := w.header(t)
	ps := w.ps
	size := w.im.word(b)
	align, fieldAlign := b[2*ps+5], b[2*ps+6]
	if size > 1<<40 || h.ptrBytes > size || h.ptrBytes%ps != 0 ||
		align == 0 || align&(align-1) != 0 || align > 64 ||
		fieldAlign == 0 || fieldAlign&(fieldAlign-1) != 0 || fieldAlign > 64 {
		return false
	}
	if h.gcdata != 0 && w.im.sectionAt(h.gcdata, 1) == nil && h.tflag&tflagGCMaskOnDemand == 0 {
		return false
	}
	if eq := w.im.word(b[2*ps+8:]); eq != 0 && w.closureFunc(eq) == "" {
		return false
	}
	if h.ptrToThis < 0 || h.ptrToThis > 0 && !w.isType(w.typeOff(h.ptrToThis)) {
		return false
	}
	name := w.nameString(w.nameOff(h.str))
	if name == "" || w.nameLen(w.nameOff(h.str)) == 0 {
		return false
	}
	for i := 0; i < len(name); i++ {
		if name[i] < ' ' || name[i] > '~' {
			return false
		}
	}
	return true
}

// itabs charges each itab (internal/abi.ITab: interface, type, hash, method
// pointers) and its link to the concrete type's package.
func (w *typeWalker) itabs() {
	s := w.im.byName[".itablink"]
	if s == nil || s.data == nil {
		return
	}
	for off := uint64(0); off+w.ps <= s.size; off += w.ps {
		itab := w.im.word(s.data[off:])
		inter, ok1 := w.im.ptr(itab)
		typ, ok2 := w.im.ptr(itab + w.ps)
		if !ok1 || !ok2 || !w.isType(inter) || !w.isType(typ) {
			continue
		}
		pkg := w.pkgOf(typ, 0)
		if pkg == "" {
			pkg = w.pkgOf(inter, 0)
		}
		n := uint64(1)
		if m, ok := w.sliceLen(inter + w.headerSize() + w.ps); ok && m > 0 {
			n = m
		}
		w.a.claim(pkg, kTypes, itab, 3*w.ps+n*w.ps)
		w.a.claim(pkg, kTypes, s.addr+off, w.ps)
		w.push(inter, pkg)
		w.push(typ, pkg)
	}
}

// push queues the type at t, reached from a type of package parent ("" for
// a root). A type queued without a parent is queued again when one turns up.
func (w *typeWalker) push(t uint64, parent string) {
	if t == 0 || w.owner[t] != "" || w.seen[t] && parent == "" || len(w.seen) >= maxTypes || !w.isType(t) {
		return
	}
	w.seen[t] = true
	w.queue = append(w.queue, typeRef{t, parent})
}

// byString queues the types that are still without a package with the
// package their type string names first ("func() *regexp.Regexp" →
// regexp), or builtin when it names none. It reports whether it queued any.
func (w *typeWalker) byString() bool {
	short := w.shortNames()
	var left []uint64
	for t := range w.seen {
		if w.owner[t] == "" {
			left = append(left, t)
		}
	}
	slices.Sort(left)
	for _, t := range left {
		h, _ := w.header(t)
		name := w.nameString(w.nameOff(h.str))
		name = strings.ReplaceAll(name, "go.shape.", "")
		pkg := builtinPkg
		if q := firstQualifier(name); strings.Contains(q, "/") {
			pkg = q
		} else if q != "" {
			if pkg = short[q]; pkg == "" {
				continue
			}
		}
		w.queue = append(w.queue, typeRef{t, pkg})
	}
	return len(w.queue) > 0
}

// shortNames maps the last element of each package path charged so far to
// the path, for the paths whose last element no other path shares.
func (w *typeWalker) shortNames() map[string]string {
	short := map[string]string{}
	for pkg := range w.a.pkgs {
		last := pkg[strings.LastIndexByte(pkg, '/')+1:]
		if _, dup := short[last]; dup {
			short[last] = ""
		} else {
			short[last] = pkg
		}
	}
	return short
}

// firstQualifier returns the package of the first qualified identifier in
// the type string s: "regexp" in "func() *regexp.Regexp", or a whole path
// where the string has one ("encoding/json" in generic shapes).
func firstQualifier(s string) string {
	isPath := func(c byte) bool {
		return c == '_' || c == '/' || c == '-' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c >= 0x80
	}
	for i := 1; i < len(s); i++ {
		if s[i] != '.' || !isPath(s[i-1]) {
			continue
		}
		j := i
		for j > 0 && isPath(s[j-1]) {
			j--
		}
		q := s[j:i]
		if q == "" || '0' <= q[0] && q[0] <= '9' {
			continue
		}
		return q
	}
	return ""
}

func (w *typeWalker) walk() {
	for len(w.queue) > 0 {
		r := w.queue[0]
		w.queue = w.queue[1:]
		w.visit(r)
	}
}

func (w *typeWalker) headerSize() uint64 { return typeHeaderWords*w.ps + typeHeaderFixedBytes }

// header is the common part of a type descriptor.
type header struct {
	ptrBytes  uint64
	equal     uint64 // a func value: the address of a closure
	tflag     uint8
	kind      uint8
	gcdata    uint64
	str       int32
	ptrToThis int32
}

func (w *typeWalker) header(t uint64) (header, bool) {
	b := w.im.bytes(t, w.headerSize())
	if b == nil {
		return header{}, false
	}
	ps, o := w.ps, w.im.order
	h := header{
		ptrBytes:  w.im.word(b[ps:]),
		equal:     w.im.word(b[2*ps+8:]),
		tflag:     b[2*ps+4],
		kind:      b[2*ps+7] & kindMask,
		gcdata:    w.im.word(b[2*ps+8+ps:]),
		str:       int32(o.Uint32(b[4*ps+8:])),
		ptrToThis: int32(o.Uint32(b[4*ps+12:])),
	}
	return h, true
}

// isType reports whether a type descriptor can be at t.
func (w *typeWalker) isType(t uint64) bool {
	if t < w.types || t >= w.etypes || t%4 != 0 {
		return false
	}
	h, ok := w.header(t)
	return ok && h.kind != 0 && h.kind <= kindMax && h.tflag&^tflagKnown == 0
}

// kindSize returns the size of the kind-specific descriptor struct, which
// the uncommon type follows.
func (w *typeWalker) kindSize(kind uint8) uint64 {
	h, ps := w.headerSize(), w.ps
	switch kind {
	case kindArray:
		return h + 3*ps // Elem, Slice, Len
	case kindChan:
		return h + 2*ps // Elem, Dir
	case kindFunc:
		return roundUp(h+4, ps) // InCount, OutCount
	case kindInterface, kindStruct:
		return h + 4*ps // PkgPath, Methods or Fields slice
	case kindMap:
		if w.swiss {
			return roundUp(h+7*ps+4, ps) // Key, Elem, Group, Hasher, GroupSize, SlotSize, ElemOff, Flags
		}
		return roundUp(h+4*ps+8, ps) // Key, Elem, Bucket, Hasher, sizes, Flags
	case kindPointer, kindSlice:
		return h + ps // Elem
	}
	return h
}

// visit charges one type descriptor and everything that belongs to it, and
// queues the types it refers to.
func (w *typeWalker) visit(r typeRef) {
	t := r.addr
	h, ok := w.header(t)
	if !ok {
		return
	}
	if w.owner[t] != "" {
		return
	}
	pkg := w.pkgOf(t, 0)
	if pkg == "" {
		pkg = r.parent
	}
	if pkg == "" {
		return // queued again if a referrer turns up
	}
	w.owner[t] = pkg
	ps, o := w.ps, w.im.order
	size := w.kindSize(h.kind)
	if h.tflag&tflagUncommon != 0 {
		u := t + size
		size += 16
		if b := w.im.bytes(u, 16); b != nil {
			pkgPath := int32(o.Uint32(b))
			mcount, moff := uint64(o.Uint16(b[4:])), uint64(o.Uint32(b[8:]))
			w.name(pkg, w.nameOff(pkgPath))
			if m := w.im.bytes(u+moff, 16*mcount); m != nil {
				w.claimType(pkg, u+moff, 16*mcount)
				for i := range mcount {
					e := m[16*i:]
					w.name(pkg, w.nameOff(int32(o.Uint32(e))))
					w.push(w.typeOff(int32(o.Uint32(e[4:]))), pkg)
				}
			}
		}
	}
	w.claimType(pkg, t, size)
	w.closure(pkg, h.equal)
	w.name(pkg, w.nameOff(h.str))
	w.push(w.typeOff(h.ptrToThis), pkg)
	w.gcmask(pkg, h)

	hs := w.headerSize()
	word := func(off uint64) uint64 { v, _ := w.im.ptr(t + off); return v }
	switch h.kind {
	case kindArray:
		w.push(word(hs), pkg)
		w.push(word(hs+ps), pkg)
	case kindChan, kindPointer, kindSlice:
		w.push(word(hs), pkg)
	case kindMap:
		w.push(word(hs), pkg)
		w.push(word(hs+ps), pkg)
		w.push(word(hs+2*ps), pkg)
		w.closure(pkg, word(hs+3*ps)) // Hasher
	case kindFunc:
		b := w.im.bytes(t+hs, 4)
		if b == nil {
			return
		}
		n := uint64(o.Uint16(b)) + uint64(o.Uint16(b[2:])&(1<<15-1))
		params := t + size
		if p := w.im.bytes(params, n*ps); p != nil {
			w.claimType(pkg, params, n*ps)
			for i := range n {
				w.push(w.im.word(p[i*ps:]), pkg)
			}
		}
	case kindInterface:
		w.name(pkg, word(hs))
		arr := word(hs + ps)
		n, _ := w.sliceLen(t + hs + ps)
		if p := w.im.bytes(arr, 8*n); p != nil {
			w.claimType(pkg, arr, 8*n)
			for i := range n {
				w.name(pkg, w.nameOff(int32(o.Uint32(p[8*i:]))))
				w.push(w.typeOff(int32(o.Uint32(p[8*i+4:]))), pkg)
			}
		}
	case kindStruct:
		w.name(pkg, word(hs))
		arr := word(hs + ps)
		n, _ := w.sliceLen(t + hs + ps)
		if p := w.im.bytes(arr, 3*ps*n); p != nil {
			w.claimType(pkg, arr, 3*ps*n)
			for i := range n {
				w.name(pkg, w.im.word(p[3*ps*i:]))
				w.push(w.im.word(p[3*ps*i+ps:]), pkg)
			}
		}
	}
}

// claimType charges bytes of a descriptor or a name and notes the highest
// address such bytes reach: the end of the types region proper, which the
// string data follows.
func (w *typeWalker) claimType(pkg string, addr, n uint64) {
	if w.a.claim(pkg, kTypes, addr, n) > 0 && addr+n > w.hi && w.sect != nil && w.sect.contains(addr, n) {
		w.hi = addr + n
	}
}

// closure charges the static closure at addr that a func-valued field of a
// descriptor points to (Equal, Hasher): the function's address, and for the
// runtime's size-generic functions (memequal_varlen, memhash_varlen) the
// size that follows it.
func (w *typeWalker) closure(pkg string, addr uint64) {
	name := w.closureFunc(addr)
	if name == "" {
		return
	}
	n := w.ps
	if strings.HasSuffix(name, "_varlen") {
		n *= 2
	}
	w.a.claim(pkg, kTypes, addr, n)
}

// closureFunc returns the name of the function a static closure at addr
// calls, or "" if addr is not a closure in a read-only section.
func (w *typeWalker) closureFunc(addr uint64) string {
	s := w.im.sectionAt(addr, w.ps)
	if s == nil || s.name != ".rodata" {
		return ""
	}
	fn, ok := w.im.ptr(addr)
	if !ok {
		return ""
	}
	return w.a.funcAt(fn)
}

// sliceLen reads the length of the slice header at addr.
func (w *typeWalker) sliceLen(addr uint64) (uint64, bool) {
	n, ok := w.im.ptr(addr + w.ps)
	if !ok || n > 1<<20 {
		return 0, false
	}
	return n, true
}

// gcmask charges the type's GC pointer mask, one bit per pointer-sized
// word of the pointer-holding prefix. Types with the same layout share a
// mask; the first gets it.
func (w *typeWalker) gcmask(pkg string, h header) {
	if h.gcdata == 0 || h.tflag&tflagGCMaskOnDemand != 0 || h.ptrBytes == 0 {
		return
	}
	n := (h.ptrBytes/w.ps + 7) / 8
	if s := w.im.sectionAt(h.gcdata, n); s != nil && s.name == ".rodata" {
		w.a.claim(pkg, kTypes, h.gcdata, n)
	}
}

func (w *typeWalker) nameOff(off int32) uint64 {
	if off <= 0 {
		return 0
	}
	return w.types + uint64(off)
}

func (w *typeWalker) typeOff(off int32) uint64 {
	if off <= 0 {
		return 0
	}
	return w.types + uint64(off)
}

// name charges the encoded name at addr (internal/abi.Name: flags, varint
// length, bytes, optional tag, optional package path offset).
func (w *typeWalker) name(pkg string, addr uint64) {
	if n := w.nameLen(addr); n > 0 {
		w.claimType(pkg, addr, n)
	}
}

func (w *typeWalker) nameLen(addr uint64) uint64 {
	s := w.im.sectionAt(addr, 1)
	if addr == 0 || s == nil {
		return 0
	}
	b := s.data[addr-s.addr:]
	if len(b) < 2 {
		return 0
	}
	flags := b[0]
	l, k := binary.Uvarint(b[1:])
	if k <= 0 || l > uint64(len(b)) {
		return 0
	}
	n := 1 + uint64(k) + l
	if flags&(1<<1) != 0 { // tag
		if n >= uint64(len(b)) {
			return 0
		}
		tl, tk := binary.Uvarint(b[n:])
		if tk <= 0 || tl > uint64(len(b)) {
			return 0
		}
		n += uint64(tk) + tl
	}
	if flags&(1<<2) != 0 { // package path offset
		n += 4
	}
	if n > uint64(len(b)) {
		return 0
	}
	return n
}

// nameString returns the name at addr.
func (w *typeWalker) nameString(addr uint64) string {
	s := w.im.sectionAt(addr, 1)
	if addr == 0 || s == nil {
		return ""
	}
	b := s.data[addr-s.addr:]
	if len(b) < 2 {
		return ""
	}
	l, k := binary.Uvarint(b[1:])
	if k <= 0 || l > uint64(len(b)-1-k) {
		return ""
	}
	return string(b[1+k : 1+uint64(k)+l])
}

// pkgOf returns the package of the type at t: the package path of a named
// type, "builtin" for predeclared ones, or for *T, []T, [N]T, chan T and
// map[K]T the package of T (else K). Other unnamed types have none ("").
func (w *typeWalker) pkgOf(t uint64, depth int) string {
	if p, ok := w.pkgMemo[t]; ok {
		return p
	}
	if depth > 16 {
		return ""
	}
	h, ok := w.header(t)
	if !ok {
		return ""
	}
	pkg := ""
	if h.tflag&tflagNamed != 0 && h.tflag&tflagUncommon != 0 {
		if b := w.im.bytes(t+w.kindSize(h.kind), 4); b != nil {
			pkg = w.nameString(w.nameOff(int32(w.im.order.Uint32(b))))
		}
		switch pkg {
		case "":
			pkg = builtinPkg
		case "main":
			pkg = w.a.mods.mainPkg
		case "go.shape":
			pkg = "" // a generic shape: the instantiating package's
		}
	} else {
		hs := w.headerSize()
		elem := func(off uint64) string {
			v, ok := w.im.ptr(t + off)
			if !ok || !w.isType(v) {
				return ""
			}
			return w.pkgOf(v, depth+1)
		}
		switch h.kind {
		case kindArray, kindChan, kindPointer, kindSlice:
			pkg = elem(hs)
		case kindMap:
			pkg = elem(hs + w.ps)
			if pkg == "" || pkg == builtinPkg {
				if k := elem(hs); k != "" {
					pkg = k
				}
			}
		case kindStruct, kindInterface:
			// The package of unexported fields or methods, if any.
			v, _ := w.im.ptr(t + hs)
			pkg = w.nameString(v)
			if pkg == "main" {
				pkg = w.a.mods.mainPkg
			}
		}
	}
	w.pkgMemo[t] = pkg
	return pkg
}
