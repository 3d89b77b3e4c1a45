// Package manifest decodes, validates and resolves lamb.yaml.
//
// It has no dependency on the rest of lamb: it returns resolved functions
// (defaults, discovery and stage applied) that the other packages consume.
package manifest

import (
	"github.com/lambctl/lamb/internal/buildcfg"
	"github.com/lambctl/lamb/internal/lambdaspec"
)

// Pos is a position in the manifest file, 1-based.
type Pos struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

// Build holds extra go build settings.
type Build struct {
	Tags    []string          `json:"tags,omitempty"`
	LDFlags string            `json:"ldflags,omitempty"`
	GCFlags string            `json:"gcflags,omitempty"`
	Env     map[string]string `json:"env,omitempty"`
}

// Function is one resolved Lambda function: defaults, discovery and the
// selected stage have been applied.
type Function struct {
	// Name is the Lambda function name, stage prefix applied.
	Name string `json:"name"`
	// Key is the function's key in the manifest (or the discovered name),
	// without the stage prefix.
	Key string `json:"key"`
	// Package is the package path as written, relative to Root ("./functions/x").
	Package string `json:"package"`
	// Dir is the package directory relative to Root, slash-separated ("functions/x").
	Dir          string            `json:"dir"`
	Runtime      string            `json:"runtime"`
	Architecture string            `json:"architecture"` // arm64 or x86_64
	Memory       int               `json:"memory"`
	Timeout      int               `json:"timeout"`
	Role         string            `json:"role,omitempty"`
	Environment  map[string]string `json:"environment,omitempty"`
	Tags         map[string]string `json:"tags,omitempty"`
	Alias        string            `json:"alias,omitempty"`
	Build        Build             `json:"build"`
	// Files are extra files, slash-separated and relative to Root.
	Files []string `json:"files,omitempty"`
	// Pos is where the function is defined (its key, or the discover entry).
	Pos Pos `json:"-"`
}

// BuildConfig returns how the function is built: the one source of its go
// command line and environment for the graph (fingerprints) and the
// builder. The error is an architecture validation refuses.
func (f Function) BuildConfig() (buildcfg.Config, error) {
	return buildcfg.New(f.Architecture, f.Build.Tags, f.Build.LDFlags, f.Build.GCFlags, f.Build.Env)
}

// GOARCH returns the Go architecture for the function's Lambda architecture.
//
// Deprecated: use BuildConfig; kept until graph and builder move to it.
func (f Function) GOARCH() string {
	if g, ok := lambdaspec.GOARCH(f.Architecture); ok {
		return g
	}
	return "arm64"
}

// Stage is a named overlay selected with --stage.
type Stage struct {
	Name           string
	Prefix         string
	Role           string
	Environment    map[string]string
	Tags           map[string]string
	Alias          string
	ArtifactBucket string
	Region         string
}

// Manifest is a loaded, validated and resolved lamb.yaml.
type Manifest struct {
	// Path is the absolute path of the manifest file.
	Path string
	// Root is the absolute directory holding the manifest; every relative
	// path in it is relative to Root, and nothing may escape it.
	Root string
	// Stage is the selected stage, nil when none was selected.
	Stage *Stage
	// Cache is the shared artifact cache URL (s3://bucket/prefix), if set.
	Cache string
	// Functions are sorted by Name.
	Functions []Function
}

// Lookup returns the function with the given name: its stage-prefixed
// Name, else its Key. A Name wins over another function's Key (with prefix
// "prod-", "prod-a" is function a even if a function "prod-a" exists).
func (m *Manifest) Lookup(name string) (Function, bool) {
	for _, f := range m.Functions {
		if f.Name == name {
			return f, true
		}
	}
	for _, f := range m.Functions {
		if f.Key == name {
			return f, true
		}
	}
	return Function{}, false
}
