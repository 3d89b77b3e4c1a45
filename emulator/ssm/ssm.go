// Package ssm is a local AWS Systems Manager Parameter Store: GetParameter,
// GetParameters, GetParametersByPath, PutParameter, DeleteParameter and
// DeleteParameters over the AWS JSON 1.1 protocol (X-Amz-Target
// "AmazonSSM.*"), as the SDK's ssm client and the AWS CLI call them, with
// AWS's error types. Parameters persist in <StateDir>/ssm.json (mode 0600).
//
// Values are sealed in that file with the state directory's key
// (statefile.KeyFile; there is no KMS here). A SecureString read without
// WithDecryption answers an opaque random stand-in, never the value. No
// error message quotes a value.
package ssm

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/lambctl/lamb/emulator/awsjson"
	"github.com/lambctl/lamb/emulator/awsjson/statefile"
)

// Target is the X-Amz-Target prefix of Parameter Store calls.
const Target = "AmazonSSM"

// StateFile is the name of the state file inside Options.StateDir.
const StateFile = "ssm.json"

// Limits Parameter Store enforces.
const (
	// MaxVersions is how many versions of a parameter are kept; older ones
	// are dropped (AWS keeps 100).
	MaxVersions = 100
	// MaxNameLength bounds a new parameter's name, counting the ARN before
	// it ("arn:aws:ssm:us-east-1:123456789012:parameter/" and the name).
	MaxNameLength = 1011
	// MaxLevels is the deepest hierarchy a name may have.
	MaxLevels = 15
	// MaxStandardValue and MaxAdvancedValue bound values by tier.
	MaxStandardValue = 4096
	MaxAdvancedValue = 8192
)

// Options configure a Service.
type Options struct {
	// StateDir persists parameters in StateDir/ssm.json; "" keeps them in
	// memory only.
	StateDir string
	// Region and AccountID form ARNs; defaults us-east-1 and 123456789012
	// (the local Lambda's).
	Region    string
	AccountID string
}

// Service is the local Parameter Store. It is safe for concurrent use.
type Service struct {
	awsjson.Endpoint // Match, ServeHTTP, Refuse
	opts             Options
	file             statefile.File
	key              *statefile.Key
	now              func() time.Time

	mu sync.Mutex
	st state
}

type state struct {
	Parameters map[string]*parameter `json:"parameters"`
}

type parameter struct {
	Name           string     `json:"name"`
	Description    string     `json:"description,omitempty"`
	AllowedPattern string     `json:"allowedPattern,omitempty"`
	DataType       string     `json:"dataType"`
	Tier           string     `json:"tier"`
	KeyID          string     `json:"keyId,omitempty"`
	Versions       []*version `json:"versions"` // oldest first; the last is current
}

type version struct {
	Version int64  `json:"version"`
	Type    string `json:"type"`
	// Value is sealed in the state file, whatever the type: one rule for
	// every value is simpler to keep than one per type.
	Value statefile.Secret `json:"value"`
	// StandIn is what a SecureString answers without WithDecryption.
	StandIn  string `json:"standIn,omitempty"`
	Modified int64  `json:"modified"` // Unix milliseconds
}

func (p *parameter) current() *version { return p.Versions[len(p.Versions)-1] }

func (p *parameter) clone() *parameter {
	c := *p
	c.Versions = slices.Clone(p.Versions)
	return &c
}

