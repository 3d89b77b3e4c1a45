// Package buildcfg is the one home of how lamb builds a function: the go
// command line, its environment (with one precedence order), the go
// environment values that change a binary, and where a package's module is.
// The graph fingerprints exactly what the builder runs because both take
// it from here; a second copy of any of it is how a deploy gets missed.
//
// It imports nothing of lamb but lambdaspec; manifest.Function.BuildConfig
// turns a manifest entry into a Config.
package buildcfg

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/lambctl/lamb/internal/lambdaspec"
)

// GOOS is the operating system every Lambda function is built for.
const GOOS = "linux"

// DefaultTag is the build tag every function is built with: aws-lambda-go
// leaves out its RPC mode, unused by the provided runtimes.
const DefaultTag = "lambda.norpc"

// DefaultLDFlags strip the symbol table and DWARF (smaller zips, faster
// cold starts; the line table stays, so stack traces keep file:line) and
// the build IDs: the Go build ID hashes the main package's source bytes,
// comments included, so without -buildid= a comment edit would change the
// zip's bytes and nothing else.
const DefaultLDFlags = "-s -w -buildid="

// stripFlags are the part of DefaultLDFlags a debug build drops.
const stripFlags = "-s -w"

// Config is how one function is built. Functions with equal Keys in one
// module are built by one go invocation and share one package load.
type Config struct {
	// GOARCH is the Go architecture (amd64 or arm64).
	GOARCH string
	// Tags are the build tags, DefaultTag included, sorted, no duplicates.
	Tags []string
	// LDFlags is the whole -ldflags value (DefaultLDFlags first unless
	// Debug).
	LDFlags string
	// GCFlags is the -gcflags value, "" for none.
	GCFlags string
	// Env is the manifest's build env as sorted KEY=VALUE; CheckEnv has
	// accepted every key.
	Env []string
	// Debug builds for a debugger: no optimisations or inlining
	// (-gcflags=all=-N -l), symbols and DWARF kept.
	Debug bool
}

// New returns the configuration for a function of Lambda architecture arch
// with the manifest's extra build settings. An unknown architecture is an
// error (the manifest refuses it before this).
func New(arch string, tags []string, ldflags, gcflags string, env map[string]string) (Config, error) {
	goarch, ok := lambdaspec.GOARCH(arch)
	if !ok {
		return Config{}, fmt.Errorf("architecture %q: want %s", arch, strings.Join(lambdaspec.Architectures, " or "))
	}
	c := Config{GOARCH: goarch, GCFlags: gcflags}
	c.Tags = append([]string{DefaultTag}, tags...)
	c.Tags = slices.DeleteFunc(c.Tags, func(t string) bool { return t == "" })
	slices.Sort(c.Tags)
	c.Tags = slices.Compact(c.Tags)
	c.LDFlags = DefaultLDFlags
	if ldflags != "" {
		c.LDFlags += " " + ldflags
	}
	for k, v := range env {
		c.Env = append(c.Env, k+"="+v)
	}
	slices.Sort(c.Env)
	return c, nil
}

// WithDebug returns c built for a debugger: -gcflags=all=-N -l (plus c's
// gcflags), and the linker keeps symbols and DWARF (no -s -w; -buildid=
// stays).
func (c Config) WithDebug() Config {
	c.Debug = true
	c.LDFlags = strings.TrimSpace(strings.TrimPrefix(c.LDFlags, stripFlags))
	gc := "all=-N -l"
	if c.GCFlags != "" {
		gc += " " + c.GCFlags
	}
	c.GCFlags = gc
	c.Env = slices.Clone(c.Env)
	c.Tags = slices.Clone(c.Tags)
	return c
}

// Arch returns the Lambda architecture of c.
func (c Config) Arch() string {
	a, _ := lambdaspec.Arch(c.GOARCH)
	return a
}

// Flags are the go build flags of c, without -json, -p and -o (which
// change how the go command reports and schedules, not what it builds):
// what a fingerprint must cover.
func (c Config) Flags() []string {
	args := []string{"-trimpath", "-buildvcs=false"}
	if c.LDFlags != "" {
		args = append(args, "-ldflags="+c.LDFlags)
	}
	if c.GCFlags != "" {
		args = append(args, "-gcflags="+c.GCFlags)
	}
	return append(args, "-tags="+strings.Join(c.Tags, ","))
}

