package ghactions

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestFromEnv(t *testing.T) {
	env := map[string]string{
		"GITHUB_ACTIONS":      "true",
		"GITHUB_OUTPUT":       "/o",
		"GITHUB_STEP_SUMMARY": "/s",
		"GITHUB_WORKSPACE":    "/w",
	}
	got := FromEnv(func(k string) string { return env[k] })
	want := Env{Enabled: true, Output: "/o", Summary: "/s", Workspace: "/w"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FromEnv mismatch (-want +got):\n%s", diff)
	}
	env["GITHUB_ACTIONS"] = "1"
	if FromEnv(func(k string) string { return env[k] }).Enabled {
		t.Error("GITHUB_ACTIONS=1 enabled; only \"true\" should")
	}
}

func TestWriteOutputsRoundTrip(t *testing.T) {
	outs := []Output{
		{Name: "functions", Value: `["api","billing"]`},
		{Name: "count", Value: "2"},
		{Name: "empty", Value: ""},
		{Name: "multi-line_1", Value: "a\nb\n\nc"},
		{Name: "tricky", Value: "x=y<<EOF\nEOF\nghadelimiter_"},
	}
	var buf bytes.Buffer
	if err := WriteOutputs(&buf, outs); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(buf.String(), "\n") {
		if strings.HasPrefix(line, "count") && !strings.HasPrefix(line, "count<<ghadelimiter_") {
			t.Errorf("count line %q: want the heredoc form", line)
		}
	}
	got, err := ParseOutputs(buf.String())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, o := range outs {
		want[o.Name] = o.Value
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s\nfile:\n%s", diff, buf.String())
	}
}

func TestWriteOutputsBadName(t *testing.T) {
	for _, name := range []string{"", "a b", "a=b", "a<<b", "1abc", "-x", "a\nb", "é"} {
		var buf bytes.Buffer
		if err := WriteOutputs(&buf, []Output{{Name: "ok", Value: "1"}, {Name: name, Value: "v"}}); err == nil {
			t.Errorf("WriteOutputs(name %q) succeeded", name)
		}
		if buf.Len() != 0 {
			t.Errorf("WriteOutputs(name %q) wrote %q before failing; want nothing", name, buf.String())
		}
	}
}

func TestParseOutputs(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]string
		wantErr bool
	}{
		{name: "simple", in: "a=1\nb=x=y\n", want: map[string]string{"a": "1", "b": "x=y"}},
		{name: "heredoc", in: "a<<EOF\nl1\nl2\nEOF\nb=2\n", want: map[string]string{"a": "l1\nl2", "b": "2"}},
		{name: "crlf", in: "a<<E\r\nv\r\nE\r\n", want: map[string]string{"a": "v\r"}},
		{name: "later wins", in: "a=1\na=2\n", want: map[string]string{"a": "2"}},
		{name: "unterminated", in: "a<<EOF\nv\n", wantErr: true},
		{name: "no equals", in: "junk\n", wantErr: true},
		{name: "empty name", in: "=v\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseOutputs(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseOutputs error = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil {
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("mismatch (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func FuzzOutputs(f *testing.F) {
	f.Add("functions", "[\"a\"]")
	f.Add("x", "line1\nline2")
	f.Add("y", "")
	f.Fuzz(func(t *testing.T, name, value string) {
		if strings.Contains(value, "\r") {
			return // the runner, like ParseOutputs, drops \r before line ends
		}
		var buf bytes.Buffer
		if err := WriteOutputs(&buf, []Output{{Name: name, Value: value}}); err != nil {
			return
		}
		got, err := ParseOutputs(buf.String())
		if err != nil {
			t.Fatalf("ParseOutputs(WriteOutputs(%q, %q)): %v", name, value, err)
		}
		if got[name] != value || len(got) != 1 {
			t.Fatalf("round trip of %q=%q gave %q", name, value, got)
		}
	})
}

func TestAppendFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "out")
	for _, v := range []string{"1", "2"} {
		if err := AppendFile(p, func(w io.Writer) error {
			return WriteOutputs(w, []Output{{Name: "n" + v, Value: v}})
		}); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseOutputs(string(data))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"n1": "1", "n2": "2"}, got); diff != "" {
		t.Errorf("appended outputs mismatch (-want +got):\n%s", diff)
	}
	if err := AppendFile(filepath.Join(t.TempDir(), "no", "such", "dir"), func(io.Writer) error { return nil }); err == nil {
		t.Error("AppendFile into a missing directory succeeded")
	}
}

