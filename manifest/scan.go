package manifest

import (
	"fmt"
	"go/parser"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// MainPackage is a main package found by MainPackages.
type MainPackage struct {
	// Dir is the package directory relative to the root, slash-separated.
	Dir string
	// Lambda is true when the package imports aws-lambda-go's lambda package.
	Lambda bool
}

// lambdaImport is the package every aws-lambda-go handler imports.
const lambdaImport = "github.com/aws/aws-lambda-go/lambda"

// MainPackages walks root the way discover does (skipping testdata,
// vendor, directories starting with . or _, and nested modules) and
// returns its main packages, sorted by Dir.
func MainPackages(root string) ([]MainPackage, error) {
	var out []MainPackage
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if p != root {
			if skipDir(d.Name()) {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
				return filepath.SkipDir
			}
		}
		info := readPackage(p, parser.ImportsOnly)
		if info.err != nil || info.name != "main" {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		out = append(out, MainPackage{Dir: filepath.ToSlash(rel), Lambda: info.imports[lambdaImport]})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find main packages: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Dir < out[j].Dir })
	return out, nil
}

// StageNames returns the names of the stages in the manifest at file,
// without validating the rest; for shell completion.
func StageNames(file string) ([]string, error) {
	data, err := readFile(file, file)
	if err != nil {
		return nil, err
	}
	d := &decoder{file: file}
	raw := d.parse(data)
	if raw == nil {
		return nil, d.errs.sorted()
	}
	var names []string
	for _, s := range raw.Stages {
		names = append(names, s.Name.Value)
	}
	return names, nil
}