// BuildArgs returns the arguments of the go command that builds the main
// packages pkgs (relative to the module directory) into the directory
// outDir, one binary per package named after its last path element, and
// reports as JSON on stdout. jobs > 0 sets -p.
func (c Config) BuildArgs(outDir string, jobs int, pkgs []string) []string {
	args := []string{"build", "-json"}
	if jobs > 0 {
		args = append(args, "-p", strconv.Itoa(jobs))
	}
	args = append(args, c.Flags()...)
	if !strings.HasSuffix(outDir, "/") {
		outDir += "/"
	}
	args = append(args, "-o", outDir)
	return append(args, pkgs...)
}

// ListFlags are the flags a package load (go list, go/packages) needs to
// select the files the build compiles: the tags. (File selection also
// depends on Environ.)
func (c Config) ListFlags() []string {
	return []string{"-tags=" + strings.Join(c.Tags, ",")}
}

// Overlay is the environment lamb sets for c, in precedence order, later
// entries winning: CGO_ENABLED=0 (lamb's default: static binaries), then
// the manifest's build env (which may turn cgo on), then GOOS and
// GOARCH (the architecture decides them; CheckEnv refuses them in the
// manifest).
func (c Config) Overlay() []string {
	env := []string{"CGO_ENABLED=0"}
	env = append(env, c.Env...)
	return append(env, "GOOS="+GOOS, "GOARCH="+c.GOARCH)
}

// Environ returns the environment of every go command lamb runs for c:
// base (normally os.Environ()), then Overlay, then extra (lamb's own
// settings of one run, such as the GOWORK of a base worktree). Later
// entries win, as in os/exec.
func (c Config) Environ(base []string, extra ...string) []string {
	env := slices.Clone(base)
	env = append(env, c.Overlay()...)
	return append(env, extra...)
}

// Key identifies c: equal keys build the same way.
func (c Config) Key() string {
	var b strings.Builder
	for _, s := range c.Flags() {
		b.WriteString(s)
		b.WriteByte(0)
	}
	b.WriteByte(1)
	for _, s := range c.Overlay() {
		b.WriteString(s)
		b.WriteByte(0)
	}
	return b.String()
}

// CGO reports whether c builds with cgo.
func (c Config) CGO() bool {
	v := "0"
	for _, kv := range c.Overlay() {
		if k, val, _ := strings.Cut(kv, "="); k == "CGO_ENABLED" {
			v = val
		}
	}
	return v == "1"
}

// Reserved environment keys a manifest's build env may not set, and why.
var reserved = map[string]string{
	"GOOS":        "every function is built for linux",
	"GOARCH":      "set by the function's architecture",
	"GOWORK":      "lamb builds with the repository's go.work, if any",
	"GOENV":       "lamb reads the machine's go env file; set variables in build.env directly",
	"GOROOT":      "the toolchain is the go command lamb runs; pin it with go.mod's toolchain directive",
	"GOTOOLCHAIN": "pin the toolchain with go.mod's toolchain directive",
	"GOPATH":      "a machine setting, not a build setting",
	"GOMODCACHE":  "a machine setting, not a build setting",
	"GOCACHE":     "a machine setting, not a build setting",
	"GOBIN":       "a machine setting, not a build setting",
}

// goflagsReserved are the flags lamb passes itself: in GOFLAGS they would
// be overridden or would fight lamb's.
var goflagsReserved = []string{"tags", "ldflags", "gcflags", "trimpath", "buildvcs", "o", "buildmode", "linkshared", "race", "msan", "asan", "cover", "coverpkg", "covermode", "json", "toolexec", "overlay"}

// envNameRE is what the go command and a shell accept as a variable name.
var envNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// CheckEnv reports whether a manifest's build env may set key to value:
// reserved keys, a CGO_ENABLED other than 0 or 1, and GOFLAGS naming a
// flag lamb sets itself are refused with the reason. Every other key is
// passed to the go command and fingerprinted as written.
func CheckEnv(key, value string) error {
	if why, ok := reserved[key]; ok {
		return fmt.Errorf("%s cannot be set: %s", key, why)
	}
	if !envNameRE.MatchString(key) {
		return fmt.Errorf("%q is not an environment variable name", key)
	}
	switch key {
	case "CGO_ENABLED":
		if value != "0" && value != "1" {
			return fmt.Errorf("CGO_ENABLED %q: want \"0\" or \"1\"", value)
		}
	case "GOFLAGS":
		for _, f := range strings.Fields(value) {
			name, _, _ := strings.Cut(strings.TrimLeft(f, "-"), "=")
			if slices.Contains(goflagsReserved, name) {
				return fmt.Errorf("GOFLAGS -%s: lamb sets it itself; use build.tags, build.ldflags or build.gcflags", name)
			}
		}
	}
	if strings.Contains(value, "\x00") {
		return fmt.Errorf("%s: value contains NUL", key)
	}
	return nil
}
