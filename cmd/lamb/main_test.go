package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"lamb": func() { os.Exit(runProcess(os.Args[1:])) },
		// lambexit CODE ARGS... runs lamb ARGS and succeeds only if lamb
		// exits with CODE: scripts assert exit codes with it.
		"lambexit": func() {
			if len(os.Args) < 2 {
				fmt.Fprintln(os.Stderr, "usage: lambexit CODE [ARGS...]")
				os.Exit(1)
			}
			want, err := strconv.Atoi(os.Args[1])
			if err != nil {
				fmt.Fprintln(os.Stderr, "lambexit:", err)
				os.Exit(1)
			}
			if got := runProcess(os.Args[2:]); got != want {
				fmt.Fprintf(os.Stderr, "lambexit: lamb exited %d, want %d\n", got, want)
				os.Exit(1)
			}
			os.Exit(0)
		},
	})
}

// goEnv are the variables scripts need to run the go command in their
// sandbox: the shared build and module caches keep the suite fast.
func goEnv(t *testing.T) []string {
	t.Helper()
	var env []string
	for _, k := range []string{"GOCACHE", "GOMODCACHE", "GOPROXY", "GOFLAGS", "GOTOOLCHAIN", "GONOSUMDB", "GOPRIVATE", "GONOSUMCHECK", "GOSUMDB"} {
		if v := os.Getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	// Resolve the defaults of the real environment, not the sandbox's HOME.
	for _, k := range []string{"GOCACHE", "GOMODCACHE"} {
		if os.Getenv(k) == "" {
			out, err := goEnvValue(k)
			if err != nil {
				t.Fatalf("go env %s: %v", k, err)
			}
			env = append(env, k+"="+out)
		}
	}
	// The go command that runs the tests comes first on the scripts' PATH.
	goroot, err := goEnvValue("GOROOT")
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	env = append(env, "PATH="+filepath.Join(goroot, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	// REALGO is that go command, for scripts that put a wrapper first.
	env = append(env, "REALGO="+filepath.Join(goroot, "bin", "go"))
	return env
}

func TestScripts(t *testing.T) {
	env := goEnv(t)
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	// Only what git tracks: a quickstart run's .lamb/ must not leak in.
	monorepo := filepath.Join(t.TempDir(), "monorepo")
	copyTree(t, filepath.Join(wd, "..", "..", "testdata", "monorepo"), monorepo)
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("..", "..", "testdata", "script"),
		// LAMB_UPDATE_SCRIPTS=1 rewrites the files that cmp compares
		// stdout with: review the diff before committing.
		UpdateScripts: os.Getenv("LAMB_UPDATE_SCRIPTS") != "",
		Setup: func(e *testscript.Env) error {
			for _, kv := range env {
				k, v, _ := strings.Cut(kv, "=")
				e.Setenv(k, v)
			}
			// The sample monorepo as a fresh clone has it, for scripts
			// that copy it: cp -r $MONOREPO .
			e.Setenv("MONOREPO", monorepo)
			// Artifact cache and user cache live in the sandbox.
			e.Setenv("XDG_CACHE_HOME", filepath.Join(e.WorkDir, ".cache"))
			e.Setenv("HOME", filepath.Join(e.WorkDir, "home"))
			return nil
		},
	})
}
