// Package secretsmanager is a local AWS Secrets Manager: CreateSecret,
// GetSecretValue, PutSecretValue, DeleteSecret, DescribeSecret and
// RestoreSecret over the AWS JSON 1.1 protocol (X-Amz-Target
// "secretsmanager.*"), as the SDK's secretsmanager client and the AWS CLI
// call them, with AWS's error types, version stages (AWSCURRENT,
// AWSPREVIOUS), ARNs with a random 6-character suffix and deletion with a
// recovery window. Secrets persist in <StateDir>/secretsmanager.json
// (mode 0600), their values sealed with the state directory's key
// (statefile.KeyFile; there is no KMS here). No error message quotes a
// value.
package secretsmanager

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/lambctl/lamb/emulator/awsjson"
	"github.com/lambctl/lamb/emulator/awsjson/statefile"
)

// Target is the X-Amz-Target prefix of Secrets Manager calls.
const Target = "secretsmanager"

// StateFile is the name of the state file inside Options.StateDir.
const StateFile = "secretsmanager.json"

// Limits Secrets Manager enforces.
const (
	// MaxValue bounds SecretString and SecretBinary (bytes).
	MaxValue = 65536
	// MaxVersions is how many versions a secret keeps; the oldest versions
	// without a staging label go first.
	MaxVersions = 100
	// DefaultRecoveryWindow is the recovery window of DeleteSecret, in days.
	DefaultRecoveryWindow = 30
)

// Staging labels with a meaning of their own.
const (
	StageCurrent  = "AWSCURRENT"
	StagePrevious = "AWSPREVIOUS"
)

// Options configure a Service.
type Options struct {
	// StateDir persists secrets in StateDir/secretsmanager.json; "" keeps
	// them in memory only.
	StateDir string
	// Region and AccountID form ARNs; defaults us-east-1 and 123456789012
	// (the local Lambda's).
	Region    string
	AccountID string
}

// Service is the local Secrets Manager. It is safe for concurrent use.
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
	Secrets map[string]*secret `json:"secrets"` // by name
}

type secret struct {
	Name        string `json:"name"`
	ARN         string `json:"arn"`
	Description string `json:"description,omitempty"`
	KmsKeyID    string `json:"kmsKeyId,omitempty"`
	Tags        []tag  `json:"tags,omitempty"`
	Created     int64  `json:"created"` // Unix milliseconds
	Changed     int64  `json:"changed"`
	// Deletion is when a secret scheduled for deletion goes; 0 when it is
	// not scheduled.
	Deletion int64       `json:"deletion,omitempty"`
	Versions []*sversion `json:"versions"` // oldest first
}

type sversion struct {
	ID string `json:"id"`
	// Value is SecretString, or SecretBinary's bytes when Binary; sealed
	// in the state file.
	Value   statefile.Secret `json:"value"`
	Binary  bool             `json:"binary,omitempty"`
	Stages  []string         `json:"stages,omitempty"`
	Created int64            `json:"created"`
}

type tag struct {
	Key   string
	Value string
}

func (s *secret) clone() *secret {
	c := *s
	c.Versions = make([]*sversion, len(s.Versions))
	for i, v := range s.Versions {
		vc := *v
		vc.Stages = slices.Clone(v.Stages)
		c.Versions[i] = &vc
	}
	return &c
}

func (s *secret) version(id string) *sversion {
	for _, v := range s.Versions {
		if v.ID == id {
			return v
		}
	}
	return nil
}

func (s *secret) staged(stage string) *sversion {
	for _, v := range s.Versions {
		if slices.Contains(v.Stages, stage) {
			return v
		}
	}
	return nil
}

