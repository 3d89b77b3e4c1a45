package graph

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"hash"
	"strconv"
	"strings"
)

// A Go file contributes to a fingerprint what of it can reach the binary,
// not its bytes (docs/graph.md, "What counts as a change"):
//
//   - its tokens (comments left out; an explicit or implied semicolon is
//     one token), which make the code;
//   - the line of each token: the line table maps every instruction to a
//     line, so moving code to another line changes the binary, and the
//     binaries of the importers that inline it. Columns do not reach the
//     binary (the line table has none, and Go's DWARF neither), provided
//     the build ID is not derived from source bytes (-ldflags=-buildid=);
//   - the comments the toolchain reads, with where they are relative to the
//     code (the next token, and how many lines above it): //go: directives
//     (//go:build, //go:embed, //go:linkname, //go:noinline, //go:debug...;
//     not //go:generate, which only go generate reads), //line and /*line
//     directives, // +build lines, cgo's //export, and the cgo preamble
//     (the comment above import "C", which cgo compiles as C).
//
// A file that does not scan (or a cgo file whose imports do not parse) is
// hashed by its bytes.

// goPrefix starts the fingerprint value of a Go file: "go:" then the hex
// digests of its code, directives and lines, separated by dots.
const goPrefix = "go:"

// goSource returns the fingerprint value of the Go file name with the
// source src, and its load key: a digest of what
// of the file the go command reads when it loads packages (go list, which
// reads a file only up to its imports, plus its //go:embed patterns): the
// bytes before its first declaration after the imports — build
// constraints, package clause, imports, the cgo preamble — and the text of
// every //go:embed comment. Two versions of a file with the same load key
// leave the package graph as it was; Tracker.Refresh relies on it. The
// load key is "" when the file does not scan.
func goSource(name string, src []byte) (value, loadKey string) {
	fset := token.NewFileSet()
	file := fset.AddFile(name, -1, len(src))
	failed := false
	var s scanner.Scanner
	s.Init(file, src, func(token.Position, string) { failed = true }, scanner.ScanComments)
	code, dirs, lines := sha256.New(), sha256.New(), sha256.New()
	var (
		prev     token.Token // previous non-comment token
		ntok     int         // tokens so far
		last     int         // line of the previous token
		pending  []comment   // directives before the next token
		inImport bool        // in an import declaration
		group    bool        // in a parenthesised import declaration
		cgo      bool        // imports "C"

		clause    int // 1 after the package keyword, 2 after its clause
		headerEnd = -1
		embeds    = sha256.New()
	)
	for {
		pos, tok, lit := s.Scan()
		line := file.PositionFor(pos, false).Line // as written, //line ignored
		if tok == token.COMMENT {
			if directive(lit) {
				pending = append(pending, comment{line, lit})
			}
			if strings.HasPrefix(lit, "//go:embed") {
				fmt.Fprintf(embeds, "%s\x00", lit)
			}
			continue
		}
		switch {
		case headerEnd >= 0:
		case tok == token.EOF:
			headerEnd = len(src)
		case clause == 0 && tok == token.PACKAGE:
			clause = 1
		case clause == 1 && tok == token.SEMICOLON:
			clause = 2
		case clause == 2 && !inImport && tok != token.IMPORT:
			headerEnd = file.Offset(pos)
		}
		// A directive is where it is relative to the code: which token
		// follows it, and how many lines above that token it is. Moving
		// with the code is not a change of directive.
		for _, c := range pending {
			if tok == token.EOF { // after the code: relative to its end
				fmt.Fprintf(dirs, "%d\x00end+%d\x00%s\x00", ntok, c.line-last, c.text)
				continue
			}
			fmt.Fprintf(dirs, "%d\x00%d\x00%s\x00", ntok, line-c.line, c.text)
		}
		pending = pending[:0]
		if tok == token.EOF {
			break
		}
		ntok++
		last = line
		switch {
		case tok == token.IMPORT:
			inImport = true
		case inImport && tok == token.LPAREN && prev == token.IMPORT:
			group = true
		case inImport && tok == token.STRING:
			if p, err := strconv.Unquote(lit); err == nil && p == "C" {
				cgo = true
			}
		case inImport && tok == token.RPAREN && group:
			inImport, group = false, false
		case inImport && tok == token.SEMICOLON && !group:
			inImport = false
		}
		if tok == token.SEMICOLON {
			lit = ";" // written or implied by a newline: the same token
		}
		writeToken(code, tok, lit)
		fmt.Fprintf(lines, "%d\x00", line)
		prev = tok
	}
	if failed {
		sum := sha256.Sum256(src)
		return hex.EncodeToString(sum[:]), ""
	}
	load := sha256.New()
	load.Write(src[:headerEnd])
	load.Write([]byte{0})
	load.Write(embeds.Sum(nil))
	loadKey = hex.EncodeToString(load.Sum(nil))
	if cgo && !writePreambles(dirs, name, src) {
		sum := sha256.Sum256(src)
		return hex.EncodeToString(sum[:]), loadKey
	}
	return goPrefix + short(code) + "." + short(dirs) + "." + short(lines), loadKey
}

