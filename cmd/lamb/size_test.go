package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/internal/binsize"
	"github.com/lambctl/lamb/internal/failure"
	"github.com/lambctl/lamb/internal/sizes"
	"github.com/lambctl/lamb/manifest"
)

var updateSize = flag.Bool("update-size", false, "rewrite testdata/size-*.golden")

func TestZipChange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		base, head int64
		want       string
	}{
		{1000, 1000, "0 B"},
		{1 << 20, 1<<20 + 100<<10, "+100.0 KiB (+9.8%)"},
		{2 << 20, 1 << 20, "-1.0 MiB (-50.0%)"},
		{0, 2048, "+2.0 KiB"},
	}
	for _, tt := range tests {
		if got := zipChange(tt.base, tt.head); got != tt.want {
			t.Errorf("zipChange(%d, %d) = %q, want %q", tt.base, tt.head, got, tt.want)
		}
	}
}

func sizeReport(name string, mods ...any) *binsize.Report {
	r := &binsize.Report{Name: name, GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "arm64", MainModule: "example.com/shop"}
	for i := 0; i < len(mods); i += 2 {
		m := binsize.Module{Path: mods[i].(string)}
		m.Total = uint64(mods[i+1].(int))
		m.Text = m.Total / 2
		m.FuncInfo = m.Total - m.Text
		m.Packages = []binsize.Package{{Path: m.Path + "/pkg", Sizes: m.Sizes}}
		r.Modules = append(r.Modules, m)
		r.Attributed += m.Total
	}
	r.FileSize = r.Attributed + 50_000
	r.Unattributed = []binsize.Unattributed{{Section: ".rodata", What: "string data", Size: 50_000}}
	return r
}

// sizeResultSample is what `lamb size --since --init` renders: a function
// that grew, one new since the base, one that could not be sized at the
// base.
func sizeResultSample() sizeResult {
	baseMailer := &sizes.Measure{Function: "mailer", Architecture: "arm64", Zip: 3_000_000, Binary: 7_000_000,
		Report: sizeReport("mailer", "std", 6_000_000, "github.com/aws/aws-lambda-go", 90_000, "example.com/shop", 4_000)}
	mailer := &sizes.Measure{Function: "mailer", Architecture: "arm64", Zip: 3_200_000, Binary: 7_500_000,
		Report: sizeReport("mailer", "std", 6_500_000, "github.com/aws/aws-lambda-go", 90_000, "example.com/shop", 5_000, "example.com/money", 1_500)}
	d := binsize.Diff(baseMailer.Report, mailer.Report)
	return sizeResult{
		Base: "0123456789abcdef0123456789abcdef01234567",
		Functions: []sizeFunction{
			{Measure: mailer, Base: baseMailer, Delta: &d, Init: &sizes.InitStats{Runs: 5, Median: 12_345 * time.Microsecond, P90: 15 * time.Millisecond, MaxMemoryMB: 21}},
			{Measure: &sizes.Measure{Function: "fresh", Architecture: "x86_64", Zip: 2_000_000, Binary: 5_000_000, Report: sizeReport("fresh", "std", 4_900_000)}, New: true},
			{Measure: &sizes.Measure{Function: "broken-at-base", Architecture: "arm64", Zip: 100, Binary: 200, Report: sizeReport("broken-at-base", "std", 150)}},
		},
		InitArch: "x86_64",
	}
}

func TestWriteSizeText(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := writeSizeText(&b, sizeResultSample(), sizeOptions{Runs: 5, Modules: 8, Packages: 3}); err != nil {
		t.Fatal(err)
	}
	sizeGolden(t, "size-text.golden", b.Bytes())

	b.Reset()
	if err := writeSizeText(&b, sizeResult{}, sizeOptions{}); err != nil || b.Len() != 0 {
		t.Errorf("no functions: %q, %v; want nothing", b.String(), err)
	}
}