// New returns a Service, reloading what an earlier one saved in StateDir.
// Its calls are those with X-Amz-Target "secretsmanager.*" (Match).
func New(opts Options) (*Service, error) {
	awsjson.Defaults(&opts.Region, &opts.AccountID)
	s := &Service{opts: opts, file: statefile.At(opts.StateDir, StateFile), now: time.Now}
	s.Endpoint = (&awsjson.Service{Target: Target, Ops: map[string]awsjson.Handler{
		"CreateSecret":   awsjson.Op(s.createSecret),
		"GetSecretValue": awsjson.Op(s.getSecretValue),
		"PutSecretValue": awsjson.Op(s.putSecretValue),
		"DeleteSecret":   awsjson.Op(s.deleteSecret),
		"DescribeSecret": awsjson.Op(s.describeSecret),
		"RestoreSecret":  awsjson.Op(s.restoreSecret),
	}}).Endpoint()
	var err error
	if s.key, err = statefile.LoadKey(opts.StateDir); err != nil {
		return nil, fmt.Errorf("secretsmanager: %w", err)
	}
	if _, err := s.file.Load(&s.st); err != nil {
		return nil, fmt.Errorf("secretsmanager: %w", err)
	}
	if s.st.Secrets == nil {
		s.st.Secrets = map[string]*secret{}
	}
	for name, sec := range s.st.Secrets {
		if sec == nil || slices.Contains(sec.Versions, nil) {
			return nil, fmt.Errorf("secretsmanager: %s: secret %s is malformed", StateFile, name)
		}
		for _, v := range sec.Versions {
			if err := s.key.Open(&v.Value); err != nil {
				return nil, fmt.Errorf("secretsmanager: %s: %w", StateFile, err)
			}
		}
	}
	return s, nil
}

func apiErr(typ, format string, args ...any) *awsjson.Error {
	return &awsjson.Error{Type: typ, Message: fmt.Sprintf(format, args...), MessageKey: "Message"}
}

func errNotFound() error {
	return apiErr("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
}

func errMarkedDeleted() error {
	return apiErr("InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion.")
}

func errInvalid(format string, args ...any) error {
	return apiErr("InvalidParameterException", format, args...)
}

// save persists the state; on failure it runs undo (which restores the
// memory state) and answers 500. s.mu is held.
func (s *Service) save(undo func()) error {
	if err := s.file.Save(&s.st); err != nil {
		undo()
		return &awsjson.Error{Status: http.StatusInternalServerError, Type: "InternalServiceError",
			Message: "lamb local could not save the secrets", MessageKey: "Message"}
	}
	return nil
}

// restore puts back a secret as it was (nil: absent). s.mu is held.
func (s *Service) restore(name string, sec *secret) {
	if sec == nil {
		delete(s.st.Secrets, name)
		return
	}
	s.st.Secrets[name] = sec
}

// purge forgets secrets whose recovery window has passed. s.mu is held.
func (s *Service) purge() {
	now := s.now().UnixMilli()
	for n, sec := range s.st.Secrets {
		if sec.Deletion != 0 && sec.Deletion <= now {
			delete(s.st.Secrets, n)
		}
	}
}

// find resolves a SecretId: a name, a full ARN, or an ARN without the
// random suffix. s.mu is held.
func (s *Service) find(id string) *secret {
	s.purge()
	if sec := s.st.Secrets[id]; sec != nil {
		return sec
	}
	for _, sec := range s.st.Secrets {
		if sec.ARN == id || (len(sec.ARN) == len(id)+7 && sec.ARN[:len(id)+1] == id+"-") {
			return sec
		}
	}
	return nil
}

// findLive is find for operations refused on a secret scheduled for
// deletion.
func (s *Service) findLive(id string) (*secret, error) {
	sec := s.find(id)
	if sec == nil {
		return nil, errNotFound()
	}
	if sec.Deletion != 0 {
		return nil, errMarkedDeleted()
	}
	return sec, nil
}

const suffixChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// ARN forms a secret's ARN: the name and a hyphen and six random letters
// and digits, as AWS does.
func (s *Service) newARN(name string) string {
	var b [6]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = suffixChars[int(b[i])%len(suffixChars)]
	}
	return fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", s.opts.Region, s.opts.AccountID, name, b[:])
}

var nameRE = regexp.MustCompile(`^[a-zA-Z0-9/_+=.@-]{1,512}$`)

