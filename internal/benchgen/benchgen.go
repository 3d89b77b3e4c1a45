// Package benchgen writes realistic, deterministic Go monorepos of N AWS
// Lambda functions for lamb's build, graph and deploy benchmarks.
//
// A generated repository (module example.com/benchrepo) holds:
//
//	functions/<domain>-<kind>/main.go  package main, lambda.Start(handler)
//	internal/<pkg>/<pkg>.go            shared packages (see Layout)
//	lamb.yaml                          version 1, discover ./functions/...
//	.bench/functions.txt               one function name per line
//	.bench/importers.txt               "internal/<pkg> <k> <fn1,fn2,...>"
//	go.mod, go.sum                     pinned aws-lambda-go and aws-sdk-go-v2
//
// Functions cycle through six kinds (api, store, ingest, worker, cron,
// stream) and twelve domains; store, ingest and worker use aws-sdk-go-v2
// (config plus dynamodb, s3 or sqs), so half of every six functions do.
// For N=24 the shared packages are used by: log 24, model and ids 20,
// awsx 12, auth and httpx 8, ddb, blob and queue 4 functions each.
//
// Every package and every main has a `const Version = "<name>-v1"` that
// ends up in the binary; Touch bumps it to simulate an edit.
package benchgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/template"
)

// Module is the module path of generated repositories.
const Module = "example.com/benchrepo"

// Requires are the pinned module requirements written to go.mod.
var Requires = []string{
	"github.com/aws/aws-lambda-go v1.55.1",
	"github.com/aws/aws-sdk-go-v2 v1.48.0",
	"github.com/aws/aws-sdk-go-v2/config v1.33.18",
	"github.com/aws/aws-sdk-go-v2/service/dynamodb v1.74.0",
	"github.com/aws/aws-sdk-go-v2/service/s3 v1.114.10",
	"github.com/aws/aws-sdk-go-v2/service/sqs v1.53.0",
}

// Function is one generated function.
type Function struct {
	Name string // Lambda name and directory name, e.g. "orders-api"
	Dir  string // slash-separated, relative to the repository: "functions/orders-api"
	Kind string // api, store, ingest, worker, cron or stream
	SDK  bool   // depends on aws-sdk-go-v2
	// Uses are the internal packages the function depends on, directly or
	// not, as "internal/<pkg>", sorted.
	Uses []string
}

// Layout returns the functions a repository of n functions holds, in
// generation order. It is a pure function of n.
func Layout(n int) []Function {
	fns := make([]Function, 0, n)
	for i := range n {
		k := kinds[i%len(kinds)]
		d := domains[(i/len(kinds))%len(domains)]
		name := d.Name + "-" + k.Suffix
		if round := i / (len(kinds) * len(domains)); round > 0 {
			name = fmt.Sprintf("%s-%d", name, round+1)
		}
		fns = append(fns, Function{
			Name: name,
			Dir:  "functions/" + name,
			Kind: k.Suffix,
			SDK:  k.SDK,
			Uses: closure(k.Imports),
		})
	}
	return fns
}

// Importers returns, for each internal package used by at least one of
// the functions of Layout(n), the names of the functions depending on it
// (directly or not), sorted.
func Importers(n int) map[string][]string {
	m := make(map[string][]string)
	for _, f := range Layout(n) {
		for _, p := range f.Uses {
			m[p] = append(m[p], f.Name)
		}
	}
	for _, names := range m {
		sort.Strings(names)
	}
	return m
}

// closure returns the internal packages reachable from imports, as
// "internal/<pkg>", sorted.
func closure(imports []string) []string {
	deps := make(map[string][]string, len(pkgs))
	for _, p := range pkgs {
		deps[p.Name] = p.Deps
	}
	seen := make(map[string]bool)
	var visit func(string)
	visit = func(name string) {
		if seen[name] {
			return
		}
		seen[name] = true
		for _, d := range deps[name] {
			visit(d)
		}
	}
	for _, imp := range imports {
		visit(imp)
	}
	out := make([]string, 0, len(seen))
	for name := range seen {
		out = append(out, "internal/"+name)
	}
	sort.Strings(out)
	return out
}

type options struct {
	tidy bool
}

// Option configures Generate.
type Option func(*options)

// WithoutTidy skips `go mod tidy`: go.mod then holds only the pinned
// requirements and there is no go.sum, so the repository does not build
// until tidied. Tests use it to stay offline and fast.
func WithoutTidy() Option {
	return func(o *options) { o.tidy = false }
}

// Generate writes a repository of n functions into dir, which must not
// exist or be empty, then runs `go mod tidy` there (which needs the Go
// module proxy or a warm module cache). The output is the same for the
// same n.
func Generate(dir string, n int, opts ...Option) error {
	return GenerateContext(context.Background(), dir, n, opts...)
}

