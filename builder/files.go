package builder

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/lambctl/lamb/internal/fsutil"
)

// ErrEscape reports a manifest file that resolves outside the repository.
var ErrEscape = errors.New("resolves outside the repository")

// extraFiles returns the zip entries of a function's manifest files (paths
// relative to root, slash-separated). Each is placed in the zip at its
// repository-relative path, so config/rates.json is read at run time as
// $LAMBDA_TASK_ROOT/config/rates.json. Each must be a regular file
// (directories, FIFOs, sockets and devices are refused, as the manifest
// refuses them); a symbolic link is followed only when its target, resolved
// now, is inside root.
func extraFiles(root string, files []string) ([]ZipFile, error) {
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, err
	}
	var out []ZipFile
	for _, f := range files {
		name := path.Clean(f)
		if name == "." || path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
			return nil, fmt.Errorf("files: %s: %w", f, ErrEscape)
		}
		if name == "bootstrap" {
			return nil, fmt.Errorf("files: %s: would replace the function's bootstrap", f)
		}
		src, err := resolveInside(realRoot, filepath.Join(root, filepath.FromSlash(name)))
		if err != nil {
			return nil, fmt.Errorf("files: %s: %w", f, err)
		}
		out = append(out, ZipFile{Name: name, Src: src, Mode: 0o644})
	}
	return out, nil
}

// resolveInside resolves the symbolic links of p and checks that the result
// is a regular file inside realRoot. (The file is opened again, regular
// files only, when it is hashed and zipped: a file swapped for a FIFO in
// between is refused then.)
func resolveInside(realRoot, p string) (string, error) {
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(realRoot, real)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", ErrEscape
	}
	fi, err := os.Stat(real)
	if err != nil {
		return "", err
	}
	if fi.IsDir() {
		return "", fmt.Errorf("%w: a directory: list the files", fsutil.ErrNotRegular)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%w (%s)", fsutil.ErrNotRegular, fsutil.Kind(fi.Mode()))
	}
	return real, nil
}