// comment is a comment's line and text.
type comment struct {
	line int
	text string
}

func writeToken(h hash.Hash, tok token.Token, lit string) {
	if lit == "" {
		lit = tok.String()
	}
	fmt.Fprintf(h, "%s\x00%s\x00", tok, lit)
}

// short is the first 128 bits of h's sum, in hex.
func short(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)[:16]) }

// directive reports whether the comment text c (with its // or /*) is one
// the toolchain reads.
func directive(c string) bool {
	switch {
	case strings.HasPrefix(c, "//go:"):
		return !strings.HasPrefix(c, "//go:generate")
	case strings.HasPrefix(c, "//line ") || strings.HasPrefix(c, "/*line "):
		return true
	case strings.HasPrefix(c, "//export "):
		return true
	}
	if rest, ok := strings.CutPrefix(c, "//"); ok {
		return strings.HasPrefix(strings.TrimLeft(rest, " \t"), "+build")
	}
	return false
}

// writePreambles writes the cgo preambles of a file that imports "C": the
// doc comment of each import "C" (of its declaration when it has one
// spec), as cgo takes it, with the line of each comment. It reports false
// when the imports do not parse (the file is then hashed by its bytes).
func writePreambles(h hash.Hash, name string, src []byte) bool {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ImportsOnly|parser.ParseComments)
	if err != nil {
		return false
	}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.IMPORT {
			continue
		}
		for _, spec := range gd.Specs {
			is := spec.(*ast.ImportSpec)
			if p, err := strconv.Unquote(is.Path.Value); err != nil || p != "C" {
				continue
			}
			cg := is.Doc
			if cg == nil && len(gd.Specs) == 1 {
				cg = gd.Doc
			}
			fmt.Fprintf(h, "preamble\x00")
			writeGroup(h, fset, cg, fset.PositionFor(is.Path.Pos(), false).Line)
		}
	}
	return true
}

// writeGroup writes the comments of cg with their lines relative to line.
func writeGroup(h hash.Hash, fset *token.FileSet, cg *ast.CommentGroup, line int) {
	if cg == nil {
		return
	}
	for _, c := range cg.List {
		fmt.Fprintf(h, "%d\x00%s\x00", line-fset.PositionFor(c.Pos(), false).Line, c.Text)
	}
}

// goChange says what kind of change between two fingerprint values of a Go
// file: "" for code (or when either is not a token value), "directives",
// "lines moved", or both.
func goChange(a, b string) string {
	ap, aok := splitGoHash(a)
	bp, bok := splitGoHash(b)
	if !aok || !bok || ap[0] != bp[0] {
		return ""
	}
	var kinds []string
	if ap[1] != bp[1] {
		kinds = append(kinds, "directives")
	}
	if ap[2] != bp[2] {
		kinds = append(kinds, "lines moved")
	}
	return strings.Join(kinds, ", ")
}

func splitGoHash(v string) ([]string, bool) {
	rest, ok := strings.CutPrefix(v, goPrefix)
	if !ok {
		return nil, false
	}
	parts := strings.Split(rest, ".")
	return parts, len(parts) == 3
}
