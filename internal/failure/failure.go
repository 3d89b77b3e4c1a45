// Package failure is the one home of how lamb reports what failed: the
// failure of one function in one step (Error), many failures aggregated
// with hashicorp/go-multierror (Append), and the lines a command prints
// for them (Lines). The graph, the builder, the deployer and the pipeline
// all report through it, so every command prints failures the same way.
package failure

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/go-multierror"
)

// Error is the failure of one function in one step. Its message is
// "function: op: cause"; a multi-line cause (compiler output) keeps its
// further lines, indented.
type Error struct {
	// Function is the Lambda function name.
	Function string
	// Op is the step that failed: "fingerprint", "build", "plan",
	// "update code", "publish", ...; "" when the cause says it.
	Op string
	// Err is the cause.
	Err error
}

// New returns the failure of function in op. When err already is the
// failure of that function it is returned as it is.
func New(function, op string, err error) error {
	if err == nil {
		return nil
	}
	var fe *Error
	if errors.As(err, &fe) && fe.Function == function {
		return err
	}
	return &Error{Function: function, Op: op, Err: err}
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Function)
	b.WriteString(": ")
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	msg := "<nil>"
	if e.Err != nil {
		msg = e.Err.Error()
	}
	first, rest, more := strings.Cut(msg, "\n")
	b.WriteString(first)
	if more {
		for _, l := range strings.Split(strings.TrimRight(rest, "\n"), "\n") {
			b.WriteString("\n")
			if l != "" && !strings.HasPrefix(l, " ") && !strings.HasPrefix(l, "\t") {
				b.WriteString(Indent)
			}
			b.WriteString(l)
		}
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Indent starts every continuation line of a failure.
const Indent = "    "

// FunctionOf returns the function whose failure err is, if it is one.
func FunctionOf(err error) (string, bool) {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Function, true
	}
	return "", false
}

// Append appends errs to into, flattening aggregated errors (so a list
// never nests), and gives the result List as its format. It returns into
// (a new one when nil and errs holds an error).
func Append(into *multierror.Error, errs ...error) *multierror.Error {
	for _, err := range errs {
		for _, e := range Flatten(err) {
			into = multierror.Append(into, e)
		}
	}
	if into != nil {
		into.ErrorFormat = List
	}
	return into
}

// Flatten returns the failures err aggregates (a *multierror.Error or an
// errors.Join), recursively, or err alone. nil gives nothing.
func Flatten(err error) []error {
	if err == nil {
		return nil
	}
	var me *multierror.Error
	if errors.As(err, &me) && me == err {
		var out []error
		for _, e := range me.Errors {
			out = append(out, Flatten(e)...)
		}
		return out
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, Flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// List formats failures one a line (a multierror.ErrorFormatFunc):
// each failure's message, its continuation lines indented.
func List(errs []error) string {
	var lines []string
	for _, e := range errs {
		lines = append(lines, message(e)...)
	}
	return strings.Join(lines, "\n")
}

// Lines returns what a command prints for err on stderr: one line per
// failure starting with prefix ("lamb: "), continuation lines (compiler
// output) indented.
func Lines(prefix string, err error) []string {
	var out []string
	for _, e := range Flatten(err) {
		for i, l := range message(e) {
			if i == 0 {
				out = append(out, prefix+l)
				continue
			}
			out = append(out, l)
		}
	}
	return out
}

// message splits one failure's message into lines: the first as it is,
// the others indented.
func message(err error) []string {
	msg := strings.TrimRight(err.Error(), "\n")
	lines := strings.Split(msg, "\n")
	for i := 1; i < len(lines); i++ {
		if l := lines[i]; l != "" && !strings.HasPrefix(l, " ") && !strings.HasPrefix(l, "\t") {
			lines[i] = Indent + l
		}
	}
	return lines
}

// Errorf is fmt.Errorf for the failure of function in op.
func Errorf(function, op, format string, args ...any) error {
	return &Error{Function: function, Op: op, Err: fmt.Errorf(format, args...)}
}

// UsageError marks bad input or configuration — an unknown function, a
// bad flag, a manifest problem, a missing git ref — reported before any
// build or AWS call. Commands exit 2 for it.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usage marks err as a usage error (nil stays nil).
func Usage(err error) error {
	if err == nil {
		return nil
	}
	var u *UsageError
	if errors.As(err, &u) {
		return err
	}
	return &UsageError{Err: err}
}

// Usagef is fmt.Errorf for a usage error.
func Usagef(format string, args ...any) error { return &UsageError{Err: fmt.Errorf(format, args...)} }

// IsUsage reports whether err is, or wraps, a usage error.
func IsUsage(err error) bool {
	var u *UsageError
	return errors.As(err, &u)
}
