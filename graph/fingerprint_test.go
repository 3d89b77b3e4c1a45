package graph

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-multierror"
	"github.com/lambctl/lamb/internal/failure"
	"github.com/lambctl/lamb/internal/fsutil"
	"github.com/lambctl/lamb/manifest"
)

var baseRepo = map[string]string{
	"go.mod":                    "module example.com/r\n\ngo 1.26\n",
	"internal/shared/shared.go": "package shared\n\nfunc Greet() string { return \"hello\" }\n",
	"functions/a/main.go":       "package main\n\nimport \"example.com/r/internal/shared\"\n\nfunc main() { println(shared.Greet()) }\n",
	"functions/b/main.go":       "package main\n\nfunc main() { println(\"b\") }\n",
	"config/rates.json":         "{}\n",
}

func newRepo(t *testing.T, extra map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, baseRepo)
	writeFiles(t, dir, extra)
	return dir
}

func prints(t *testing.T, dir string, fns ...manifest.Function) []Print {
	t.Helper()
	ps, err := Fingerprints(context.Background(), &manifest.Manifest{Root: dir}, fns)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func TestFingerprintSameTreeTwoDirs(t *testing.T) {
	a := newRepo(t, nil)
	b := newRepo(t, nil)
	pa := prints(t, a, fn("a"), fn("b"))
	pb := prints(t, b, fn("a"), fn("b"))
	if diff := cmp.Diff(pa, pb); diff != "" {
		t.Errorf("same tree in two directories (-a +b):\n%s", diff)
	}
	if pa[0].Fingerprint == pa[1].Fingerprint {
		t.Errorf("different functions share fingerprint %s", pa[0].Fingerprint)
	}
	if pa[0].Package != "example.com/r/functions/a" {
		t.Errorf("Package = %q", pa[0].Package)
	}
}

// TestFingerprintChanges checks, change by change, whether function a's
// fingerprint moves and why.
func TestFingerprintChanges(t *testing.T) {
	base := prints(t, newRepo(t, nil), fn("a"))[0]
	withFiles := fn("a")
	withFiles.Files = []string{"config/rates.json"}
	baseFiles := prints(t, newRepo(t, nil), withFiles)[0]
	tests := []struct {
		name  string
		files map[string]string
		f     func(*manifest.Function)
		base  Print
		want  []string // nil: fingerprint unchanged
	}{
		{name: "windows-only file", files: map[string]string{"internal/shared/w.go": "//go:build windows\n\npackage shared\n"}},
		{name: "test file", files: map[string]string{"internal/shared/s_test.go": "package shared\n"}},
		{name: "external test file", files: map[string]string{"functions/a/main_test.go": "package main_test\n"}},
		{name: "data file", files: map[string]string{"functions/a/data.json": "{}"}},
		{name: "unused package", files: map[string]string{"internal/other/o.go": "package other\n"}},
		{name: "other function", files: map[string]string{"functions/b/main.go": "package main\n\nfunc main() { println(\"B\") }\n"}},
		{name: "linux file", files: map[string]string{"internal/shared/l.go": "//go:build linux\n\npackage shared\n"},
			want: []string{"internal/shared: l.go added"}},
		{name: "norpc tag file", files: map[string]string{"internal/shared/n.go": "//go:build lambda.norpc\n\npackage shared\n"},
			want: []string{"internal/shared: n.go added"}},
		{name: "amd64-only file", files: map[string]string{"internal/shared/x_amd64.go": "package shared\n"}},
		{name: "assembly file", files: map[string]string{"internal/shared/x_arm64.s": "// asm\n"},
			want: []string{"internal/shared: x_arm64.s added"}},
		{name: "PGO profile of the main package", files: map[string]string{"functions/a/default.pgo": "profile"},
			want: []string{"functions/a: default.pgo added"}},
		{name: "PGO profile elsewhere", files: map[string]string{"internal/shared/default.pgo": "profile", "default.pgo": "profile"}},
		{name: "code", files: map[string]string{"internal/shared/shared.go": "package shared\n\nfunc Greet() string { return \"hi\" }\n"},
			want: []string{"internal/shared: shared.go changed"}},
		{name: "go directive", files: map[string]string{"go.mod": "module example.com/r\n\ngo 1.25\n"},
			want: []string{"go directive 1.26 → 1.25"}},
		{name: "toolchain and godebug", files: map[string]string{"go.mod": "module example.com/r\n\ngo 1.26\n\ntoolchain go1.26.8\n\ngodebug panicnil=1\n"},
			want: []string{"godebug (none) → panicnil=1", "toolchain (none) → go1.26.8"}},
		{name: "ldflags", f: func(f *manifest.Function) { f.Build.LDFlags = "-X main.v=1" },
			want: []string{`build flag -ldflags "-s -w -buildid=" → "-s -w -buildid= -X main.v=1"`}},
		{name: "tags", f: func(f *manifest.Function) { f.Build.Tags = []string{"extra"} },
			want: []string{`build flag -tags "lambda.norpc" → "extra,lambda.norpc"`}},
		{name: "architecture", f: func(f *manifest.Function) { f.Architecture = "x86_64" },
			want: []string{"architecture arm64 → x86_64"}},
		{name: "build env", f: func(f *manifest.Function) { f.Build.Env = map[string]string{"GOFIPS140": "latest"} },
			want: []string{`build environment GOFIPS140 "off" → "latest"`}},
		{name: "runtime config is not code", f: func(f *manifest.Function) {
			f.Memory, f.Timeout, f.Environment = 512, 30, map[string]string{"SECRET": "x"}
		}},
		{name: "manifest file edited", base: baseFiles, f: func(f *manifest.Function) { f.Files = []string{"config/rates.json"} },
			files: map[string]string{"config/rates.json": "{\"eur\": 1}\n"},
			want:  []string{"files: config/rates.json changed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fn("a")
			if tt.f != nil {
				tt.f(&f)
			}
			got := prints(t, newRepo(t, tt.files), f)[0]
			b := base
			if tt.base.Fingerprint != "" {
				b = tt.base
			}
			if tt.want == nil {
				if got.Fingerprint != b.Fingerprint {
					t.Errorf("fingerprint changed, want unchanged; reasons %q", Diff(b, got))
				}
				return
			}
			if got.Fingerprint == b.Fingerprint {
				t.Fatalf("fingerprint unchanged, want changed")
			}
			if diff := cmp.Diff(tt.want, Diff(b, got)); diff != "" {
				t.Errorf("reasons (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFingerprintNestedModule: a function in its own module (tools/) that
// reaches the root module through replace ../ fingerprints the root
// packages it uses as repository packages.
func TestFingerprintNestedModule(t *testing.T) {
	nested := map[string]string{
		"tools/go.mod":           "module example.com/r/tools\n\ngo 1.26\n\nrequire example.com/r v0.0.0\n\nreplace example.com/r => ../\n",
		"tools/functions/t/t.go": "package main\n\nimport \"example.com/r/internal/shared\"\n\nfunc main() { println(shared.Greet()) }\n",
	}
	f := manifest.Function{Name: "t", Dir: "tools/functions/t", Package: "./tools/functions/t", Architecture: "arm64"}
	before := prints(t, newRepo(t, nested), f)[0]
	if _, ok := before.Inputs.Packages["example.com/r/internal/shared"]; !ok {
		t.Fatalf("root package not among the repository packages: %v", before.Inputs.Packages)
	}
	nested["internal/shared/shared.go"] = "package shared\n\nfunc Greet() string { return \"hi\" }\n"
	after := prints(t, newRepo(t, nested), f)[0]
	want := []string{"example.com/r/internal/shared: shared.go changed"}
	if diff := cmp.Diff(want, Diff(before, after)); diff != "" {
		t.Errorf("reasons (-want +got):\n%s", diff)
	}
}

func TestFingerprintErrors(t *testing.T) {
	dir := newRepo(t, map[string]string{
		"functions/broken/main.go": "package main\n\nimport \"example.com/r/internal/nope\"\n\nfunc main() { nope.X() }\n",
		"functions/lib/lib.go":     "package lib\n",
	})
	fns := []manifest.Function{fn("a"), fn("missing"), fn("broken"), fn("lib")}
	ps, err := Fingerprints(context.Background(), &manifest.Manifest{Root: dir}, fns)
	if err == nil {
		t.Fatal("no error")
	}
	var merr *multierror.Error
	if !errors.As(err, &merr) || len(merr.Errors) != 3 {
		t.Fatalf("want 3 errors, got %v", err)
	}
	got := map[string]error{}
	for _, e := range merr.Errors {
		name, ok := failure.FunctionOf(e)
		if !ok {
			t.Fatalf("error %v is not a *failure.Error", e)
		}
		if !strings.HasPrefix(e.Error(), name+": fingerprint: ") {
			t.Errorf("error %q does not start with %q", e, name+": fingerprint: ")
		}
		got[name] = e
	}
	if !errors.Is(got["missing"], ErrPackageNotFound) {
		t.Errorf("missing: %v, want ErrPackageNotFound", got["missing"])
	}
	if got["broken"] == nil || errors.Is(got["broken"], ErrPackageNotFound) {
		t.Errorf("broken: %v", got["broken"])
	}
	if got["lib"] == nil {
		t.Errorf("lib (not a main package): no error")
	}
	if ps[0].Fingerprint == "" || ps[1].Fingerprint != "" || ps[1].Function != "missing" {
		t.Errorf("prints = %+v", ps)
	}
}

func TestDiff(t *testing.T) {
	old := Print{Fingerprint: "1", Inputs: Inputs{
		Toolchain:  "go1.26.1",
		Directives: map[string]string{"go": "1.25", "example.com/m: go": "1.24"},
		Packages: map[string]PackageInputs{
			"example.com/r/internal/auth": {Name: "internal/auth", Files: map[string]string{"auth.go": "x", "old.go": "y"}, Embeds: map[string]string{"templates/mail.txt": "m"}},
			"example.com/r/internal/gone": {Name: "internal/gone", Files: map[string]string{"g.go": "g"}},
		},
		Modules: map[string]string{"github.com/x/y": "v1.0.0", "github.com/x/old": "v1.0.0"},
		Files:   map[string]string{"config/rates.json": "a", "config/new.json": missing},
	}}
	new := Print{Fingerprint: "2", Inputs: Inputs{
		Toolchain:  "go1.26.2",
		Settings:   Settings{GoEnv: map[string]string{"GOFLAGS": "-mod=vendor"}},
		Directives: map[string]string{"go": "1.26", "example.com/m: go": "1.24", "toolchain": "go1.26.2"},
		Packages: map[string]PackageInputs{
			"example.com/r/internal/auth": {Name: "internal/auth", Files: map[string]string{"auth.go": "X", "token.go": "t"}, Embeds: map[string]string{"templates/mail.txt": "M"}},
			"example.com/r/internal/x":    {Name: "internal/x", Files: map[string]string{"x.go": "x"}},
		},
		Modules: map[string]string{"github.com/x/y": "v1.1.0", "github.com/x/new": "v0.1.0"},
		Files:   map[string]string{"config/rates.json": "b", "config/new.json": "c"},
	}}
	want := []string{
		`build environment GOFLAGS "" → "-mod=vendor"`,
		"files: config/new.json added",
		"files: config/rates.json changed",
		"go directive 1.25 → 1.26",
		"go version go1.26.1 → go1.26.2",
		"internal/auth: auth.go changed",
		"internal/auth: embedded file templates/mail.txt changed",
		"internal/auth: old.go removed",
		"internal/auth: token.go added",
		"module github.com/x/new added",
		"module github.com/x/old removed",
		"module github.com/x/y v1.0.0 → v1.1.0",
		"package internal/gone removed from closure",
		"package internal/x added to closure",
		"toolchain (none) → go1.26.2",
	}
	if diff := cmp.Diff(want, Diff(old, new)); diff != "" {
		t.Errorf("Diff (-want +got):\n%s", diff)
	}
	if got := Diff(new, new); got != nil {
		t.Errorf("Diff of equal prints = %q", got)
	}
}

// TestFingerprintVendor: vendored code can be edited in place; its files
// count, and so does its version.
func TestFingerprintVendor(t *testing.T) {
	isolateCache(t)
	extra := map[string]string{
		"go.mod":              "module example.com/r\n\ngo 1.26\n\nrequire github.com/google/uuid v1.6.0\n",
		"functions/b/main.go": "package main\n\nimport \"github.com/google/uuid\"\n\nfunc main() { println(uuid.NewString()) }\n",
	}
	dir := newRepo(t, extra)
	run(t, dir, []string{"GOFLAGS=-mod=mod"}, "go", "mod", "tidy")
	run(t, dir, []string{"GOFLAGS=-mod=mod"}, "go", "mod", "vendor")
	before := prints(t, dir, fn("b"))[0]
	if got := before.Inputs.Modules["github.com/google/uuid"]; got != "v1.6.0" {
		t.Errorf("uuid version = %q", got)
	}
	name := filepath.Join(dir, "vendor", "github.com", "google", "uuid", "uuid.go")
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, append(data, "\nfunc Patched() {}\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	after := prints(t, dir, fn("b"))[0]
	want := []string{"github.com/google/uuid: uuid.go changed"}
	if diff := cmp.Diff(want, Diff(before, after)); diff != "" {
		t.Errorf("reasons (-want +got):\n%s", diff)
	}
}

// TestFingerprintSymlinkedRoot: a manifest root reached through a symlink
// gives the same prints as the real path.
func TestFingerprintSymlinkedRoot(t *testing.T) {
	dir := newRepo(t, nil)
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Skip(err)
	}
	if diff := cmp.Diff(prints(t, dir, fn("a")), prints(t, link, fn("a"))); diff != "" {
		t.Errorf("(-real +symlink):\n%s", diff)
	}
}

// TestFingerprintArchFiles: an x86_64 function sees _amd64 files, not _arm64
// ones, and a manifest tag selects tagged files.
func TestFingerprintArchFiles(t *testing.T) {
	f := fn("a")
	f.Architecture = "x86_64"
	f.Build.Tags = []string{"premium"}
	base := prints(t, newRepo(t, nil), f)[0]
	if base.Inputs.Settings.GOARCH != "amd64" {
		t.Errorf("GOARCH = %q", base.Inputs.Settings.GOARCH)
	}
	tests := []struct {
		name, file string
		want       bool
	}{
		{"amd64 file", "internal/shared/x_amd64.go", true},
		{"arm64 file", "internal/shared/x_arm64.go", false},
		{"tagged file", "internal/shared/premium.go", true},
		{"other tag", "internal/shared/free.go", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			content := "package shared\n"
			switch filepath.Base(tt.file) {
			case "premium.go":
				content = "//go:build premium\n\npackage shared\n"
			case "free.go":
				content = "//go:build free\n\npackage shared\n"
			}
			got := prints(t, newRepo(t, map[string]string{tt.file: content}), f)[0]
			if changed := got.Fingerprint != base.Fingerprint; changed != tt.want {
				t.Errorf("changed = %v, want %v (reasons %q)", changed, tt.want, Diff(base, got))
			}
		})
	}
}

func TestFingerprintGOFLAGS(t *testing.T) {
	dir := newRepo(t, nil)
	t.Setenv("GOFLAGS", "")
	base := prints(t, dir, fn("a"))[0]
	tests := []struct {
		goflags string
		want    []string
	}{
		{"-buildvcs=false -trimpath -modcacherw -p=1", nil},
		{"-buildvcs=true", nil},
		{"-mod=mod", []string{`build environment GOFLAGS "" → "-mod=mod"`}},
		{"-buildvcs=false -ldflags=-X=main.v=1", []string{`build environment GOFLAGS "" → "-ldflags=-X=main.v=1"`}},
	}
	for _, tt := range tests {
		t.Run(tt.goflags, func(t *testing.T) {
			t.Setenv("GOFLAGS", tt.goflags)
			got := prints(t, dir, fn("a"))[0]
			if diff := cmp.Diff(tt.want, Diff(base, got)); diff != "" {
				t.Errorf("reasons (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFingerprintCgoBuildEnv is issue 10's miss: an x86_64 function with
// build.env CGO_ENABLED=1 compiles mode_cgo.go, not mode_nocgo.go, so an
// edit of mode_cgo.go must change its fingerprint.
func TestFingerprintCgoBuildEnv(t *testing.T) {
	t.Parallel()
	needCC(t)
	files := map[string]string{
		"functions/pricing/main.go":       "package main\n\nfunc main() { println(mode) }\n",
		"functions/pricing/mode_cgo.go":   "//go:build cgo\n\npackage main\n\nconst mode = \"cgo\"\n",
		"functions/pricing/mode_nocgo.go": "//go:build !cgo\n\npackage main\n\nconst mode = \"nocgo\"\n",
	}
	f := manifest.Function{Name: "pricing", Key: "pricing", Package: "./functions/pricing", Dir: "functions/pricing",
		Architecture: "x86_64", Build: manifest.Build{Env: map[string]string{"CGO_ENABLED": "1"}}}
	before := prints(t, newRepo(t, files), f)[0]
	files["functions/pricing/mode_cgo.go"] = "//go:build cgo\n\npackage main\n\nconst mode = \"cgo v2\"\n"
	after := prints(t, newRepo(t, files), f)[0]
	if before.Fingerprint == after.Fingerprint {
		t.Fatalf("editing mode_cgo.go of a CGO_ENABLED=1 function left its fingerprint unchanged")
	}
	want := []string{"functions/pricing: mode_cgo.go changed"}
	if diff := cmp.Diff(want, Diff(before, after)); diff != "" {
		t.Errorf("reasons (-want +got):\n%s", diff)
	}
}

// TestFingerprintCompilerInputs: every file the toolchain reads for a
// package is an input — assembly, .syso objects, and with cgo the C
// sources and headers of the package.
func TestFingerprintCompilerInputs(t *testing.T) {
	t.Parallel()
	needCC(t)
	cgoPkg := map[string]string{
		"internal/shared/c.go":     "package shared\n\n// #include \"helper.h\"\nimport \"C\"\n\nfunc Answer() int { return int(C.answer()) }\n",
		"internal/shared/helper.h": "int answer(void);\n",
		"internal/shared/helper.c": "#include \"helper.h\"\nint answer(void) { return 42; }\n",
	}
	f := fn("a")
	f.Architecture = "x86_64"
	f.Build.Env = map[string]string{"CGO_ENABLED": "1"}
	base := prints(t, newRepo(t, cgoPkg), f)[0]
	tests := []struct {
		file, content string
		want          []string
	}{
		{"internal/shared/helper.c", "#include \"helper.h\"\nint answer(void) { return 43; }\n", []string{"internal/shared: helper.c changed"}},
		{"internal/shared/helper.h", "int answer(void);\n#define X 1\n", []string{"internal/shared: helper.h changed"}},
		{"internal/shared/x.syso", "object", []string{"internal/shared: x.syso added"}},
		{"internal/shared/x_amd64.s", "// asm\n", []string{"internal/shared: x_amd64.s added"}},
		{"internal/shared/x_arm64.s", "// asm\n", nil},
		{"internal/shared/notes.txt", "notes\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			files := maps.Clone(cgoPkg)
			files[tt.file] = tt.content
			got := prints(t, newRepo(t, files), f)[0]
			if diff := cmp.Diff(tt.want, Diff(base, got)); diff != "" {
				t.Errorf("reasons (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFingerprintFilesRegularOnly is issue 11 item 4: a FIFO or a
// directory in files: is an error, at once (never a blocked read), and a
// missing file is recorded as missing.
func TestFingerprintFilesRegularOnly(t *testing.T) {
	t.Parallel()
	dir := newRepo(t, map[string]string{"config/d/x.json": "{}\n"})
	if err := syscall.Mkfifo(filepath.Join(dir, "config", "fifo"), 0o644); err != nil {
		t.Skip(err)
	}
	tests := []struct{ file, want string }{
		{"config/fifo", "a: fingerprint: files: config/fifo: not a regular file (FIFO)"},
		{"config/d", "a: fingerprint: files: config/d: not a regular file (directory)"},
	}
	for _, tt := range tests {
		f := fn("a")
		f.Files = []string{tt.file}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		_, err := Fingerprints(ctx, &manifest.Manifest{Root: dir}, []manifest.Function{f})
		cancel()
		if err == nil || err.Error() != tt.want || !errors.Is(err, fsutil.ErrNotRegular) {
			t.Errorf("%s: %v, want %q (fsutil.ErrNotRegular)", tt.file, err, tt.want)
		}
	}
	f := fn("a")
	f.Files = []string{"config/none.json"}
	if got := prints(t, dir, f)[0].Inputs.Files; got["config/none.json"] != missing {
		t.Errorf("missing file recorded as %q", got["config/none.json"])
	}
}
