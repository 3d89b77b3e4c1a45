package sizes

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lambctl/lamb/internal/binsize"
	"github.com/lambctl/lamb/internal/failure"
	"github.com/lambctl/lamb/internal/ghactions"
	"github.com/lambctl/lamb/manifest"
)

// Budget kinds, as the manifest names them (budget.zip, ...).
const (
	BudgetZip    = "zip"
	BudgetGrowth = "growth"
	BudgetInit   = "init"
)

// TopModules is how many modules a breach names.
const TopModules = 3

// HasBudget reports whether f sets any budget.
func HasBudget(f manifest.Function) bool {
	b := f.Budget
	return b.Zip > 0 || b.Growth != nil || b.Init > 0
}

// NeedsBase reports whether checking f's budgets needs its base build:
// it has a growth budget.
func NeedsBase(f manifest.Function) bool { return f.Budget.Growth != nil }

// Subject is what Check checks one function's budgets against.
type Subject struct {
	Function manifest.Function
	// Head is the function as built now (required).
	Head *Measure
	// Base is the function at the base of --since; nil when there is none
	// (no --since, a new function): growth is not checked.
	Base *Measure
	// Init is the function's cold starts; nil when not measured: init is
	// not checked.
	Init *InitStats
}

// Breach is a budget a function is over. Field names are the JSON shape.
type Breach struct {
	Function string `json:"function"`
	// Budget is BudgetZip, BudgetGrowth or BudgetInit.
	Budget string `json:"budget"`
	// Limit and Actual are the budget and the figure, as people write
	// them ("8.0 MiB", "10%", "100ms").
	Limit  string `json:"limit"`
	Actual string `json:"actual"`
	// Detail says what was compared ("2.1 MiB → 2.6 MiB, +512.0 KiB").
	Detail string `json:"detail,omitempty"`
	// Modules are the TopModules modules that grew most against the base,
	// or without a base (or a growth in no module) the largest ones; nil
	// when the binary was not analyzed or for init.
	Modules []ModuleFigure `json:"modules,omitempty"`
	// ModulesBy says how Modules were picked: "growth" or "size".
	ModulesBy string `json:"modulesBy,omitempty"`
	// Pos is where the function is defined in the manifest.
	Pos manifest.Pos `json:"-"`
}

// ModuleFigure is a module a breach names.
type ModuleFigure struct {
	Path string `json:"path"`
	// Size is the module's share of the binary now.
	Size uint64 `json:"size"`
	// Delta is its change against the base (0 without a base).
	Delta int64 `json:"delta"`
}

// String is the module as a breach names it: "std +1.2 MiB" (by growth)
// or "std 1.8 MiB" (by size).
func (m ModuleFigure) String() string {
	if m.Delta != 0 {
		return m.Path + " " + signed(m.Delta)
	}
	return m.Path + " " + binsize.HumanSize(int64(m.Size))
}

// Message is the breach in one line, without the function's name:
// "zip grew 34.1% (2.9 MiB → 3.9 MiB, +1.0 MiB), over budget.growth 10%;
// grew most: std +980.1 KiB, ...".
func (b Breach) Message() string {
	var s strings.Builder
	switch b.Budget {
	case BudgetZip:
		fmt.Fprintf(&s, "zip is %s, over budget.zip %s", b.Actual, b.Limit)
	case BudgetGrowth:
		fmt.Fprintf(&s, "zip grew %s", b.Actual)
		if b.Detail != "" {
			fmt.Fprintf(&s, " (%s)", b.Detail)
		}
		fmt.Fprintf(&s, ", over budget.growth %s", b.Limit)
	case BudgetInit:
		fmt.Fprintf(&s, "init takes %s", b.Actual)
		if b.Detail != "" {
			fmt.Fprintf(&s, " (%s)", b.Detail)
		}
		fmt.Fprintf(&s, ", over budget.init %s", b.Limit)
	default:
		fmt.Fprintf(&s, "%s %s over %s", b.Budget, b.Actual, b.Limit)
	}
	if len(b.Modules) > 0 {
		label := "largest modules"
		if b.ModulesBy == "growth" {
			label = "grew most"
		}
		fmt.Fprintf(&s, "; %s: %s", label, joinModules(b.Modules))
	}
	return s.String()
}

// Err is the breach as a failure of its function: "mailer: budget: ...".
func (b Breach) Err() error { return failure.Errorf(b.Function, "budget", "%s", b.Message()) }

func joinModules(ms []ModuleFigure) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.String()
	}
	return strings.Join(parts, ", ")
}

