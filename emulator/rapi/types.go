// Package rapi runs Lambda function binaries locally: it extracts a
// deployment package, starts its bootstrap with the Lambda environment and
// serves the Lambda Runtime API (2018-06-01) the binary polls for events.
//
// The control-plane emulator (package emulator) calls Runner.Invoke for its
// Invoke operation; lamb invoke calls it directly.
package rapi

import (
	"log/slog"
	"time"

	"github.com/lambctl/lamb/internal/lambdaspec"
)

// DefaultMaxUnzipped is AWS's limit on the unzipped size of a function's
// code (lambdaspec.UnzippedLimit).
const DefaultMaxUnzipped int64 = lambdaspec.UnzippedLimit

// DefaultIdleTimeout is how long an idle environment is kept warm, in the
// range of Lambda's own (unpublished, minutes).
const DefaultIdleTimeout = 10 * time.Minute

// MaxResponseBytes is the largest synchronous response payload (6 MB,
// lambdaspec.SyncPayloadLimit).
const MaxResponseBytes = lambdaspec.SyncPayloadLimit

// InvokeRequest is one synchronous invocation of a function's code.
type InvokeRequest struct {
	// FunctionName is the unqualified function name.
	FunctionName string
	// FunctionArn is the invoked ARN (qualified), passed to the runtime as
	// Lambda-Runtime-Invoked-Function-Arn.
	FunctionArn string
	// Version is "$LATEST" or a published version number ("3").
	Version string
	// CodeSha256 identifies the code: warm environments are only reused for
	// the same name, version, CodeSha256 and configuration.
	CodeSha256 string
	// ZipPath is the deployment package on disk. It is only read.
	ZipPath string
	// Handler defaults to "bootstrap".
	Handler string
	// MemoryMB defaults to 128.
	MemoryMB int
	// Timeout defaults to 3 seconds, as on AWS.
	Timeout time.Duration
	// Environment holds the function's variables.
	Environment map[string]string
	// Region defaults to us-east-1.
	Region  string
	Payload []byte
	// ClientContext is passed as Lambda-Runtime-Client-Context when set.
	ClientContext string
	// RequestID is the invocation's request ID; "" makes a new one.
	RequestID string
	// Logs, when set, gets each line of the invocation's logs as it is
	// written: output of the init a cold start runs for this invocation,
	// START, the function's stdout and stderr, then END and REPORT —
	// everything InvokeResult.Logs holds, in the same order, but live.
	// It is called from the runner's goroutines, one line at a time, and
	// must not block; it must not call the Runner.
	Logs func(LogLine)
}

// LogLine is one line of an invocation's logs.
type LogLine struct {
	RequestID string
	// Stream is the environment's log stream name
	// (AWS_LAMBDA_LOG_STREAM_NAME, "2006/01/02/[$LATEST]<hex>").
	Stream string
	Time   time.Time
	// Line is the line without its newline.
	Line []byte
}

// InvokeResult is the outcome of an invocation. A function error, a timeout
// and a crash are results (FunctionError "Unhandled"), not Go errors.
type InvokeResult struct {
	Payload []byte
	// FunctionError is "" or "Unhandled" (AWS sends Unhandled for errors,
	// panics, timeouts and crashes).
	FunctionError string
	// Logs are the function's stdout and stderr for this invoke, with the
	// START, END and REPORT lines AWS writes.
	Logs           []byte
	ColdStart      bool
	InitDuration   time.Duration // cold starts only
	Duration       time.Duration
	BilledDuration time.Duration // Duration rounded up to 1 ms
	MaxMemoryMB    int           // peak RSS of the process where available
	RequestID      string
	// TimedOut reports that the function ran out of its Timeout (or of
	// the init limit): FunctionError is "Unhandled", the errorType
	// Sandbox.Timedout.
	TimedOut bool
}

// RunnerOptions configure a Runner.
type RunnerOptions struct {
	// WorkDir is where code is extracted, one private (0700) directory per
	// environment. Defaults to a new temporary directory removed by Close.
	WorkDir string
	// MaxUnzipped bounds the extracted size of a package; default
	// DefaultMaxUnzipped.
	MaxUnzipped int64
	// Logger receives debug events; default discards.
	Logger *slog.Logger
	// IdleTimeout reaps environments idle for longer (their processes are
	// killed; the next invoke is a cold start). 0 means
	// DefaultIdleTimeout; a negative value keeps them until Close.
	IdleTimeout time.Duration
	// PATH is the PATH given to functions; default the host's PATH.
	PATH string
}
