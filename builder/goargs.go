package builder

import (
	"crypto/sha256"
	"encoding/hex"
	"path"

	"github.com/lambctl/lamb/internal/buildcfg"
)

// listDepsArgs returns the arguments of the go command that lists each of
// pkgs with all its dependencies on one line, as cfg selects files: the
// import path, then the dependencies, separated by spaces. lamb runs it
// only after a failed build, to find which functions a failed package
// breaks.
func listDepsArgs(cfg buildcfg.Config, pkgs []string) []string {
	args := append([]string{"list", "-e"}, cfg.ListFlags()...)
	args = append(args, "-f", "{{.ImportPath}}{{range .Deps}} {{.}}{{end}}")
	return append(args, pkgs...)
}

// debugNote marks the progress line of a debug build.
func debugNote(cfg buildcfg.Config) string {
	if cfg.Debug {
		return ", debug"
	}
	return ""
}

// execName returns the name the go command gives the binary of the main
// package importPath when building with -o dir/: its last element, or the
// one before when the last is a major version suffix (cmd/go's
// load.DefaultExecName in module mode).
func execName(importPath string) string {
	elem := path.Base(importPath)
	if elem != importPath && isVersionElement(elem) {
		elem = path.Base(path.Dir(importPath))
	}
	return elem
}

// isVersionElement reports whether s is a major version suffix: v2, v3, ...
func isVersionElement(s string) bool {
	if len(s) < 2 || s[0] != 'v' || s[1] == '0' || s[1] == '1' && len(s) == 2 {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])[:12]
}
