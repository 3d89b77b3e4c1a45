package emulator

import (
	"maps"
	"slices"
	"time"

	"github.com/lambctl/lamb/emulator/awsjson/statefile"
)

// config is one version of a function: $LATEST or a published number. It is
// persisted as JSON under the state directory.
type config struct {
	Version     string `json:"version"`
	Runtime     string `json:"runtime,omitempty"`
	Role        string `json:"role"`
	Handler     string `json:"handler,omitempty"`
	Description string `json:"description,omitempty"`
	Timeout     int    `json:"timeout"`
	MemorySize  int    `json:"memorySize"`
	// Environment is in clear in memory only: the state file has it
	// sealed (SealedEnv, sealEnvLocked), as Lambda encrypts environments
	// at rest, since they often hold secrets (lamb resolves Parameter
	// Store and Secrets Manager references into them).
	Environment map[string]string           `json:"-"`
	SealedEnv   map[string]statefile.Secret `json:"sealedEnvironment,omitempty"`
	// PlainEnv is the environment as state files written before sealing
	// kept it: read, then sealed at the next save.
	PlainEnv      map[string]string `json:"environment,omitempty"`
	Architectures []string          `json:"architectures"`
	CodeSha256    string            `json:"codeSha256"`
	CodeSize      int64             `json:"codeSize"`
	LastModified  string            `json:"lastModified"`
	RevisionID    string            `json:"revisionId"`

	State                      string `json:"state,omitempty"`
	StateReason                string `json:"stateReason,omitempty"`
	StateReasonCode            string `json:"stateReasonCode,omitempty"`
	LastUpdateStatus           string `json:"lastUpdateStatus,omitempty"`
	LastUpdateStatusReason     string `json:"lastUpdateStatusReason,omitempty"`
	LastUpdateStatusReasonCode string `json:"lastUpdateStatusReasonCode,omitempty"`
}

// sameContent reports whether publishing c would give a version equal to v:
// AWS returns the latest version instead of publishing an unchanged one.
func (c *config) sameContent(v *config) bool {
	return c.CodeSha256 == v.CodeSha256 && c.Runtime == v.Runtime && c.Role == v.Role &&
		c.Handler == v.Handler && c.Timeout == v.Timeout && c.MemorySize == v.MemorySize &&
		maps.Equal(c.Environment, v.Environment) && slices.Equal(c.Architectures, v.Architectures)
}

func (c *config) clone() *config {
	d := *c
	d.Environment = maps.Clone(c.Environment)
	d.SealedEnv = maps.Clone(c.SealedEnv)
	d.Architectures = slices.Clone(c.Architectures)
	return &d
}

// busy returns the 409 an update or publish gets while a transition runs.
func (c *config) busy(arn string) *apiError {
	switch {
	case c.State == "Pending":
		return conflictState(c.State)
	case c.LastUpdateStatus == "InProgress":
		return conflictUpdating(arn)
	}
	return nil
}

type alias struct {
	Name            string             `json:"name"`
	FunctionVersion string             `json:"functionVersion"`
	Description     string             `json:"description,omitempty"`
	Weights         map[string]float64 `json:"weights,omitempty"`
	RevisionID      string             `json:"revisionId"`
}

// transition is a pending background state change of $LATEST.
type transition struct {
	Seq  int       `json:"seq"`
	Due  time.Time `json:"due"`
	Fail bool      `json:"fail,omitempty"`
	Kind string    `json:"kind"` // "create" or "update"
}

type function struct {
	Name        string            `json:"name"`
	Latest      *config           `json:"latest"`
	Versions    []*config         `json:"versions,omitempty"` // ascending
	NextVersion int               `json:"nextVersion"`
	Aliases     map[string]*alias `json:"aliases,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	Transition  *transition       `json:"transition,omitempty"`
}

func (f *function) version(v string) *config {
	if v == "$LATEST" {
		return f.Latest
	}
	for _, c := range f.Versions {
		if c.Version == v {
			return c
		}
	}
	return nil
}

// state is everything the emulator knows, persisted as one JSON document.
type state struct {
	Functions map[string]*function `json:"functions"`
}

func lastModified(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000-0700") }

// Wire shapes, member names as in the Lambda API.

type wireEnv struct {
	Variables map[string]string `json:"Variables"`
}

type wireConfig struct {
	FunctionName               string            `json:"FunctionName"`
	FunctionArn                string            `json:"FunctionArn"`
	Runtime                    string            `json:"Runtime,omitempty"`
	Role                       string            `json:"Role"`
	Handler                    string            `json:"Handler,omitempty"`
	CodeSize                   int64             `json:"CodeSize"`
	Description                string            `json:"Description"`
	Timeout                    int               `json:"Timeout"`
	MemorySize                 int               `json:"MemorySize"`
	LastModified               string            `json:"LastModified"`
	CodeSha256                 string            `json:"CodeSha256"`
	Version                    string            `json:"Version"`
	Environment                *wireEnv          `json:"Environment,omitempty"`
	TracingConfig              map[string]string `json:"TracingConfig"`
	RevisionID                 string            `json:"RevisionId"`
	State                      string            `json:"State,omitempty"`
	StateReason                string            `json:"StateReason,omitempty"`
	StateReasonCode            string            `json:"StateReasonCode,omitempty"`
	LastUpdateStatus           string            `json:"LastUpdateStatus,omitempty"`
	LastUpdateStatusReason     string            `json:"LastUpdateStatusReason,omitempty"`
	LastUpdateStatusReasonCode string            `json:"LastUpdateStatusReasonCode,omitempty"`
	PackageType                string            `json:"PackageType"`
	Architectures              []string          `json:"Architectures"`
	EphemeralStorage           map[string]int    `json:"EphemeralStorage"`
	LoggingConfig              map[string]string `json:"LoggingConfig"`
}

type wireAlias struct {
	AliasArn        string       `json:"AliasArn"`
	Name            string       `json:"Name"`
	FunctionVersion string       `json:"FunctionVersion"`
	Description     string       `json:"Description"`
	RoutingConfig   *wireRouting `json:"RoutingConfig,omitempty"`
	RevisionID      string       `json:"RevisionId"`
}

type wireRouting struct {
	AdditionalVersionWeights map[string]float64 `json:"AdditionalVersionWeights"`
}