// GenerateContext is Generate with a context for `go mod tidy`.
func GenerateContext(ctx context.Context, dir string, n int, opts ...Option) error {
	o := options{tidy: true}
	for _, opt := range opts {
		opt(&o)
	}
	if n < 1 {
		return fmt.Errorf("benchgen: n must be at least 1, got %d", n)
	}
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return fmt.Errorf("benchgen: %s is not empty", dir)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("benchgen: %w", err)
	}

	fns := Layout(n)
	used := Importers(n)
	for _, p := range pkgs {
		if _, ok := used["internal/"+p.Name]; !ok {
			continue // e.g. no store function when n is 1: no ddb
		}
		if err := writeGo(filepath.Join(dir, "internal", p.Name, p.Name+".go"), p.Src, map[string]any{"Module": Module}); err != nil {
			return err
		}
	}
	for i, f := range fns {
		d := domains[(i/len(kinds))%len(domains)]
		data := map[string]any{
			"Module":    Module,
			"Name":      f.Name,
			"Domain":    d.Name,
			"Entity":    d.Entity,
			"PageSize":  10 + i%41,
			"MaxObject": 1 + i%8,
			"Retention": 7 + i%30,
		}
		if err := writeGo(filepath.Join(dir, filepath.FromSlash(f.Dir), "main.go"), kinds[i%len(kinds)].Src, data); err != nil {
			return err
		}
	}

	files := map[string]string{
		"go.mod":               goMod(),
		"lamb.yaml":            lambYAML,
		".gitignore":           ".lamb/\n",
		".bench/functions.txt": functionsTxt(fns),
		".bench/importers.txt": importersTxt(used),
	}
	for name, content := range files {
		if err := writeFile(filepath.Join(dir, filepath.FromSlash(name)), []byte(content)); err != nil {
			return err
		}
	}
	if o.tidy {
		cmd := exec.CommandContext(ctx, "go", "mod", "tidy")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("benchgen: go mod tidy in %s: %w\n%s", dir, err, bytes.TrimSpace(out))
		}
	}
	return nil
}

func goMod() string {
	var b strings.Builder
	fmt.Fprintf(&b, "module %s\n\ngo 1.26\n\nrequire (\n", Module)
	for _, r := range Requires {
		fmt.Fprintf(&b, "\t%s\n", r)
	}
	b.WriteString(")\n")
	return b.String()
}

const lambYAML = `# Generated by lamb's benchgen: every main package under functions/ is a
# function named after its directory.
version: 1
defaults:
  runtime: provided.al2023
  architecture: arm64
  memory: 128
  timeout: 10
  role: arn:aws:iam::123456789012:role/lambda-basic
  environment:
    LOG_LEVEL: info
  tags:
    team: bench
  alias: live
discover:
  - packages: ./functions/...
    name: "{{.Dir}}"
`

func functionsTxt(fns []Function) string {
	var b strings.Builder
	for _, f := range fns {
		b.WriteString(f.Name + "\n")
	}
	return b.String()
}

func importersTxt(m map[string][]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s %d %s\n", k, len(m[k]), strings.Join(m[k], ","))
	}
	return b.String()
}

// ReadImporters parses dir/.bench/importers.txt.
func ReadImporters(dir string) (map[string][]string, error) {
	path := filepath.Join(dir, ".bench", "importers.txt")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("benchgen: %w", err)
	}
	return parseImporters(path, b)
}

// parseImporters parses the lines "internal/<pkg> <k> <fn1,...,fnk>" of
// an importers file.
func parseImporters(path string, b []byte) (map[string][]string, error) {
	m := make(map[string][]string)
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 3 {
			return nil, fmt.Errorf("benchgen: %s:%d: want 3 fields, got %d", path, i+1, len(fields))
		}
		names := strings.Split(fields[2], ",")
		if strconv.Itoa(len(names)) != fields[1] {
			return nil, fmt.Errorf("benchgen: %s:%d: count %s does not match %d names", path, i+1, fields[1], len(names))
		}
		if _, dup := m[fields[0]]; dup {
			return nil, fmt.Errorf("benchgen: %s:%d: %s listed twice", path, i+1, fields[0])
		}
		m[fields[0]] = names
	}
	return m, nil
}

// PackageUsedBy returns the internal package (as "internal/<pkg>") used
// by the number of functions closest to k, preferring the larger count on
// ties, among those of dir/.bench/importers.txt.
func PackageUsedBy(dir string, k int) (string, []string, error) {
	m, err := ReadImporters(dir)
	if err != nil {
		return "", nil, err
	}
	keys := make([]string, 0, len(m))
	for p := range m {
		keys = append(keys, p)
	}
	sort.Strings(keys)
	best := ""
	for _, p := range keys {
		if best == "" {
			best = p
			continue
		}
		d, bd := abs(len(m[p])-k), abs(len(m[best])-k)
		if d < bd || d == bd && len(m[p]) > len(m[best]) {
			best = p
		}
	}
	if best == "" {
		return "", nil, fmt.Errorf("benchgen: no internal packages in %s", dir)
	}
	return best, slices.Clone(m[best]), nil
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func writeGo(path, src string, data any) error {
	t, err := template.New(filepath.Base(path)).Parse(strings.ReplaceAll(src, "§", "`"))
	if err != nil {
		return fmt.Errorf("benchgen: template for %s: %w", path, err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return fmt.Errorf("benchgen: template for %s: %w", path, err)
	}
	out, err := format.Source(buf.Bytes())
	if err != nil {
		return fmt.Errorf("benchgen: generated %s does not parse: %w", path, err)
	}
	return writeFile(path, out)
}

func writeFile(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("benchgen: %w", err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("benchgen: %w", err)
	}
	return nil
}
