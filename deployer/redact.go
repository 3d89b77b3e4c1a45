package deployer

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/lambctl/lamb/internal/failure"
	"github.com/lambctl/lamb/internal/redact"
	"github.com/lambctl/lamb/manifest"
)

// redactorOf returns what hides fn's values in its failures and plan: its
// environment values and secrets (resolved references), in every encoding
// (internal/redact), but never inside its name, alias or role.
func redactorOf(fn manifest.Function, secrets ...string) *redact.Redactor {
	r := redact.New(slices.Sorted(maps.Values(fn.Environment))...)
	r.Add(secrets...)
	r.Keep(fn.Name, fn.Alias, fn.Role)
	return r
}

// failWith returns the failure of function in op: the variables Lambda
// echoes dropped from err and red's values hidden in it. A failure of that
// function already (redacted when it was made) is returned as it is.
func failWith(red *redact.Redactor, function, op string, err error) error {
	if name, ok := failure.FunctionOf(err); ok && name == function {
		return err
	}
	return &failure.Error{Function: function, Op: op, Err: red.Error(dropEcho(err))}
}

// echoMarker starts the part of Lambda's 4 KB environment error that quotes
// every variable as JSON: "... exceeded the 4KB limit. String measured:
// {"KEY":"value",...}".
const echoMarker = "String measured: "

// echoDropped is the text that replaces the echoed variables.
const echoDropped = "(the variables, not shown)"

// dropEcho returns err without the variables Lambda echoes in its error
// text; the result unwraps to err. Redaction still runs on what remains:
// this only keeps the message short and free of values redaction could
// miss (a value shorter than redact.MinLen, say).
func dropEcho(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	i := strings.Index(msg, echoMarker)
	if i < 0 {
		return err
	}
	start := i + len(echoMarker)
	if !strings.HasPrefix(msg[start:], "{") {
		return err
	}
	end := len(msg)
	dec := json.NewDecoder(strings.NewReader(msg[start:]))
	var v json.RawMessage
	if dec.Decode(&v) == nil {
		end = start + int(dec.InputOffset())
	}
	return &scrubbed{msg: msg[:start] + echoDropped + msg[end:], err: err}
}

// scrubbed is an error with part of its message left out.
type scrubbed struct {
	msg string
	err error
}

func (e *scrubbed) Error() string { return e.msg }
func (e *scrubbed) Unwrap() error { return e.err }
