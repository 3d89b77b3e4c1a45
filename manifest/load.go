package manifest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"

	"github.com/lambctl/lamb/internal/fsutil"
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

// Load reads, validates and resolves the manifest at file. Problems in the
// manifest are returned together as Errors, each with its position; the
// file is named as given, or relative to the working directory.
func Load(file string, opts LoadOptions) (*Manifest, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, fmt.Errorf("load manifest: %w", err)
	}
	name := displayName(file, abs)
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

// displayName is how positions name the manifest: as given when relative,
// else relative to the working directory when that is shorter.
func displayName(file, abs string) string {
	if !filepath.IsAbs(file) {
		return file
	}
	return ShortPath(abs)
}

// ShortPath returns path relative to the working directory when that is
// shorter, like the go command names files.
func ShortPath(path string) string {
	if wd, err := os.Getwd(); err == nil {
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
		return nil, d.errs
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
				d.errs.sort()
				return nil, d.errs
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
		d.errs.sort()
		return nil, d.errs
	}
	m := &Manifest{Path: abs, Root: root, Cache: raw.Cache.Value, Functions: fns}
	if sel != nil {
		m.Stage = &Stage{
			Name:           sel.Name.Value,
			Prefix:         sel.Prefix.Value,
			Role:           sel.Role.Value,
			Environment:    mergeInto(nil, sel.Environment),
			Tags:           mergeInto(nil, sel.Tags),
			Alias:          sel.Alias.Value,
			ArtifactBucket: sel.ArtifactBucket.Value,
			Region:         sel.Region.Value,
		}
	}
	return m, nil
}

// parse decodes data into a rawManifest; nil when it is not YAML at all.
func (d *decoder) parse(data []byte) *rawManifest {
	c0 := &converter{file: d.file}
	tokens := lexer.Tokenize(string(data))
	if err := c0.checkKeys(tokens); err != nil {
		d.errs = append(d.errs, err)
		return nil
	}
	f, err := parser.Parse(tokens, 0)
	if err != nil {
		var ye yaml.Error
		if errors.As(err, &ye) {
			c := converter{file: d.file}
			d.errs = append(d.errs, &Error{Pos: c.pos(ye.GetToken()), Msg: yamlMessage(ye.GetMessage(), d.file)})
		} else {
			d.errorf(Pos{Line: 1, Col: 1}, "%v", err)
		}
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
		return nil
	}
	var body ast.Node
	if len(docs) == 1 {
		body = docs[0].Body
	}
	c := &converter{file: d.file, anchors: map[string]*node{}}
	n, cerr := c.convert(body, 0)
	if cerr != nil {
		d.errs = append(d.errs, cerr)
		return nil
	}
	return d.manifest(n)
}

// dupKeyRE matches the parser's duplicate key message.
var dupKeyRE = regexp.MustCompile(`^mapping key ("(?:[^"\\]|\\.)*") already defined at \[(\d+):(\d+)\]$`)

// yamlMessage rewords the YAML parser's messages in the manifest's style.
func yamlMessage(msg, file string) string {
	if m := dupKeyRE.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("duplicate key %s (first at %s:%s:%s)", m[1], file, m[2], m[3])
	}
	return msg
}
