package failure

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-multierror"
)

func TestLines(t *testing.T) {
	compile := errors.New("go build ./functions/a failed:\n./main.go:3:1: syntax error\n    ./main.go:4:1: more")
	var errs *multierror.Error
	errs = Append(errs, New("a", "build", compile))
	inner := Append(nil, Errorf("b", "fingerprint", "package not found"), errors.New("write artifacts.json: disk full"))
	errs = Append(errs, inner, errors.Join(New("c", "publish", errors.New("precondition failed"))))
	want := []string{
		"lamb: a: build: go build ./functions/a failed:",
		"    ./main.go:3:1: syntax error",
		"    ./main.go:4:1: more",
		"lamb: b: fingerprint: package not found",
		"lamb: write artifacts.json: disk full",
		"lamb: c: publish: precondition failed",
	}
	if diff := cmp.Diff(want, Lines("lamb: ", errs)); diff != "" {
		t.Errorf("Lines (-want +got):\n%s", diff)
	}
	if got, want := errs.Error(), "a: build: go build ./functions/a failed:\n    ./main.go:3:1: syntax error\n    ./main.go:4:1: more\nb: fingerprint: package not found\nwrite artifacts.json: disk full\nc: publish: precondition failed"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if len(errs.Errors) != 4 {
		t.Errorf("Append nested: %d errors, want 4", len(errs.Errors))
	}
}

func TestNewKeepsTheSameFunction(t *testing.T) {
	e := New("a", "build", errors.New("x"))
	if got := New("a", "deploy", e); got != e {
		t.Errorf("New rewrapped a failure of the same function: %v", got)
	}
	if got := New("b", "deploy", e).Error(); got != "b: deploy: a: build: x" {
		t.Errorf("other function: %q", got)
	}
	if fn, ok := FunctionOf(fmt.Errorf("wrapped: %w", e)); !ok || fn != "a" {
		t.Errorf("FunctionOf = %q, %v", fn, ok)
	}
	if New("a", "b", nil) != nil {
		t.Error("New of nil is not nil")
	}
}
