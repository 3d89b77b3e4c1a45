// Package graph loads the Go package graph of a monorepo's Lambda functions
// and gives each function a fingerprint: a hash of every input that can
// change its built binary. A function is affected between two states of the
// repository exactly when its fingerprint differs.
package graph

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/lambctl/lamb/internal/lambdaspec"
)

// version is mixed into every fingerprint; bump it when the contents of
// Inputs change meaning, so old cached prints never compare equal.
const version = "lamb-fingerprint-v3"

// Print is the fingerprint of one function.
type Print struct {
	// Function is the manifest function name.
	Function string `json:"function"`
	// Package is the import path of the function's main package.
	Package string `json:"package"`
	// Fingerprint is the sha256 (hex) of Inputs.
	Fingerprint string `json:"fingerprint"`
	// Inputs is everything the fingerprint covers, detailed enough for Diff
	// to explain a difference.
	Inputs Inputs `json:"inputs"`
}

// Inputs are the inputs of a function's build.
type Inputs struct {
	// Toolchain is the version of the go command (go env GOVERSION).
	Toolchain string `json:"toolchain"`
	// Settings are the build settings of the function.
	Settings Settings `json:"settings"`
	// Directives are the go, toolchain and godebug directives of the
	// repository's go.mod files and go.work. Keys: "go", "toolchain",
	// "godebug" for the main module, "go.work: go" for the workspace,
	// "<module path>: go" for other repository modules.
	Directives map[string]string `json:"directives,omitempty"`
	// Packages are the repository packages of the closure, by import path.
	Packages map[string]PackageInputs `json:"packages"`
	// Modules are the other modules of the closure: path → version, or
	// "version => replacement@version" when replaced.
	Modules map[string]string `json:"modules,omitempty"`
	// Files are the function's manifest files: path relative to the
	// manifest root → sha256 of the content ("missing" when absent).
	Files map[string]string `json:"files,omitempty"`
}

// Settings are the build settings that change a function's binary: what
// the go command that builds it runs with. They come from the function's
// buildcfg.Config (manifest.Function.BuildConfig), the one home of how a
// function is built, and from the go command itself.
type Settings struct {
	GOOS   string `json:"goos"`
	GOARCH string `json:"goarch"`
	// Flags are the go build flags (buildcfg.Config.Flags): -trimpath,
	// -buildvcs=false, -ldflags, -gcflags, -tags.
	Flags []string `json:"flags"`
	// Env is the environment lamb sets for the go command
	// (buildcfg.Config.Overlay: CGO_ENABLED=0, the manifest's build env as
	// written, GOOS and GOARCH, later entries winning), as the sorted
	// KEY=VALUE values it ends up with.
	Env []string `json:"env"`
	// GoEnv are the go environment values that change a binary as the go
	// command sees them with Env applied (buildcfg.ReadGoEnv: GOFLAGS
	// reduced, GOAMD64, GOARM64, GOEXPERIMENT, GOFIPS140, CGO_ENABLED,
	// and with cgo on CC, CXX, CGO_*FLAGS, PKG_CONFIG); the Go version is
	// Inputs.Toolchain.
	GoEnv map[string]string `json:"goenv,omitempty"`
	// CC is the first line of the C compiler's --version with cgo on.
	CC string `json:"cc,omitempty"`
}

// PackageInputs are the inputs of one repository package.
type PackageInputs struct {
	// Name is the package's path relative to the main module ("internal/auth"),
	// or its import path when it lives in another module.
	Name string `json:"name"`
	// Files are the Go and other source files the compiler reads, relative to
	// the package directory → for a Go file the digests of its tokens, the
	// comments the toolchain reads and the line of each ("go:code.dirs.lines",
	// see goSource), for any other file the sha256 of its content.
	Files map[string]string `json:"files"`
	// Embeds are the //go:embed files, relative to the package directory.
	Embeds map[string]string `json:"embeds,omitempty"`
	// Imports are the repository packages it imports directly.
	Imports []string `json:"imports,omitempty"`
	// Modules are the other modules whose packages it imports directly.
	Modules []string `json:"modules,omitempty"`
}

// ErrPackageNotFound reports that a function's package directory does not exist.
var ErrPackageNotFound = errors.New("package not found")

