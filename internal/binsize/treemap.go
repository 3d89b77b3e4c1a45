package binsize

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"hash/fnv"
	"io"
	"strings"
	"unicode/utf8"
)

// Treemap geometry: panels are treemapWidth wide; the largest binary's
// panel is treemapHeight high and the others are as high as keeps bytes to
// area the same across panels.
const (
	treemapWidth  = 1200.0
	treemapHeight = 700.0
	treemapTitle  = 22.0  // room for a panel's title line
	minFuncArea   = 200.0 // smaller functions (under ~14×14 px) are drawn as one "(N smaller)" rectangle
)

// WriteTreemap writes an SVG treemap of the reports, one panel each, top
// to bottom: the file divided into modules, modules into packages,
// packages into functions; bytes of a package that belong to no function
// (type descriptors, file names) form one more rectangle in the package, and
// what stays unattributed is one grey rectangle. Every rectangle carries a
// <title> tooltip with its size; areas are proportional to bytes. A
// report without function lists (DropFuncs) is drawn down to packages.
func WriteTreemap(w io.Writer, reports ...*Report) error {
	var maxSize uint64
	for _, r := range reports {
		maxSize = max(maxSize, r.FileSize)
	}
	scale := 0.0 // px² per byte
	if maxSize > 0 {
		scale = treemapWidth * treemapHeight / float64(maxSize)
	}
	total := 0.0
	for _, r := range reports {
		total += treemapTitle + float64(r.FileSize)*scale/treemapWidth
	}
	bw := bufio.NewWriter(w)
	p := &svgWriter{w: bw}
	p.printf(`<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" font-family="sans-serif" font-size="11">`+"\n",
		num(treemapWidth), num(total), num(treemapWidth), num(total))
	p.printf("<style>rect{stroke:#fff;stroke-width:0.5}g.module>rect{stroke:#333;stroke-width:1.5}text{pointer-events:none}text.title{font-size:14px;font-weight:bold}</style>\n")
	y := 0.0
	for _, r := range reports {
		h := float64(r.FileSize) * scale / treemapWidth
		p.report(r, y, h)
		y += treemapTitle + h
	}
	p.printf("</svg>\n")
	if p.err != nil {
		return p.err
	}
	return bw.Flush()
}

type svgWriter struct {
	w   *bufio.Writer
	err error
}

func (p *svgWriter) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