// value is a secret value as the requests carry it.
type value struct {
	SecretString *string
	SecretBinary []byte
}

func (v value) empty() bool { return v.SecretString == nil && v.SecretBinary == nil }

func (v value) check() error {
	if v.SecretString != nil && v.SecretBinary != nil {
		return errInvalid("You can't specify both a binary secret value and a string secret value in the same secret.")
	}
	if (v.SecretString != nil && len(*v.SecretString) > MaxValue) || len(v.SecretBinary) > MaxValue {
		return errInvalid("The secret value must be at most %d bytes.", MaxValue)
	}
	return nil
}

func (v value) same(sv *sversion) bool {
	if v.SecretString != nil {
		return !sv.Binary && *v.SecretString == sv.Value.Clear()
	}
	return sv.Binary && string(v.SecretBinary) == sv.Value.Clear()
}

func checkToken(token string) error {
	if token != "" && (len(token) < 32 || len(token) > 64) {
		return errInvalid("ClientRequestToken must be 32 to 64 characters long.")
	}
	return nil
}

// attach gives v the stages, taking them from other versions; moving
// AWSCURRENT gives AWSPREVIOUS to the version that had it, as AWS does.
func attach(sec *secret, v *sversion, stages []string) {
	for _, st := range stages {
		for _, o := range sec.Versions {
			if o == v || !slices.Contains(o.Stages, st) {
				continue
			}
			o.Stages = slices.DeleteFunc(o.Stages, func(x string) bool { return x == st })
			if st == StageCurrent {
				for _, p := range sec.Versions {
					p.Stages = slices.DeleteFunc(p.Stages, func(x string) bool { return x == StagePrevious })
				}
				o.Stages = append(o.Stages, StagePrevious)
			}
		}
		if !slices.Contains(v.Stages, st) {
			v.Stages = append(v.Stages, st)
		}
	}
	// Keep at most MaxVersions, dropping the oldest unlabelled ones.
	for i := 0; len(sec.Versions) > MaxVersions && i < len(sec.Versions); {
		if len(sec.Versions[i].Stages) == 0 {
			sec.Versions = slices.Delete(sec.Versions, i, i+1)
			continue
		}
		i++
	}
}

// newVersion is a version of value v, sealed for the state file.
func (s *Service) newVersion(id string, v value, now int64) *sversion {
	if id == "" {
		id = awsjson.NewUUID()
	}
	if v.SecretString != nil {
		return &sversion{ID: id, Value: s.key.Seal(*v.SecretString), Created: now}
	}
	return &sversion{ID: id, Value: s.key.Seal(string(v.SecretBinary)), Binary: true, Created: now}
}

type createSecretIn struct {
	Name               string
	ClientRequestToken string
	Description        *string
	KmsKeyId           *string
	Tags               []tag
	AddReplicaRegions  []any
	value
}

type createSecretOut struct {
	ARN       string
	Name      string
	VersionId string `json:",omitempty"`
}

