package ghactions

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
)

// Limits that keep a summary readable and under GitHub's 1 MiB per step.
const (
	// MaxListedUnchanged: plans of more functions list only the changes.
	MaxListedUnchanged = 50
	// MaxSummaryBytes: rows beyond this size are counted, not listed.
	MaxSummaryBytes = 512 << 10
	// maxCellItems bounds the configuration changes or reasons in a cell.
	maxCellItems = 10
)

// PlanRow is one function of a plan in the summary. Config must already
// be redacted: the summary is visible to everyone who can read the run.
type PlanRow struct {
	Function string
	Action   string // as shown: "create", "update code + config", "no change"
	Changed  bool   // the deploy would change something
	Code     bool   // the code changes
	Config   []string
	Reasons  []string
}

// ResultRow is one function of a deploy in the summary.
type ResultRow struct {
	Function string
	Outcome  string // created, updated, unchanged, failed
	Version  string
	Duration time.Duration
	Error    string
}

// RolloutRow is one function's rollout in a deploy summary.
type RolloutRow struct {
	Function string
	From, To string
	// Steps are the traffic percentages reached, with the new version's
	// errors at each ("10% (0 errors)").
	Steps []string
	// Result is "100%", "rolled back at 10%: errors 3 > 0", "skipped:
	// --no-rollout".
	Result string
}

// WriteRolloutSummary writes a Markdown table of the rollouts of a
// deploy; nothing when there were none.
func WriteRolloutSummary(w io.Writer, title string, rows []RolloutRow) error {
	if len(rows) == 0 {
		return nil
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "### %s\n\n", cell(title))
	b.WriteString("| Function | Versions | Steps | Result |\n")
	b.WriteString("|---|---|---|---|\n")
	for _, r := range rows {
		versions := cell(r.To)
		if r.From != "" {
			versions = cell(r.From) + " → " + cell(r.To)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", cell(r.Function), versions, cells(r.Steps), cell(r.Result))
	}
	b.WriteString("\n")
	_, err := w.Write(b.Bytes())
	return err
}

// WritePlanSummary writes a Markdown section with a table of the plan:
// function, action, code, configuration changes and reasons, in rows order.
func WritePlanSummary(w io.Writer, title string, rows []PlanRow) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "## %s\n\n", cell(title))
	changes := 0
	for _, r := range rows {
		if r.Changed {
			changes++
		}
	}
	if len(rows) == 0 {
		b.WriteString("No functions selected.\n\n")
		_, err := w.Write(b.Bytes())
		return err
	}
	fmt.Fprintf(&b, "%d of %s change.\n\n", changes, plural(len(rows), "function"))
	// Large plans list only what changes.
	hideUnchanged := len(rows) > MaxListedUnchanged
	if hideUnchanged && changes == 0 {
		_, err := w.Write(b.Bytes())
		return err
	}
	b.WriteString("| Function | Action | Code | Configuration | Reasons |\n")
	b.WriteString("|---|---|---|---|---|\n")
	omitted := 0
	for _, r := range rows {
		if hideUnchanged && !r.Changed {
			continue
		}
		if b.Len() > MaxSummaryBytes {
			omitted++
			continue
		}
		code := ""
		if r.Code {
			code = "yes"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n",
			cell(r.Function), cell(r.Action), code, cells(r.Config), cells(r.Reasons))
	}
	b.WriteString("\n")
	if hideUnchanged {
		fmt.Fprintf(&b, "%s without changes not listed.\n\n", plural(len(rows)-changes, "function"))
	}
	if omitted > 0 {
		fmt.Fprintf(&b, "%d more not listed (GitHub limits a step summary to 1 MiB).\n\n", omitted)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// WriteDeploySummary writes a Markdown section with a table of a deploy's
// results and their timings, and the total wall time.
func WriteDeploySummary(w io.Writer, title string, rows []ResultRow, total time.Duration) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "## %s\n\n", cell(title))
	counts := map[string]int{}
	var order []string
	for _, r := range rows {
		if counts[r.Outcome] == 0 {
			order = append(order, r.Outcome)
		}
		counts[r.Outcome]++
	}
	var parts []string
	for _, o := range order {
		parts = append(parts, fmt.Sprintf("%d %s", counts[o], cell(o)))
	}
	if len(parts) == 0 {
		parts = append(parts, "nothing to deploy")
	}
	b.WriteString(strings.Join(parts, ", "))
	if total > 0 {
		fmt.Fprintf(&b, " in %s", duration(total))
	}
	b.WriteString(".\n\n")
	if len(rows) > 0 {
		b.WriteString("| Function | Outcome | Version | Time | Error |\n")
		b.WriteString("|---|---|---|---:|---|\n")
		omitted := 0
		for _, r := range rows {
			if b.Len() > MaxSummaryBytes {
				omitted++
				continue
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n",
				cell(r.Function), cell(r.Outcome), cell(r.Version), duration(r.Duration), cell(r.Error))
		}
		b.WriteString("\n")
		if omitted > 0 {
			fmt.Fprintf(&b, "%d more not listed (GitHub limits a step summary to 1 MiB).\n\n", omitted)
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// WriteFunctionsSummary writes a Markdown section listing function names
// (for affected): a bullet list, or a note when there are none.
func WriteFunctionsSummary(w io.Writer, title string, names []string) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "## %s\n\n", cell(title))
	if len(names) == 0 {
		b.WriteString("No functions affected.\n\n")
	} else {
		fmt.Fprintf(&b, "%s:\n\n", plural(len(names), "function"))
		for _, n := range names {
			fmt.Fprintf(&b, "- %s\n", cell(n))
		}
		b.WriteString("\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}

// duration rounds d for people: 850ms, 1.2s, 1m3s; "-" when unknown.
func duration(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// cellEscaper backslash-escapes the ASCII punctuation that Markdown or a
// table cell would interpret, so names and messages render as written.
var cellEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", `\<`, ">", `\>`, "|", `\|`, "~", `\~`, "&", `\&`, "#", `\#`, "!", `\!`,
	"\r\n", " ", "\n", " ", "\r", " ",
)

func cell(s string) string { return cellEscaper.Replace(s) }

// Cell escapes s for a Markdown table cell of a job summary: the one
// escaping every summary uses (and the form redaction must recognise).
func Cell(s string) string { return cell(s) }

// cells joins several values in one cell, one a line, at most
// maxCellItems of them.
func cells(ss []string) string {
	var out []string
	for i, s := range ss {
		if i == maxCellItems {
			out = append(out, fmt.Sprintf("… and %d more", len(ss)-i))
			break
		}
		out = append(out, cell(s))
	}
	return strings.Join(out, "<br>")
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