// num formats a coordinate with two decimals and no trailing zeros.
func num(f float64) string {
	s := strings.TrimRight(fmt.Sprintf("%.2f", f), "0")
	return strings.TrimSuffix(s, ".")
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func (p *svgWriter) rect(class string, r rect, fill, tip string) {
	p.printf(`<rect class="%s" x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s</title></rect>`+"\n",
		class, num(r.x), num(r.y), num(r.w), num(r.h), fill, esc(tip))
}

// label writes text in the top left corner of r if it fits.
func (p *svgWriter) label(r rect, text string, size float64) {
	const charWidth = 0.6 // of the font size, roughly, for sans-serif
	if r.h < size+4 || r.w < 4*size*charWidth {
		return
	}
	if maxChars := int((r.w - 6) / (size * charWidth)); utf8.RuneCountInString(text) > maxChars {
		text = string([]rune(text)[:max(maxChars-1, 1)]) + "…"
	}
	p.printf(`<text x="%s" y="%s" font-size="%s">%s</text>`+"\n", num(r.x+3), num(r.y+size+1), num(size), esc(text))
}

func (p *svgWriter) report(r *Report, y, h float64) {
	p.printf(`<g class="report" data-name="%s" data-size="%d">`+"\n", esc(r.title()), r.FileSize)
	p.printf(`<text class="title" x="4" y="%s">%s</text>`+"\n", num(y+16),
		esc(fmt.Sprintf("%s: %s, %s %s/%s, %s attributed", r.title(), HumanSize(int64(r.FileSize)), r.GoVersion, r.GOOS, r.GOARCH, percent(r.Attributed, r.FileSize))))
	area := rect{0, y + treemapTitle, treemapWidth, h}
	values := make([]float64, 0, len(r.Modules)+1)
	for _, m := range r.Modules {
		values = append(values, float64(m.Total))
	}
	un := r.UnattributedSize()
	values = append(values, float64(un))
	rects := squarify(values, area)
	for i, m := range r.Modules {
		p.module(r, &m, rects[i])
	}
	p.printf(`<g class="unattributed" data-size="%d">`+"\n", un)
	p.rect("unattributed", rects[len(r.Modules)], "#bbbbbb", fmt.Sprintf("unattributed: %s (%s)", HumanSize(int64(un)), percent(un, r.FileSize)))
	p.label(rects[len(r.Modules)], "unattributed", 11)
	p.printf("</g>\n</g>\n")
}

func hue(s string) int {
	h := fnv.New32a()
	h.Write([]byte(s))
	return int(h.Sum32() % 360)
}

func (p *svgWriter) module(r *Report, m *Module, area rect) {
	hu := hue(m.Path)
	p.printf(`<g class="module" data-path="%s" data-size="%d">`+"\n", esc(m.Path), m.Total)
	p.rect("module", area, fmt.Sprintf("hsl(%d,45%%,55%%)", hu),
		fmt.Sprintf("%s %s: %s (%s)", m.Path, m.Version, HumanSize(int64(m.Total)), percent(m.Total, r.FileSize)))
	values := make([]float64, len(m.Packages))
	for i, pk := range m.Packages {
		values[i] = float64(pk.Total)
	}
	rects := squarify(values, area)
	for i := range m.Packages {
		// Neighbouring packages get slightly different hues.
		p.pkg(r, &m.Packages[i], rects[i], (hu+(i%5)*6+360)%360)
	}
	p.label(area, m.Path, 13)
	p.printf("</g>\n")
}

func (p *svgWriter) pkg(r *Report, pk *Package, area rect, hu int) {
	p.printf(`<g class="package" data-path="%s" data-size="%d">`+"\n", esc(pk.Path), pk.Total)
	p.rect("package", area, fmt.Sprintf("hsl(%d,45%%,70%%)", hu),
		fmt.Sprintf("%s: %s (%s)\ncode %s, funcinfo %s, types %s, data ~%s", pk.Path, HumanSize(int64(pk.Total)), percent(pk.Total, r.FileSize),
			HumanSize(int64(pk.Text+pk.Padding)), HumanSize(int64(pk.FuncInfo+pk.Files)), HumanSize(int64(pk.Types)), HumanSize(int64(pk.Data))))
	if len(pk.Funcs) == 0 { // DropFuncs: the package is one rectangle
		p.label(area, pk.Path, 10)
		p.printf("</g>\n")
		return
	}
	// Functions big enough to see, then the small ones together, then
	// the package's bytes that are no function's.
	perByte := area.w * area.h / float64(max(pk.Total, 1))
	var values []float64
	var shown []Func
	var small, smallN, inFuncs uint64
	for _, f := range pk.Funcs {
		inFuncs += f.Total
		if float64(f.Total)*perByte >= minFuncArea {
			shown = append(shown, f)
			values = append(values, float64(f.Total))
		} else {
			small += f.Total
			smallN++
		}
	}
	rest := pk.Total - min(inFuncs, pk.Total)
	values = append(values, float64(small), float64(rest))
	rects := squarify(values, area)
	for i, f := range shown {
		p.rect("func", rects[i], fmt.Sprintf("hsl(%d,40%%,82%%)", hu),
			fmt.Sprintf("%s: %s (code %s, funcinfo %s)", f.Name, HumanSize(int64(f.Total)), HumanSize(int64(f.Text+f.Padding)), HumanSize(int64(f.FuncInfo))))
	}
	if small > 0 {
		p.rect("func small", rects[len(shown)], fmt.Sprintf("hsl(%d,30%%,88%%)", hu),
			fmt.Sprintf("%d smaller functions of %s: %s", smallN, pk.Path, HumanSize(int64(small))))
	}
	if rest > 0 {
		p.rect("rest", rects[len(shown)+1], fmt.Sprintf("hsl(%d,25%%,92%%)", hu),
			fmt.Sprintf("%s outside functions (type descriptors, data, file names, funcdata): %s", pk.Path, HumanSize(int64(rest))))
	}
	// The package's outline, over its functions.
	p.printf(`<rect class="outline" x="%s" y="%s" width="%s" height="%s" fill="none" style="stroke:#555;stroke-width:0.8"/>`+"\n",
		num(area.x), num(area.y), num(area.w), num(area.h))
	p.label(area, pk.Path, 10)
	p.printf("</g>\n")
}

// rect is a rectangle in SVG coordinates.
type rect struct{ x, y, w, h float64 }

// squarify divides area into rectangles with areas proportional to values,
// in order, keeping them as close to square as the squarified treemap
// algorithm (Bruls, Huizing, van Wijk) does: values are laid in rows
// along the shorter side while that improves the row's worst aspect ratio.
// Values should be sorted largest first; zero values get empty rectangles.
func squarify(values []float64, area rect) []rect {
	out := make([]rect, len(values))
	var total float64
	for _, v := range values {
		total += max(v, 0)
	}
	if total <= 0 || area.w <= 0 || area.h <= 0 {
		for i := range out {
			out[i] = rect{area.x, area.y, 0, 0}
		}
		return out
	}
	scale := area.w * area.h / total
	areas := make([]float64, len(values))
	for i, v := range values {
		areas[i] = max(v, 0) * scale
	}
	worst := func(row []float64, side float64) float64 {
		var s, hi float64
		lo := row[0]
		for _, a := range row {
			s += a
			hi, lo = max(hi, a), min(lo, a)
		}
		if s == 0 || lo == 0 {
			return 1e300
		}
		return max(side*side*hi/(s*s), s*s/(side*side*lo))
	}
	r := area
	for i := 0; i < len(areas); {
		if areas[i] == 0 {
			out[i] = rect{r.x, r.y, 0, 0}
			i++
			continue
		}
		side := min(r.w, r.h)
		j := i + 1
		for j < len(areas) && areas[j] > 0 && worst(areas[i:j+1], side) <= worst(areas[i:j], side) {
			j++
		}
		var s float64
		for _, a := range areas[i:j] {
			s += a
		}
		if r.w >= r.h {
			cw := min(s/r.h, r.w)
			y := r.y
			for k := i; k < j; k++ {
				hk := areas[k] / cw
				out[k] = rect{r.x, y, cw, hk}
				y += hk
			}
			r.x += cw
			r.w = max(r.w-cw, 0)
		} else {
			rh := min(s/r.w, r.h)
			x := r.x
			for k := i; k < j; k++ {
				wk := areas[k] / rh
				out[k] = rect{x, r.y, wk, rh}
				x += wk
			}
			r.y += rh
			r.h = max(r.h-rh, 0)
		}
		i = j
	}
	return out
}