func (s *Service) createSecret(_ context.Context, in *createSecretIn) (*createSecretOut, error) {
	if !nameRE.MatchString(in.Name) {
		return nil, errInvalid("Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!")
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	if err := checkToken(in.ClientRequestToken); err != nil {
		return nil, err
	}
	if len(in.AddReplicaRegions) > 0 {
		return nil, errInvalid("lamb local does not replicate secrets (AddReplicaRegions)")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.purge()
	if old := s.st.Secrets[in.Name]; old != nil {
		if old.Deletion != 0 {
			return nil, apiErr("InvalidRequestException", "You can't create this secret because a secret with this name is already scheduled for deletion.")
		}
		// A retry with the same token and value is answered as the first call.
		if v := old.version(in.ClientRequestToken); v != nil && !in.empty() && in.value.same(v) {
			return &createSecretOut{ARN: old.ARN, Name: old.Name, VersionId: v.ID}, nil
		}
		return nil, apiErr("ResourceExistsException", "The operation failed because the secret %s already exists.", in.Name)
	}
	now := s.now().UnixMilli()
	sec := &secret{Name: in.Name, ARN: s.newARN(in.Name), Tags: in.Tags, Created: now, Changed: now}
	if in.Description != nil {
		sec.Description = *in.Description
	}
	if in.KmsKeyId != nil {
		sec.KmsKeyID = *in.KmsKeyId
	}
	out := &createSecretOut{ARN: sec.ARN, Name: sec.Name}
	if !in.empty() {
		v := s.newVersion(in.ClientRequestToken, in.value, now)
		sec.Versions = []*sversion{v}
		attach(sec, v, []string{StageCurrent})
		out.VersionId = v.ID
	}
	s.st.Secrets[in.Name] = sec
	if err := s.save(func() { s.restore(in.Name, nil) }); err != nil {
		return nil, err
	}
	return out, nil
}

type getSecretValueIn struct {
	SecretId     string
	VersionId    string
	VersionStage string
}

type getSecretValueOut struct {
	ARN           string
	Name          string
	VersionId     string
	SecretString  *string `json:",omitempty"`
	SecretBinary  []byte  `json:",omitempty"`
	VersionStages []string
	CreatedDate   any
}

func (s *Service) getSecretValue(_ context.Context, in *getSecretValueIn) (*getSecretValueOut, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, err := s.findLive(in.SecretId)
	if err != nil {
		return nil, err
	}
	var v *sversion
	switch {
	case in.VersionId != "":
		v = sec.version(in.VersionId)
		if v == nil || (in.VersionStage != "" && !slices.Contains(v.Stages, in.VersionStage)) {
			return nil, apiErr("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for VersionId: %s", in.VersionId)
		}
	default:
		stage := in.VersionStage
		if stage == "" {
			stage = StageCurrent
		}
		if v = sec.staged(stage); v == nil {
			return nil, apiErr("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: %s", stage)
		}
	}
	out := &getSecretValueOut{
		ARN: sec.ARN, Name: sec.Name, VersionId: v.ID,
		VersionStages: slices.Clone(v.Stages), CreatedDate: awsjson.EpochSeconds(v.Created),
	}
	if clear := v.Value.Clear(); v.Binary {
		out.SecretBinary = []byte(clear)
	} else {
		out.SecretString = &clear
	}
	return out, nil
}

type putSecretValueIn struct {
	SecretId           string
	ClientRequestToken string
	VersionStages      []string
	value
}

type putSecretValueOut struct {
	ARN           string
	Name          string
	VersionId     string
	VersionStages []string
}

func (s *Service) putSecretValue(_ context.Context, in *putSecretValueIn) (*putSecretValueOut, error) {
	if in.empty() {
		return nil, errInvalid("You must provide either SecretString or SecretBinary.")
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	if err := checkToken(in.ClientRequestToken); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, err := s.findLive(in.SecretId)
	if err != nil {
		return nil, err
	}
	if v := sec.version(in.ClientRequestToken); v != nil {
		if !in.value.same(v) {
			return nil, apiErr("ResourceExistsException", "You can't modify an existing version, you can only create a new version.")
		}
		return &putSecretValueOut{ARN: sec.ARN, Name: sec.Name, VersionId: v.ID, VersionStages: slices.Clone(v.Stages)}, nil
	}
	old := sec.clone()
	stages := in.VersionStages
	if len(stages) == 0 || (len(sec.Versions) == 0 && !slices.Contains(stages, StageCurrent)) {
		stages = append(slices.Clone(stages), StageCurrent)
	}
	now := s.now().UnixMilli()
	v := s.newVersion(in.ClientRequestToken, in.value, now)
	sec.Versions = append(sec.Versions, v)
	attach(sec, v, stages)
	sec.Changed = now
	if err := s.save(func() { s.restore(sec.Name, old) }); err != nil {
		return nil, err
	}
	return &putSecretValueOut{ARN: sec.ARN, Name: sec.Name, VersionId: v.ID, VersionStages: slices.Clone(v.Stages)}, nil
}

type deleteSecretIn struct {
	SecretId                   string
	RecoveryWindowInDays       *int64
	ForceDeleteWithoutRecovery *bool
}

type deleteSecretOut struct {
	ARN          string `json:",omitempty"`
	Name         string
	DeletionDate any
}

func (s *Service) deleteSecret(_ context.Context, in *deleteSecretIn) (*deleteSecretOut, error) {
	force := in.ForceDeleteWithoutRecovery != nil && *in.ForceDeleteWithoutRecovery
	if force && in.RecoveryWindowInDays != nil {
		return nil, errInvalid("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
	}
	days := int64(DefaultRecoveryWindow)
	if in.RecoveryWindowInDays != nil {
		days = *in.RecoveryWindowInDays
		if days < 7 || days > 30 {
			return nil, errInvalid("The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	sec := s.find(in.SecretId)
	if sec == nil {
		if force {
			// AWS: forcibly deleting a missing secret is not an error.
			return &deleteSecretOut{Name: in.SecretId, DeletionDate: awsjson.EpochSeconds(now.UnixMilli())}, nil
		}
		return nil, errNotFound()
	}
	old := sec.clone()
	if force {
		delete(s.st.Secrets, sec.Name)
		if err := s.save(func() { s.restore(sec.Name, old) }); err != nil {
			return nil, err
		}
		return &deleteSecretOut{ARN: sec.ARN, Name: sec.Name, DeletionDate: awsjson.EpochSeconds(now.UnixMilli())}, nil
	}
	if sec.Deletion != 0 {
		return nil, apiErr("InvalidRequestException", "You tried to perform the operation on a secret that's currently marked deleted.")
	}
	sec.Deletion = now.Add(time.Duration(days) * 24 * time.Hour).UnixMilli()
	if err := s.save(func() { s.restore(sec.Name, old) }); err != nil {
		return nil, err
	}
	return &deleteSecretOut{ARN: sec.ARN, Name: sec.Name, DeletionDate: awsjson.EpochSeconds(sec.Deletion)}, nil
}

type secretIDIn struct {
	SecretId string
}

type describeSecretOut struct {
	ARN                string
	Name               string
	Description        string `json:",omitempty"`
	KmsKeyId           string `json:",omitempty"`
	CreatedDate        any
	LastChangedDate    any
	DeletedDate        any   `json:",omitempty"`
	Tags               []tag `json:",omitempty"`
	VersionIdsToStages map[string][]string
}

// describeSecret answers for a secret scheduled for deletion too: that is
// how a caller sees its DeletedDate.
func (s *Service) describeSecret(_ context.Context, in *secretIDIn) (*describeSecretOut, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.find(in.SecretId)
	if sec == nil {
		return nil, errNotFound()
	}
	out := &describeSecretOut{
		ARN: sec.ARN, Name: sec.Name, Description: sec.Description, KmsKeyId: sec.KmsKeyID, Tags: sec.Tags,
		CreatedDate: awsjson.EpochSeconds(sec.Created), LastChangedDate: awsjson.EpochSeconds(sec.Changed),
		VersionIdsToStages: map[string][]string{},
	}
	if sec.Deletion != 0 {
		out.DeletedDate = awsjson.EpochSeconds(sec.Deletion)
	}
	for _, v := range sec.Versions {
		if len(v.Stages) > 0 {
			out.VersionIdsToStages[v.ID] = slices.Clone(v.Stages)
		}
	}
	return out, nil
}

type restoreSecretOut struct {
	ARN  string
	Name string
}

func (s *Service) restoreSecret(_ context.Context, in *secretIDIn) (*restoreSecretOut, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.find(in.SecretId)
	if sec == nil {
		return nil, errNotFound()
	}
	if sec.Deletion != 0 {
		old := sec.clone()
		sec.Deletion = 0
		if err := s.save(func() { s.restore(sec.Name, old) }); err != nil {
			return nil, err
		}
	}
	return &restoreSecretOut{ARN: sec.ARN, Name: sec.Name}, nil
}
