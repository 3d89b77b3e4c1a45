package graph

import (
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/lambctl/lamb/internal/buildcfg"
	"github.com/lambctl/lamb/internal/lambdaspec"
	"github.com/lambctl/lamb/manifest"
)

// TestOracle is the honest check of Affected: a temp git repo goes through a
// series of commits, each one tricky change; every commit's functions are
// built reproducibly, and the functions whose binary changed must all be
// reported (zero misses). Steps also name functions that must NOT be
// reported, and reasons that must be given.
func TestOracle(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries for every commit")
	}
	isolateCache(t)
	ctx := context.Background()
	dir := t.TempDir()
	gitInit(t, dir)
	writeFiles(t, dir, map[string]string{
		"go.mod": `module example.com/o

go 1.26

require (
	example.com/local v0.0.0
	github.com/google/uuid v1.5.0
)

replace example.com/local => ./lib/local
`,
		"lib/local/go.mod":   "module example.com/local\n\ngo 1.26\n",
		"lib/local/local.go": "package local\n\nfunc Name() string { return \"local\" }\n",
		"internal/shared/shared.go": `package shared

func Greet() string { return "hello" }
`,
		"functions/fa/main.go": `package main

import "example.com/o/internal/shared"

func main() { println(shared.Greet()) }
`,
		"functions/fb/main.go": `package main

import (
	"example.com/o/internal/shared"
	"github.com/google/uuid"
)

func main() { println(shared.Greet(), uuid.NewString()) }
`,
		"functions/fc/main.go": `package main

import "example.com/local"

func main() { println(local.Name()) }
`,
		"functions/fd/main.go": `package main

import "embed"

//go:embed static
var static embed.FS

func main() {
	b, _ := static.ReadFile("static/a.txt")
	println(string(b))
}
`,
		"functions/fd/static/a.txt": "a\n",
		"functions/fe/main.go": `package main

func main() { println("fe") }
`,
		".gitignore": "/bin/\n",
		"lamb.yaml":  oracleManifest,
	})
	run(t, dir, []string{"GOFLAGS=-mod=mod"}, "go", "mod", "tidy")

	// internal/common, edit after edit.
	common := []string{commonV1}
	for _, r := range [][2]string{
		{"// Greet greets.", "// Greet says hello to the world."},         // 1 comment reworded
		{"return s + s", "return s+s"},                                    // 2 gofmt-only: spacing,
		{"\treturn \"hello, world\"", "        return \"hello, world\";"}, //   indentation and a semicolon
		{"to the world.\n", "to the world.\n// It never fails.\n"},        // 3 a comment line added
		{"// Package common is shared.", "//go:generate echo common"},     // 4 //go:generate
		{"//go:noinline", "// Twice doubles."},                            // 5 directive removed
		{"// It never fails.", "//line greet.tmpl:100"},                   // 6 //line
	} {
		prev := common[len(common)-1]
		if !strings.Contains(prev, r[0]) {
			t.Fatalf("test: %q not in internal/common", r[0])
		}
		next := strings.Replace(prev, r[0], r[1], 1)
		if r[0] == "\treturn \"hello, world\"" {
			common[len(common)-1] = next // one step with the previous one
			continue
		}
		common = append(common, next)
	}

	type step struct {
		name    string
		files   map[string]string // "" removes
		cmd     []string          // run after writing files
		mustNot []string          // must not be reported
		want    map[string]string // function → a reason it must carry
		config  []string          // reported functions whose code did not change
		changed []string          // functions whose binary must change (a check of the step itself)
		cgo     bool              // needs a C compiler
	}
	steps := []step{
		{name: "shared package code change",
			files:   map[string]string{"internal/shared/shared.go": "package shared\n\nfunc Greet() string { return \"hello, world\" }\n"},
			mustNot: []string{"fc", "fd", "fe"},
			want:    map[string]string{"fa": "internal/shared: shared.go changed", "fb": "internal/shared: shared.go changed"}},
		{name: "comment-only change",
			files:   map[string]string{"internal/shared/shared.go": "package shared\n\nfunc Greet() string { return \"hello, world\" }\n\n// Greet greets.\n"},
			mustNot: []string{"fc", "fd", "fe"}},
		{name: "embedded file added",
			files:   map[string]string{"functions/fd/static/b.txt": "b\n"},
			mustNot: []string{"fa", "fb", "fc", "fe"},
			want:    map[string]string{"fd": "functions/fd: embedded file static/b.txt added"}},
		{name: "embedded file edited",
			files:   map[string]string{"functions/fd/static/a.txt": "A\n"},
			mustNot: []string{"fa", "fb", "fc", "fe"},
			want:    map[string]string{"fd": "functions/fd: embedded file static/a.txt changed"}},
		{name: "windows-only file and a test file added",
			files: map[string]string{
				"internal/shared/shared_windows.go": "//go:build windows\n\npackage shared\n\nfunc init() { println(\"windows\") }\n",
				"internal/shared/shared_test.go":    "package shared\n\nimport \"testing\"\n\nfunc TestGreet(t *testing.T) {}\n",
			},
			mustNot: []string{"fa", "fb", "fc", "fd", "fe"}},
		{name: "go.mod bump of a module only fb uses",
			files: map[string]string{"go.mod": `module example.com/o

go 1.26

require (
	example.com/local v0.0.0
	github.com/google/uuid v1.6.0
)

replace example.com/local => ./lib/local
`},
			cmd:     []string{"go", "mod", "tidy"},
			mustNot: []string{"fa", "fc", "fd", "fe"},
			want:    map[string]string{"fb": "module github.com/google/uuid v1.5.0 → v1.6.0"}},
		{name: "module replaced by a local directory edited",
			files:   map[string]string{"lib/local/local.go": "package local\n\nfunc Name() string { return \"local v2\" }\n"},
			mustNot: []string{"fa", "fb", "fd", "fe"},
			want:    map[string]string{"fc": "example.com/local: local.go changed"}},
		{name: "go.work added with a new workspace module",
			files: map[string]string{
				"go.work":       "go 1.26\n\nuse (\n\t.\n\t./lib/ws\n)\n",
				"lib/ws/go.mod": "module example.com/ws\n\ngo 1.26\n",
				"lib/ws/ws.go":  "package ws\n\nfunc Name() string { return \"ws\" }\n",
				"functions/fe/main.go": `package main

import "example.com/ws"

func main() { println("fe", ws.Name()) }
`},
			want: map[string]string{"fe": "package example.com/ws added to closure"}},
		{name: "workspace module edited",
			files:   map[string]string{"lib/ws/ws.go": "package ws\n\nfunc Name() string { return \"ws v2\" }\n"},
			mustNot: []string{"fa", "fb", "fc", "fd"},
			want:    map[string]string{"fe": "example.com/ws: ws.go changed"}},
		{name: "package renamed",
			files: map[string]string{
				"internal/shared/shared.go":         "",
				"internal/shared/shared_windows.go": "",
				"internal/shared/shared_test.go":    "",
				"internal/common/common.go":         "package common\n\nfunc Greet() string { return \"hello, world\" }\n",
				"functions/fa/main.go": `package main

import "example.com/o/internal/common"

func main() { println(common.Greet()) }
`,
				"functions/fb/main.go": `package main

import (
	"example.com/o/internal/common"
	"github.com/google/uuid"
)

func main() { println(common.Greet(), uuid.NewString()) }
`},
			mustNot: []string{"fc", "fd", "fe"},
			want:    map[string]string{"fa": "package internal/common added to closure", "fb": "package internal/shared removed from closure"}},
		{name: "function package deleted",
			files:   map[string]string{"functions/fd": ""},
			mustNot: []string{"fa", "fb", "fc", "fe"}},
		{name: "function package renamed",
			files: map[string]string{"functions/fe": "", "functions/fe2/main.go": `package main

import "example.com/ws"

func main() { println("fe", ws.Name()) }
`},
			mustNot: []string{"fa", "fb", "fc"},
			want:    map[string]string{"fe2": "new in the manifest"}},
		{name: "go directive changed",
			files: map[string]string{"go.mod": `module example.com/o

go 1.25

require (
	example.com/local v0.0.0
	github.com/google/uuid v1.6.0
)

replace example.com/local => ./lib/local
`},
			want: map[string]string{"fa": "go directive 1.26 → 1.25"}},
		{name: "non-embedded data file added",
			files: map[string]string{
				"functions/fa/testdata/input.json": "{}\n",
				"functions/fa/README.md":           "# fa\n",
				"config/data.json":                 "{}\n",
			},
			mustNot: []string{"fa", "fb", "fc", "fe2"}},
		{name: "PGO profile added to a main package",
			files:   map[string]string{"functions/fa/default.pgo": pgoProfileData(t)},
			mustNot: []string{"fb", "fc", "fe2"},
			want:    map[string]string{"fa": "functions/fa: default.pgo added"}},
		// Issue 10: build.env CGO_ENABLED=1 selects //go:build cgo files.
		{name: "cgo function added",
			files: map[string]string{
				"lamb.yaml":                 manifestWith(cgoEntry()),
				"cgo/pricing/main.go":       "package main\n\nfunc main() { println(mode) }\n",
				"cgo/pricing/mode_cgo.go":   "//go:build cgo\n\npackage main\n\nconst mode = \"cgo\"\n",
				"cgo/pricing/mode_nocgo.go": "//go:build !cgo\n\npackage main\n\nconst mode = \"nocgo\"\n",
			},
			mustNot: []string{"fa", "fb", "fc", "fe2"},
			want:    map[string]string{"pricing": "new in the manifest"},
			cgo:     true},
		{name: "cgo-only file edited",
			files:   map[string]string{"cgo/pricing/mode_cgo.go": "//go:build cgo\n\npackage main\n\nconst mode = \"cgo v2\"\n"},
			mustNot: []string{"fa", "fb", "fc", "fe2"},
			want:    map[string]string{"pricing": "cgo/pricing: mode_cgo.go changed"},
			cgo:     true},
		{name: "nocgo file edited",
			files:   map[string]string{"cgo/pricing/mode_nocgo.go": "//go:build !cgo\n\npackage main\n\nconst mode = \"nocgo v2\"\n"},
			mustNot: []string{"fa", "fb", "fc", "fe2", "pricing"},
			cgo:     true},
		{name: "cgo file with a C preamble added",
			files:   map[string]string{"cgo/pricing/c.go": cgoFile},
			mustNot: []string{"fa", "fb", "fc", "fe2"},
			want:    map[string]string{"pricing": "cgo/pricing: c.go added"},
			cgo:     true},
		// Issue 10's second miss: committed manifest changes.
		{name: "config-only manifest change",
			files: map[string]string{"lamb.yaml": manifestWith(cgoEntry(),
				"  fa:\n    package: ./functions/fa\n    memory: 512\n    environment:\n      SECRET: s3cr3t\n")},
			mustNot: []string{"fb", "fc", "fe2", "pricing"},
			want:    map[string]string{"fa": "config: memory 128 → 512"},
			config:  []string{"fa"}},
		{name: "build.ldflags in the manifest",
			files: map[string]string{"lamb.yaml": manifestWith(cgoEntry(),
				"  fa:\n    package: ./functions/fa\n    memory: 512\n    environment:\n      SECRET: s3cr3t\n    build:\n      ldflags: -X main.v=1\n")},
			mustNot: []string{"fb", "fc", "fe2", "pricing"},
			want:    map[string]string{"fa": `build flag -ldflags "-s -w -buildid=" → "-s -w -buildid= -X main.v=1"`}},
		{name: "files: in the manifest",
			files: map[string]string{"lamb.yaml": manifestWith(cgoEntry(),
				"  fa:\n    package: ./functions/fa\n    memory: 512\n    environment:\n      SECRET: s3cr3t\n    build:\n      ldflags: -X main.v=1\n    files: [config/data.json]\n")},
			mustNot: []string{"fb", "fc", "fe2", "pricing"},
			want:    map[string]string{"fa": "files: config/data.json added"}},
		{name: "architecture in the manifest",
			files: map[string]string{"lamb.yaml": manifestWith(cgoEntry(),
				"  fa:\n    package: ./functions/fa\n    memory: 512\n    environment:\n      SECRET: s3cr3t\n    build:\n      ldflags: -X main.v=1\n    files: [config/data.json]\n",
				"  fb:\n    package: ./functions/fb\n    architecture: x86_64\n")},
			mustNot: []string{"fa", "fc", "fe2", "pricing"},
			want:    map[string]string{"fb": "architecture arm64 → x86_64"}},
		// Issue 16: a Go file counts by its tokens, their lines and the
		// comments the toolchain reads, not by its bytes.
		{name: "shared package grows",
			files: map[string]string{
				"internal/common/common.go": common[0],
				"functions/fa/main.go":      "package main\n\nimport \"example.com/o/internal/common\"\n\n// main prints.\nfunc main() { println(common.Twice(common.Greet())) }\n",
			},
			mustNot: []string{"fc", "fe2", "pricing"},
			changed: []string{"fa"}},
		{name: "comment reworded in a shared package",
			files:   map[string]string{"internal/common/common.go": common[1]},
			mustNot: []string{"fa", "fb", "fc", "fe2", "pricing"}},
		{name: "comment reworded in a main package",
			files:   map[string]string{"functions/fa/main.go": "package main\n\nimport \"example.com/o/internal/common\"\n\n// main prints twice.\nfunc main() { println(common.Twice(common.Greet())) }\n"},
			mustNot: []string{"fa", "fb", "fc", "fe2", "pricing"}},
		{name: "gofmt-only reformatting that moves no line",
			files:   map[string]string{"internal/common/common.go": common[2]},
			mustNot: []string{"fa", "fb", "fc", "fe2", "pricing"}},
		{name: "comment line added above code",
			files:   map[string]string{"internal/common/common.go": common[3]},
			mustNot: []string{"fc", "fe2", "pricing"},
			want:    map[string]string{"fa": "internal/common: common.go changed (lines moved)"},
			changed: []string{"fa"}},
		{name: "//go:generate edited",
			files:   map[string]string{"internal/common/common.go": common[4]},
			mustNot: []string{"fa", "fb", "fc", "fe2", "pricing"}},
		{name: "//go:noinline removed",
			files:   map[string]string{"internal/common/common.go": common[5]},
			mustNot: []string{"fc", "fe2", "pricing"},
			want:    map[string]string{"fa": "internal/common: common.go changed (directives)"},
			changed: []string{"fa"}},
		{name: "//line directive",
			files:   map[string]string{"internal/common/common.go": common[6]},
			mustNot: []string{"fc", "fe2", "pricing"},
			want:    map[string]string{"fa": "internal/common: common.go changed (directives)"},
			changed: []string{"fa"}},
		{name: "cgo: comment reworded outside the preamble",
			files:   map[string]string{"cgo/pricing/c.go": strings.Replace(cgoFile, "answer is computed in C.", "answer comes from C.", 1)},
			mustNot: []string{"fa", "fb", "fc", "fe2", "pricing"},
			cgo:     true},
		{name: "cgo: preamble edited",
			files:   map[string]string{"cgo/pricing/c.go": strings.Replace(cgoFile, "return 42;", "return 43;", 1)},
			mustNot: []string{"fa", "fb", "fc", "fe2"},
			want:    map[string]string{"pricing": "cgo/pricing: c.go changed (directives)"},
			changed: []string{"pricing"},
			cgo:     true},
	}

	if !haveCC() {
		t.Log("no C compiler: the cgo steps are skipped")
		steps = slices.DeleteFunc(steps, func(s step) bool { return s.cgo })
	}
	var over []string // reported, binary unchanged
	defer func() { t.Logf("reported with an unchanged binary (%d): %q", len(over), over) }()
	prev := gitCommit(t, dir, "initial")
	m0, prevBins := buildAll(t, dir)
	// A Tracker follows the steps as lamb dev would: where it refreshes
	// prints without a package load, they must be the load's.
	tr := NewTracker()
	if _, err := tr.Fingerprints(ctx, m0, m0.Functions); err != nil {
		t.Fatal(err)
	}
	refreshed := 0
	defer func() { t.Logf("steps a Tracker refreshed without a package load: %d of %d", refreshed, len(steps)) }()
	for _, st := range steps {
		writeFiles(t, dir, st.files)
		changed := make([]string, 0, len(st.files))
		for p := range st.files {
			changed = append(changed, filepath.Join(dir, filepath.FromSlash(p)))
		}
		if st.cmd != nil {
			run(t, dir, []string{"GOFLAGS=-mod=mod"}, st.cmd[0], st.cmd[1:]...)
			changed = append(changed, filepath.Join(dir, "go.mod"), filepath.Join(dir, "go.sum"))
		}
		cur := gitCommit(t, dir, st.name)
		m, bins := buildAll(t, dir)
		t.Run(strings.ReplaceAll(st.name, " ", "_")+"/tracker", func(t *testing.T) {
			ok := tr.Refresh(changed)
			want, err := Fingerprints(ctx, m, m.Functions)
			if err != nil {
				t.Fatal(err)
			}
			var need []manifest.Function
			for i, f := range m.Functions {
				got, tracked := tr.Print(m.Root, f)
				if !tracked {
					need = append(need, f)
					continue
				}
				if got.Fingerprint != want[i].Fingerprint {
					t.Errorf("MISS: %s: tracked print %s after Refresh (%v), a package load gives %s: %q", f.Name, got.Fingerprint[:12], ok, want[i].Fingerprint[:12], Diff(got, want[i]))
				}
			}
			if ok {
				refreshed++
			}
			if _, err := tr.Fingerprints(ctx, m, need); err != nil {
				t.Fatal(err)
			}
		})
		t.Run(strings.ReplaceAll(st.name, " ", "_"), func(t *testing.T) {
			res, err := Affected(ctx, m, prev, m.Functions)
			if err != nil {
				t.Fatal(err)
			}
			if res.Base != prev {
				t.Errorf("base = %s, want %s", res.Base, prev)
			}
			reported := map[string][]string{}
			code := map[string]bool{}
			for _, f := range res.Functions {
				reported[f.Name] = f.Reasons
				code[f.Name] = f.Code
			}
			for name, h := range bins {
				if prevBins[name] != h && !code[name] {
					if _, ok := reported[name]; !ok {
						t.Errorf("MISS: %s's binary changed but it is not reported", name)
					} else {
						t.Errorf("MISS: %s's binary changed but it is reported as a configuration change only", name)
					}
				}
			}
			for name := range reported {
				if prevBins[name] == bins[name] {
					over = append(over, st.name+": "+name)
				}
			}
			for _, name := range st.changed {
				if prevBins[name] == bins[name] {
					t.Errorf("test step: %s's binary did not change", name)
				}
			}
			for _, name := range st.config {
				if _, ok := reported[name]; !ok || code[name] {
					t.Errorf("%s: reported %v, code %v; want a configuration change only", name, ok, code[name])
				}
			}
			if strings.Contains(fmt.Sprint(reported), "s3cr3t") {
				t.Errorf("an environment value is in the reasons")
			}
			for _, name := range st.mustNot {
				if r, ok := reported[name]; ok {
					t.Errorf("%s reported, must not be: %q", name, r)
				}
				if prevBins[name] != bins[name] {
					t.Errorf("oracle: %s's binary changed in a must-not-affect step", name)
				}
			}
			for name, reason := range st.want {
				if !slices.Contains(reported[name], reason) {
					t.Errorf("%s reasons = %q, want one %q", name, reported[name], reason)
				}
			}
			t.Logf("reported: %v", reported)
		})
		prev, prevBins = cur, bins
	}
}

