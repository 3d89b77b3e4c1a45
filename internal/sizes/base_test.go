package sizes

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/internal/pipeline"
	"github.com/lambctl/lamb/manifest"
)

// sampleRepo copies the sample monorepo into a new git repository with
// one commit, and returns its directory.
func sampleRepo(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the sample")
	}
	dir := filepath.Join(t.TempDir(), "repo")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "testdata", "monorepo"))); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(dir, ".lamb"))
	gitRun(t, dir, "init", "-q", "-b", "main")
	return dir
}

func gitRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The base of the sample: mailer as committed, a function that does not
// compile (broken), and none yet of the new one (fresh). The working
// tree fixes broken, adds fresh and a dependency to mailer.
func TestBase(t *testing.T) {
	t.Parallel()
	dir := sampleRepo(t)
	writeFile(t, filepath.Join(dir, "functions", "broken", "main.go"), "package main\n\nvar x int = \"no\"\n\nfunc main() {}\n")
	gitRun(t, dir, "add", "-A")
	gitRun(t, dir, "commit", "-q", "-m", "base")
	base := strings.TrimSpace(gitRun(t, dir, "rev-parse", "HEAD"))

	writeFile(t, filepath.Join(dir, "functions", "broken", "main.go"), "package main\n\nfunc main() {}\n")
	writeFile(t, filepath.Join(dir, "functions", "fresh", "main.go"), "package main\n\nfunc main() {}\n")
	writeFile(t, filepath.Join(dir, "functions", "mailer", "extra.go"), "package main\n\nimport \"example.com/money\"\n\nfunc init() { _, _ = money.Parse(\"1.00\") }\n")

	m, err := manifest.Load(filepath.Join(dir, "lamb.yaml"), manifest.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var fns []manifest.Function
	for _, n := range []string{"mailer", "fresh", "broken"} {
		f, ok := m.Lookup(n)
		if !ok {
			t.Fatalf("no function %s in the working tree's manifest", n)
		}
		f.Architecture = "x86_64" // as retargeted: the base is built the same way
		fns = append(fns, f)
	}

	var mu sync.Mutex
	var worktrees []string
	testHookWorktree = func(dir string) {
		mu.Lock()
		defer mu.Unlock()
		worktrees = append(worktrees, dir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := Base(ctx, BaseOptions{Manifest: m, Commit: base, Functions: fns, Analyze: true, Build: pipeline.BuildOptions{NoCache: true}})

	if err == nil || !strings.Contains(err.Error(), "broken: build at base "+base[:12]+": ") {
		t.Fatalf("err = %v; want broken's failure at the base", err)
	}
	if strings.Contains(err.Error(), "mailer") {
		t.Errorf("err = %v; mailer built at the base", err)
	}
	if res == nil {
		t.Fatal("no result")
	}
	if diff := cmp.Diff([]string{"fresh"}, res.New); diff != "" {
		t.Errorf("New (-want +got):\n%s", diff)
	}
	mailer := res.Measures["mailer"]
	if mailer == nil || mailer.Report == nil {
		t.Fatalf("mailer at the base: %+v", mailer)
	}
	if mailer.Architecture != "x86_64" || mailer.Report.GOARCH != "amd64" {
		t.Errorf("mailer at the base built for %s (%s), want x86_64 as the working tree's", mailer.Architecture, mailer.Report.GOARCH)
	}
	if mailer.Report.Module("example.com/money") != nil {
		t.Error("the base's mailer has the working tree's dependency on example.com/money")
	}
	if len(res.Measures) != 1 {
		t.Errorf("measures of %v, want mailer only", mapKeys(res.Measures))
	}

	// The worktree is gone, from the disk and from git.
	mu.Lock()
	defer mu.Unlock()
	if len(worktrees) != 1 {
		t.Fatalf("%d worktrees, want 1", len(worktrees))
	}
	if _, err := os.Stat(worktrees[0]); !os.IsNotExist(err) {
		t.Errorf("worktree %s still exists: %v", worktrees[0], err)
	}
	if list := gitRun(t, dir, "worktree", "list"); strings.Count(list, "\n") != 1 {
		t.Errorf("git worktree list:\n%s", list)
	}
}

func mapKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
