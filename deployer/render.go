package deployer

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/lambctl/lamb/manifest"
)

// WriteText writes the plan as a table: one line per function with its
// action, then one line per reason and changed field.
//
//	FUNCTION  ACTION         DETAILS
//	a         update config  memory: 128 → 256
//	                         environment.LOG_LEVEL changed
//	b         no change
//	c         failed         c: get function: AccessDeniedException: ...
//
//	Plan: 0 to create, 1 to update, 1 unchanged, 1 failed.
//
// The adopt, orphaned, create elsewhere and failed counts are left out
// when there are none.
func (p *Plan) WriteText(w io.Writer) error {
	rows := [][]string{{"FUNCTION", "ACTION", "DETAILS"}}
	create, update, adopt, same, failed, orphans, elsewhere := 0, 0, 0, 0, 0, 0, 0
	for _, f := range p.Functions {
		switch f.Action {
		case ActionCreate:
			create++
		case ActionCreateElsewhere:
			elsewhere++
		case ActionUpdate:
			update++
		case ActionAdopt:
			adopt++
		case ActionFailed:
			failed++
		case ActionOrphan:
			orphans++
		default:
			same++
		}
		var details []string
		for _, c := range f.Config {
			details = append(details, c.String())
		}
		details = append(details, f.Reasons...)
		if f.Manage == manifest.ManageCode {
			details = append(details, "configuration managed elsewhere (manage: code)")
		}
		if f.Rollout != "" {
			details = append(details, "rollout: "+f.Rollout)
		}
		if strings.HasPrefix(f.Upload, "s3://") {
			details = append(details, "code uploaded through "+f.Upload)
		}
		switch f.Action {
		case ActionCreate:
			details = details[len(f.Config):]
		case ActionFailed:
			details = strings.Split(f.Error, "\n")
		}
		if len(details) == 0 {
			details = []string{""}
		}
		rows = append(rows, []string{f.Name, f.Label(), details[0]})
		for _, d := range details[1:] {
			rows = append(rows, []string{"", "", d})
		}
	}
	if err := writeTable(w, rows); err != nil {
		return err
	}
	summary := fmt.Sprintf("\nPlan: %d to create, %d to update", create, update)
	if adopt > 0 {
		summary += fmt.Sprintf(", %d to adopt", adopt)
	}
	summary += fmt.Sprintf(", %d unchanged", same)
	if orphans > 0 {
		summary += fmt.Sprintf(", %d orphaned", orphans)
	}
	if elsewhere > 0 {
		summary += fmt.Sprintf(", %d to create elsewhere", elsewhere)
	}
	if failed > 0 {
		summary += fmt.Sprintf(", %d failed", failed)
	}
	_, err := io.WriteString(w, summary+".\n")
	return err
}

// writeTable writes rows as left-aligned columns two spaces apart, with no
// trailing spaces.
func writeTable(w io.Writer, rows [][]string) error {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		var line strings.Builder
		for i, c := range r {
			line.WriteString(c)
			if i < len(r)-1 {
				line.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2))
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// String describes the change in one line: "memory: 128 → 256",
// "environment.TABLE added", "tags.team: core → payments",
// "environment.DB_URL changed (value hidden, ssm:/prod/db/url)".
func (c Change) String() string {
	if c.Ref != "" {
		what := "changed"
		if c.From == "" {
			what = "added"
		}
		return fmt.Sprintf("%s %s (value hidden, %s)", c.Field, what, c.Ref)
	}
	switch {
	case c.From == "" && (c.To == hidden):
		return c.Field + " added"
	case c.To == "" && c.From == hidden:
		return c.Field + " removed"
	case strings.HasPrefix(c.To, hidden):
		return c.Field + " changed"
	}
	return fmt.Sprintf("%s: %s → %s", c.Field, orNone(c.From), orNone(c.To))
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// WriteText writes one line per function that was not left unchanged,
// then the summary line.
func (r *Result) WriteText(w io.Writer) error {
	var rows [][]string
	for _, f := range r.Functions {
		if f.Outcome == Unchanged {
			continue
		}
		detail := ""
		switch {
		case f.Error != "":
			detail = f.Error
		case f.Outcome == Orphaned:
			detail = "not in the manifest: lamb deploy --prune deletes it"
		case f.Outcome == Deleted:
			detail = "not in the manifest: deleted with its versions and aliases"
		case f.Version != "":
			detail = "version " + f.Version + f.Rollout.note()
		}
		if f.Pruned > 0 {
			detail += " (" + plural(f.Pruned, "old version", "old versions") + " deleted)"
		}
		lines := strings.Split(strings.TrimSpace(detail), "\n")
		rows = append(rows, []string{f.Name, string(f.Outcome), lines[0]})
		for _, l := range lines[1:] {
			rows = append(rows, []string{"", "", l})
		}
	}
	if err := writeTable(w, rows); err != nil {
		return err
	}
	if len(rows) == 0 {
		if _, err := fmt.Fprintln(w, "nothing changed"); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintln(w, r.Summary())
	return err
}

// note is what a successful rollout adds to its function's result line:
// " (rolled out 10% → 50% → 100%)", " (--no-rollout: all traffic at
// once)"; "" for none.
func (r *RolloutResult) note() string {
	switch {
	case r == nil || r.Gate != "":
		return ""
	case r.Skipped == "alias already on the version":
		return ""
	case r.Skipped != "":
		return " (" + r.Skipped + ": all traffic at once)"
	}
	steps := make([]string, len(r.Steps))
	for i, s := range r.Steps {
		steps[i] = fmt.Sprintf("%d%%", s.Percent)
	}
	resumed := ""
	if r.Resumed > 0 {
		resumed = fmt.Sprintf("resumed at %d%%, ", r.Resumed)
	}
	return " (" + resumed + "rolled out " + strings.Join(steps, " → ") + ")"
}

// plural is "1 thing" or "N things".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
