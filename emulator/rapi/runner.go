package rapi

import (
	"context"
	"errors"
)

// Runner runs function environments and routes invokes to them. It is safe
// for concurrent use.
type Runner struct {
	opts RunnerOptions
}

// NewRunner returns a Runner. Close it to kill every process it started.
func NewRunner(opts RunnerOptions) (*Runner, error) {
	return &Runner{opts: opts}, nil
}

// Invoke runs req in a warm environment if one is idle, else in a new one.
func (r *Runner) Invoke(ctx context.Context, req InvokeRequest) (*InvokeResult, error) {
	return nil, errors.New("rapi: not implemented yet")
}

// Close kills every process and removes extracted code.
func (r *Runner) Close() error { return nil }
