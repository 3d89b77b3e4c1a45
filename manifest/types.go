// Package manifest decodes, validates and resolves lamb.yaml.
//
// It has no dependency on the rest of lamb: it returns resolved functions
// (defaults, discovery and stage applied) that the other packages consume.
package manifest

import (
	"time"

	"github.com/lambctl/lamb/internal/buildcfg"
	"github.com/lambctl/lamb/internal/lambdaspec"
)

// Pos is a position in the manifest file, 1-based.
type Pos struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

// Build holds extra go build settings.
type Build struct {
	Tags    []string          `json:"tags,omitempty"`
	LDFlags string            `json:"ldflags,omitempty"`
	GCFlags string            `json:"gcflags,omitempty"`
	Env     map[string]string `json:"env,omitempty"`
}

// Function is one resolved Lambda function: defaults, discovery and the
// selected stage have been applied.
type Function struct {
	// Name is the Lambda function name, stage prefix applied.
	Name string `json:"name"`
	// Key is the function's key in the manifest (or the discovered name),
	// without the stage prefix.
	Key string `json:"key"`
	// Package is the package path as written, relative to Root ("./functions/x").
	Package string `json:"package"`
	// Dir is the package directory relative to Root, slash-separated ("functions/x").
	Dir          string `json:"dir"`
	Runtime      string `json:"runtime"`
	Architecture string `json:"architecture"` // arm64 or x86_64
	Memory       int    `json:"memory"`
	Timeout      int    `json:"timeout"`
	Role         string `json:"role,omitempty"`
	// Environment are the variables with literal values.
	Environment map[string]string `json:"environment,omitempty"`
	// EnvRefs are the variables whose values are kept in Parameter Store
	// or Secrets Manager, resolved at plan and deploy time. A key is in
	// Environment or in EnvRefs, never both.
	EnvRefs map[string]EnvRef `json:"env_refs,omitempty"`
	Tags    map[string]string `json:"tags,omitempty"`
	Alias   string            `json:"alias,omitempty"`
	Build   Build             `json:"build"`
	// Files are extra files, slash-separated and relative to Root.
	Files []string `json:"files,omitempty"`
	// Manage is what lamb manages of the function: ManageAll (code and
	// configuration, the default) or ManageCode.
	Manage string `json:"manage"`
	// Rollout shifts the alias to a new version in steps; nil moves it at
	// once (no rollout set, or rollout: none).
	Rollout *Rollout `json:"rollout,omitempty"`
	// Budget are the function's size and cold-start budgets; zero fields
	// are not checked.
	Budget Budget `json:"budget,omitzero"`
	// HTTP is how the function is reached over HTTP.
	HTTP HTTP `json:"http,omitzero"`
	// Pos is where the function is defined (its key, or the discover entry).
	Pos Pos `json:"-"`
}

// Manage values: what lamb manages of a function.
const (
	// ManageAll: code and configuration (memory, timeout, role,
	// environment, ...). The default.
	ManageAll = "all"
	// ManageCode: the code only (code, versions, the alias and lamb's own
	// tags); another tool (Terraform, CDK, ...) owns the configuration.
	ManageCode = "code"
)

// EnvRef is an environment value kept outside the manifest: exactly one
// of SSM and Secret is set.
type EnvRef struct {
	// SSM is a Parameter Store parameter: a name ("/prod/db/url",
	// optionally with ":VERSION" or ":LABEL") or an ARN. SecureString
	// parameters are read decrypted.
	SSM string `json:"ssm,omitempty"`
	// Secret is a Secrets Manager secret: a name or an ARN.
	Secret string `json:"secret,omitempty"`
	// Key, with Secret, selects one key of the secret's value, a JSON
	// object; "" takes the whole value.
	Key string `json:"key,omitempty"`
}

// String names the reference without its value: "ssm:/prod/db/url",
// "secret:prod/db", "secret:prod/db#password".
func (r EnvRef) String() string {
	switch {
	case r.SSM != "":
		return "ssm:" + r.SSM
	case r.Key != "":
		return "secret:" + r.Secret + "#" + r.Key
	}
	return "secret:" + r.Secret
}

// DefaultRolloutInterval is the wait between rollout steps when the
// manifest gives none.
const DefaultRolloutInterval = time.Minute

