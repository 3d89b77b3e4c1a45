package sizes

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/internal/binsize"
	"github.com/lambctl/lamb/internal/failure"
	"github.com/lambctl/lamb/manifest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func pct(p float64) *float64 { return &p }

// report is a binary of the modules given as path → total size.
func report(mods ...any) *binsize.Report {
	r := &binsize.Report{}
	for i := 0; i < len(mods); i += 2 {
		m := binsize.Module{Path: mods[i].(string)}
		m.Total = uint64(mods[i+1].(int))
		r.Modules = append(r.Modules, m)
		r.FileSize += m.Total
		r.Attributed += m.Total
	}
	return r
}

func TestCheck(t *testing.T) {
	t.Parallel()
	fn := func(b manifest.Budget) manifest.Function {
		return manifest.Function{Name: "mailer", Budget: b, Pos: manifest.Pos{File: "lamb.yaml", Line: 3, Col: 5}}
	}
	head := &Measure{Function: "mailer", Zip: 3_000_000, Report: report("std", 5_000_000, "example.com/shop", 4_000, "example.com/money", 1_500, "github.com/aws/aws-lambda-go", 88_000)}
	base := &Measure{Function: "mailer", Zip: 2_500_000, Report: report("std", 4_400_000, "example.com/shop", 3_000, "github.com/aws/aws-lambda-go", 90_000)}
	unanalyzed := &Measure{Function: "mailer", Zip: 3_000_000}
	grew := []ModuleFigure{{"std", 5_000_000, 600_000}, {"example.com/money", 1_500, 1_500}, {"example.com/shop", 4_000, 1_000}}
	largest := []ModuleFigure{{"std", 5_000_000, 0}, {"github.com/aws/aws-lambda-go", 88_000, 0}, {"example.com/shop", 4_000, 0}}
	pos := manifest.Pos{File: "lamb.yaml", Line: 3, Col: 5}
	init := &InitStats{Runs: 5, Median: 120 * time.Millisecond, P90: 150 * time.Millisecond}

	tests := []struct {
		name     string
		s        Subject
		want     []Breach
		messages []string
	}{
		{name: "no budget", s: Subject{Function: fn(manifest.Budget{}), Head: head, Base: base, Init: init}},
		{name: "within every budget", s: Subject{Function: fn(manifest.Budget{Zip: 3_000_000, Growth: pct(20), Init: 120 * time.Millisecond}), Head: head, Base: base, Init: init}},
		{
			name: "zip over, no base: the largest modules",
			s:    Subject{Function: fn(manifest.Budget{Zip: 2 << 20}), Head: head},
			want: []Breach{{Function: "mailer", Budget: BudgetZip, Limit: "2.0 MiB", Actual: "2.9 MiB", Detail: "3000000 bytes, budget 2097152", Modules: largest, ModulesBy: "size", Pos: pos}},
			messages: []string{
				"mailer: budget: zip is 2.9 MiB, over budget.zip 2.0 MiB; largest modules: std 4.8 MiB, github.com/aws/aws-lambda-go 85.9 KiB, example.com/shop 3.9 KiB",
			},
		},
		{
			name: "growth over: the modules that grew most",
			s:    Subject{Function: fn(manifest.Budget{Growth: pct(10)}), Head: head, Base: base},
			want: []Breach{{Function: "mailer", Budget: BudgetGrowth, Limit: "10%", Actual: "20.0%", Detail: "2.4 MiB → 2.9 MiB, +488.3 KiB", Modules: grew, ModulesBy: "growth", Pos: pos}},
			messages: []string{
				"mailer: budget: zip grew 20.0% (2.4 MiB → 2.9 MiB, +488.3 KiB), over budget.growth 10%; grew most: std +585.9 KiB, example.com/money +1.5 KiB, example.com/shop +1000 B",
			},
		},
		{
			name: "growth 0% allows none",
			s:    Subject{Function: fn(manifest.Budget{Growth: pct(0)}), Head: &Measure{Zip: 1001}, Base: &Measure{Zip: 1000}},
			want: []Breach{{Function: "mailer", Budget: BudgetGrowth, Limit: "0%", Actual: "0.1%", Detail: "1000 B → 1001 B, +1 B", Pos: pos}},
		},
		{name: "growth 0% and a shrink", s: Subject{Function: fn(manifest.Budget{Growth: pct(0)}), Head: &Measure{Zip: 999}, Base: &Measure{Zip: 1000}}},
		{name: "growth exactly at the budget", s: Subject{Function: fn(manifest.Budget{Growth: pct(20)}), Head: head, Base: base}},
		{name: "growth without a base is not checked", s: Subject{Function: fn(manifest.Budget{Growth: pct(0)}), Head: head}},
		{
			name: "growth over without the breakdown names no module",
			s:    Subject{Function: fn(manifest.Budget{Growth: pct(2.5)}), Head: unanalyzed, Base: &Measure{Zip: 2_500_000}},
			want: []Breach{{Function: "mailer", Budget: BudgetGrowth, Limit: "2.5%", Actual: "20.0%", Detail: "2.4 MiB → 2.9 MiB, +488.3 KiB", Pos: pos}},
		},
		{
			name: "init over: the median",
			s:    Subject{Function: fn(manifest.Budget{Init: 100 * time.Millisecond}), Head: head, Base: base, Init: init},
			want: []Breach{{Function: "mailer", Budget: BudgetInit, Limit: "100ms", Actual: "120ms", Detail: "median of 5 cold starts, p90 150ms", Modules: grew, ModulesBy: "growth", Pos: pos}},
			messages: []string{
				"mailer: budget: init takes 120ms (median of 5 cold starts, p90 150ms), over budget.init 100ms; grew most: std +585.9 KiB, example.com/money +1.5 KiB, example.com/shop +1000 B",
			},
		},
		{name: "init not measured", s: Subject{Function: fn(manifest.Budget{Init: time.Millisecond}), Head: head}},
		{
			name: "all three, in order",
			s:    Subject{Function: fn(manifest.Budget{Zip: 1, Growth: pct(1), Init: time.Millisecond}), Head: unanalyzed, Base: &Measure{Zip: 2_500_000}, Init: init},
			want: []Breach{
				{Function: "mailer", Budget: BudgetZip, Limit: "1 B", Actual: "2.9 MiB", Detail: "3000000 bytes, budget 1", Pos: pos},
				{Function: "mailer", Budget: BudgetGrowth, Limit: "1%", Actual: "20.0%", Detail: "2.4 MiB → 2.9 MiB, +488.3 KiB", Pos: pos},
				{Function: "mailer", Budget: BudgetInit, Limit: "1ms", Actual: "120ms", Detail: "median of 5 cold starts, p90 150ms", Pos: pos},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Check(tt.s)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Check (-want +got):\n%s", diff)
			}
			var msgs []string
			for _, b := range got {
				var fe *failure.Error
				if err := b.Err(); !errors.As(err, &fe) || fe.Function != "mailer" {
					t.Errorf("Err() = %v, not mailer's failure", err)
				}
				msgs = append(msgs, b.Err().Error())
			}
			if tt.messages != nil {
				if diff := cmp.Diff(tt.messages, msgs); diff != "" {
					t.Errorf("messages (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestHasBudget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		b              manifest.Budget
		has, needsBase bool
	}{
		{manifest.Budget{}, false, false},
		{manifest.Budget{Zip: 1}, true, false},
		{manifest.Budget{Growth: pct(0)}, true, true},
		{manifest.Budget{Init: time.Second}, true, false},
	}
	for _, tt := range tests {
		f := manifest.Function{Budget: tt.b}
		if HasBudget(f) != tt.has || NeedsBase(f) != tt.needsBase {
			t.Errorf("%+v: HasBudget %v NeedsBase %v, want %v %v", tt.b, HasBudget(f), NeedsBase(f), tt.has, tt.needsBase)
		}
	}
}

func TestWriteSummary(t *testing.T) {
	t.Parallel()
	breaches := []Breach{
		{Function: "mailer", Budget: BudgetGrowth, Limit: "5%", Actual: "6.7%", Detail: "3.2 MiB → 3.4 MiB, +217.2 KiB",
			Modules: []ModuleFigure{{"std", 7_000_000, 546_816}, {"example.com/money", 1_500, 1_500}}, ModulesBy: "growth"},
		{Function: "odd|name_*", Budget: BudgetZip, Limit: "1.0 MiB", Actual: "2.9 MiB",
			Modules: []ModuleFigure{{"std", 5_000_000, 0}}, ModulesBy: "size"},
		{Function: "mailer", Budget: BudgetInit, Limit: "100ms", Actual: "120ms"},
	}
	var b bytes.Buffer
	if err := WriteSummary(&b, "lamb plan: size budgets", breaches); err != nil {
		t.Fatal(err)
	}
	b.WriteString("---\n")
	if err := WriteSummary(&b, "lamb build: size budgets", nil); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary.md", b.Bytes())
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", p, diff)
	}
}
