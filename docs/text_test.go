package docs_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/lambctl/lamb/builder"
)

// checkJSON parses a JSON block; an artifacts.json example (an object with
// "artifacts") must decode as the builder writes that file, field for
// field, with code_sha256 a base64 SHA-256 as Lambda's CodeSha256.
func checkJSON(_ *testing.T, b block) result {
	r := result{kind: "json"}
	var v any
	if err := json.Unmarshal([]byte(b.Text), &v); err != nil {
		r.problems = append(r.problems, fmt.Sprintf("%s: invalid JSON: %v", b.at(jsonErrorLine(b.Text, err)), err))
		return r
	}
	if m, ok := v.(map[string]any); !ok || m["artifacts"] == nil {
		return r
	}
	var file struct {
		Artifacts []builder.Artifact `json:"artifacts"`
	}
	dec := json.NewDecoder(strings.NewReader(b.Text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		r.problems = append(r.problems, fmt.Sprintf("%s: not an artifacts.json as lamb build writes it: %v", b.at(0), err))
		return r
	}
	for _, a := range file.Artifacts {
		if a.Function == "" || a.Path == "" {
			r.problems = append(r.problems, fmt.Sprintf("%s: artifact without function or path", b.at(0)))
		}
		if sum, err := base64.StdEncoding.DecodeString(a.CodeSha256); err != nil || len(sum) != 32 {
			r.problems = append(r.problems, fmt.Sprintf("%s: artifact %s: code_sha256 %q is not a base64 SHA-256 (Lambda's CodeSha256)", b.at(0), a.Function, a.CodeSha256))
		}
	}
	return r
}

// jsonErrorLine is the line of a syntax error's offset, 0 if unknown.
func jsonErrorLine(src string, err error) int {
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return 0
	}
	return strings.Count(src[:min(int(se.Offset), len(src))], "\n") + 1
}

// checkShell checks a shell block with bash -n.
func checkShell(_ *testing.T, b block) result {
	return result{kind: "sh", problems: bashSyntax(b.File, b.Line, b.Text)}
}

// checkConsole checks the commands of a console block (the lines starting
// with "$ ", and their continuation lines) with bash -n; the other lines
// are the commands' output, shown as an example.
func checkConsole(_ *testing.T, b block) result {
	r := result{kind: "console"}
	lines := strings.Split(strings.TrimSuffix(b.Text, "\n"), "\n")
	script := make([]string, len(lines)) // output lines stay empty: line numbers match
	commands, cont := 0, false
	for i, l := range lines {
		switch {
		case cont:
			script[i] = l
		case strings.HasPrefix(l, "$ "):
			script[i] = l[2:]
			commands++
		default:
			continue
		}
		cont = strings.HasSuffix(l, "\\")
	}
	if commands == 0 {
		r.problems = append(r.problems, fmt.Sprintf("%s: console block with no command (a line starting with \"$ \"): use it for a session, or another language", b.at(0)))
		return r
	}
	r.problems = bashSyntax(b.File, b.Line, strings.Join(script, "\n")+"\n")
	return r
}

var bashLineRE = regexp.MustCompile(`line (\d+): (.*)`)

// bashSyntax runs bash -n on script, whose first line is line start of
// file, and returns its complaints at their lines in file.
func bashSyntax(file string, start int, script string) []string {
	bash, err := exec.LookPath("bash")
	if err != nil {
		return []string{fmt.Sprintf("%s:%d: cannot check shell syntax: %v", file, start, err)}
	}
	cmd := exec.Command(bash, "-n")
	cmd.Stdin = strings.NewReader(script)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil {
		return nil
	}
	var problems []string
	for _, l := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		line := 1
		if m := bashLineRE.FindStringSubmatch(l); m != nil {
			line, _ = strconv.Atoi(m[1])
			l = m[2]
		}
		problems = append(problems, fmt.Sprintf("%s:%d: shell: %s", file, start+line-1, l))
	}
	return problems
}

type lineMessage struct {
	Line int
	Msg  string
}

// checkTypeScript transforms a TypeScript block with esbuild: any error or
// warning is a problem.
func checkTypeScript(_ *testing.T, b block) result {
	r := result{kind: "ts"}
	for _, m := range tsSyntax(b.Text) {
		r.problems = append(r.problems, fmt.Sprintf("%s: TypeScript: %s", b.at(m.Line), m.Msg))
	}
	return r
}
