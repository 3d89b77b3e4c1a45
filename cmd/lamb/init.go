package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lambctl/lamb/internal/buildcfg"
	"github.com/lambctl/lamb/manifest"
)

func newInitCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "init",
		Short: "Write a starter lamb.yaml from the module's main packages",
		Long: `init writes lamb.yaml next to the go.mod of the current module (or to -f PATH),
with one function per main package that imports aws-lambda-go (every main
package when none does). It never overwrites an existing manifest.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.checkOutput("text"); err != nil {
				return err
			}
			wd := g.wd
			mod, err := buildcfg.FindModule(wd)
			if err != nil {
				if errors.Is(err, buildcfg.ErrNoModule) {
					return usageError(fmt.Errorf("no go.mod in %s or any parent directory: lamb init needs a Go module", wd))
				}
				return usageError(err)
			}
			file := filepath.Join(mod.Dir, manifest.FileName)
			if g.File != "" {
				file = g.path(g.File)
			}
			if _, err := os.Lstat(file); err == nil {
				return usageError(fmt.Errorf("%s already exists; not overwriting it", g.rel(file)))
			} else if !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			root := filepath.Dir(file)
			pkgs, err := manifest.MainPackages(root)
			if err != nil {
				return err
			}
			data, n := starterManifest(pkgs)
			if err := writeNew(g, file, data); err != nil {
				return err
			}
			// The starter must load; a failure here is a bug in init.
			if _, err := manifest.Load(file, manifest.LoadOptions{}); err != nil {
				os.Remove(file)
				return fmt.Errorf("%s: the written manifest does not validate:\n%w", g.rel(file), err)
			}
			if _, err := fmt.Fprintf(g.stdout, "wrote %s: %d functions\n", g.rel(file), n); err != nil {
				return err
			}
			ignore, added, err := ignoreLambDir(root)
			switch {
			case err != nil:
				fmt.Fprintf(g.stderr, "lamb: warning: add .lamb/ to your .gitignore (builds and the local Lambda live there): %v\n", err)
			case added:
				fmt.Fprintf(g.stdout, "added .lamb/ to %s\n", g.rel(ignore))
			}
			if !g.Quiet {
				fmt.Fprintln(g.stderr, "lamb: next: lamb deploy --local (no AWS needed); set defaults.role before deploying to AWS")
			}
			return nil
		},
	}
}

// ignoreLambDir makes sure the .gitignore next to the manifest ignores
// .lamb/ (zips, build state and the local Lambda's state), appending the
// line when no line already covers it. It reports the file and whether it
// added the line.
func ignoreLambDir(root string) (string, bool, error) {
	file := filepath.Join(root, ".gitignore")
	data, err := os.ReadFile(file)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return file, false, err
	}
	for _, l := range strings.Split(string(data), "\n") {
		switch strings.TrimSpace(l) {
		case ".lamb", ".lamb/", "/.lamb", "/.lamb/", ".lamb/*", "/.lamb/*":
			return file, false, nil
		}
	}
	prefix := ""
	if len(data) > 0 && !bytes.HasSuffix(data, []byte("\n")) {
		prefix = "\n"
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return file, false, err
	}
	if _, err := f.WriteString(prefix + "# lamb: zips, build state and the local Lambda\n.lamb/\n"); err != nil {
		f.Close()
		return file, false, err
	}
	return file, true, f.Close()
}

// writeNew creates file with data, failing if it exists.
func writeNew(g *globalOptions, file string, data []byte) error {
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return usageError(fmt.Errorf("%s already exists; not overwriting it", g.rel(file)))
		}
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// starterManifest renders lamb.yaml for pkgs and returns how many
// functions it names. Packages importing aws-lambda-go become functions;
// when none does, every main package does.
func starterManifest(pkgs []manifest.MainPackage) ([]byte, int) {
	var fns, others []manifest.MainPackage
	for _, p := range pkgs {
		if p.Lambda {
			fns = append(fns, p)
		} else {
			others = append(others, p)
		}
	}
	if len(fns) == 0 {
		fns, others = others, nil
	}
	names := functionNames(fns)

	var b bytes.Buffer
	b.WriteString(`# lamb.yaml: the Lambda functions of this module and how to build and deploy them.
# Check it with "lamb validate"; see "lamb list" for the resolved settings.
version: 1

defaults:
  runtime: provided.al2023
  architecture: arm64
  memory: 128      # MB, 128..10240
  timeout: 3       # seconds, 1..900
  # role: arn:aws:iam::123456789012:role/lambda-basic
  # environment: {LOG_LEVEL: info}
  # tags: {team: core}
  # alias: live

`)
	if len(fns) == 0 {
		b.WriteString("functions: {}\n")
	} else {
		b.WriteString("functions:\n")
		for i, p := range fns {
			fmt.Fprintf(&b, "  %s:\n    package: %s\n", names[i], "./"+p.Dir)
		}
	}
	if len(others) > 0 {
		b.WriteString("\n# Main packages that do not import aws-lambda-go, left out:\n")
		for _, p := range others {
			fmt.Fprintf(&b, "#   ./%s\n", p.Dir)
		}
	}
	b.WriteString(`
# Every main package under a directory can become a function instead:
# discover:
#   - packages: ./functions/...
#     name: "{{.Dir}}"
#
# stages:
#   prod: {prefix: prod-, environment: {LOG_LEVEL: warn}}
`)
	return b.Bytes(), len(fns)
}

// functionNames names each package after its directory; packages whose
// directory names collide are named parent-dir, then by their whole path.
func functionNames(pkgs []manifest.MainPackage) []string {
	candidates := []func(dir string) string{
		path.Base,
		func(dir string) string {
			if p := path.Dir(dir); p != "." {
				return path.Base(p) + "-" + path.Base(dir)
			}
			return path.Base(dir)
		},
		func(dir string) string { return strings.ReplaceAll(dir, "/", "-") },
	}
	names := make([]string, len(pkgs))
	level := make([]int, len(pkgs))
	for changed := true; changed; {
		changed = false
		count := map[string]int{}
		for i, p := range pkgs {
			names[i] = sanitizeName(candidates[level[i]](p.Dir))
			count[names[i]]++
		}
		for i := range pkgs {
			if count[names[i]] > 1 && level[i] < len(candidates)-1 {
				level[i]++
				changed = true
			}
		}
	}
	return names
}

// sanitizeName makes s a valid Lambda function name.
func sanitizeName(s string) string {
	if s == "." || s == "" {
		return "main"
	}
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '-'
		}
	}
	if len(b) > 64 {
		b = b[len(b)-64:]
	}
	return string(b)
}
