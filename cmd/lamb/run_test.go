package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-multierror"

	"github.com/lambctl/lamb/internal/failure"
)

// lambRun runs lamb in-process with its own streams and environment: runs
// can go in parallel.
func lambRun(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, proc{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }})
	return code, out.String(), errb.String()
}

// TestExitCodesFromTypes: usage errors exit 2 whatever cobra's message
// says, and every failure is one "lamb: " line.
func TestExitCodesFromTypes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"unknown command", []string{"deplo"}, exitUsage, "lamb: unknown command \"deplo\" for \"lamb\" (did you mean deploy?)\n"},
		{"unknown flag", []string{"build", "--nope"}, exitUsage, "lamb: unknown flag: --nope\n"},
		{"flag of a command before it", []string{"--local", "deploy", "pricing"}, exitUsage, "lamb: unknown flag: --local: --local is a flag of deploy, invoke, "},
		{"too many arguments", []string{"validate", "x"}, exitUsage, "lamb: unknown command \"x\" for \"lamb validate\"\n"},
		{"bad output", []string{"list", "-o", "yaml"}, exitUsage, "lamb: unknown output format \"yaml\" (want text|json)\n"},
		{"missing manifest", []string{"-f", "/nonexistent/lamb.yaml", "list"}, exitUsage, ""},
		{"help", []string{}, exitOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := lambRun(t, nil, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tt.code, stderr)
			}
			if tt.stderr != "" && stderr != tt.stderr && !(strings.HasSuffix(tt.stderr, ", ") && strings.HasPrefix(stderr, tt.stderr)) {
				t.Errorf("stderr:\n%s\nwant:\n%s", stderr, tt.stderr)
			}
			for _, l := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
				if tt.code != exitOK && l != "" && !strings.HasPrefix(l, "lamb: ") && !strings.HasPrefix(l, failure.Indent) {
					t.Errorf("stderr line %q: not a lamb: line", l)
				}
			}
		})
	}
}

// TestPrintErrors: one line a failure, continuation lines indented.
func TestPrintErrors(t *testing.T) {
	t.Parallel()
	var errs *multierror.Error
	errs = failure.Append(errs,
		failure.New("a", "build", errors.New("go build ./a failed:\n./main.go:3:1: undefined: x")),
		failure.New("b", "publish", errors.New("precondition failed")),
	)
	var buf bytes.Buffer
	printErrors(&buf, errors.Join(errs, errors.New("write artifacts.json: disk full")))
	want := "lamb: a: build: go build ./a failed:\n    ./main.go:3:1: undefined: x\nlamb: b: publish: precondition failed\nlamb: write artifacts.json: disk full\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("printErrors (-want +got):\n%s", diff)
	}
}