// sum returns the fingerprint of in.
func (in *Inputs) sum() string {
	b, err := json.Marshal(in) // map keys are sorted: canonical
	if err != nil {
		panic(err) // only strings and maps of strings
	}
	h := sha256.New()
	h.Write([]byte(version))
	h.Write([]byte{0})
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// Diff explains why two prints of the same function differ: human-readable
// reasons, sorted. It is empty when the fingerprints are equal.
func Diff(old, new Print) []string {
	if old.Fingerprint == new.Fingerprint && old.Fingerprint != "" {
		return nil
	}
	var r []string
	o, n := old.Inputs, new.Inputs
	if o.Toolchain != n.Toolchain {
		r = append(r, fmt.Sprintf("go version %s → %s", orNone(o.Toolchain), orNone(n.Toolchain)))
	}
	if old.Package != "" && new.Package != "" && old.Package != new.Package {
		r = append(r, fmt.Sprintf("package %s → %s", old.Package, new.Package))
	}
	r = append(r, settingsReasons(o.Settings, n.Settings)...)
	for _, k := range unionKeys(o.Directives, n.Directives) {
		a, b := o.Directives[k], n.Directives[k]
		if a == b {
			continue
		}
		prefix, name := "", k
		if i := strings.LastIndex(k, ": "); i >= 0 {
			prefix, name = k[:i+2], k[i+2:]
		}
		if name == "go" {
			name = "go directive"
		}
		r = append(r, fmt.Sprintf("%s%s %s → %s", prefix, name, orNone(a), orNone(b)))
	}
	for _, k := range unionKeys(o.Packages, n.Packages) {
		a, aok := o.Packages[k]
		b, bok := n.Packages[k]
		switch {
		case !aok:
			r = append(r, fmt.Sprintf("package %s added to closure", b.Name))
		case !bok:
			r = append(r, fmt.Sprintf("package %s removed from closure", a.Name))
		default:
			r = append(r, fileReasons(b.Name+": ", a.Files, b.Files)...)
			r = append(r, fileReasons(b.Name+": embedded file ", a.Embeds, b.Embeds)...)
		}
	}
	for _, k := range unionKeys(o.Modules, n.Modules) {
		a, aok := o.Modules[k]
		b, bok := n.Modules[k]
		switch {
		case !aok:
			r = append(r, fmt.Sprintf("module %s added", k))
		case !bok:
			r = append(r, fmt.Sprintf("module %s removed", k))
		case a != b:
			r = append(r, fmt.Sprintf("module %s %s → %s", k, a, b))
		}
	}
	r = append(r, fileReasons("files: ", o.Files, n.Files)...)
	if len(r) == 0 && old.Fingerprint != new.Fingerprint {
		r = append(r, "fingerprint changed")
	}
	sort.Strings(r)
	return r
}

// settingsReasons explains a difference of build settings. The manifest's
// build env values are not printed (a build env may carry a proxy URL);
// the go environment's values are.
func settingsReasons(o, n Settings) []string {
	var r []string
	if o.GOOS != n.GOOS {
		r = append(r, fmt.Sprintf("GOOS %s → %s", orNone(o.GOOS), orNone(n.GOOS)))
	}
	archChanged := o.GOARCH != n.GOARCH
	if archChanged {
		r = append(r, fmt.Sprintf("architecture %s → %s", lambdaArch(o.GOARCH), lambdaArch(n.GOARCH)))
	}
	of, nf := flagValues(o.Flags), flagValues(n.Flags)
	for _, k := range unionKeys(of, nf) {
		a, aok := of[k]
		b, bok := nf[k]
		switch {
		case !aok:
			r = append(r, fmt.Sprintf("build flag %s added: %q", k, b))
		case !bok:
			r = append(r, fmt.Sprintf("build flag %s removed: %q", k, a))
		case a != b:
			r = append(r, fmt.Sprintf("build flag %s %q → %q", k, a, b))
		}
	}
	cgoChanged := o.GoEnv["CGO_ENABLED"] != n.GoEnv["CGO_ENABLED"]
	for _, k := range unionKeys(o.GoEnv, n.GoEnv) {
		a, b := o.GoEnv[k], n.GoEnv[k]
		if a == b || archChanged && archSpecific(k) || cgoChanged && cgoSpecific(k) {
			continue // unchanged, or follows from the architecture or cgo
		}
		r = append(r, fmt.Sprintf("build environment %s %q → %q", k, a, b))
	}
	oe, ne := envValues(o.Env), envValues(n.Env)
	for _, k := range unionKeys(oe, ne) {
		a, aok := oe[k]
		b, bok := ne[k]
		if a == b && aok == bok || o.GoEnv[k] != n.GoEnv[k] || k == "GOOS" || k == "GOARCH" {
			continue // unchanged, or explained by its go env value
		}
		switch {
		case !aok:
			r = append(r, "build.env "+k+" added")
		case !bok:
			r = append(r, "build.env "+k+" removed")
		default:
			r = append(r, "build.env "+k+" changed")
		}
	}
	if o.CC != n.CC && !cgoChanged {
		r = append(r, fmt.Sprintf("C compiler %q → %q", o.CC, n.CC))
	}
	return r
}

// archSpecific reports whether the go env variable k only means something
// for one GOARCH (its change follows from an architecture change).
func archSpecific(k string) bool {
	switch k {
	case "GOAMD64", "GOARM64", "GOARM", "GO386", "GOMIPS", "GOMIPS64", "GOPPC64", "GORISCV64", "GOWASM":
		return true
	}
	return false
}

// cgoSpecific reports whether the go env variable k only means something
// with cgo on (it is recorded only then).
func cgoSpecific(k string) bool {
	switch k {
	case "CC", "CXX", "PKG_CONFIG":
		return true
	}
	return strings.HasPrefix(k, "CGO_") && k != "CGO_ENABLED"
}

// lambdaArch names a GOARCH as the manifest does.
func lambdaArch(goarch string) string {
	if a, ok := lambdaspec.Arch(goarch); ok {
		return a
	}
	return orNone(goarch)
}

// flagValues maps each go flag to its value ("" for a boolean flag).
func flagValues(flags []string) map[string]string {
	out := map[string]string{}
	for _, f := range flags {
		name, value, _ := strings.Cut(f, "=")
		out[name] = value
	}
	return out
}

// envValues maps each variable of env to its effective (last) value.
func envValues(env []string) map[string]string {
	out := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out
}

func fileReasons(prefix string, a, b map[string]string) []string {
	var r []string
	for _, k := range unionKeys(a, b) {
		x, xok := a[k]
		y, yok := b[k]
		switch {
		case !xok || x == missing && y != missing:
			r = append(r, prefix+k+" added")
		case !yok || y == missing && x != missing:
			r = append(r, prefix+k+" removed")
		case x != y:
			if kind := goChange(x, y); kind != "" {
				r = append(r, prefix+k+" changed ("+kind+")")
				continue
			}
			r = append(r, prefix+k+" changed")
		}
	}
	return r
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func unionKeys[V any](a, b map[string]V) []string {
	seen := make(map[string]bool, len(a)+len(b))
	var keys []string
	for _, m := range []map[string]V{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys
}