// New returns a Service, reloading what an earlier one saved in StateDir.
// Its calls are those with X-Amz-Target "AmazonSSM.*" (Match).
func New(opts Options) (*Service, error) {
	awsjson.Defaults(&opts.Region, &opts.AccountID)
	s := &Service{opts: opts, file: statefile.At(opts.StateDir, StateFile), now: time.Now}
	s.Endpoint = (&awsjson.Service{Target: Target, Ops: map[string]awsjson.Handler{
		"GetParameter":        awsjson.Op(s.getParameter),
		"GetParameters":       awsjson.Op(s.getParameters),
		"GetParametersByPath": awsjson.Op(s.getParametersByPath),
		"PutParameter":        awsjson.Op(s.putParameter),
		"DeleteParameter":     awsjson.Op(s.deleteParameter),
		"DeleteParameters":    awsjson.Op(s.deleteParameters),
	}}).Endpoint()
	var err error
	if s.key, err = statefile.LoadKey(opts.StateDir); err != nil {
		return nil, fmt.Errorf("ssm: %w", err)
	}
	if _, err := s.file.Load(&s.st); err != nil {
		return nil, fmt.Errorf("ssm: %w", err)
	}
	if s.st.Parameters == nil {
		s.st.Parameters = map[string]*parameter{}
	}
	for name, p := range s.st.Parameters {
		if p == nil || len(p.Versions) == 0 || slices.Contains(p.Versions, nil) {
			return nil, fmt.Errorf("ssm: %s: parameter %s has no versions", StateFile, name)
		}
		for _, v := range p.Versions {
			if err := s.key.Open(&v.Value); err != nil {
				return nil, fmt.Errorf("ssm: %s: %w", StateFile, err)
			}
		}
	}
	return s, nil
}

// ARN is the ARN AWS gives the parameter name: the name's leading slash is
// not doubled ("/a/b" → "…:parameter/a/b", "a" → "…:parameter/a").
func (s *Service) ARN(name string) string {
	return fmt.Sprintf("arn:aws:ssm:%s:%s:parameter/%s", s.opts.Region, s.opts.AccountID, strings.TrimPrefix(name, "/"))
}

// save persists the state; on failure it runs undo (which restores the
// memory state) and answers 500. s.mu is held.
func (s *Service) save(undo func()) error {
	if err := s.file.Save(&s.st); err != nil {
		undo()
		return &awsjson.Error{Status: http.StatusInternalServerError, Type: "InternalServerError",
			Message: "lamb local could not save the parameter store", MessageKey: "Message"}
	}
	return nil
}

func errNotFound() error { return &awsjson.Error{Type: "ParameterNotFound"} }

func errValidation(format string, args ...any) error {
	return &awsjson.Error{Type: "ValidationException", Message: fmt.Sprintf(format, args...), MessageKey: "Message"}
}

// constraint is AWS's message for a member that breaks its model.
func constraint(value, member, rule string) error {
	return errValidation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, member, rule)
}

const nameRule = `Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive). ` +
	`If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be ` +
	`formed as a mix of letters, numbers and the following 3 symbols .-_`

var nameRE = regexp.MustCompile(`^(/?[a-zA-Z0-9_.\-]+|(/[a-zA-Z0-9_.\-]+)+)$`)

// checkName validates a name for PutParameter.
func (s *Service) checkName(name string) error {
	if name == "" {
		return constraint(name, "name", "Member must have length greater than or equal to 1")
	}
	if len(s.ARN(name)) > MaxNameLength {
		return errValidation("Parameter name must be at most %d characters long, counting the ARN before it (%s)", MaxNameLength, s.ARN(""))
	}
	first := strings.ToLower(strings.TrimPrefix(name, "/"))
	if !nameRE.MatchString(name) || strings.HasPrefix(first, "aws") || strings.HasPrefix(first, "ssm") {
		return errValidation("%s", nameRule)
	}
	if strings.Count(name, "/") > MaxLevels {
		return &awsjson.Error{Type: "HierarchyLevelLimitExceededException",
			Message: fmt.Sprintf("A hierarchy can have a maximum of %d levels.", MaxLevels)}
	}
	return nil
}

