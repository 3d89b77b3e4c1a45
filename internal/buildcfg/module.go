package buildcfg

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/lambctl/lamb/internal/fsutil"
	"golang.org/x/mod/modfile"
)

// maxGoMod bounds a go.mod lamb reads (the go command's own limit is
// larger, but no real go.mod comes close).
const maxGoMod = 16 << 20

// ErrNoModule reports a directory that no go.mod governs.
var ErrNoModule = errors.New("not in a Go module (no go.mod at or above it inside the repository)")

// Module is the Go module a directory belongs to.
type Module struct {
	// Dir is the absolute directory of its go.mod.
	Dir string
	// Path is its module path.
	Path string
}

// FindModule returns the module that governs dir (absolute): the closest
// go.mod at or above dir, never above the top of the repository (the
// first directory with a .git entry) — what the go command would use,
// bounded so that a stray go.mod above a checkout cannot be picked up.
func FindModule(dir string) (Module, error) {
	for d := dir; ; {
		data, err := fsutil.ReadRegular(filepath.Join(d, "go.mod"), maxGoMod)
		if err == nil {
			p := modfile.ModulePath(data)
			if p == "" {
				return Module{}, fmt.Errorf("%s: no module directive", filepath.Join(d, "go.mod"))
			}
			return Module{Dir: d, Path: p}, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			if fi, serr := os.Stat(filepath.Join(d, "go.mod")); serr != nil || !fi.IsDir() {
				return Module{}, fmt.Errorf("read go.mod: %w", err)
			}
		}
		parent := filepath.Dir(d)
		_, gerr := os.Lstat(filepath.Join(d, ".git"))
		if parent == d || gerr == nil {
			return Module{}, fmt.Errorf("%s: %w", dir, ErrNoModule)
		}
		d = parent
	}
}
