package buildcfg

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBuildArgs(t *testing.T) {
	tests := []struct {
		name   string
		cfg    func() Config
		outDir string
		jobs   int
		pkgs   []string
		want   []string
	}{
		{
			name:   "defaults arm64",
			cfg:    func() Config { c, _ := New("arm64", nil, "", "", nil); return c },
			outDir: "/r/.lamb/build/x/0",
			jobs:   2,
			pkgs:   []string{"./functions/a", "./functions/b"},
			want: []string{"build", "-json", "-p", "2", "-trimpath", "-buildvcs=false",
				"-ldflags=-s -w -buildid=", "-tags=lambda.norpc", "-o", "/r/.lamb/build/x/0/",
				"./functions/a", "./functions/b"},
		},
		{
			name: "manifest settings",
			cfg: func() Config {
				c, _ := New("x86_64", []string{"prod", "lambda.norpc", "fast", "prod", ""}, "-X main.version=1", "all=-l", map[string]string{"GOEXPERIMENT": "x"})
				return c
			},
			outDir: "/o/",
			pkgs:   []string{"."},
			want: []string{"build", "-json", "-trimpath", "-buildvcs=false",
				"-ldflags=-s -w -buildid= -X main.version=1", "-gcflags=all=-l", "-tags=fast,lambda.norpc,prod",
				"-o", "/o/", "."},
		},
		{
			name:   "debug",
			cfg:    func() Config { c, _ := New("arm64", nil, "-X a=b", "", nil); return c.WithDebug() },
			outDir: "/o",
			pkgs:   []string{"."},
			want: []string{"build", "-json", "-trimpath", "-buildvcs=false",
				"-ldflags=-buildid= -X a=b", "-gcflags=all=-N -l", "-tags=lambda.norpc", "-o", "/o/", "."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.cfg().BuildArgs(tt.outDir, tt.jobs, tt.pkgs)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("BuildArgs (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEnvironPrecedence: the manifest's build env wins over lamb's
// CGO_ENABLED=0 default and the process environment; the architecture
// wins over everything; lamb's extra settings come last.
func TestEnvironPrecedence(t *testing.T) {
	c, err := New("x86_64", nil, "", "", map[string]string{"CGO_ENABLED": "1", "GOAMD64": "v3"})
	if err != nil {
		t.Fatal(err)
	}
	got := c.Environ([]string{"HOME=/h", "GOARCH=riscv64", "CGO_ENABLED=1"}, "GOWORK=/w/go.work")
	want := []string{"HOME=/h", "GOARCH=riscv64", "CGO_ENABLED=1", "CGO_ENABLED=0", "CGO_ENABLED=1", "GOAMD64=v3", "GOOS=linux", "GOARCH=amd64", "GOWORK=/w/go.work"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Environ (-want +got):\n%s", diff)
	}
	if !c.CGO() {
		t.Error("CGO() = false with CGO_ENABLED=1 in build.env")
	}
	d, _ := New("x86_64", nil, "", "", nil)
	if d.CGO() {
		t.Error("CGO() = true by default")
	}
	if c.Key() == d.Key() {
		t.Error("configs with different env share a key")
	}
}

// TestKeyCoversEverything: every field that changes the go command line or
// its environment changes the key.
func TestKeyCoversEverything(t *testing.T) {
	base, _ := New("arm64", []string{"a"}, "-X x=1", "all=-l", map[string]string{"K": "v"})
	variants := map[string]Config{}
	variants["arch"], _ = New("x86_64", []string{"a"}, "-X x=1", "all=-l", map[string]string{"K": "v"})
	variants["tags"], _ = New("arm64", []string{"b"}, "-X x=1", "all=-l", map[string]string{"K": "v"})
	variants["ldflags"], _ = New("arm64", []string{"a"}, "-X x=2", "all=-l", map[string]string{"K": "v"})
	variants["gcflags"], _ = New("arm64", []string{"a"}, "-X x=1", "", map[string]string{"K": "v"})
	variants["env value"], _ = New("arm64", []string{"a"}, "-X x=1", "all=-l", map[string]string{"K": "w"})
	variants["env key"], _ = New("arm64", []string{"a"}, "-X x=1", "all=-l", map[string]string{"L": "v"})
	variants["debug"] = base.WithDebug()
	for name, v := range variants {
		if v.Key() == base.Key() {
			t.Errorf("%s: key unchanged", name)
		}
	}
	same, _ := New("arm64", []string{"a", "a", "lambda.norpc"}, "-X x=1", "all=-l", map[string]string{"K": "v"})
	if same.Key() != base.Key() {
		t.Error("duplicate and default tags change the key")
	}
}

func TestNewRefusesUnknownArch(t *testing.T) {
	for _, a := range []string{"amd64", "386", ""} {
		if _, err := New(a, nil, "", "", nil); err == nil {
			t.Errorf("New(%q): no error", a)
		}
	}
}

func TestCheckEnv(t *testing.T) {
	tests := []struct{ key, value, want string }{
		{"GOAMD64", "v3", ""},
		{"CGO_ENABLED", "1", ""},
		{"CGO_ENABLED", "yes", `CGO_ENABLED "yes": want "0" or "1"`},
		{"GOOS", "darwin", "GOOS cannot be set: every function is built for linux"},
		{"GOARCH", "amd64", "GOARCH cannot be set: set by the function's architecture"},
		{"", "x", `"" is not an environment variable name`},
		{"A=B", "x", `"A=B" is not an environment variable name`},
		{"1X", "x", `"1X" is not an environment variable name`},
		{"GOFLAGS", "-mod=vendor", ""},
		{"GOFLAGS", "-mod=mod -tags=x", "GOFLAGS -tags: lamb sets it itself; use build.tags, build.ldflags or build.gcflags"},
		{"X", "a\x00b", "X: value contains NUL"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			got := ""
			if err := CheckEnv(tt.key, tt.value); err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("CheckEnv = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFindModule(t *testing.T) {
	dir := t.TempDir()
	write := func(p, s string) {
		t.Helper()
		p = filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module outside\n") // above the repository: never used
	write("repo/.git/HEAD", "ref: refs/heads/main\n")
	write("repo/go.mod", "module example.com/repo\n")
	write("repo/a/b/x.go", "package b\n")
	write("repo/lib/go.mod", "module example.com/lib\n")
	write("repo/lib/c/x.go", "package c\n")
	write("other/.git/HEAD", "x")
	write("other/a/x.go", "package a\n")
	tests := []struct{ dir, want string }{
		{"repo/a/b", "example.com/repo@repo"},
		{"repo/lib/c", "example.com/lib@repo/lib"},
		{"repo", "example.com/repo@repo"},
		{"other/a", "error"},
	}
	for _, tt := range tests {
		m, err := FindModule(filepath.Join(dir, tt.dir))
		got := "error"
		if err == nil {
			rel, _ := filepath.Rel(dir, m.Dir)
			got = m.Path + "@" + filepath.ToSlash(rel)
		} else if !strings.Contains(err.Error(), "no go.mod") {
			t.Errorf("%s: error %v", tt.dir, err)
		}
		if got != tt.want {
			t.Errorf("FindModule(%s) = %s, want %s", tt.dir, got, tt.want)
		}
	}
}

func TestRelevantGOFLAGS(t *testing.T) {
	if got := RelevantGOFLAGS("-buildvcs=false -mod=mod -p=4 -trimpath"); got != "-mod=mod" {
		t.Errorf("RelevantGOFLAGS = %q", got)
	}
}
