package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"

	"github.com/lambctl/lamb/internal/fsutil"
)

// FileName is the manifest's file name, found by Find.
const FileName = "lamb.yaml"

// LoadOptions select how a manifest is resolved.
type LoadOptions struct {
	// Stage is the stage to overlay; empty for none.
	Stage string
	// WorkDir is the directory a relative file is read from and positions
	// are shown relative to; "" is the process's working directory.
	WorkDir string
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

// Load reads, validates and resolves the manifest at file (relative to
// opts.WorkDir). Problems in the manifest are returned together as Errors,
// each with its position; the file is named as given, or relative to the
// working directory.
func Load(file string, opts LoadOptions) (*Manifest, error) {
	abs := file
	if !filepath.IsAbs(file) {
		wd := opts.WorkDir
		if wd == "" {
			var err error
			if wd, err = os.Getwd(); err != nil {
				return nil, fmt.Errorf("load manifest: %w", err)
			}
		}
		abs = filepath.Join(wd, file)
	}
	abs = filepath.Clean(abs)
	name := file
	if filepath.IsAbs(file) {
		name = ShortPathFrom(opts.WorkDir, abs)
	}
	data, err := readFile(abs, name)
	if err != nil {
		return nil, err
	}
	return load(data, abs, name, opts)
}

// MaxFileSize is the size of the largest manifest lamb reads: 1 MiB.
const MaxFileSize = 1 << 20

// readFile reads the manifest at abs, named name in errors: a regular file
// of at most MaxFileSize bytes. It never blocks on a FIFO and never reads
// a device.
func readFile(abs, name string) ([]byte, error) {
	data, err := fsutil.ReadRegular(abs, MaxFileSize)
	if err == nil {
		return data, nil
	}
	if errors.Is(err, fsutil.ErrTooLarge) {
		return nil, fmt.Errorf("load manifest: %s: %w: a manifest is at most 1 MiB (%d bytes)", name, fsutil.ErrTooLarge, MaxFileSize)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return nil, fmt.Errorf("load manifest: %s: %w", name, pe.Err)
	}
	return nil, fmt.Errorf("load manifest: %w", err)
}

// ShortPath returns path relative to the working directory when that is
// shorter, like the go command names files.
func ShortPath(path string) string { return ShortPathFrom("", path) }

// ShortPathFrom is ShortPath with wd as the working directory ("" for the
// process's).
func ShortPathFrom(wd, path string) string {
	if wd == "" {
		wd, _ = os.Getwd()
	}
	if wd != "" {
		if rel, err := filepath.Rel(wd, path); err == nil && len(rel) < len(path) {
			return rel
		}
	}
	return path
}

func load(data []byte, abs, name string, opts LoadOptions) (*Manifest, error) {
	d := &decoder{file: name}
	raw := d.parse(data)
	if raw == nil {
		return nil, d.errs.sorted()
	}
	d.validateManifest(raw)

	var sel *rawStage
	if opts.Stage != "" {
		var names []string
		for _, s := range raw.Stages {
			names = append(names, s.Name.Value)
			if s.Name.Value == opts.Stage {
				sel = s
			}
		}
		if sel == nil {
			if len(d.errs) > 0 {
				return nil, d.errs.sorted()
			}
			if len(names) == 0 {
				return nil, fmt.Errorf("unknown stage %q: %s defines no stages", opts.Stage, name)
			}
			return nil, fmt.Errorf("unknown stage %q (%s has: %s)", opts.Stage, name, strings.Join(names, ", "))
		}
	}

	root := filepath.Dir(abs)
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		realRoot = root
	}
	r := &resolver{decoder: d, root: root, realRoot: realRoot, pkgs: map[string]pkgInfo{}}
	fns := r.resolve(raw, sel)
	if len(d.errs) > 0 {
		return nil, d.errs.sorted()
	}
	m := &Manifest{Path: abs, Project: raw.Project.Value, Root: root, Cache: raw.Cache.Value, Functions: fns}
	if sel != nil {
		m.Stage = &Stage{
			Name:           sel.Name.Value,
			Prefix:         sel.Prefix.Value,
			Role:           sel.Role.Value,
			Tags:           mergeInto(nil, sel.Tags),
			Alias:          sel.Alias.Value,
			ArtifactBucket: sel.ArtifactBucket.Value,
			Region:         sel.Region.Value,
			Manage:         sel.Manage.Value,
			Account:        sel.Account.Value,
			Confirm:        sel.Confirm.Value,
		}
		mergeEnv(&m.Stage.Environment, &m.Stage.EnvRefs, sel.Environment)
	}
	return m, nil
}

// bom is the UTF-8 byte order mark some editors write first.
var bom = []byte("\ufeff")

// parse decodes data into a rawManifest; nil when nothing of it parsed as
// YAML. Syntax errors are recorded (d.syntax) and the rest is decoded
// from what parsed around them.
func (d *decoder) parse(data []byte) *rawManifest {
	data = bytes.TrimPrefix(data, bom)
	c := &converter{file: d.file, anchors: map[string]*node{}}
	if err := c.checkKeys(lexer.Tokenize(string(data))); err != nil {
		d.errs = append(d.errs, err)
		return nil
	}
	f, serrs := c.parseRecovering(string(data))
	d.errs = append(d.errs, serrs...)
	d.syntax = len(serrs) > 0
	c.syntax = d.syntax
	if f == nil {
		return nil
	}
	var docs []*ast.DocumentNode
	for _, doc := range f.Docs {
		if doc != nil && doc.Body != nil {
			docs = append(docs, doc)
		}
	}
	if len(docs) > 1 {
		d.errorf(Pos{Line: docs[1].Body.GetToken().Position.Line, Col: 1}, "more than one YAML document: a manifest is one document")
	}
	var body ast.Node
	if len(docs) > 0 {
		body = docs[0].Body
	}
	n, cerr := c.convert(body, 0)
	d.errs = append(d.errs, c.errs...)
	if cerr != nil {
		d.errs = append(d.errs, cerr)
		return nil
	}
	return d.manifest(n)
}
