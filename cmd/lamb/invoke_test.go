package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInvokeUsageExitCodes: bad arguments exit 2 before any build (the
// testscript cannot assert exit codes).
func TestInvokeUsageExitCodes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no function", []string{"invoke"}, "invoke takes one function name, got 0 arguments"},
		{"two functions", []string{"invoke", "a", "b"}, "got 2 arguments"},
		{"bad inline event", []string{"invoke", "f", "--event", "[1,"}, "--event: inline event is not valid JSON"},
		{"bad event file", []string{"invoke", "f", "--event", filepath.Join(dir, "bad.json")}, "is not valid JSON"},
		{"missing event file", []string{"invoke", "f", "--event", filepath.Join(dir, "nope.json")}, "no such file"},
		{"local and endpoint", []string{"invoke", "f", "--local", "--endpoint", "http://127.0.0.1:9"}, "exclusive"},
		{"bad endpoint", []string{"invoke", "f", "--endpoint", "ftp://x"}, "want an http or https URL"},
		{"qualifier without target", []string{"invoke", "f", "--qualifier", "live"}, "--qualifier needs --local or --endpoint"},
		{"bad output", []string{"invoke", "f", "-o", "yaml"}, `unknown output format "yaml"`},
		{"no manifest", []string{"invoke", "f"}, "no lamb.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			// -C: no lamb.yaml there or above (a temp dir).
			code := run(context.Background(), append([]string{"-C", dir}, tt.args...), proc{Stdout: &stdout, Stderr: &stderr})
			if code != exitUsage {
				t.Errorf("exit %d, want %d; stderr: %s", code, exitUsage, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tt.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout: %q", stdout.String())
			}
		})
	}
}

func TestReadEvent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "e.json")
	if err := os.WriteFile(file, []byte(`{"from":"file"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		spec, stdin, want string
	}{
		{"", "", "{}"},
		{`{"a":1}`, "", `{"a":1}`},
		{` [1,2]`, "", ` [1,2]`},
		{`"s"`, "", `"s"`},
		{"-", `{"from":"stdin"}`, `{"from":"stdin"}`},
		{file, "", `{"from":"file"}`},
		{"e.json", "", `{"from":"file"}`}, // relative to the working directory (-C)
	}
	for _, tt := range tests {
		got, err := readEvent(tt.spec, dir, strings.NewReader(tt.stdin))
		if err != nil || string(got) != tt.want {
			t.Errorf("readEvent(%q) = %q, %v; want %q", tt.spec, got, err, tt.want)
		}
	}
}

func FuzzReadEvent(f *testing.F) {
	for _, s := range []string{"", "{}", `{"a":`, "[", `"x"`, "-", "{\x00}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		if spec != "-" && !strings.HasPrefix(strings.TrimSpace(spec), "{") && !strings.HasPrefix(strings.TrimSpace(spec), "[") && !strings.HasPrefix(strings.TrimSpace(spec), `"`) && strings.TrimSpace(spec) != "" {
			return // a file name: not fuzzed
		}
		b, err := readEvent(spec, t.TempDir(), strings.NewReader(spec))
		if err == nil && !json.Valid(b) {
			t.Errorf("readEvent(%q) accepted invalid JSON %q", spec, b)
		}
	})
}