// Check returns the budgets s's function is over, in the order zip,
// growth, init. Growth is the zip's growth against s.Base in percent of
// the base's size; init is the median Init Duration of s.Init.
func Check(s Subject) []Breach {
	b := s.Function.Budget
	var out []Breach
	add := func(br Breach) {
		br.Function, br.Pos = s.Function.Name, s.Function.Pos
		br.Modules, br.ModulesBy = topModules(s.Head, s.Base, br.Budget)
		out = append(out, br)
	}
	if s.Head == nil {
		return nil
	}
	if b.Zip > 0 && s.Head.Zip > b.Zip {
		add(Breach{Budget: BudgetZip, Limit: binsize.HumanSize(b.Zip), Actual: binsize.HumanSize(s.Head.Zip),
			Detail: fmt.Sprintf("%d bytes, budget %d", s.Head.Zip, b.Zip)})
	}
	if b.Growth != nil && s.Base != nil && s.Base.Zip > 0 {
		delta := s.Head.Zip - s.Base.Zip
		pct := 100 * float64(delta) / float64(s.Base.Zip)
		if pct > *b.Growth {
			add(Breach{Budget: BudgetGrowth, Limit: Percent(*b.Growth), Actual: fmt.Sprintf("%.1f%%", pct),
				Detail: fmt.Sprintf("%s → %s, %s", binsize.HumanSize(s.Base.Zip), binsize.HumanSize(s.Head.Zip), signed(delta))})
		}
	}
	if b.Init > 0 && s.Init != nil && s.Init.Median > b.Init {
		add(Breach{Budget: BudgetInit, Limit: b.Init.String(), Actual: roundMs(s.Init.Median).String(),
			Detail: fmt.Sprintf("median of %d cold starts, p90 %s", s.Init.Runs, roundMs(s.Init.P90))})
	}
	return out
}

// topModules names the modules a breach points at: those that grew most
// against the base, or the largest without a base (or when none grew);
// none for init, or without the head's breakdown.
func topModules(head, base *Measure, budget string) ([]ModuleFigure, string) {
	if head == nil || head.Report == nil {
		return nil, ""
	}
	if base != nil && base.Report != nil {
		d := binsize.Diff(base.Report, head.Report)
		var out []ModuleFigure
		for _, c := range d.TopGrowth(TopModules) {
			out = append(out, ModuleFigure{Path: c.Path, Size: c.Head, Delta: c.Delta})
		}
		if len(out) > 0 {
			return out, "growth"
		}
	}
	if budget == BudgetInit {
		return nil, ""
	}
	mods := slices.Clone(head.Report.Modules)
	slices.SortStableFunc(mods, func(a, b binsize.Module) int { return cmp.Compare(b.Total, a.Total) })
	var out []ModuleFigure
	for _, m := range mods[:min(TopModules, len(mods))] {
		out = append(out, ModuleFigure{Path: m.Path, Size: m.Total})
	}
	return out, "size"
}

// Percent formats a growth budget as written: "10%", "2.5%".
func Percent(p float64) string { return strconv.FormatFloat(p, 'f', -1, 64) + "%" }

func signed(n int64) string {
	if n > 0 {
		return "+" + binsize.HumanSize(n)
	}
	return binsize.HumanSize(n)
}

func roundMs(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }

// WriteSummary writes the breaches as a Markdown section for a GitHub
// Actions job summary: a heading, a line, and a table of function,
// budget, limit, figure and the modules named.
func WriteSummary(w io.Writer, title string, breaches []Breach) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "## %s\n\n", ghactions.Cell(title))
	if len(breaches) == 0 {
		b.WriteString("Every function is within its budgets.\n\n")
		_, err := w.Write(b.Bytes())
		return err
	}
	fns := map[string]bool{}
	for _, br := range breaches {
		fns[br.Function] = true
	}
	fmt.Fprintf(&b, "%d over budget: %d %s.\n\n", len(breaches), len(fns), plural(len(fns), "function"))
	b.WriteString("| Function | Budget | Limit | Actual | Modules |\n|---|---|---|---|---|\n")
	for _, br := range breaches {
		actual := br.Actual
		if br.Detail != "" {
			actual += " (" + br.Detail + ")"
		}
		mods := ""
		if len(br.Modules) > 0 {
			label := "largest: "
			if br.ModulesBy == "growth" {
				label = "grew most: "
			}
			mods = label + joinModules(br.Modules)
		}
		fmt.Fprintf(&b, "| %s | budget.%s | %s | %s | %s |\n", ghactions.Cell(br.Function), br.Budget, ghactions.Cell(br.Limit), ghactions.Cell(actual), ghactions.Cell(mods))
	}
	b.WriteString("\n")
	_, err := w.Write(b.Bytes())
	return err
}

func plural(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}
