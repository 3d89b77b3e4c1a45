// Package lambdaspec is the one home of AWS Lambda's facts that several
// parts of lamb rely on: the instruction set architectures and their Go
// names, and the quotas on code, environment and payloads. The manifest
// validates against them, the builder builds and checks sizes with them,
// the deployer decides uploads with them and the local Lambda enforces
// them. Source: AWS Lambda Developer Guide, "Lambda quotas" and "Selecting
// and configuring an instruction set architecture" (see docs/emulator.md).
//
// It imports nothing of lamb.
package lambdaspec

import (
	"fmt"
	"runtime"
)

// The Lambda architectures.
const (
	ArchARM64  = "arm64"
	ArchX86_64 = "x86_64"
)

// Architectures are the Lambda architectures, in the order AWS lists them.
var Architectures = []string{ArchX86_64, ArchARM64}

// GOARCH returns the Go architecture that builds for the Lambda
// architecture arch ("x86_64" → "amd64", "arm64" → "arm64"), and false for
// anything else.
func GOARCH(arch string) (string, bool) {
	switch arch {
	case ArchX86_64:
		return "amd64", true
	case ArchARM64:
		return "arm64", true
	}
	return "", false
}

// Arch returns the Lambda architecture of the Go architecture goarch, and
// false when Lambda has none (386, riscv64, ...).
func Arch(goarch string) (string, bool) {
	switch goarch {
	case "amd64":
		return ArchX86_64, true
	case "arm64":
		return ArchARM64, true
	}
	return "", false
}

// HostArch returns the Lambda architecture of this machine: what a
// function must be built for to run here. On a machine Lambda has no
// architecture for it returns an error naming GOARCH.
func HostArch() (string, error) {
	if a, ok := Arch(runtime.GOARCH); ok {
		return a, nil
	}
	return "", fmt.Errorf("this machine's architecture %s is not one Lambda runs (x86_64 or arm64)", runtime.GOARCH)
}

// Quotas (AWS Lambda Developer Guide, "Lambda quotas").
const (
	// DirectUploadLimit is the largest zip that CreateFunction and
	// UpdateFunctionCode accept inline (ZipFile); larger code goes
	// through S3.
	DirectUploadLimit = 52_428_800 // 50 MB
	// UnzippedLimit bounds a function's code unzipped (with layers).
	UnzippedLimit = 262_144_000 // 250 MB
	// EnvironmentLimit bounds a function's environment variables,
	// measured as the JSON of the map.
	EnvironmentLimit = 4096 // 4 KB
	// SyncPayloadLimit bounds a synchronous invoke's request and response.
	SyncPayloadLimit = 6 * 1024 * 1024 // 6 MB
	// MaxTags is the number of tags a function may carry.
	MaxTags = 50
	// MinMemory and MaxMemory bound MemorySize, in MB.
	MinMemory, MaxMemory = 128, 10240
	// MinTimeout and MaxTimeout bound Timeout, in seconds.
	MinTimeout, MaxTimeout = 1, 900
)

// ReservedEnv are the environment variables Lambda sets itself and refuses
// in a function's configuration (AWS Lambda Developer Guide, "Defined
// runtime environment variables": the reserved ones).
var ReservedEnv = []string{
	"_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
	"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
	"AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
	"AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
}
