package graph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

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
	})
	run(t, dir, []string{"GOFLAGS=-mod=mod"}, "go", "mod", "tidy")

	type step struct {
		name    string
		files   map[string]string // "" removes
		cmd     []string          // run after writing files
		mustNot []string          // must not be reported
		want    map[string]string // function → a reason it must carry
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
			want:    map[string]string{"fb": "module github.com/google/uuid v1.5.0 => v1.6.0"}},
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
			want:    map[string]string{"fe2": "new function"}},
		{name: "go directive changed",
			files: map[string]string{"go.mod": `module example.com/o

go 1.25

require (
	example.com/local v0.0.0
	github.com/google/uuid v1.6.0
)

replace example.com/local => ./lib/local
`},
			want: map[string]string{"fa": "go directive 1.26 => 1.25"}},
		{name: "non-embedded data file added",
			files: map[string]string{
				"functions/fa/testdata/input.json": "{}\n",
				"functions/fa/README.md":           "# fa\n",
				"config/data.json":                 "{}\n",
			},
			mustNot: []string{"fa", "fb", "fc", "fe2"}},
	}

	prev := gitCommit(t, dir, "initial")
	prevBins := buildAll(t, dir)
	for _, st := range steps {
		writeFiles(t, dir, st.files)
		if st.cmd != nil {
			run(t, dir, []string{"GOFLAGS=-mod=mod"}, st.cmd[0], st.cmd[1:]...)
		}
		cur := gitCommit(t, dir, st.name)
		bins := buildAll(t, dir)
		t.Run(strings.ReplaceAll(st.name, " ", "_"), func(t *testing.T) {
			var fns []manifest.Function
			for name := range bins {
				fns = append(fns, fn(name))
			}
			sort.Slice(fns, func(i, j int) bool { return fns[i].Name < fns[j].Name })
			m := &manifest.Manifest{Root: dir, Functions: fns}
			res, err := Affected(ctx, m, prev, fns)
			if err != nil {
				t.Fatal(err)
			}
			if res.Base != prev {
				t.Errorf("base = %s, want %s", res.Base, prev)
			}
			reported := map[string][]string{}
			for _, f := range res.Functions {
				reported[f.Name] = f.Reasons
			}
			for name, h := range bins {
				if prevBins[name] != h {
					if _, ok := reported[name]; !ok {
						t.Errorf("MISS: %s's binary changed but it is not reported", name)
					}
				}
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
				if !contains(reported[name], reason) {
					t.Errorf("%s reasons = %q, want one %q", name, reported[name], reason)
				}
			}
			t.Logf("reported: %v", reported)
		})
		prev, prevBins = cur, bins
	}
}

// buildAll builds every functions/* package of dir as lamb's builder does
// and returns the sha256 of each binary by function name.
func buildAll(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "functions"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "bin")
	os.RemoveAll(out)
	args := []string{"build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-tags", "lambda.norpc", "-o", out + string(filepath.Separator)}
	for _, e := range entries {
		args = append(args, "./functions/"+e.Name())
	}
	run(t, dir, []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64"}, "go", args...)
	bins := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(out, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(b)
		bins[e.Name()] = hex.EncodeToString(h[:])
	}
	return bins
}
