package benchgen

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
)

var versionRE = regexp.MustCompile(`const Version = "([^"]*)-v([0-9]+)"`)

// Touch simulates an edit of target, a package directory of a generated
// repository ("internal/auth" or "functions/orders-api"): it bumps the
// package's Version constant ("auth-v1" to "auth-v2") so that every
// binary depending on it changes. It returns the new version.
func Touch(dir, target string) (string, error) {
	file := path.Base(target) + ".go"
	if path.Dir(target) == "functions" {
		file = "main.go"
	}
	p := filepath.Join(dir, filepath.FromSlash(target), file)
	b, err := os.ReadFile(p)
	if err != nil {
		return "", fmt.Errorf("benchgen: touch: %w", err)
	}
	m := versionRE.FindSubmatchIndex(b)
	if m == nil {
		return "", fmt.Errorf("benchgen: touch: %s has no Version constant", p)
	}
	n, err := strconv.Atoi(string(b[m[4]:m[5]]))
	if err != nil {
		return "", fmt.Errorf("benchgen: touch: %s: %w", p, err)
	}
	version := fmt.Sprintf("%s-v%d", b[m[2]:m[3]], n+1)
	out := make([]byte, 0, len(b)+2)
	out = append(out, b[:m[0]]...)
	out = append(out, `const Version = "`+version+`"`...)
	out = append(out, b[m[1]:]...)
	if err := os.WriteFile(p, out, 0o644); err != nil {
		return "", fmt.Errorf("benchgen: touch: %w", err)
	}
	return version, nil
}
