package graph

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lambctl/lamb/internal/buildcfg"
	"github.com/lambctl/lamb/manifest"
)

// notBuildEnv are the go env variables that name places on the machine or
// say how modules are fetched and verified: they change no binary.
var notBuildEnv = []string{
	"AR", "GCCGO", "GO111MODULE", "GOAUTH", "GOBIN", "GOCACHE", "GOCACHEPROG", "GODEBUG", "GOENV", "GOEXE",
	"GOGCCFLAGS", "GOHOSTARCH", "GOHOSTOS", "GOINSECURE", "GOMOD", "GOMODCACHE", "GONOPROXY", "GONOSUMDB",
	"GOPATH", "GOPRIVATE", "GOPROXY", "GOROOT", "GOSUMDB", "GOTELEMETRY", "GOTELEMETRYDIR", "GOTMPDIR",
	"GOTOOLCHAIN", "GOTOOLDIR", "GOVCS", "GOWORK",
}

// cToolchainEnv matter only with cgo on.
var cToolchainEnv = []string{"CC", "CXX", "CGO_CFLAGS", "CGO_CPPFLAGS", "CGO_CXXFLAGS", "CGO_FFLAGS", "CGO_LDFLAGS", "PKG_CONFIG"}

// buildRun is what building f in root runs, seen from outside graph: the go
// command line, the environment lamb sets for it, everything the go command
// then sees in its environment (go env, minus the machine's places), and
// the content of the zip's other inputs (files:).
func buildRun(t *testing.T, root string, f manifest.Function) string {
	t.Helper()
	cfg, err := f.BuildConfig()
	if err != nil {
		t.Fatal(err)
	}
	environ := cfg.Environ(os.Environ())
	cmd := exec.Command("go", "env", "-json")
	cmd.Dir = root
	cmd.Env = environ
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	var goenv map[string]string
	if err := json.Unmarshal(out, &goenv); err != nil {
		t.Fatal(err)
	}
	for _, k := range notBuildEnv {
		delete(goenv, k)
	}
	if goenv["CGO_ENABLED"] != "1" {
		for _, k := range cToolchainEnv {
			delete(goenv, k)
		}
	}
	goenv["GOFLAGS"] = buildcfg.RelevantGOFLAGS(goenv["GOFLAGS"])
	set := map[string]string{}
	for _, kv := range cfg.Overlay() {
		k, v, _ := strings.Cut(kv, "=")
		set[k] = v
	}
	var b strings.Builder
	fmt.Fprintf(&b, "args %q\n", cfg.BuildArgs("/out", 0, []string{"./" + f.Dir}))
	for _, k := range slices.Sorted(maps.Keys(set)) {
		fmt.Fprintf(&b, "set %s=%s\n", k, set[k])
	}
	for _, k := range slices.Sorted(maps.Keys(goenv)) {
		fmt.Fprintf(&b, "goenv %s=%s\n", k, goenv[k])
	}
	for _, name := range f.Files {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "file %s %x\n", name, sha256.Sum256(data))
	}
	return b.String()
}

