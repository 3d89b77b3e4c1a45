package manifest

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/lambctl/lamb/internal/buildcfg"
	"github.com/lambctl/lamb/internal/lambdaspec"
)

// Defaults applied when neither the function nor defaults set a value.
const (
	DefaultRuntime      = "provided.al2023"
	DefaultArchitecture = lambdaspec.ArchARM64
	DefaultMemory       = 128 // MB
	DefaultTimeout      = 3   // seconds, as in AWS
)

// Lambda limits not in lambdaspec (which has memory, timeout, environment
// and tag count).
const (
	maxNameLen    = 64
	maxTagKeyLen  = 128
	maxTagValLen  = 256
	maxAliasLen   = 128
	stageNameHint = "[a-zA-Z0-9-_]"
)

var (
	nameRE     = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
	roleRE     = regexp.MustCompile(`^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$`)
	envKeyRE   = regexp.MustCompile(`^[a-zA-Z]([a-zA-Z0-9_])+$`)
	digitsRE   = regexp.MustCompile(`^[0-9]+$`)
	regionRE   = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
	bucketRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	cacheRE    = regexp.MustCompile(`^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$`)
	buildTagRE = regexp.MustCompile(`^!?[a-zA-Z0-9_.]+$`)
)

// TagPrefix starts the keys of the tags lamb writes itself on the
// functions it deploys (lamb:fingerprint, lamb:code-sha256, lamb:project):
// a manifest may not set tags with it.
const TagPrefix = "lamb:"

// LambTags is how many tags lamb writes on a function: they count against
// Lambda's lambdaspec.MaxTags.
const LambTags = 3

// MaxUserTags is how many tags the manifest may give a function: Lambda's
// limit less lamb's own.
const MaxUserTags = lambdaspec.MaxTags - LambTags

// tagCountMsg words a tag count over MaxUserTags.
func tagCountMsg(n int) string {
	return fmt.Sprintf("%d tags: lamb writes %d of Lambda's %d, so at most %d are left", n, LambTags, lambdaspec.MaxTags, MaxUserTags)
}

// validateManifest checks every value where it is written, so that each
// problem is reported once, at its own line.
func (d *decoder) validateManifest(m *rawManifest) {
	switch {
	case !m.Version.Set:
		if len(d.errs) == 0 {
			d.errorf(Pos{Line: 1, Col: 1}, "missing version: add \"version: 1\"")
		}
	case m.Version.Value != 1:
		d.errorf(m.Version.Pos, "version: unsupported version %d (this lamb reads version 1)", m.Version.Value)
	}
	d.validateProject(m)
	if m.Cache.Set && !cacheRE.MatchString(m.Cache.Value) {
		d.errorf(m.Cache.Pos, "cache: %q is not an s3://bucket/prefix URL", m.Cache.Value)
	}
	d.validateSettings(&m.Defaults)
	for _, f := range m.Functions {
		d.validateName(f.Key.Pos, f.Key.Value, "")
		if (!f.Package.Set || f.Package.Value == "") && !d.syntax {
			d.errorf(f.Key.Pos, "function %q: missing package (package: ./path/to/main/package)", f.Key.Value)
		}
		d.validateSettings(&f.rawSettings)
		d.validateHTTP(&f.HTTP)
	}
	for _, e := range m.Discover {
		if (!e.Packages.Set || e.Packages.Value == "") && !d.syntax {
			d.errorf(e.Pos, "discover: missing packages (packages: ./functions/...)")
		}
		d.validateSettings(&e.rawSettings)
	}
	seen := map[string]bool{}
	for _, s := range m.Stages {
		if !nameRE.MatchString(s.Name.Value) {
			d.errorf(s.Name.Pos, "stage name %q must be of %s", s.Name.Value, stageNameHint)
		}
		if seen[s.Name.Value] {
			d.errorf(s.Name.Pos, "duplicate stage %q", s.Name.Value)
		}
		seen[s.Name.Value] = true
		if s.Prefix.Value != "" && !nameRE.MatchString(s.Prefix.Value) {
			d.errorf(s.Prefix.Pos, "prefix: %q must be of [a-zA-Z0-9-_] (it starts function names)", s.Prefix.Value)
		}
		d.validateRole(s.Role)
		d.validateEnv(&s.Environment)
		d.validateTags(&s.Tags)
		d.validateAlias(s.Alias)
		if s.Region.Set && !regionRE.MatchString(s.Region.Value) {
			d.errorf(s.Region.Pos, "region: %q is not an AWS region (like us-east-1)", s.Region.Value)
		}
		if s.ArtifactBucket.Set && !bucketRE.MatchString(s.ArtifactBucket.Value) {
			d.errorf(s.ArtifactBucket.Pos, "artifact_bucket: %q is not an S3 bucket name (3-63 of [a-z0-9.-])", s.ArtifactBucket.Value)
		}
		d.validateStageExtras(s)
	}
}