// commonV1 is internal/common with doc comments, a directive and code on
// several lines.
const commonV1 = `// Package common is shared.
package common

// Greet greets.
func Greet() string {
	return "hello, world"
}

//go:noinline
func Twice(s string) string { return s + s }
`

// cgoFile has a cgo preamble and, elsewhere, a comment cgo does not read.
const cgoFile = "package main\n\n// static int answer(void) { return 42; }\nimport \"C\"\n\n// answer is computed in C.\nvar answer = int(C.answer())\n"

// pgoProfileData is a CPU profile (of another program: the go command
// applies any valid profile, and records it in the binary).
func pgoProfileData(t *testing.T) string {
	b, err := os.ReadFile(filepath.Join("testdata", "default.pgo"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// oracleManifest discovers every main package under functions/.
const oracleManifest = `version: 1
defaults:
  runtime: provided.al2023
  architecture: arm64
discover:
  - packages: ./functions/...
    name: "{{.Dir}}"
`

// withoutBuildID returns the binary b with its build IDs zeroed: the Go
// build ID, and the GNU build ID the linker derives from it. The Go build
// ID starts with the action ID of the main package's compilation, which
// hashes the package's source bytes, comments included, and goes on with
// IDs of the compiled dependencies, whose export data keeps columns: a
// binary linked without -ldflags=-buildid= differs in its build IDs alone
// for a comment or spacing edit. This compares binaries as linked with
// -buildid= (see docs/graph.md).
func withoutBuildID(t *testing.T, b []byte) []byte {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out := slices.Clone(b)
	for _, name := range []string{".note.go.buildid", ".note.gnu.build-id"} {
		sec := f.Section(name)
		if sec == nil {
			if name == ".note.go.buildid" {
				t.Fatalf("no %s section", name)
			}
			continue
		}
		// An ELF note: name size, description size, type, the name padded
		// to 4 bytes, the description (the ID).
		note := out[sec.Offset : sec.Offset+sec.Size]
		if len(note) < 12 {
			t.Fatalf("malformed %s", name)
		}
		nameSize := (f.ByteOrder.Uint32(note[0:4]) + 3) &^ 3
		descSize := f.ByteOrder.Uint32(note[4:8])
		desc := note[12+nameSize : 12+nameSize+descSize]
		if name == ".note.go.buildid" {
			id := slices.Clone(desc)
			out = bytes.ReplaceAll(out, id, make([]byte, len(id)))
			note = out[sec.Offset : sec.Offset+sec.Size]
			desc = note[12+nameSize : 12+nameSize+descSize]
		}
		clear(desc)
	}
	return out
}

// haveCC reports whether the C compiler of the go command runs.
func haveCC() bool {
	out, err := exec.Command("go", "env", "CC").Output()
	if err != nil {
		return false
	}
	cc := strings.Fields(string(out))
	return len(cc) > 0 && exec.Command(cc[0], "--version").Run() == nil
}

// manifestWith is oracleManifest with the given function entries.
func manifestWith(entries ...string) string {
	return oracleManifest + "functions:\n" + strings.Join(entries, "")
}

// cgoEntry is a function built with build.env CGO_ENABLED=1 for this
// machine's architecture (cgo needs a C compiler for the target).
func cgoEntry() string {
	if !haveCC() {
		return ""
	}
	arch, _ := lambdaspec.HostArch()
	return `  pricing:
    package: ./cgo/pricing
    architecture: ` + arch + `
    build:
      env:
        CGO_ENABLED: "1"
`
}

// buildAll loads dir's manifest and builds every function of it as lamb's
// builder does (one go build per build configuration, with the go command
// line and environment of buildcfg), and returns the manifest and, by
// function name, the sha256 of what goes into its zip: the binary and the
// manifest's files.
func buildAll(t *testing.T, dir string) (*manifest.Manifest, map[string]string) {
	t.Helper()
	m, err := manifest.Load(filepath.Join(dir, "lamb.yaml"), manifest.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	type group struct {
		cfg buildcfg.Config
		fns []manifest.Function
	}
	groups := map[string]*group{}
	var keys []string
	for _, f := range m.Functions {
		cfg, err := f.BuildConfig()
		if err != nil {
			t.Fatal(err)
		}
		g := groups[cfg.Key()]
		if g == nil {
			g = &group{cfg: cfg}
			groups[cfg.Key()] = g
			keys = append(keys, cfg.Key())
		}
		g.fns = append(g.fns, f)
	}
	bins := map[string]string{}
	for i, k := range keys {
		g := groups[k]
		out := filepath.Join(dir, "bin", strconv.Itoa(i))
		var pkgs []string
		for _, f := range g.fns {
			pkgs = append(pkgs, "./"+f.Dir)
		}
		cmd := exec.Command("go", g.cfg.BuildArgs(out, 0, pkgs)...)
		cmd.Dir = dir
		cmd.Env = g.cfg.Environ(os.Environ())
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, b)
		}
		for _, f := range g.fns {
			h := sha256.New()
			b, err := os.ReadFile(filepath.Join(out, path.Base(f.Dir)))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(g.cfg.LDFlags, "-buildid=") {
				b = withoutBuildID(t, b)
			}
			h.Write(b)
			for _, name := range f.Files {
				b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
				if err != nil {
					t.Fatal(err)
				}
				fmt.Fprintf(h, "\x00%s\x00%x", name, sha256.Sum256(b))
			}
			bins[f.Name] = hex.EncodeToString(h.Sum(nil))
		}
	}
	os.RemoveAll(filepath.Join(dir, "bin"))
	return m, bins
}
