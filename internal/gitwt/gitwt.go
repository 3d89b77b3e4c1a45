// Package gitwt is the one home of how lamb looks at another commit of the
// repository: the git command, and a temporary worktree of the commit
// (checkout hooks off, always removed, even when the context is cancelled)
// with the environment a go command needs there. graph.Affected
// fingerprints the base of --since in one; lamb size builds the base in
// one.
package gitwt

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Git runs git with args in dir and returns its trimmed output; an error
// carries the first line git wrote on stderr.
func Git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			line, _, _ := strings.Cut(msg, "\n")
			return "", fmt.Errorf("git %s: %w: %s", args[0], err, line)
		}
		return "", fmt.Errorf("git %s: %w", args[0], err)
	}
	return strings.TrimSpace(string(out)), nil
}

// RelPath returns target relative to base, slash-separated, resolving
// symlinks (a temporary directory under a symlinked path).
func RelPath(base, target string) (string, error) {
	b, err := filepath.EvalSymlinks(base)
	if err != nil {
		return "", err
	}
	t, err := filepath.EvalSymlinks(target)
	if err != nil {
		t = target
	}
	rel, err := filepath.Rel(b, t)
	if err != nil {
		return "", err
	}
	return filepath.ToSlash(rel), nil
}

// Worktree is a temporary, detached checkout of one commit.
type Worktree struct {
	// Top is the repository's top directory; Dir the worktree's.
	Top, Dir string
	tmp      string
}

// Checkout checks commit out in a new temporary worktree of the
// repository at top, with no checkout hooks run. Close removes it.
func Checkout(ctx context.Context, top, commit string) (*Worktree, error) {
	tmp, err := os.MkdirTemp("", "lamb-base-")
	if err != nil {
		return nil, err
	}
	w := &Worktree{Top: top, Dir: filepath.Join(tmp, "base"), tmp: tmp}
	hooks := filepath.Join(tmp, "hooks") // an empty hooks directory
	if err := os.Mkdir(hooks, 0o700); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	if _, err := Git(ctx, top, "-c", "core.hooksPath="+hooks, "worktree", "add", "--detach", "--quiet", w.Dir, commit); err != nil {
		w.Close()
		return nil, fmt.Errorf("checking out %.12s: %w", commit, err)
	}
	return w, nil
}

// Path returns where the repository path rel (slash-separated, relative
// to Top) is in the worktree.
func (w *Worktree) Path(rel string) string { return filepath.Join(w.Dir, filepath.FromSlash(rel)) }

// GoEnv is the environment the go command needs in the worktree besides
// the process's: when GOWORK names a go.work inside the repository by
// absolute path, the worktree's copy of it (the commit's go.work, not the
// working tree's). Nil otherwise.
func (w *Worktree) GoEnv() []string {
	gw := os.Getenv("GOWORK")
	if gw == "" || gw == "off" || !filepath.IsAbs(gw) {
		return nil
	}
	rel, err := RelPath(w.Top, gw)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return nil // outside the repository: the environment's applies
	}
	return []string{"GOWORK=" + w.Path(rel)}
}

// Scrub removes the worktree's directory from a message, so paths read as
// the repository's.
func (w *Worktree) Scrub(msg string) string {
	msg = strings.ReplaceAll(msg, w.Dir+string(filepath.Separator), "")
	return strings.ReplaceAll(msg, w.Dir, "")
}

// Close removes the worktree, even when the caller's context was
// cancelled (Ctrl-C): it uses its own, bounded one.
func (w *Worktree) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var err error
	if _, err = Git(ctx, w.Top, "worktree", "remove", "--force", w.Dir); err != nil {
		_, _ = Git(ctx, w.Top, "worktree", "prune")
	}
	if rerr := os.RemoveAll(w.tmp); rerr != nil && err == nil {
		err = rerr
	}
	return err
}
