package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInvokeUsageExitCodes: bad arguments exit 2 before any build (the
// testscript cannot assert exit codes).
func TestInvokeUsageExitCodes(t *testing.T) {
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
	t.Chdir(dir) // no lamb.yaml here or above (in a temp dir)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, &stdout, &stderr)
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