// Rollout is a gradual shift of the alias to a new version.
type Rollout struct {
	// Steps are the percentages of traffic on the new version, strictly
	// increasing, each 1..100, the last 100.
	Steps []int `json:"steps"`
	// Interval is the wait after each step before its gates are checked
	// (nanoseconds in JSON). 0 checks at once.
	Interval time.Duration `json:"interval"`
	// Smoke are event files (JSON, slash-separated, relative to Root)
	// invoked on the new version before any traffic moves.
	Smoke []string `json:"smoke,omitempty"`
	// Alarms are CloudWatch alarm names that must not be in ALARM.
	Alarms []string `json:"alarms,omitempty"`
	// MaxErrors is the number of errors of the new version that aborts
	// the rollout when passed (0: any error aborts).
	MaxErrors int `json:"max_errors"`
}

// Budget bounds what a function costs at cold start; a zero field is no
// budget.
type Budget struct {
	// Zip is the largest zip, in bytes.
	Zip int64 `json:"zip,omitempty"`
	// Growth is the most the zip may grow against the base (--since), in
	// percent of the base's size; nil for no limit (0 allows no growth).
	Growth *float64 `json:"growth,omitempty"`
	// Init is the longest init duration (Lambda's Init Duration).
	Init time.Duration `json:"init,omitempty"`
}

// HTTP is how a function is reached over HTTP.
type HTTP struct {
	// Routes are API Gateway HTTP API route keys ("POST /orders",
	// "GET /orders/{id}", "$default"), as route.Parse reads them and
	// route.Key.String writes them. No two routes of a manifest overlap.
	Routes []string `json:"routes,omitempty"`
	// URL is the function URL, nil for none.
	URL *FunctionURL `json:"url,omitempty"`
}

// FunctionURL is a function URL's configuration.
type FunctionURL struct {
	// Auth is Lambda's AuthType: URLAuthIAM (the default) or URLAuthNone
	// (public).
	Auth string `json:"auth"`
}

// BuildConfig returns how the function is built: the one source of its go
// command line and environment for the graph (fingerprints) and the
// builder. The error is an architecture validation refuses.
func (f Function) BuildConfig() (buildcfg.Config, error) {
	return buildcfg.New(f.Architecture, f.Build.Tags, f.Build.LDFlags, f.Build.GCFlags, f.Build.Env)
}

// GOARCH returns the Go architecture for the function's Lambda architecture.
//
// Deprecated: use BuildConfig; kept until graph and builder move to it.
func (f Function) GOARCH() string {
	if g, ok := lambdaspec.GOARCH(f.Architecture); ok {
		return g
	}
	return "arm64"
}

// Stage is a named overlay selected with --stage.
type Stage struct {
	Name        string
	Prefix      string
	Role        string
	Environment map[string]string
	// EnvRefs are the stage's environment references (see Function).
	EnvRefs        map[string]EnvRef
	Tags           map[string]string
	Alias          string
	ArtifactBucket string
	Region         string
	// Manage overrides every function's Manage; "" when the stage does
	// not set it.
	Manage string
	// Account is the AWS account ID the stage deploys to ("" for any):
	// lamb refuses credentials of another account.
	Account string
	// Confirm asks before changing anything (--yes without a terminal).
	Confirm bool
}

// Manifest is a loaded, validated and resolved lamb.yaml.
type Manifest struct {
	// Path is the absolute path of the manifest file.
	Path string
	// Project names the project ("" for none); lamb marks the functions
	// it deploys with the tag lamb:project = Project or Project/STAGE.
	Project string
	// Root is the absolute directory holding the manifest; every relative
	// path in it is relative to Root, and nothing may escape it.
	Root string
	// Stage is the selected stage, nil when none was selected.
	Stage *Stage
	// Cache is the shared artifact cache URL (s3://bucket/prefix), if set.
	Cache string
	// Functions are sorted by Name.
	Functions []Function
}

// Names returns the Names of fns, in order.
func Names(fns []Function) []string {
	out := make([]string, len(fns))
	for i, f := range fns {
		out[i] = f.Name
	}
	return out
}

// Lookup returns the function with the given name: its stage-prefixed
// Name, else its Key. A Name wins over another function's Key (with prefix
// "prod-", "prod-a" is function a even if a function "prod-a" exists).
func (m *Manifest) Lookup(name string) (Function, bool) {
	for _, f := range m.Functions {
		if f.Name == name {
			return f, true
		}
	}
	for _, f := range m.Functions {
		if f.Key == name {
			return f, true
		}
	}
	return Function{}, false
}