// lookup resolves a name as GetParameter takes it: a name or an ARN,
// optionally with a ":version" selector. s.mu is held.
func (s *Service) lookup(ref string) (*parameter, *version, string, error) {
	name, selector := ref, ""
	var candidates []string
	if rest, ok := strings.CutPrefix(ref, "arn:"); ok {
		parts := strings.SplitN(rest, ":", 5)
		res, ok := "", len(parts) == 5
		if ok {
			res, ok = strings.CutPrefix(parts[4], "parameter/")
		}
		if !ok {
			return nil, nil, "", errNotFound()
		}
		name = res
		if i := strings.LastIndexByte(name, ':'); i >= 0 {
			name, selector = name[:i], name[i:]
		}
		candidates = []string{"/" + name}
		if !strings.Contains(name, "/") {
			candidates = []string{name, "/" + name}
		}
	} else {
		if i := strings.LastIndexByte(name, ':'); i >= 0 {
			name, selector = name[:i], name[i:]
		}
		candidates = []string{name}
	}
	var p *parameter
	for _, c := range candidates {
		if p = s.st.Parameters[c]; p != nil {
			break
		}
	}
	if p == nil {
		return nil, nil, "", errNotFound()
	}
	if selector == "" {
		return p, p.current(), "", nil
	}
	n, err := strconv.ParseInt(selector[1:], 10, 64)
	if err != nil {
		return nil, nil, "", errValidation("lamb local does not support parameter labels (selector %q); select a version number", selector)
	}
	for _, v := range p.Versions {
		if v.Version == n {
			return p, v, selector, nil
		}
	}
	return nil, nil, "", &awsjson.Error{Type: "ParameterVersionNotFound",
		Message: fmt.Sprintf("Systems Manager could not find version %d of %s. Verify the version and try again.", n, p.Name)}
}

// Wire shapes, member names as in the SSM API.

type wireParameter struct {
	ARN              string
	DataType         string
	LastModifiedDate any
	Name             string
	Selector         string `json:",omitempty"`
	Type             string
	Value            string
	Version          int64
}

func (s *Service) wire(p *parameter, v *version, selector string, decrypt bool) wireParameter {
	value := v.Value.Clear()
	if v.Type == "SecureString" && !decrypt {
		value = v.StandIn
	}
	return wireParameter{
		ARN: s.ARN(p.Name), DataType: p.DataType, LastModifiedDate: awsjson.EpochSeconds(v.Modified),
		Name: p.Name, Selector: selector, Type: v.Type, Value: value, Version: v.Version,
	}
}

type getParameterIn struct {
	Name           string
	WithDecryption bool
}

type getParameterOut struct {
	Parameter wireParameter
}

func (s *Service) getParameter(_ context.Context, in *getParameterIn) (*getParameterOut, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, v, sel, err := s.lookup(in.Name)
	if err != nil {
		return nil, err
	}
	return &getParameterOut{Parameter: s.wire(p, v, sel, in.WithDecryption)}, nil
}

type getParametersIn struct {
	Names          []string
	WithDecryption bool
}

type getParametersOut struct {
	InvalidParameters []string
	Parameters        []wireParameter
}

func checkNames(names []string) error {
	if len(names) < 1 || len(names) > 10 {
		return constraint(fmt.Sprintf("%v", names), "names", "Member must have length between 1 and 10")
	}
	return nil
}

func (s *Service) getParameters(_ context.Context, in *getParametersIn) (*getParametersOut, error) {
	if err := checkNames(in.Names); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := &getParametersOut{InvalidParameters: []string{}, Parameters: []wireParameter{}}
	seen := map[string]bool{}
	for _, n := range in.Names {
		if seen[n] {
			continue
		}
		seen[n] = true
		p, v, sel, err := s.lookup(n)
		if err != nil {
			out.InvalidParameters = append(out.InvalidParameters, n)
			continue
		}
		out.Parameters = append(out.Parameters, s.wire(p, v, sel, in.WithDecryption))
	}
	return out, nil
}

type getParametersByPathIn struct {
	Path             string
	Recursive        bool
	WithDecryption   bool
	MaxResults       *int
	NextToken        *string
	ParameterFilters []any
}

type getParametersByPathOut struct {
	Parameters []wireParameter
	NextToken  string `json:",omitempty"`
}