// validateName checks a function name; prefix is the stage prefix, if any.
func (d *decoder) validateName(p Pos, name, stage string) {
	what := "function name"
	if stage != "" {
		what += " (stage " + stage + ")"
	}
	switch {
	case name == "":
		d.errorf(p, "%s is empty", what)
	case !nameRE.MatchString(name):
		d.errorf(p, "%s %q must be 1-%d characters of [a-zA-Z0-9-_]", what, name, maxNameLen)
	case len(name) > maxNameLen:
		d.errorf(p, "%s %q is %d characters, more than %d", what, name, len(name), maxNameLen)
	}
}

func (d *decoder) validateSettings(s *rawSettings) {
	if s.Runtime.Set {
		switch v := s.Runtime.Value; v {
		case "provided.al2023", "provided.al2":
		case "go1.x":
			d.errorf(s.Runtime.Pos, "runtime: go1.x is deprecated: AWS retired the Go 1.x runtime; Go functions run as a bootstrap on provided.al2023")
		case "provided":
			d.errorf(s.Runtime.Pos, "runtime: provided is deprecated: it runs on Amazon Linux 1, which reached end of life; use provided.al2023")
		default:
			d.errorf(s.Runtime.Pos, "runtime: %q is not supported: use provided.al2023 or provided.al2", v)
		}
	}
	if s.Architecture.Set {
		d.validateArchitecture(s.Architecture)
	}
	if s.Memory.Set && (s.Memory.Value < lambdaspec.MinMemory || s.Memory.Value > lambdaspec.MaxMemory) {
		d.errorf(s.Memory.Pos, "memory: %d is out of range %d..%d (MB)", s.Memory.Value, lambdaspec.MinMemory, lambdaspec.MaxMemory)
	}
	if s.Timeout.Set && (s.Timeout.Value < lambdaspec.MinTimeout || s.Timeout.Value > lambdaspec.MaxTimeout) {
		d.errorf(s.Timeout.Pos, "timeout: %d is out of range %d..%d (seconds)", s.Timeout.Value, lambdaspec.MinTimeout, lambdaspec.MaxTimeout)
	}
	d.validateRole(s.Role)
	d.validateEnv(&s.Environment)
	d.validateTags(&s.Tags)
	d.validateAlias(s.Alias)
	d.validateManage(s.Manage)
	d.validateRollout(&s.Rollout)
	d.validateBudget(&s.Budget)
	for _, t := range s.Build.Tags.Items {
		if !buildTagRE.MatchString(t.Value) {
			d.errorf(t.Pos, "build.tags: %q is not a build tag", t.Value)
		}
	}
	for _, e := range s.Build.Env.Entries {
		// buildcfg.CheckEnv is the one rule for what a build env may set.
		if err := buildcfg.CheckEnv(e.Key, e.Value); err != nil {
			d.errorf(e.KeyPos, "build.env: %v", err)
		}
	}
}

