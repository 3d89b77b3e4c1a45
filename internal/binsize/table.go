package binsize

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// TableOptions choose what WriteTable and WriteDeltaTable show.
type TableOptions struct {
	// Modules limits the modules listed (0: all).
	Modules int
	// Packages is how many of each module's packages to list under it in
	// WriteTable, and how many package changes to list in WriteDeltaTable.
	Packages int
	// Unattributed lists the unattributed parts one by one.
	Unattributed bool
}

// HumanSize formats n bytes with one decimal in the largest fitting unit,
// as lamb prints sizes elsewhere.
func HumanSize(n int64) string {
	if n < 0 {
		return "-" + HumanSize(-n)
	}
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func signedSize(n int64) string {
	if n > 0 {
		return "+" + HumanSize(n)
	}
	return HumanSize(n)
}

func percent(part, whole uint64) string {
	if whole == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(part)/float64(whole))
}

// table lays out rows of cells two spaces apart: the first left columns
// left-aligned, the others right-aligned.
type table struct {
	left int
	rows [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer) error {
	var widths []int
	for _, r := range t.rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, r := range t.rows {
		var line strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			if i > 0 {
				line.WriteString("  ")
			}
			if i < t.left {
				line.WriteString(c + pad)
			} else {
				line.WriteString(pad + c)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *Report) title() string {
	name := r.Name
	if name == "" {
		name = "binary"
	}
	return name
}

// WriteTable writes the report as a text table: a summary line, then the
// modules (and their largest packages) with their sizes, then what stays
// unattributed.
func WriteTable(w io.Writer, r *Report, opt TableOptions) error {
	fmt.Fprintf(w, "%s: %s, %s %s/%s, main module %s\n", r.title(), HumanSize(int64(r.FileSize)), r.GoVersion, r.GOOS, r.GOARCH, r.MainModule)
	un := r.UnattributedSize()
	fmt.Fprintf(w, "attributed %s (%s), unattributed %s (%s)\n\n", HumanSize(int64(r.Attributed)), percent(r.Attributed, r.FileSize), HumanSize(int64(un)), percent(un, r.FileSize))
	t := &table{left: 2}
	t.add("MODULE / PACKAGE", "VERSION", "TOTAL", "SHARE", "CODE", "FUNCINFO", "TYPES", "DATA~")
	row := func(name, version string, s Sizes) {
		t.add(name, version, HumanSize(int64(s.Total)), percent(s.Total, r.FileSize),
			HumanSize(int64(s.Text+s.Padding)), HumanSize(int64(s.FuncInfo+s.Files)), HumanSize(int64(s.Types)), HumanSize(int64(s.Data)))
	}
	mods := r.Modules
	if opt.Modules > 0 && len(mods) > opt.Modules {
		mods = mods[:opt.Modules]
	}
	for _, m := range mods {
		row(m.Path, m.Version, m.Sizes)
		for _, p := range m.Packages[:min(opt.Packages, len(m.Packages))] {
			row("  "+p.Path, "", p.Sizes)
		}
	}
	if n := len(r.Modules) - len(mods); n > 0 {
		var rest Sizes
		for _, m := range r.Modules[len(mods):] {
			rest.add(m.Sizes)
		}
		row(fmt.Sprintf("(%d more modules)", n), "", rest)
	}
	t.add(UnattributedPath, "", HumanSize(int64(un)), percent(un, r.FileSize))
	if err := t.write(w); err != nil {
		return err
	}
	fmt.Fprintln(w, "DATA~ is estimated from the code's references to data.")
	if !opt.Unattributed {
		return nil
	}
	fmt.Fprintln(w)
	t = &table{left: 2}
	t.add("UNATTRIBUTED", "SECTION", "SIZE", "SHARE")
	parts := slices.Clone(r.Unattributed)
	slices.SortStableFunc(parts, func(a, b Unattributed) int { return cmp.Compare(b.Size, a.Size) })
	for _, u := range parts {
		where := u.Section
		if where == "" {
			where = "(file)"
		}
		t.add(u.What, where, HumanSize(int64(u.Size)), percent(u.Size, r.FileSize))
	}
	return t.write(w)
}

// WriteDeltaTable writes a Delta as a text table: the file size change,
// the modules that changed and the packages that changed most.
func WriteDeltaTable(w io.Writer, d Delta, opt TableOptions) error {
	name := d.Name
	if name == "" {
		name = "binary"
	}
	fmt.Fprintf(w, "%s: %s → %s (%s, %s)\n\n", name, HumanSize(int64(d.FileSize.Base)), HumanSize(int64(d.FileSize.Head)),
		signedSize(d.FileSize.Delta), signedPercent(d.FileSize))
	if len(d.Modules) == 0 && d.Unattributed.Delta == 0 {
		_, err := fmt.Fprintln(w, "no module changed")
		return err
	}
	t := &table{left: 2}
	t.add("MODULE", "VERSION", "BASE", "HEAD", "CHANGE", "")
	mods := d.Modules
	if opt.Modules > 0 && len(mods) > opt.Modules {
		mods = mods[:opt.Modules]
	}
	for _, c := range mods {
		version := c.HeadVersion
		if c.BaseVersion != c.HeadVersion && c.BaseVersion != "" && c.HeadVersion != "" {
			version = c.BaseVersion + " → " + c.HeadVersion
		} else if version == "" {
			version = c.BaseVersion
		}
		t.add(c.Path, version, sizeOrDash(c.Base), sizeOrDash(c.Head), signedSize(c.Delta), signedPercent(c))
	}
	if n := len(d.Modules) - len(mods); n > 0 {
		t.add(fmt.Sprintf("(%d more modules)", n), "", "", "", "", "")
	}
	if c := d.Unattributed; c.Delta != 0 {
		t.add(c.Path, "", sizeOrDash(c.Base), sizeOrDash(c.Head), signedSize(c.Delta), signedPercent(c))
	}
	if err := t.write(w); err != nil {
		return err
	}
	if opt.Packages <= 0 || len(d.Packages) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	t = &table{left: 1}
	t.add("PACKAGE", "BASE", "HEAD", "CHANGE", "")
	for _, c := range d.Packages[:min(opt.Packages, len(d.Packages))] {
		t.add(c.Path, sizeOrDash(c.Base), sizeOrDash(c.Head), signedSize(c.Delta), signedPercent(c))
	}
	if n := len(d.Packages) - opt.Packages; n > 0 {
		t.add(fmt.Sprintf("(%d more packages)", n), "", "", "", "")
	}
	return t.write(w)
}

func sizeOrDash(n uint64) string {
	if n == 0 {
		return "-"
	}
	return HumanSize(int64(n))
}

func signedPercent(c Change) string {
	switch {
	case c.Delta == 0:
		return "0%"
	case c.Base == 0:
		return "new"
	case c.Head == 0:
		return "gone"
	}
	return fmt.Sprintf("%+.1f%%", 100*c.Ratio())
}