func (s *Service) getParametersByPath(_ context.Context, in *getParametersByPathIn) (*getParametersByPathOut, error) {
	if !strings.HasPrefix(in.Path, "/") {
		return nil, errValidation(`The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash "/".`)
	}
	if len(in.ParameterFilters) > 0 {
		return nil, errValidation("lamb local does not support ParameterFilters")
	}
	limit := 10
	if in.MaxResults != nil {
		limit = *in.MaxResults
		if limit < 1 || limit > 10 {
			return nil, constraint(strconv.Itoa(limit), "maxResults", "Member must have value between 1 and 10")
		}
	}
	after := ""
	if in.NextToken != nil {
		b, err := base64.RawURLEncoding.DecodeString(*in.NextToken)
		if err != nil || len(b) == 0 {
			return nil, &awsjson.Error{Type: "InvalidNextToken", Message: "The specified token is not valid.", MessageKey: "Message"}
		}
		after = string(b)
	}
	prefix := strings.TrimSuffix(in.Path, "/") + "/"
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for n := range s.st.Parameters {
		rest, ok := strings.CutPrefix(n, prefix)
		if !ok || n <= after || (!in.Recursive && strings.Contains(rest, "/")) {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	out := &getParametersByPathOut{Parameters: []wireParameter{}}
	if len(names) > limit {
		names = names[:limit]
		out.NextToken = base64.RawURLEncoding.EncodeToString([]byte(names[limit-1]))
	}
	for _, n := range names {
		p := s.st.Parameters[n]
		out.Parameters = append(out.Parameters, s.wire(p, p.current(), "", in.WithDecryption))
	}
	return out, nil
}

type putParameterIn struct {
	Name           string
	Value          *string
	Type           string
	Description    *string
	KeyId          *string
	Overwrite      bool
	AllowedPattern *string
	Tags           []any
	Tier           string
	Policies       *string
	DataType       string
}

type putParameterOut struct {
	Tier    string
	Version int64
}

var paramTypes = []string{"SecureString", "StringList", "String"}

func (s *Service) putParameter(_ context.Context, in *putParameterIn) (*putParameterOut, error) {
	// AWS removes spaces around a name.
	in.Name = strings.TrimSpace(in.Name)
	if err := s.checkName(in.Name); err != nil {
		return nil, err
	}
	if in.Value == nil || *in.Value == "" {
		return nil, errValidation("1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	value := *in.Value
	if in.Type != "" && !slices.Contains(paramTypes, in.Type) {
		return nil, constraint(in.Type, "type", "Member must satisfy enum value set: [SecureString, StringList, String]")
	}
	if in.Tier != "" && !slices.Contains([]string{"Standard", "Advanced", "Intelligent-Tiering"}, in.Tier) {
		return nil, constraint(in.Tier, "tier", "Member must satisfy enum value set: [Advanced, Intelligent-Tiering, Standard]")
	}
	if in.DataType != "" && in.DataType != "text" && in.DataType != "aws:ec2:image" && in.DataType != "aws:ssm:integration" {
		return nil, errValidation("The following data type is not supported: %s (Data type names are all lowercase.)", in.DataType)
	}
	if in.Overwrite && len(in.Tags) > 0 {
		return nil, errValidation("Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.")
	}
	if in.Policies != nil && *in.Policies != "" {
		return nil, errValidation("lamb local does not support parameter policies")
	}
	if in.KeyId != nil && in.Type != "" && in.Type != "SecureString" {
		return nil, errValidation("KeyId is required for SecureString type parameter only.")
	}
	if !utf8.ValidString(value) {
		return nil, errValidation("Parameter value must be valid UTF-8")
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.st.Parameters[in.Name]
	if old != nil && !in.Overwrite {
		return nil, &awsjson.Error{Type: "ParameterAlreadyExists",
			Message: "The parameter already exists. To overwrite this value, set the overwrite option in the request to true."}
	}
	var p *parameter
	if old == nil {
		if in.Type == "" {
			return nil, errValidation("A parameter type is required when you create a parameter.")
		}
		p = &parameter{Name: in.Name, DataType: "text", Tier: "Standard"}
	} else {
		p = old.clone()
	}
	typ := in.Type
	if typ == "" {
		typ = p.current().Type
	}
	if in.Description != nil {
		p.Description = *in.Description
	}
	if in.DataType != "" {
		p.DataType = in.DataType
	}
	if in.AllowedPattern != nil {
		p.AllowedPattern = *in.AllowedPattern
	}
	if p.AllowedPattern != "" {
		re, err := regexp.Compile("^(?:" + p.AllowedPattern + ")$")
		if err != nil {
			return nil, &awsjson.Error{Type: "InvalidAllowedPatternException", Message: "The request does not meet the regular expression requirement.", MessageKey: "message"}
		}
		if !re.MatchString(value) {
			return nil, &awsjson.Error{Type: "ParameterPatternMismatchException",
				Message: "Parameter value, cannot be validated against allowedPattern: " + p.AllowedPattern}
		}
	}
	switch {
	case typ != "SecureString":
		p.KeyID = ""
	case in.KeyId != nil:
		p.KeyID = *in.KeyId
	case p.KeyID == "":
		p.KeyID = "alias/aws/ssm"
	}
	n := utf8.RuneCountInString(value)
	switch in.Tier {
	case "Standard":
		if p.Tier == "Advanced" && old != nil {
			return nil, errValidation("This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.")
		}
		p.Tier = "Standard"
	case "Advanced":
		p.Tier = "Advanced"
	case "Intelligent-Tiering":
		if n > MaxStandardValue {
			p.Tier = "Advanced"
		}
	}
	if n > MaxAdvancedValue {
		return nil, errValidation("1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length less than or equal to %d", MaxAdvancedValue)
	}
	if n > MaxStandardValue && p.Tier == "Standard" {
		return nil, errValidation("Standard tier parameters support a maximum parameter value of %d characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html", MaxStandardValue)
	}
	v := &version{Version: 1, Type: typ, Value: s.key.Seal(value), Modified: s.now().UnixMilli()}
	if old != nil {
		v.Version = old.current().Version + 1
	}
	if typ == "SecureString" {
		v.StandIn = standIn()
	}
	p.Versions = append(p.Versions, v)
	if len(p.Versions) > MaxVersions {
		p.Versions = slices.Delete(p.Versions, 0, len(p.Versions)-MaxVersions)
	}
	s.st.Parameters[in.Name] = p
	if err := s.save(func() { s.restore(in.Name, old) }); err != nil {
		return nil, err
	}
	return &putParameterOut{Tier: p.Tier, Version: v.Version}, nil
}

// restore puts back a parameter as it was (nil: absent). s.mu is held.
func (s *Service) restore(name string, p *parameter) {
	if p == nil {
		delete(s.st.Parameters, name)
		return
	}
	s.st.Parameters[name] = p
}

// standIn is what a SecureString reads as without decryption: random
// bytes shaped like KMS ciphertext, unrelated to the value.
func standIn() string {
	b := make([]byte, 96)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

type deleteParameterIn struct {
	Name string
}

type deleteParameterOut struct{}

func (s *Service) deleteParameter(_ context.Context, in *deleteParameterIn) (*deleteParameterOut, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.st.Parameters[in.Name]
	if old == nil {
		return nil, errNotFound()
	}
	delete(s.st.Parameters, in.Name)
	if err := s.save(func() { s.restore(in.Name, old) }); err != nil {
		return nil, err
	}
	return &deleteParameterOut{}, nil
}

type deleteParametersIn struct {
	Names []string
}

type deleteParametersOut struct {
	DeletedParameters []string
	InvalidParameters []string
}

func (s *Service) deleteParameters(_ context.Context, in *deleteParametersIn) (*deleteParametersOut, error) {
	if err := checkNames(in.Names); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := &deleteParametersOut{DeletedParameters: []string{}, InvalidParameters: []string{}}
	removed := map[string]*parameter{}
	for _, n := range in.Names {
		if p := s.st.Parameters[n]; p != nil {
			removed[n] = p
			delete(s.st.Parameters, n)
			out.DeletedParameters = append(out.DeletedParameters, n)
		} else if removed[n] == nil {
			out.InvalidParameters = append(out.InvalidParameters, n)
		}
	}
	if err := s.save(func() {
		for n, p := range removed {
			s.restore(n, p)
		}
	}); err != nil {
		return nil, err
	}
	return out, nil
}
