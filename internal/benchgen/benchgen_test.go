package benchgen

import (
	"bytes"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLayoutCounts(t *testing.T) {
	tests := []struct {
		n    int
		want map[string]int // functions using each internal package
		sdk  int
	}{
		{
			n:    1,
			want: map[string]int{"internal/auth": 1, "internal/httpx": 1, "internal/ids": 1, "internal/log": 1, "internal/model": 1},
			sdk:  0,
		},
		{
			n: 24,
			want: map[string]int{
				"internal/auth": 8, "internal/httpx": 8, "internal/log": 24, "internal/model": 20, "internal/ids": 20,
				"internal/awsx": 12, "internal/ddb": 4, "internal/blob": 4, "internal/queue": 4,
			},
			sdk: 12,
		},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.n), func(t *testing.T) {
			got := map[string]int{}
			for p, names := range Importers(tt.n) {
				got[p] = len(names)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Importers(%d) counts (-want +got):\n%s", tt.n, diff)
			}
			sdk := 0
			names := map[string]bool{}
			for _, f := range Layout(tt.n) {
				if f.SDK {
					sdk++
				}
				if names[f.Name] {
					t.Errorf("duplicate function name %q", f.Name)
				}
				names[f.Name] = true
			}
			if sdk != tt.sdk {
				t.Errorf("%d functions use the SDK, want %d", sdk, tt.sdk)
			}
		})
	}
}

func TestLayoutNamesUniqueBeyondOneRound(t *testing.T) {
	n := len(kinds)*len(domains) + 3
	seen := map[string]bool{}
	for _, f := range Layout(n) {
		if seen[f.Name] {
			t.Fatalf("duplicate function name %q", f.Name)
		}
		seen[f.Name] = true
	}
	if !seen["orders-api-2"] {
		t.Errorf("second round should start with orders-api-2")
	}
}

func TestGenerate(t *testing.T) {
	dir := t.TempDir()
	if err := Generate(dir, 4, WithoutTidy()); err != nil {
		t.Fatal(err)
	}

	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := []string{
		".bench/functions.txt",
		".bench/importers.txt",
		".gitignore",
		"functions/orders-api/main.go",
		"functions/orders-ingest/main.go",
		"functions/orders-store/main.go",
		"functions/orders-worker/main.go",
		"go.mod",
		"internal/auth/auth.go",
		"internal/awsx/awsx.go",
		"internal/blob/blob.go",
		"internal/ddb/ddb.go",
		"internal/httpx/httpx.go",
		"internal/ids/ids.go",
		"internal/log/log.go",
		"internal/model/model.go",
		"internal/queue/queue.go",
		"lamb.yaml",
	}
	if diff := cmp.Diff(wantFiles, files); diff != "" {
		t.Errorf("generated files (-want +got):\n%s", diff)
	}

	// importers.txt must agree with the imports actually written: the
	// transitive closure over internal packages, computed from the sources.
	direct := parseInternalImports(t, dir)
	want := map[string][]string{}
	for _, f := range Layout(4) {
		seen := map[string]bool{}
		var visit func(string)
		visit = func(p string) {
			if seen[p] {
				return
			}
			seen[p] = true
			for _, d := range direct[p] {
				visit(d)
			}
		}
		for _, d := range direct[f.Dir] {
			visit(d)
		}
		for p := range seen {
			want[p] = append(want[p], f.Name)
		}
	}
	for _, names := range want {
		sort.Strings(names)
	}
	got, err := ReadImporters(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("importers.txt disagrees with the generated imports (-sources +file):\n%s", diff)
	}
	if diff := cmp.Diff(Importers(4), got); diff != "" {
		t.Errorf("importers.txt disagrees with Importers(4) (-want +got):\n%s", diff)
	}

	gomod := readFile(t, dir, "go.mod")
	for _, r := range Requires {
		if !strings.Contains(gomod, "\t"+r+"\n") {
			t.Errorf("go.mod lacks %q:\n%s", r, gomod)
		}
	}
	if !strings.HasPrefix(gomod, "module "+Module+"\n\ngo 1.26\n") {
		t.Errorf("go.mod header:\n%s", gomod)
	}
	if y := readFile(t, dir, "lamb.yaml"); !strings.Contains(y, "packages: ./functions/...") || !strings.Contains(y, "version: 1") {
		t.Errorf("lamb.yaml does not discover ./functions/...:\n%s", y)
	}
	if got, want := readFile(t, dir, ".bench/functions.txt"), "orders-api\norders-store\norders-ingest\norders-worker\n"; got != want {
		t.Errorf("functions.txt = %q, want %q", got, want)
	}
}

