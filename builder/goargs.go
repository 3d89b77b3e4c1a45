package builder

import (
	"crypto/sha256"
	"encoding/hex"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/lambctl/lamb/manifest"
)

// Settings are the build settings of a function that decide how the go
// command runs. Functions with equal settings in the same module are built
// by one go invocation.
type Settings struct {
	GOARCH  string            // arm64 or amd64
	Tags    []string          // extra build tags, besides lambda.norpc
	LDFlags string            // extra linker flags, after -s -w
	GCFlags string            // compiler flags
	Env     map[string]string // extra environment of the go command
}

// SettingsOf returns the build settings of fn.
func SettingsOf(fn manifest.Function) Settings {
	return Settings{
		GOARCH:  fn.GOARCH(),
		Tags:    fn.Build.Tags,
		LDFlags: fn.Build.LDFlags,
		GCFlags: fn.Build.GCFlags,
		Env:     fn.Build.Env,
	}
}

// tags returns the build tags: lambda.norpc first, then the extra tags
// sorted and without duplicates.
func (s Settings) tags() []string {
	tags := []string{"lambda.norpc"}
	extra := append([]string(nil), s.Tags...)
	sort.Strings(extra)
	for i, t := range extra {
		if t == "" || t == "lambda.norpc" || (i > 0 && extra[i-1] == t) {
			continue
		}
		tags = append(tags, t)
	}
	return tags
}

// key identifies the settings; equal keys build the same way.
func (s Settings) key() string {
	var b strings.Builder
	b.WriteString("goarch=" + s.GOARCH + "\n")
	b.WriteString("tags=" + strings.Join(s.tags(), ",") + "\n")
	b.WriteString("ldflags=" + s.LDFlags + "\n")
	b.WriteString("gcflags=" + s.GCFlags + "\n")
	for _, kv := range s.env() {
		b.WriteString("env=" + kv + "\n")
	}
	return b.String()
}

// env returns the extra environment, sorted by key.
func (s Settings) env() []string {
	keys := make([]string, 0, len(s.Env))
	for k := range s.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	env := make([]string, len(keys))
	for i, k := range keys {
		env[i] = k + "=" + s.Env[k]
	}
	return env
}

// GoBuildArgs returns the arguments of the go command that builds the main
// packages pkgs (relative to the module directory, "./functions/x") with
// settings s into the directory outDir, one binary per package named after
// the package's last path element. jobs > 0 sets -p. The go command reports
// its progress and errors as JSON on stdout (-json).
func GoBuildArgs(s Settings, outDir string, jobs int, pkgs []string) []string {
	args := []string{"build", "-json", "-trimpath", "-buildvcs=false"}
	if jobs > 0 {
		args = append(args, "-p", strconv.Itoa(jobs))
	}
	ld := "-s -w"
	if s.LDFlags != "" {
		ld += " " + s.LDFlags
	}
	args = append(args, "-ldflags="+ld)
	if s.GCFlags != "" {
		args = append(args, "-gcflags="+s.GCFlags)
	}
	args = append(args, "-tags="+strings.Join(s.tags(), ","))
	if !strings.HasSuffix(outDir, "/") {
		outDir += "/"
	}
	args = append(args, "-o", outDir)
	return append(args, pkgs...)
}

// GoListDepsArgs returns the arguments of the go command that lists each of
// pkgs with all its dependencies on one line: the import path, then the
// dependencies, separated by spaces. lamb runs it only after a failed build,
// to find which functions a failed package breaks.
func GoListDepsArgs(s Settings, pkgs []string) []string {
	args := []string{"list", "-e", "-tags=" + strings.Join(s.tags(), ","),
		"-f", "{{.ImportPath}}{{range .Deps}} {{.}}{{end}}"}
	return append(args, pkgs...)
}

// GoEnv returns the environment of the go command for settings s: base
// (normally os.Environ()), then CGO_ENABLED=0, GOOS=linux, GOARCH and the
// manifest's build env, later entries overriding earlier ones.
func GoEnv(base []string, s Settings) []string {
	env := append([]string(nil), base...)
	env = append(env, "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+s.GOARCH)
	return append(env, s.env()...)
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
