package graph

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambctl/lamb/manifest"
)

// writeFiles writes files (slash paths relative to dir); an empty content
// removes the file.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if content == "" {
			if err := os.RemoveAll(p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// run runs a command in dir and returns its trimmed stdout.
func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(stdout.String())
}

func gitInit(t *testing.T, dir string) {
	t.Helper()
	run(t, dir, nil, "git", "init", "-q", "-b", "main")
	run(t, dir, nil, "git", "config", "user.email", "test@example.com")
	run(t, dir, nil, "git", "config", "user.name", "test")
	run(t, dir, nil, "git", "config", "commit.gpgsign", "false")
}

func gitCommit(t *testing.T, dir, msg string) string {
	t.Helper()
	run(t, dir, nil, "git", "add", "-A")
	run(t, dir, nil, "git", "commit", "-q", "--allow-empty", "-m", msg)
	return run(t, dir, nil, "git", "rev-parse", "HEAD")
}

// fn is a manifest function for the package in functions/<name>.
func fn(name string) manifest.Function {
	return manifest.Function{Name: name, Key: name, Package: "./functions/" + name, Dir: "functions/" + name, Architecture: "arm64"}
}

// isolateCache points the user cache directory (lamb's affected cache) into
// the test's temp dir, keeping the real go build cache.
func isolateCache(t *testing.T) {
	t.Helper()
	if os.Getenv("GOCACHE") == "" {
		t.Setenv("GOCACHE", run(t, ".", nil, "go", "env", "GOCACHE"))
	}
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
}

// needCC skips a test that builds with cgo when there is no C compiler.
func needCC(t *testing.T) {
	t.Helper()
	if !haveCC() {
		t.Skip("no C compiler")
	}
}