// parseInternalImports maps each package directory of dir ("internal/log",
// "functions/x") to the internal packages it imports directly.
func parseInternalImports(t *testing.T, dir string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	fset := token.NewFileSet()
	for _, glob := range []string{"functions/*/*.go", "internal/*/*.go"} {
		matches, err := filepath.Glob(filepath.Join(dir, glob))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range matches {
			f, err := parser.ParseFile(fset, m, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatalf("generated file does not parse: %v", err)
			}
			rel, _ := filepath.Rel(dir, filepath.Dir(m))
			key := filepath.ToSlash(rel)
			if _, ok := out[key]; !ok {
				out[key] = nil // keep packages without internal imports
			}
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if rest, ok := strings.CutPrefix(p, Module+"/"); ok {
					out[key] = append(out[key], rest)
				}
			}
		}
	}
	return out
}

func TestGenerateDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, d := range []string{a, b} {
		if err := Generate(d, 7, WithoutTidy()); err != nil {
			t.Fatal(err)
		}
	}
	err := filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(a, p)
		x, _ := os.ReadFile(p)
		y, err := os.ReadFile(filepath.Join(b, rel))
		if err != nil {
			return err
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestGenerateRefusesNonEmptyDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "keep"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := Generate(dir, 2, WithoutTidy())
	if err == nil || !strings.Contains(err.Error(), "is not empty") {
		t.Fatalf("Generate into a non-empty dir: err = %v, want 'is not empty'", err)
	}
	if err := Generate(t.TempDir(), 0, WithoutTidy()); err == nil {
		t.Error("Generate with n=0 succeeded")
	}
}

func TestTouchAndPackageUsedBy(t *testing.T) {
	dir := t.TempDir()
	if err := Generate(dir, 24, WithoutTidy()); err != nil {
		t.Fatal(err)
	}
	pkg, users, err := PackageUsedBy(dir, 8)
	if err != nil {
		t.Fatal(err)
	}
	if pkg != "internal/auth" || len(users) != 8 {
		t.Errorf("PackageUsedBy(8) = %s %v, want internal/auth and 8 functions", pkg, users)
	}
	if pkg, users, _ := PackageUsedBy(dir, 100); pkg != "internal/log" || len(users) != 24 {
		t.Errorf("PackageUsedBy(100) = %s (%d users), want internal/log (24)", pkg, len(users))
	}

	tests := []struct {
		target, file, want string
	}{
		{"internal/auth", "internal/auth/auth.go", "auth-v2"},
		{"internal/auth", "internal/auth/auth.go", "auth-v3"},
		{"functions/orders-api", "functions/orders-api/main.go", "orders-api-v2"},
	}
	for _, tt := range tests {
		before := readFile(t, dir, tt.file)
		got, err := Touch(dir, tt.target)
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("Touch(%s) = %q, want %q", tt.target, got, tt.want)
		}
		after := readFile(t, dir, tt.file)
		if !strings.Contains(after, `const Version = "`+tt.want+`"`) {
			t.Errorf("%s does not hold the new version %s", tt.file, tt.want)
		}
		if len(strings.Split(before, "\n")) != len(strings.Split(after, "\n")) {
			t.Errorf("Touch changed more than the Version line of %s", tt.file)
		}
	}
	if _, err := Touch(dir, "internal/nope"); err == nil {
		t.Error("Touch of a missing package succeeded")
	}
}

// TestGenerateBuilds tidies and vets a generated repository for the Lambda
// target. It needs the module cache or proxy and some CPU, so it runs only
// with LAMB_BENCHGEN_BUILD=1.
func TestGenerateBuilds(t *testing.T) {
	if os.Getenv("LAMB_BENCHGEN_BUILD") != "1" {
		t.Skip("set LAMB_BENCHGEN_BUILD=1 to tidy and vet a generated repository")
	}
	dir := t.TempDir()
	if err := Generate(dir, 6); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "vet", "-tags", "lambda.norpc", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go vet: %v\n%s", err, out)
	}
}

func readFile(t *testing.T, dir, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
