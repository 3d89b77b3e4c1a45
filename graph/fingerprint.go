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
)

// version is mixed into every fingerprint; bump it when the contents of
// Inputs change meaning, so old cached prints never compare equal.
const version = "lamb-fingerprint-v1"

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

// Settings are the build settings that change a function's binary.
type Settings struct {
	GOOS   string `json:"goos"`
	GOARCH string `json:"goarch"`
	// From the manifest.
	Tags    []string          `json:"tags,omitempty"`
	LDFlags string            `json:"ldflags,omitempty"`
	GCFlags string            `json:"gcflags,omitempty"`
	Env     map[string]string `json:"env,omitempty"`
	// From the go environment (build env applied).
	GOARM64      string `json:"goarm64,omitempty"`
	GOAMD64      string `json:"goamd64,omitempty"`
	GOEXPERIMENT string `json:"goexperiment,omitempty"`
	GOFLAGS      string `json:"goflags,omitempty"`
	GOFIPS140    string `json:"gofips140,omitempty"`
}

// PackageInputs are the inputs of one repository package.
type PackageInputs struct {
	// Name is the package's path relative to the main module ("internal/auth"),
	// or its import path when it lives in another module.
	Name string `json:"name"`
	// Files are the Go and other source files the compiler reads, relative to
	// the package directory → sha256 of the content.
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

// FunctionError is the failure to fingerprint one function.
type FunctionError struct {
	Function string
	Err      error
}

func (e *FunctionError) Error() string { return fmt.Sprintf("function %s: %v", e.Function, e.Err) }
func (e *FunctionError) Unwrap() error { return e.Err }

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
		r = append(r, fmt.Sprintf("go version %s => %s", orNone(o.Toolchain), orNone(n.Toolchain)))
	}
	os, ns := o.Settings, n.Settings
	if os.GOOS != ns.GOOS || os.GOARCH != ns.GOARCH || os.LDFlags != ns.LDFlags || os.GCFlags != ns.GCFlags ||
		!equalStrings(os.Tags, ns.Tags) || !equalMaps(os.Env, ns.Env) {
		r = append(r, "manifest build settings changed")
	}
	for _, v := range []struct{ name, a, b string }{
		{"GOARM64", os.GOARM64, ns.GOARM64},
		{"GOAMD64", os.GOAMD64, ns.GOAMD64},
		{"GOEXPERIMENT", os.GOEXPERIMENT, ns.GOEXPERIMENT},
		{"GOFLAGS", os.GOFLAGS, ns.GOFLAGS},
		{"GOFIPS140", os.GOFIPS140, ns.GOFIPS140},
	} {
		if v.a != v.b && (os.GOARCH == ns.GOARCH || !strings.HasPrefix(v.name, "GOA")) {
			r = append(r, fmt.Sprintf("build environment %s %q => %q", v.name, v.a, v.b))
		}
	}
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
		r = append(r, fmt.Sprintf("%s%s %s => %s", prefix, name, orNone(a), orNone(b)))
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
			r = append(r, fmt.Sprintf("module %s %s => %s", k, a, b))
		}
	}
	r = append(r, fileReasons("files: ", o.Files, n.Files)...)
	if len(r) == 0 && old.Fingerprint != new.Fingerprint {
		r = append(r, "fingerprint changed")
	}
	sort.Strings(r)
	return r
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

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
