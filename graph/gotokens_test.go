package graph

import (
	"strings"
	"testing"
)

const goSample = `// Package p is a sample.
package p

import "fmt"

// Greet greets.
func Greet(name string) string {
	x := 1
	return fmt.Sprint("hello ", name, x)
}

func other() {}
`

const cgoSample = `package p

// Header comment, not the preamble.

// #include <stdlib.h>
// static int answer(void) { return 42; }
import "C"

// Answer is documented.
func Answer() int { return int(C.answer()) }

//export Exported
func Exported() {}
`

// TestGoSourceHash: what of a Go file changes its fingerprint value, and
// as what kind of change.
func TestGoSourceHash(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		src      string
		old, new string // replaced once in src
		want     string // "same", "code", or goChange's kind
	}{
		{"comment reworded", goSample, "Greet greets.", "Greet says hello to name.", "same"},
		{"comment added at the end", goSample, "func other() {}\n", "func other() {}\n\n// The end.\n", "same"},
		{"comment added after code", goSample, "x := 1\n", "x := 1 // one\n", "same"},
		{"multi-line comment reflowed on one line", goSample, "// Greet greets.", "/* Greet greets. */", "same"},
		{"spacing", goSample, "x := 1", "x:=1", "same"},
		{"indentation", goSample, "\tx := 1", "        x := 1", "same"},
		{"explicit semicolon", goSample, "x := 1\n", "x := 1;\n", "same"},
		{"CRLF line endings", goSample, "", "", "same"}, // src rewritten below
		{"byte order mark", goSample, "// Package p", "\ufeff// Package p", "same"},
		{"//go:generate", goSample, "// Greet greets.", "//go:generate stringer -type=X", "same"},
		{"string literal", goSample, `"hello "`, `"hi "`, "code"},
		{"identifier", goSample, "x := 1\n\treturn fmt.Sprint(\"hello \", name, x)", "y := 1\n\treturn fmt.Sprint(\"hello \", name, y)", "code"},
		{"comment line added above code", goSample, "// Greet greets.\n", "// Greet greets.\n// More.\n", "lines moved"},
		{"comment line removed", goSample, "// Greet greets.\n", "", "lines moved"},
		{"code line moved", goSample, "\tx := 1\n\treturn", "\tx := 1\n\n\treturn", "lines moved"},
		{"expression split over two lines", goSample, `"hello ", name, x)`, "\"hello \",\n\t\tname, x)", "lines moved"},
		{"//go:noinline", goSample, "// Greet greets.", "//go:noinline", "directives"},
		{"//go:build", goSample, "// Package p is a sample.", "//go:build linux", "directives"},
		{"// +build", goSample, "// Package p is a sample.", "// +build linux", "directives"},
		{"//go:linkname", goSample, "// Greet greets.", "//go:linkname Greet p.Greet", "directives"},
		{"//go:embed", goSample, "// Greet greets.", "//go:embed x.txt", "directives"},
		{"//go:debug", goSample, "// Package p is a sample.", "//go:debug panicnil=1", "directives"},
		{"//line", goSample, "// Greet greets.", "//line greet.tmpl:10", "directives"},
		{"/*line*/", goSample, "\tx := 1", "\t/*line greet.tmpl:10:1*/ x := 1", "directives"},
		{"directive moved to another function", goSample + "//go:noinline\nfunc a() {}\n\nfunc b() {}\n", "//go:noinline\nfunc a() {}\n\nfunc b() {}\n", "\nfunc a() {}\n//go:noinline\nfunc b() {}\n", "directives"},
		{"directive moved with the code", goSample + "\n//go:noinline\nfunc last() {}\n", "\n//go:noinline\nfunc last() {}\n", "//go:noinline\nfunc last() {}\n", "lines moved"},
		{"blank line between directive and code", goSample + "\n//go:noinline\nfunc last() {}\n", "//go:noinline\nfunc last", "//go:noinline\n\nfunc last", "directives, lines moved"},
		{"cgo preamble moved with the code", cgoSample, "// Header comment, not the preamble.\n", "// Header comment,\n// not the preamble.\n", "lines moved"},
		{"cgo preamble", cgoSample, "return 42;", "return 43;", "directives"},
		{"cgo preamble line", cgoSample, "// #include <stdlib.h>", "// #include <stdio.h>", "directives"},
		{"cgo header comment", cgoSample, "not the preamble", "still not the preamble", "same"},
		{"cgo doc comment", cgoSample, "Answer is documented.", "Answer answers.", "same"},
		{"//export", cgoSample, "//export Exported", "//export Exported2", "directives"},
		{"does not scan", goSample + "var s = \"unterminated\n", "hello", "hullo", "code"},
		{"does not scan, comment", goSample + "var s = \"unterminated\n", "Greet greets", "Greet says", "code"},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
			t.Parallel()
			if tt.old != "" && !strings.Contains(tt.src, tt.old) {
				t.Fatalf("test case: %q not in the source", tt.old)
			}
			after := strings.Replace(tt.src, tt.old, tt.new, 1)
			if tt.name == "CRLF line endings" {
				after = strings.ReplaceAll(tt.src, "\n", "\r\n")
			}
			a, b := goSourceHash("p.go", []byte(tt.src)), goSourceHash("p.go", []byte(after))
			got := "same"
			if a != b {
				got = goChange(a, b)
				if got == "" {
					got = "code"
				}
			}
			if got != tt.want {
				t.Errorf("change = %q, want %q", got, tt.want)
			}
		})
	}
}

// FuzzGoSourceHash: any source hashes without panicking, the same way
// twice, and a comment appended after the last line changes nothing.
func FuzzGoSourceHash(f *testing.F) {
	f.Add(goSample)
	f.Add(cgoSample)
	f.Add("package p\n\nimport (\n\t\"C\"\n\t\"fmt\"\n)\n")
	f.Add("package p; var x = `raw\r\nstring`")
	f.Add("//line a.go:1\npackage p /*line b.go:2:3*/\n")
	f.Add("package A\nimport!\"C\"")
	f.Fuzz(func(t *testing.T, src string) {
		a := goSourceHash("f.go", []byte(src))
		if a != goSourceHash("f.go", []byte(src)) {
			t.Fatal("not deterministic")
		}
		b := goSourceHash("f.go", []byte(src+"\n// appended comment\n"))
		if strings.HasPrefix(a, goPrefix) && strings.HasPrefix(b, goPrefix) && a != b {
			t.Fatalf("an appended comment changed the hash: %s → %s", a, b)
		}
	})
}

// goSourceHash is the fingerprint value goSource gives src.
func goSourceHash(name string, src []byte) string {
	v, _ := goSource(name, src)
	return v
}