func TestAnnotationString(t *testing.T) {
	tests := []struct {
		name string
		a    Annotation
		want string
	}{
		{"full", Annotation{Level: Error, File: "lamb.yaml", Line: 3, Col: 5, Message: "unknown field"}, "::error file=lamb.yaml,line=3,col=5::unknown field"},
		{"default level", Annotation{Message: "boom"}, "::error::boom"},
		{"warning no col", Annotation{Level: Warning, File: "a.go", Line: 7, Message: "w"}, "::warning file=a.go,line=7::w"},
		{"col without line dropped", Annotation{File: "a.go", Col: 7, Message: "m"}, "::error file=a.go::m"},
		{"title", Annotation{Level: Notice, Title: "lamb: plan", Message: "x"}, "::notice title=lamb%3A plan::x"},
		{"escape message", Annotation{Message: "100% bad\r\nnext: a,b"}, "::error::100%25 bad%0D%0Anext: a,b"},
		{"escape property", Annotation{File: "dir,x/a:b%.go", Line: 1, Message: "m"}, "::error file=dir%2Cx/a%3Ab%25.go,line=1::m"},
		{"injection", Annotation{Message: "x\n::set-output name=a::b"}, "::error::x%0A::set-output name=a::b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.a.String()); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if strings.ContainsAny(tt.a.String(), "\r\n") {
				t.Error("annotation spans lines")
			}
		})
	}
}