func TestWriteAligned(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	rows := [][]string{{"NAME", "KIND", "SIZE"}, {"a", "long kind", "1 B"}, {"ümlaut", "k", "10.0 KiB"}}
	if err := writeAligned(&b, rows, 2); err != nil {
		t.Fatal(err)
	}
	want := "NAME    KIND           SIZE\n" +
		"a       long kind       1 B\n" +
		"ümlaut  k          10.0 KiB\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestReportBreaches(t *testing.T) {
	t.Parallel()
	workspace := t.TempDir()
	summary := filepath.Join(workspace, "summary.md")
	breaches := []sizes.Breach{{
		Function: "mailer", Budget: sizes.BudgetGrowth, Limit: "5%", Actual: "6.7%", Detail: "3.2 MiB → 3.4 MiB, +217.1 KiB",
		Modules: []sizes.ModuleFigure{{Path: "std", Size: 7_000_000, Delta: 546_816}, {Path: "example.com/money", Size: 1_500, Delta: 1_500}}, ModulesBy: "growth",
		Pos: manifest.Pos{File: filepath.Join(workspace, "repo", "lamb.yaml"), Line: 46, Col: 11},
	}}
	tests := []struct {
		name       string
		env        map[string]string
		wantStderr string
		wantSum    bool
	}{
		{name: "outside GitHub Actions", env: map[string]string{"GITHUB_STEP_SUMMARY": summary, "GITHUB_WORKSPACE": workspace}},
		{
			name:       "in GitHub Actions",
			env:        map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary, "GITHUB_WORKSPACE": workspace},
			wantStderr: "::error file=repo/lamb.yaml,line=46,col=11,title=lamb%3A mailer is over budget.growth::zip grew 6.7%25 (3.2 MiB → 3.4 MiB, +217.1 KiB), over budget.growth 5%25; grew most: std +534.0 KiB, example.com/money +1.5 KiB\n",
			wantSum:    true,
		},
	}
	for _, tt := range tests { // sequential: they share the summary file
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(summary)
			var stderr bytes.Buffer
			g := withStderr(tt.env, &stderr)
			g.wd = workspace
			err := reportBreaches(g, nil, "lamb plan", breaches)
			if diff := cmp.Diff([]string{"lamb: mailer: budget: zip grew 6.7% (3.2 MiB → 3.4 MiB, +217.1 KiB), over budget.growth 5%; grew most: std +534.0 KiB, example.com/money +1.5 KiB"}, failure.Lines("lamb: ", err)); diff != "" {
				t.Errorf("error lines (-want +got):\n%s", diff)
			}
			if fn, ok := failure.FunctionOf(err); !ok || fn != "mailer" {
				t.Errorf("error %v is not mailer's failure", err)
			}
			if diff := cmp.Diff(tt.wantStderr, stderr.String()); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
			data, _ := os.ReadFile(summary)
			if got := strings.Contains(string(data), "## lamb plan: size budgets\n"); got != tt.wantSum {
				t.Errorf("summary %q: has the budgets section %v, want %v", data, got, tt.wantSum)
			}
			if tt.wantSum && !strings.Contains(string(data), "| mailer | budget.growth | 5% | 6.7% (3.2 MiB → 3.4 MiB, +217.1 KiB) | grew most: std +534.0 KiB, example.com/money +1.5 KiB |\n") {
				t.Errorf("summary has no row for mailer:\n%s", data)
			}
		})
	}
	if err := reportBreaches(withEnv(nil), nil, "lamb build", nil); err != nil {
		t.Errorf("no breaches: %v", err)
	}
}

func TestLinePrefixer(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	p := &linePrefixer{w: &b, prefix: "base 0123: "}
	for _, s := range []string{"go build", " (linux/arm64)\nmailer: do", "ne\n", "", "last"} {
		if n, err := p.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	p.flush()
	want := "base 0123: go build (linux/arm64)\nbase 0123: mailer: done\nbase 0123: last\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	var nilP *linePrefixer
	if nilP.writer() != nil {
		t.Error("a nil prefixer's writer is not nil")
	}
	nilP.flush()
}

func sizeGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *updateSize {
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