// TestFingerprintFollowsBuild is issue 10's proof: for every build setting
// the manifest can express, a function's fingerprint changes exactly when
// the go command line, its environment or the zip's inputs change — and
// for the settings that matter, they do.
func TestFingerprintFollowsBuild(t *testing.T) {
	t.Parallel()
	type change struct {
		name  string
		base  func(*manifest.Function) // the function before (default: x86_64)
		f     func(*manifest.Function) // the change
		files map[string]string        // written before the after side
		want  bool                     // the build changes
		cgo   bool                     // builds with cgo
	}
	env := func(kv ...string) func(*manifest.Function) {
		return func(f *manifest.Function) {
			f.Build.Env = maps.Clone(f.Build.Env)
			if f.Build.Env == nil {
				f.Build.Env = map[string]string{}
			}
			for i := 0; i < len(kv); i += 2 {
				f.Build.Env[kv[i]] = kv[i+1]
			}
		}
	}
	arm64 := func(f *manifest.Function) { f.Architecture = "arm64" }
	withCgo := env("CGO_ENABLED", "1")
	withFiles := func(f *manifest.Function) { f.Files = []string{"config/rates.json"} }
	tests := []change{
		{name: "architecture", f: arm64, want: true},
		{name: "tag added", f: func(f *manifest.Function) { f.Build.Tags = []string{"prod"} }, want: true},
		{name: "default tag written out", f: func(f *manifest.Function) { f.Build.Tags = []string{"lambda.norpc"} }},
		{name: "tags reordered", base: func(f *manifest.Function) { f.Build.Tags = []string{"a", "b"} },
			f: func(f *manifest.Function) { f.Build.Tags = []string{"b", "a", "a"} }},
		{name: "ldflags", f: func(f *manifest.Function) { f.Build.LDFlags = "-X main.version=2" }, want: true},
		{name: "gcflags", f: func(f *manifest.Function) { f.Build.GCFlags = "all=-l" }, want: true},
		{name: "CGO_ENABLED=1", f: withCgo, want: true, cgo: true},
		{name: "CGO_ENABLED=0 written out", f: env("CGO_ENABLED", "0")},
		{name: "GOAMD64", f: env("GOAMD64", "v3"), want: true},
		{name: "GOAMD64 written out as the default", f: env("GOAMD64", "v1"), want: true},
		{name: "GOARM64", base: arm64, f: env("GOARM64", "v8.2"), want: true},
		{name: "GOEXPERIMENT", f: env("GOEXPERIMENT", "nogreenteagc"), want: true},
		{name: "GOFIPS140", f: env("GOFIPS140", "latest"), want: true},
		{name: "GOFLAGS", f: env("GOFLAGS", "-mod=mod"), want: true},
		{name: "GOFLAGS without effect on the binary", f: env("GOFLAGS", "-p=1"), want: true}, // set: lamb passes it
		{name: "CC with cgo", base: withCgo, f: env("CC", "cc"), want: true, cgo: true},
		{name: "CGO_CFLAGS with cgo", base: withCgo, f: env("CGO_CFLAGS", "-O1"), want: true, cgo: true},
		{name: "C compiler flags without cgo", f: env("CGO_CFLAGS", "-O1"), want: true}, // set: lamb passes it
		{name: "unrelated build env", f: env("MY_VAR", "x"), want: true},                // set: lamb passes it
		{name: "files added", f: withFiles, want: true},
		{name: "files content", base: withFiles, f: withFiles, files: map[string]string{"config/rates.json": "{\"ch\": 999}\n"}, want: true},
		{name: "memory, timeout, role, environment, alias, tags, runtime", f: func(f *manifest.Function) {
			f.Memory, f.Timeout, f.Role, f.Alias, f.Runtime = 512, 30, "arn:aws:iam::1:role/x", "live", "provided.al2"
			f.Environment, f.Tags = map[string]string{"TABLE": "orders"}, map[string]string{"team": "core"}
		}},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
			t.Parallel()
			if tt.cgo {
				needCC(t)
			}
			before := fn("a")
			before.Architecture = "x86_64"
			if tt.base != nil {
				tt.base(&before)
			}
			after := before
			tt.f(&after)
			dirA := newRepo(t, nil)
			dirB := newRepo(t, tt.files)
			pa, pb := prints(t, dirA, before)[0], prints(t, dirB, after)[0]
			ra, rb := buildRun(t, dirA, before), buildRun(t, dirB, after)
			if built := ra != rb; built != tt.want {
				t.Fatalf("test case: build changed = %v, want %v:\n%s\n%s", built, tt.want, ra, rb)
			}
			if changed := pa.Fingerprint != pb.Fingerprint; changed != tt.want {
				t.Errorf("fingerprint changed = %v, build changed = %v (reasons %q)\nbefore:\n%s\nafter:\n%s", changed, tt.want, Diff(pa, pb), ra, rb)
			}
			if tt.want && len(Diff(pa, pb)) == 0 {
				t.Errorf("no reason given")
			}
		})
	}
}

// TestFingerprintFollowsProcessEnv: the go environment the machine sets
// (process environment, go env file) counts as the build sees it.
func TestFingerprintFollowsProcessEnv(t *testing.T) {
	dir := newRepo(t, nil)
	f := fn("a")
	f.Architecture = "x86_64"
	t.Setenv("GOFLAGS", "")
	t.Setenv("GOAMD64", "")
	base, baseRun := prints(t, dir, f)[0], buildRun(t, dir, f)
	tests := []struct {
		key, value string
		want       bool
	}{
		{"GOFLAGS", "-mod=mod", true},
		{"GOFLAGS", "-p=1 -trimpath", false},
		{"GOAMD64", "v2", true},
		{"CC", "cc", false}, // cgo is off
		{"GOPROXY", "off", false},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			t.Setenv(tt.key, tt.value)
			got, run := prints(t, dir, f)[0], buildRun(t, dir, f)
			if built := run != baseRun; built != tt.want {
				t.Fatalf("test case: build changed = %v, want %v", built, tt.want)
			}
			if changed := got.Fingerprint != base.Fingerprint; changed != tt.want {
				t.Errorf("fingerprint changed = %v, want %v (reasons %q)", changed, tt.want, Diff(base, got))
			}
		})
	}
}
