// Package ghactions writes what GitHub Actions reads from a step: outputs
// ($GITHUB_OUTPUT), the job summary ($GITHUB_STEP_SUMMARY) and workflow
// command annotations (::error file=F,line=L::message).
//
// It knows nothing of lamb's other packages: callers turn plans, results and
// errors into the plain rows and annotations defined here.
package ghactions

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
)

// Env is the part of the GitHub Actions environment lamb uses.
type Env struct {
	// Enabled is true when running in GitHub Actions (GITHUB_ACTIONS=true).
	Enabled bool
	// Output is the path of the step's output file ($GITHUB_OUTPUT).
	Output string
	// Summary is the path of the step's summary file ($GITHUB_STEP_SUMMARY).
	Summary string
	// Workspace is the checkout directory ($GITHUB_WORKSPACE); annotation
	// paths are relative to it.
	Workspace string
}

// FromEnv reads Env with getenv (os.Getenv in production).
func FromEnv(getenv func(string) string) Env {
	return Env{
		Enabled:   getenv("GITHUB_ACTIONS") == "true",
		Output:    getenv("GITHUB_OUTPUT"),
		Summary:   getenv("GITHUB_STEP_SUMMARY"),
		Workspace: getenv("GITHUB_WORKSPACE"),
	}
}

// AppendFile appends what write produces to the file at path, creating it
// if needed. The content is assembled in memory first and written with one
// call, so a failed write leaves no half record behind.
func AppendFile(path string, write func(w io.Writer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(buf.Bytes())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("append to %s: %w", path, err)
	}
	return nil
}

// Output is one step output.
type Output struct {
	Name  string
	Value string
}

// WriteOutputs writes outputs in the $GITHUB_OUTPUT file format. Every
// value uses the multiline form
//
//	name<<DELIMITER
//	value
//	DELIMITER
//
// with a random delimiter that occurs in neither the name nor the value, so
// any value (newlines, "=", "<<") survives. Names must be identifiers
// (letters, digits, '_' and '-', not starting with a digit or '-').
func WriteOutputs(w io.Writer, outputs []Output) error {
	var buf bytes.Buffer
	for _, o := range outputs {
		if err := checkName(o.Name); err != nil {
			return err
		}
		delim := newDelimiter()
		for strings.Contains(o.Value, delim) {
			delim = newDelimiter()
		}
		fmt.Fprintf(&buf, "%s<<%s\n%s\n%s\n", o.Name, delim, o.Value, delim)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func checkName(name string) error {
	if name == "" {
		return fmt.Errorf("output name is empty")
	}
	for i, c := range name {
		ok := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' ||
			i > 0 && (c == '-' || c >= '0' && c <= '9')
		if !ok {
			return fmt.Errorf("output name %q: want letters, digits, '_' and '-'", name)
		}
	}
	return nil
}

func newDelimiter() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand)
	return "ghadelimiter_" + hex.EncodeToString(b)
}

// ParseOutputs reads a $GITHUB_OUTPUT file as the runner does: "name=value"
// lines and "name<<DELIMITER" blocks. A later value of a name replaces an
// earlier one. It is used by tests and by tools that inspect the file.
func ParseOutputs(data string) (map[string]string, error) {
	out := map[string]string{}
	lines := strings.Split(data, "\n")
	if n := len(lines); n > 0 && lines[n-1] == "" {
		lines = lines[:n-1]
	}
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSuffix(lines[i], "\r")
		if line == "" {
			continue
		}
		eq := strings.Index(line, "=")
		hd := strings.Index(line, "<<")
		if hd >= 0 && (eq < 0 || hd < eq) {
			name, delim := line[:hd], line[hd+2:]
			if name == "" || delim == "" {
				return nil, fmt.Errorf("line %d: invalid heredoc %q", i+1, line)
			}
			var val []string
			j := i + 1
			for ; j < len(lines) && strings.TrimSuffix(lines[j], "\r") != delim; j++ {
				val = append(val, lines[j])
			}
			if j == len(lines) {
				return nil, fmt.Errorf("line %d: delimiter %q of %s not found", i+1, delim, name)
			}
			out[name] = strings.Join(val, "\n")
			i = j
			continue
		}
		if eq <= 0 {
			return nil, fmt.Errorf("line %d: invalid output %q", i+1, line)
		}
		out[line[:eq]] = line[eq+1:]
	}
	return out, nil
}