func TestWriteAnnotations(t *testing.T) {
	var buf bytes.Buffer
	as := []Annotation{Errorf("lamb.yaml", 2, 0, "bad %s", "x"), {Level: Warning, Message: "w"}}
	if err := WriteAnnotations(&buf, as); err != nil {
		t.Fatal(err)
	}
	want := "::error file=lamb.yaml,line=2::bad x\n::warning::w\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestCompilerAnnotations(t *testing.T) {
	out := "# example.com/mono/functions/api\n" +
		"functions/api/main.go:12:2: undefined: foo\n" +
		"./helper.go:3: syntax error: unexpected }\n" +
		"\thave (int)\n" +
		"\twant (string)\n" +
		"/ws/internal/auth/auth.go:9:1: missing return\n" +
		"/elsewhere/x.go:1:1: outside\n" +
		"note: module requires Go 1.30\n" +
		"go: some failure: with colons\n"
	got := CompilerAnnotations(out, "/ws/sub", "/ws")
	want := []Annotation{
		{Level: Error, File: "sub/functions/api/main.go", Line: 12, Col: 2, Message: "undefined: foo"},
		{Level: Error, File: "sub/helper.go", Line: 3, Message: "syntax error: unexpected }\nhave (int)\nwant (string)"},
		{Level: Error, File: "internal/auth/auth.go", Line: 9, Col: 1, Message: "missing return"},
		{Level: Error, File: "/elsewhere/x.go", Line: 1, Col: 1, Message: "outside"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	rel := CompilerAnnotations("main.go:1:1: x\n", "functions/api", "")
	if len(rel) != 1 || rel[0].File != "functions/api/main.go" {
		t.Errorf("relative dir: got %+v", rel)
	}
}

func FuzzCompilerAnnotations(f *testing.F) {
	f.Add("a.go:1:2: msg\n\tmore\n")
	f.Add("# pkg\nx")
	f.Fuzz(func(t *testing.T, s string) {
		for _, a := range CompilerAnnotations(s, "d", "/w") {
			if a.Line <= 0 || a.Col < 0 || a.File == "" || a.Message == "" {
				t.Fatalf("bad annotation %+v from %q", a, s)
			}
			if strings.ContainsAny(a.String(), "\r\n") {
				t.Fatalf("annotation spans lines: %q", a.String())
			}
		}
	})
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

func TestSummaries(t *testing.T) {
	var buf bytes.Buffer
	plan := []PlanRow{
		{Function: "prod-api", Action: "update code + config", Changed: true, Code: true, Config: []string{"memory: 128 → 256", "environment.TOKEN changed"}, Reasons: []string{"internal/auth/auth.go changed"}},
		{Function: "prod-billing_v2", Action: "create", Changed: true, Code: true, Reasons: []string{"new function"}},
		{Function: "prod-cron", Action: "no change"},
		{Function: "odd|name*", Action: "update config", Changed: true, Config: []string{"description: <a>\nb"}},
	}
	if err := WritePlanSummary(&buf, "lamb plan (prod)", plan); err != nil {
		t.Fatal(err)
	}
	if err := WritePlanSummary(&buf, "lamb plan", nil); err != nil {
		t.Fatal(err)
	}
	results := []ResultRow{
		{Function: "prod-api", Outcome: "updated", Version: "7", Duration: 1234 * time.Millisecond},
		{Function: "prod-billing_v2", Outcome: "created", Version: "1", Duration: 850 * time.Millisecond},
		{Function: "prod-cron", Outcome: "unchanged", Version: "3"},
		{Function: "prod-events", Outcome: "failed", Duration: 61 * time.Second, Error: "UpdateFunctionCode: ResourceConflictException | 409"},
	}
	if err := WriteDeploySummary(&buf, "lamb deploy", results, 2*time.Minute+3500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := WriteDeploySummary(&buf, "lamb deploy", nil, 0); err != nil {
		t.Fatal(err)
	}
	if err := WriteFunctionsSummary(&buf, "lamb affected", []string{"prod-api", "prod-billing_v2"}); err != nil {
		t.Fatal(err)
	}
	if err := WriteFunctionsSummary(&buf, "lamb affected", nil); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary.md", buf.Bytes())
}

func TestPlanSummaryLimits(t *testing.T) {
	var rows []PlanRow
	for i := range 200 {
		r := PlanRow{Function: fmt.Sprintf("fn-%03d", i), Action: "no change"}
		if i%50 == 0 {
			r.Action, r.Changed, r.Code = "update code", true, true
			for j := range 12 {
				r.Reasons = append(r.Reasons, fmt.Sprintf("file%d.go changed", j))
			}
		}
		rows = append(rows, r)
	}
	var buf bytes.Buffer
	if err := WritePlanSummary(&buf, "lamb plan", rows); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	for _, want := range []string{
		"4 of 200 functions change.",
		"| fn-050 | update code | yes |  | file0.go changed<br>",
		"file9.go changed<br>… and 2 more |",
		"196 functions without changes not listed.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "fn-001") {
		t.Error("an unchanged function is listed in a large plan")
	}

	// Far beyond the size limit: rows are counted, not listed.
	rows = rows[:0]
	long := strings.Repeat("x", 1000)
	for i := range 2000 {
		rows = append(rows, PlanRow{Function: fmt.Sprintf("fn-%04d", i), Action: "create", Changed: true, Reasons: []string{long}})
	}
	buf.Reset()
	if err := WritePlanSummary(&buf, "lamb plan", rows); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > MaxSummaryBytes+4096 {
		t.Errorf("summary is %d bytes, want at most about %d", buf.Len(), MaxSummaryBytes)
	}
	if !strings.Contains(buf.String(), "more not listed (GitHub limits a step summary to 1 MiB).") {
		t.Error("no note about the rows left out")
	}
	results := make([]ResultRow, 3000)
	for i := range results {
		results[i] = ResultRow{Function: long, Outcome: "created"}
	}
	buf.Reset()
	if err := WriteDeploySummary(&buf, "lamb deploy", results, time.Second); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > MaxSummaryBytes+4096 || !strings.Contains(buf.String(), "more not listed") {
		t.Errorf("deploy summary of %d bytes without the size limit note", buf.Len())
	}
}
