package binsize

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
)

// node is an SVG element as encoding/xml reads it.
type node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []node     `xml:",any"`
	Text    string     `xml:",chardata"`
}

func (n *node) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n *node) float(t *testing.T, name string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(n.attr(name), 64)
	if err != nil {
		t.Fatalf("<%s %s=%q>: %v", n.XMLName.Local, name, n.attr(name), err)
	}
	return f
}

// children returns the child elements named name with the class.
func (n *node) children(name, class string) []*node {
	var out []*node
	for i := range n.Nodes {
		c := &n.Nodes[i]
		if c.XMLName.Local == name && (class == "" || firstField(c.attr("class")) == class) {
			out = append(out, c)
		}
	}
	return out
}

func firstField(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// box is a parsed rect.
type box struct{ x, y, w, h float64 }

func (b box) area() float64 { return b.w * b.h }

func (b box) within(o box) bool {
	const eps = 0.02 // coordinates are written with two decimals
	return b.x >= o.x-eps && b.y >= o.y-eps && b.x+b.w <= o.x+o.w+eps && b.y+b.h <= o.y+o.h+eps
}

func rectOf(t *testing.T, g *node, class string) (box, string) {
	t.Helper()
	rs := g.children("rect", class)
	if len(rs) != 1 {
		t.Fatalf("<g class=%q data-path=%q> has %d rect.%s; want 1", g.attr("class"), g.attr("data-path"), len(rs), class)
	}
	r := rs[0]
	titles := r.children("title", "")
	if len(titles) != 1 || titles[0].Text == "" {
		t.Errorf("rect.%s of %q has no title", class, g.attr("data-path"))
	}
	return box{r.float(t, "x"), r.float(t, "y"), r.float(t, "width"), r.float(t, "height")}, titles[0].Text
}

// checkTreemap parses the SVG and checks its structure against the
// reports: a group per report, one per module with one rect, packages
// nested in it, areas proportional to bytes.
func checkTreemap(t *testing.T, svg []byte, reports ...*Report) {
	t.Helper()
	var root node
	if err := xml.Unmarshal(svg, &root); err != nil {
		t.Fatalf("parse svg: %v", err)
	}
	if root.XMLName.Local != "svg" {
		t.Fatalf("root <%s>", root.XMLName.Local)
	}
	groups := root.children("g", "report")
	if len(groups) != len(reports) {
		t.Fatalf("%d report groups; want %d", len(groups), len(reports))
	}
	// Bytes per px² is one scale across all panels.
	var scale float64
	for i, r := range reports {
		g := groups[i]
		mods := g.children("g", "module")
		if len(mods) != len(r.Modules) {
			t.Fatalf("report %d: %d module groups; want %d", i, len(mods), len(r.Modules))
		}
		un := g.children("g", "unattributed")
		if len(un) != 1 {
			t.Fatalf("report %d: %d unattributed groups", i, len(un))
		}
		ub, _ := rectOf(t, un[0], "unattributed")
		total := ub.area()
		for j, m := range r.Modules {
			mg := mods[j]
			if mg.attr("data-path") != m.Path {
				t.Errorf("module group %d is %q; want %q", j, mg.attr("data-path"), m.Path)
			}
			mb, tip := rectOf(t, mg, "module")
			if !strings.HasPrefix(tip, m.Path+" ") {
				t.Errorf("module %s tooltip %q", m.Path, tip)
			}
			total += mb.area()
			if scale == 0 && m.Total > 0 {
				scale = mb.area() / float64(m.Total)
			}
			checkArea(t, m.Path, mb.area(), float64(m.Total)*scale)
			pkgs := mg.children("g", "package")
			if len(pkgs) != len(m.Packages) {
				t.Fatalf("module %s: %d package groups; want %d", m.Path, len(pkgs), len(m.Packages))
			}
			var pkgArea float64
			for k, p := range m.Packages {
				pg := pkgs[k]
				pb, _ := rectOf(t, pg, "package")
				if !pb.within(mb) {
					t.Errorf("package %s %v outside its module %v", p.Path, pb, mb)
				}
				checkArea(t, p.Path, pb.area(), float64(p.Total)*scale)
				pkgArea += pb.area()
				var inner float64
				for _, fr := range pg.children("rect", "") {
					if c := fr.attr("class"); c == "package" || c == "outline" {
						continue
					}
					fb := box{fr.float(t, "x"), fr.float(t, "y"), fr.float(t, "width"), fr.float(t, "height")}
					if !fb.within(pb) {
						t.Errorf("%s rect %v outside package %s %v", fr.attr("class"), fb, p.Path, pb)
					}
					inner += fb.area()
				}
				if len(p.Funcs) == 0 {
					if inner != 0 {
						t.Errorf("package %s without functions has contents", p.Path)
					}
					continue
				}
				checkArea(t, p.Path+" contents", inner, pb.area())
			}
			checkArea(t, m.Path+" packages", pkgArea, mb.area())
		}
		checkArea(t, fmt.Sprintf("report %d", i), total, float64(r.FileSize)*scale)
	}
}

// checkArea fails if got is not want within 1% (or 1 px² for specks).
func checkArea(t *testing.T, what string, got, want float64) {
	t.Helper()
	if d := math.Abs(got - want); d > max(0.01*want, 1) {
		t.Errorf("%s: area %.1f; want %.1f", what, got, want)
	}
}

func TestTreemapSample(t *testing.T) {
	t.Parallel()
	base, head := sampleReports()
	var buf bytes.Buffer
	if err := WriteTreemap(&buf, base, head); err != nil {
		t.Fatal(err)
	}
	checkTreemap(t, buf.Bytes(), base, head)
	if !bytes.Contains(buf.Bytes(), []byte("<title>runtime.mallocgc: ")) {
		t.Error("no tooltip of runtime.mallocgc")
	}
}

func TestTreemapWithoutFuncs(t *testing.T) {
	t.Parallel()
	base, head := sampleReports()
	head.Name = "orders (no functions)"
	head.DropFuncs()
	var buf bytes.Buffer
	if err := WriteTreemap(&buf, base, head); err != nil {
		t.Fatal(err)
	}
	checkTreemap(t, buf.Bytes(), base, head)
	_, after, _ := bytes.Cut(buf.Bytes(), []byte(`<g class="report" data-name="`+head.title()+`"`))
	if len(after) == 0 || bytes.Contains(after, []byte(`class="rest"`)) || bytes.Contains(after, []byte(`class="func`)) {
		t.Error("the head's panel, without function lists, has function or rest rectangles")
	}
}

func TestTreemapReal(t *testing.T) {
	t.Parallel()
	r := analyzeOnce(t, buildSpec{arch: "arm64", stripped: true})
	var buf bytes.Buffer
	if err := WriteTreemap(&buf, r); err != nil {
		t.Fatal(err)
	}
	checkTreemap(t, buf.Bytes(), r)
	t.Logf("treemap of %d bytes for a %d byte binary", buf.Len(), r.FileSize)
}

func TestSquarify(t *testing.T) {
	t.Parallel()
	area := box{10, 20, 600, 400}
	for _, tc := range []struct {
		name   string
		values []float64
	}{
		{"one", []float64{5}},
		{"paper", []float64{6, 6, 4, 3, 2, 2, 1}},
		{"skewed", []float64{1000, 1, 1, 1}},
		{"with zeros", []float64{3, 0, 2, 0}},
		{"many", func() []float64 {
			var v []float64
			for i := 200; i > 0; i-- {
				v = append(v, float64(i))
			}
			return v
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rects := squarify(tc.values, rect(area))
			var sum float64
			for _, v := range tc.values {
				sum += v
			}
			var covered float64
			for i, r := range rects {
				b := box(r)
				if !b.within(area) {
					t.Errorf("rect %d %v outside %v", i, b, area)
				}
				checkArea(t, fmt.Sprint("rect ", i), b.area(), tc.values[i]/sum*area.area())
				covered += b.area()
			}
			checkArea(t, "all", covered, area.area())
		})
	}
	// The worked example of Bruls et al. gives aspect ratios at most 3
	// (the "paper" values); a slice layout would give far worse.
	rects := squarify([]float64{6, 6, 4, 3, 2, 2, 1}, rect{0, 0, 6, 4})
	for i, r := range rects {
		if ratio := max(r.w/r.h, r.h/r.w); ratio > 3 {
			t.Errorf("rect %d aspect ratio %.2f", i, ratio)
		}
	}
	if got := squarify([]float64{1, 2}, rect{0, 0, 0, 10}); got[0].w != 0 || got[1].h != 0 {
		t.Errorf("squarify in an empty area: %v", got)
	}
}