// validateArchitecture checks a Lambda architecture against lambdaspec,
// suggesting the Lambda name for the usual other spellings.
func (d *decoder) validateArchitecture(a str) {
	if _, ok := lambdaspec.GOARCH(a.Value); ok {
		return
	}
	archs := slices.Sorted(slices.Values(lambdaspec.Architectures))
	msg := fmt.Sprintf("architecture: %q is not %s", a.Value, strings.Join(archs, " or "))
	switch a.Value {
	case "amd64", "x86-64", "x64":
		msg += fmt.Sprintf(" (did you mean %q?)", lambdaspec.ArchX86_64)
	case "aarch64", "arm":
		msg += fmt.Sprintf(" (did you mean %q?)", lambdaspec.ArchARM64)
	}
	d.errorf(a.Pos, "%s", msg)
}

func (d *decoder) validateRole(r str) {
	if r.Set && r.Value != "" && !roleRE.MatchString(r.Value) {
		d.errorf(r.Pos, "role: %q is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)", r.Value)
	}
}

// validateEnv checks an environment where it is written; m.over records
// that it alone breaks the size limit.
func (d *decoder) validateEnv(m *strMap) {
	for _, e := range m.Entries {
		switch {
		case !envKeyRE.MatchString(e.Key):
			d.errorf(e.KeyPos, "environment: key %q must match [a-zA-Z][a-zA-Z0-9_]+", e.Key)
		case slices.Contains(lambdaspec.ReservedEnv, e.Key):
			d.errorf(e.KeyPos, "environment: key %q is reserved by Lambda", e.Key)
		case strings.Contains(e.Value, "\x00"):
			// Accepted by Lambda's API, but no process can be given it:
			// every invoke would fail.
			d.errorf(e.KeyPos, "environment: value of %q contains NUL", e.Key)
		case e.Ref != nil:
			d.validateRef(e.Key, e.Ref)
		}
	}
	if n := envSize(m.Entries); n > lambdaspec.EnvironmentLimit {
		m.over = true
		d.errorf(m.Pos, "environment: %d bytes as JSON, more than Lambda's 4 KB limit (%d)", n, lambdaspec.EnvironmentLimit)
	}
}

// validateTags checks tags where they are written; m.over records that
// they alone break the count limit.
func (d *decoder) validateTags(m *strMap) {
	for _, e := range m.Entries {
		switch {
		case e.Key == "":
			d.errorf(e.KeyPos, "tags: empty key")
		case len(e.Key) > maxTagKeyLen:
			d.errorf(e.KeyPos, "tags: key %q is %d characters, more than %d", e.Key, len(e.Key), maxTagKeyLen)
		case strings.HasPrefix(strings.ToLower(e.Key), "aws:"):
			d.errorf(e.KeyPos, "tags: key %q: the aws: prefix is reserved", e.Key)
		case strings.HasPrefix(e.Key, TagPrefix):
			d.errorf(e.KeyPos, "tags: key %q: the %s prefix is reserved for lamb's own tags", e.Key, TagPrefix)
		}
		if len(e.Value) > maxTagValLen {
			d.errorf(e.KeyPos, "tags: value of %q is %d characters, more than %d", e.Key, len(e.Value), maxTagValLen)
		}
	}
	if len(m.Entries) > MaxUserTags {
		m.over = true
		d.errorf(m.Pos, "tags: %s", tagCountMsg(len(m.Entries)))
	}
}

func (d *decoder) validateAlias(a str) {
	if !a.Set || a.Value == "" {
		return
	}
	if len(a.Value) > maxAliasLen || !nameRE.MatchString(a.Value) || digitsRE.MatchString(a.Value) {
		d.errorf(a.Pos, "alias: %q must be 1-%d characters of [a-zA-Z0-9-_], not all digits", a.Value, maxAliasLen)
	}
}
