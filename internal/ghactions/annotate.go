package ghactions

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
)

// Level is the kind of annotation.
type Level string

const (
	Error   Level = "error"
	Warning Level = "warning"
	Notice  Level = "notice"
)

// Annotation is a workflow command that GitHub shows on the run and, with
// a File, on the pull request's diff.
type Annotation struct {
	Level   Level
	File    string // relative to the workspace, slash-separated
	Line    int
	Col     int
	Title   string
	Message string
}

// String returns the workflow command, e.g.
// "::error file=lamb.yaml,line=3,col=5::unknown field". Property values
// escape % \r \n : and ,; the message escapes % \r and \n, so a message
// of several lines stays one command.
func (a Annotation) String() string {
	level := a.Level
	if level == "" {
		level = Error
	}
	var props []string
	if a.File != "" {
		props = append(props, "file="+escapeProperty(a.File))
		if a.Line > 0 {
			props = append(props, "line="+strconv.Itoa(a.Line))
			if a.Col > 0 {
				props = append(props, "col="+strconv.Itoa(a.Col))
			}
		}
	}
	if a.Title != "" {
		props = append(props, "title="+escapeProperty(a.Title))
	}
	s := "::" + string(level)
	if len(props) > 0 {
		s += " " + strings.Join(props, ",")
	}
	return s + "::" + escapeData(a.Message)
}

var (
	dataEscaper     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	propertyEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

func escapeData(s string) string     { return dataEscaper.Replace(s) }
func escapeProperty(s string) string { return propertyEscaper.Replace(s) }

// WriteAnnotations writes one workflow command a line. The runner reads
// workflow commands from both stdout and stderr; lamb writes them to
// stderr so its results on stdout stay machine-readable.
func WriteAnnotations(w io.Writer, as []Annotation) error {
	var buf bytes.Buffer
	for _, a := range as {
		buf.WriteString(a.String())
		buf.WriteByte('\n')
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// CompilerAnnotations turns the go command's error output into one error
// annotation per "file:line[:col]: message" line. Indented lines that
// follow continue the previous message; "# package" headers and other lines
// are skipped. Relative file names are taken relative to dir (the
// directory the go command ran in, relative to the workspace); absolute
// ones are made relative to workspace when inside it.
func CompilerAnnotations(output, dir, workspace string) []Annotation {
	var as []Annotation
	for _, line := range strings.Split(output, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" {
			continue
		}
		if (line[0] == '\t' || line[0] == ' ') && len(as) > 0 {
			as[len(as)-1].Message += "\n" + strings.TrimSpace(line)
			continue
		}
		a, ok := parseCompilerLine(line)
		if !ok {
			continue
		}
		a.File = workspacePath(a.File, dir, workspace)
		as = append(as, a)
	}
	return as
}

// parseCompilerLine parses "file:line:col: message" or "file:line: message".
func parseCompilerLine(line string) (Annotation, bool) {
	file, rest, ok := strings.Cut(line, ":")
	if !ok || file == "" || strings.ContainsAny(file, " \t") {
		return Annotation{}, false
	}
	ln, rest, ok := strings.Cut(rest, ":")
	if !ok {
		return Annotation{}, false
	}
	lineNo, err := strconv.Atoi(ln)
	if err != nil || lineNo <= 0 {
		return Annotation{}, false
	}
	col := 0
	if c, r, ok := strings.Cut(rest, ":"); ok {
		if n, err := strconv.Atoi(c); err == nil && n > 0 {
			col, rest = n, r
		}
	}
	msg := strings.TrimSpace(rest)
	if msg == "" || !strings.HasSuffix(file, ".go") && !strings.HasSuffix(file, ".mod") && !strings.HasSuffix(file, ".s") {
		return Annotation{}, false
	}
	return Annotation{Level: Error, File: file, Line: lineNo, Col: col, Message: msg}, true
}

// workspacePath returns file, relative to dir when not absolute, as a
// slash path relative to the workspace when it lies inside it.
func workspacePath(file, dir, workspace string) string {
	if !filepath.IsAbs(file) {
		file = filepath.Join(dir, file)
	}
	if filepath.IsAbs(file) && workspace != "" {
		if rel, err := filepath.Rel(workspace, file); err == nil && filepath.IsLocal(rel) {
			return filepath.ToSlash(rel)
		}
	}
	return filepath.ToSlash(file)
}

// Errorf returns an error annotation at file:line:col (zero parts omitted).
func Errorf(file string, line, col int, format string, args ...any) Annotation {
	return Annotation{Level: Error, File: file, Line: line, Col: col, Message: fmt.Sprintf(format, args...)}
}
