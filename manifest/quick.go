package manifest

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
)

type quickBuild struct {
	Tags    []string          `yaml:"tags"`
	LDFlags string            `yaml:"ldflags"`
	GCFlags string            `yaml:"gcflags"`
	Env     map[string]string `yaml:"env"`
}

type quickFunc struct {
	Package      string            `yaml:"package"`
	Runtime      string            `yaml:"runtime"`
	Architecture string            `yaml:"architecture"`
	Memory       int               `yaml:"memory"`
	Timeout      int               `yaml:"timeout"`
	Role         string            `yaml:"role"`
	Environment  map[string]string `yaml:"environment"`
	Tags         map[string]string `yaml:"tags"`
	Alias        string            `yaml:"alias"`
	Build        *quickBuild       `yaml:"build"`
	Files        []string          `yaml:"files"`
}

type quickStage struct {
	Prefix         string            `yaml:"prefix"`
	Role           string            `yaml:"role"`
	Environment    map[string]string `yaml:"environment"`
	Tags           map[string]string `yaml:"tags"`
	Alias          string            `yaml:"alias"`
	ArtifactBucket string            `yaml:"artifact_bucket"`
	Region         string            `yaml:"region"`
}

type quickManifest struct {
	Version   int                   `yaml:"version"`
	Defaults  quickFunc             `yaml:"defaults"`
	Functions map[string]quickFunc  `yaml:"functions"`
	Stages    map[string]quickStage `yaml:"stages"`
	Cache     string                `yaml:"cache"`
}

// Load reads, validates and resolves the manifest at path.
func Load(file string, opts LoadOptions) (*Manifest, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil, err
	}
	var q quickManifest
	if err := yaml.UnmarshalWithOptions(data, &q, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	m := &Manifest{Path: abs, Root: filepath.Dir(abs), Cache: q.Cache}
	var st quickStage
	if opts.Stage != "" {
		s, ok := q.Stages[opts.Stage]
		if !ok {
			return nil, fmt.Errorf("unknown stage %q", opts.Stage)
		}
		st = s
		m.Stage = &Stage{Name: opts.Stage, Prefix: s.Prefix, Role: s.Role, Environment: s.Environment, Tags: s.Tags, Alias: s.Alias, ArtifactBucket: s.ArtifactBucket, Region: s.Region}
	}
	d := q.Defaults
	for key, f := range q.Functions {
		dir := path.Clean(strings.TrimPrefix(filepath.ToSlash(f.Package), "./"))
		fn := Function{
			Name: st.Prefix + key, Key: key, Package: "./" + dir, Dir: dir,
			Runtime: pick(st.Prefix, f.Runtime, d.Runtime, "provided.al2023"), Architecture: pick("", f.Architecture, d.Architecture, "arm64"),
			Memory: pickInt(f.Memory, d.Memory, 128), Timeout: pickInt(f.Timeout, d.Timeout, 3),
			Role: pick(st.Role, f.Role, d.Role, ""), Alias: pick(st.Alias, f.Alias, d.Alias, ""),
			Environment: merge(d.Environment, f.Environment, st.Environment), Tags: merge(d.Tags, f.Tags, st.Tags),
			Files: f.Files,
		}
		fn.Runtime = pick("", f.Runtime, d.Runtime, "provided.al2023")
		m.Functions = append(m.Functions, fn)
	}
	sort.Slice(m.Functions, func(i, j int) bool { return m.Functions[i].Name < m.Functions[j].Name })
	return m, nil
}

func pick(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func pickInt(vs ...int) int {
	for _, v := range vs {
		if v != 0 {
			return v
		}
	}
	return 0
}

func merge(ms ...map[string]string) map[string]string {
	var out map[string]string
	for _, m := range ms {
		for k, v := range m {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}
