package manifest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// FileName is the manifest's file name, found by Find.
const FileName = "lamb.yaml"

// LoadOptions select how a manifest is resolved.
type LoadOptions struct {
	// Stage is the stage to overlay; empty for none.
	Stage string
}

// Find returns the path of the lamb.yaml in dir or its nearest parent.
func Find(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("find %s: %w", FileName, err)
	}
	for d := abs; ; {
		p := filepath.Join(d, FileName)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("find %s: %w", FileName, err)
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no %s in %s or any parent directory (create one with lamb init)", FileName, abs)
		}
		d = parent
	}
}
