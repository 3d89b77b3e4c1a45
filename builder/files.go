package builder

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// ErrEscape reports a manifest file that resolves outside the repository.
var ErrEscape = errors.New("resolves outside the repository")

// extraFiles returns the zip entries of a function's manifest files (paths
// relative to root, slash-separated). Each is placed in the zip at its
// repository-relative path, so config/rates.json is read at run time as
// $LAMBDA_TASK_ROOT/config/rates.json. A directory contributes every file
// under it. Symbolic links are followed only when their target, resolved
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
		src, fi, err := resolveInside(realRoot, filepath.Join(root, filepath.FromSlash(name)))
		if err != nil {
			return nil, fmt.Errorf("files: %s: %w", f, err)
		}
		if !fi.IsDir() {
			out = append(out, ZipFile{Name: name, Src: src, Mode: 0o644})
			continue
		}
		err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			rel, err := filepath.Rel(src, p)
			if err != nil {
				return err
			}
			entry := path.Join(name, filepath.ToSlash(rel))
			real, fi, err := resolveInside(realRoot, p)
			if err != nil {
				return fmt.Errorf("%s: %w", entry, err)
			}
			if fi.IsDir() {
				return fmt.Errorf("%s: a link to a directory inside a files: directory is not followed", entry)
			}
			out = append(out, ZipFile{Name: entry, Src: real, Mode: 0o644})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("files: %s: %w", f, err)
		}
	}
	return out, nil
}

// resolveInside resolves the symbolic links of p and checks that the result
// is a regular file or directory inside realRoot.
func resolveInside(realRoot, p string) (string, fs.FileInfo, error) {
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", nil, err
	}
	rel, err := filepath.Rel(realRoot, real)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", nil, ErrEscape
	}
	fi, err := os.Stat(real)
	if err != nil {
		return "", nil, err
	}
	if !fi.Mode().IsRegular() && !fi.IsDir() {
		return "", nil, fmt.Errorf("not a regular file (%s)", fi.Mode().Type())
	}
	return real, fi, nil
}
