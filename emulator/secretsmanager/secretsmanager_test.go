package secretsmanager

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/google/go-cmp/cmp"
	"github.com/lambctl/lamb/emulator/awsjson/awstest"
	"github.com/lambctl/lamb/emulator/awsjson/statefile"
)

var t0 = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func start(t *testing.T, opts Options) (*awssm.Client, *clock, string) {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: t0}
	s.now = clk.now
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c := awssm.NewFromConfig(awstest.Config(), func(o *awssm.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.RetryMaxAttempts = 1
	})
	return c, clk, srv.URL
}

var arnRE = regexp.MustCompile(`^arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-[A-Za-z0-9]{6}$`)

const secretValue = `{"password":"hunter2-top-secret"}`

func TestCreateGetPut(t *testing.T) {
	t.Parallel()
	c, _, _ := start(t, Options{})
	ctx := context.Background()
	created, err := c.CreateSecret(ctx, &awssm.CreateSecretInput{Name: aws.String("prod/db"), SecretString: aws.String(secretValue)})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(created.ARN)
	if !arnRE.MatchString(arn) || aws.ToString(created.VersionId) == "" {
		t.Fatalf("CreateSecret = ARN %q VersionId %q", arn, aws.ToString(created.VersionId))
	}
	// By name, full ARN and ARN without the random suffix.
	for _, id := range []string{"prod/db", arn, arn[:len(arn)-7]} {
		got, err := c.GetSecretValue(ctx, &awssm.GetSecretValueInput{SecretId: aws.String(id)})
		if err != nil {
			t.Fatalf("GetSecretValue %s: %v", id, err)
		}
		want := []string{aws.ToString(got.ARN), aws.ToString(got.Name), aws.ToString(got.SecretString), aws.ToString(got.VersionId), strings.Join(got.VersionStages, ","), got.CreatedDate.UTC().String()}
		if diff := cmp.Diff([]string{arn, "prod/db", secretValue, aws.ToString(created.VersionId), "AWSCURRENT", t0.String()}, want); diff != "" {
			t.Errorf("GetSecretValue %s (-want +got):\n%s", id, diff)
		}
	}

	_, err = c.CreateSecret(ctx, &awssm.CreateSecretInput{Name: aws.String("prod/db"), SecretString: aws.String("other")})
	var exists *types.ResourceExistsException
	if !errors.As(err, &exists) || aws.ToString(exists.Message) != "The operation failed because the secret prod/db already exists." {
		t.Errorf("CreateSecret of an existing name: %v", err)
	}

	put, err := c.PutSecretValue(ctx, &awssm.PutSecretValueInput{SecretId: aws.String("prod/db"), SecretString: aws.String("v2")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(put.VersionId) == aws.ToString(created.VersionId) || strings.Join(put.VersionStages, ",") != "AWSCURRENT" {
		t.Errorf("PutSecretValue = %+v", put)
	}
	cur, _ := c.GetSecretValue(ctx, &awssm.GetSecretValueInput{SecretId: aws.String("prod/db")})
	prev, err := c.GetSecretValue(ctx, &awssm.GetSecretValueInput{SecretId: aws.String("prod/db"), VersionStage: aws.String("AWSPREVIOUS")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(cur.SecretString) != "v2" || aws.ToString(prev.SecretString) != secretValue || aws.ToString(prev.VersionId) != aws.ToString(created.VersionId) {
		t.Errorf("AWSCURRENT %q, AWSPREVIOUS %q", aws.ToString(cur.SecretString), aws.ToString(prev.SecretString))
	}
	byID, err := c.GetSecretValue(ctx, &awssm.GetSecretValueInput{SecretId: aws.String("prod/db"), VersionId: created.VersionId})
	if err != nil || aws.ToString(byID.SecretString) != secretValue {
		t.Errorf("GetSecretValue by VersionId: %v", err)
	}
	// A third value: the first version loses its label.
	c.PutSecretValue(ctx, &awssm.PutSecretValueInput{SecretId: aws.String("prod/db"), SecretString: aws.String("v3")})
	desc, err := c.DescribeSecret(ctx, &awssm.DescribeSecretInput{SecretId: aws.String("prod/db")})
	if err != nil {
		t.Fatal(err)
	}
	stages := map[string]string{}
	for id, st := range desc.VersionIdsToStages {
		stages[strings.Join(st, ",")] = id
	}
	if len(desc.VersionIdsToStages) != 2 || stages["AWSPREVIOUS"] != aws.ToString(put.VersionId) || stages["AWSCURRENT"] == "" {
		t.Errorf("VersionIdsToStages = %v", desc.VersionIdsToStages)
	}
}

func TestIdempotency(t *testing.T) {
	t.Parallel()
	c, _, _ := start(t, Options{})
	ctx := context.Background()
	tok := "00000000-0000-4000-8000-000000000001"
	in := &awssm.CreateSecretInput{Name: aws.String("idem"), SecretString: aws.String("a"), ClientRequestToken: aws.String(tok)}
	first, err := c.CreateSecret(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.CreateSecret(ctx, in)
	if err != nil || aws.ToString(again.ARN) != aws.ToString(first.ARN) || aws.ToString(again.VersionId) != tok {
		t.Errorf("CreateSecret retried = %+v, %v", again, err)
	}
	tok2 := "00000000-0000-4000-8000-000000000002"
	for range 2 {
		out, err := c.PutSecretValue(ctx, &awssm.PutSecretValueInput{SecretId: aws.String("idem"), SecretString: aws.String("b"), ClientRequestToken: aws.String(tok2)})
		if err != nil || aws.ToString(out.VersionId) != tok2 {
			t.Fatalf("PutSecretValue = %+v, %v", out, err)
		}
	}
	_, err = c.PutSecretValue(ctx, &awssm.PutSecretValueInput{SecretId: aws.String("idem"), SecretString: aws.String("c"), ClientRequestToken: aws.String(tok2)})
	var exists *types.ResourceExistsException
	if !errors.As(err, &exists) {
		t.Errorf("PutSecretValue with a used token and another value: %v", err)
	}
	prev, _ := c.GetSecretValue(ctx, &awssm.GetSecretValueInput{SecretId: aws.String("idem"), VersionStage: aws.String("AWSPREVIOUS")})
	if prev == nil || aws.ToString(prev.SecretString) != "a" {
		t.Errorf("a retried PutSecretValue moved the labels again: AWSPREVIOUS = %+v", prev)
	}
}

func TestBinaryAndEmpty(t *testing.T) {
	t.Parallel()
	c, _, _ := start(t, Options{})
	ctx := context.Background()
	bin := []byte{0, 1, 2, 0xff}
	if _, err := c.CreateSecret(ctx, &awssm.CreateSecretInput{Name: aws.String("bin"), SecretBinary: bin}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetSecretValue(ctx, &awssm.GetSecretValueInput{SecretId: aws.String("bin")})
	if err != nil || got.SecretString != nil || string(got.SecretBinary) != string(bin) {
		t.Errorf("binary secret = %+v, %v", got, err)
	}

	created, err := c.CreateSecret(ctx, &awssm.CreateSecretInput{Name: aws.String("empty")})
	if err != nil || created.VersionId != nil {
		t.Fatalf("CreateSecret without a value = %+v, %v", created, err)
	}
	_, err = c.GetSecretValue(ctx, &awssm.GetSecretValueInput{SecretId: aws.String("empty")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || aws.ToString(nf.Message) != "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT" {
		t.Errorf("GetSecretValue of a secret without a value: %v", err)
	}
	// The first value is AWSCURRENT whatever stages are asked.
	put, err := c.PutSecretValue(ctx, &awssm.PutSecretValueInput{SecretId: aws.String("empty"), SecretString: aws.String("x"), VersionStages: []string{"AWSPENDING"}})
	if err != nil || strings.Join(put.VersionStages, ",") != "AWSPENDING,AWSCURRENT" {
		t.Errorf("first PutSecretValue = %+v, %v", put, err)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	c, _, _ := start(t, Options{})
	ctx := context.Background()
	if _, err := c.CreateSecret(ctx, &awssm.CreateSecretInput{Name: aws.String("e"), SecretString: aws.String(secretValue)}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		call func() error
		as   func(error) bool
		msg  string
	}{
		{"missing", func() error {
			_, err := c.GetSecretValue(ctx, &awssm.GetSecretValueInput{SecretId: aws.String("nope")})
			return err
		}, isA[*types.ResourceNotFoundException], "Secrets Manager can't find the specified secret."},
		{"missing ARN", func() error {
			_, err := c.GetSecretValue(ctx, &awssm.GetSecretValueInput{SecretId: aws.String("arn:aws:secretsmanager:us-east-1:123456789012:secret:nope-AbCdEf")})
			return err
		}, isA[*types.ResourceNotFoundException], "Secrets Manager can't find the specified secret."},
		{"missing version", func() error {
			_, err := c.GetSecretValue(ctx, &awssm.GetSecretValueInput{SecretId: aws.String("e"), VersionId: aws.String("00000000-0000-4000-8000-00000000000f")})
			return err
		}, isA[*types.ResourceNotFoundException], "Secrets Manager can't find the specified secret value for VersionId: 00000000-0000-4000-8000-00000000000f"},
		{"put to missing", func() error {
			_, err := c.PutSecretValue(ctx, &awssm.PutSecretValueInput{SecretId: aws.String("nope"), SecretString: aws.String(secretValue)})
			return err
		}, isA[*types.ResourceNotFoundException], "Secrets Manager can't find the specified secret."},
		{"both values", func() error {
			_, err := c.CreateSecret(ctx, &awssm.CreateSecretInput{Name: aws.String("both"), SecretString: aws.String(secretValue), SecretBinary: []byte(secretValue)})
			return err
		}, isA[*types.InvalidParameterException], "You can't specify both a binary secret value and a string secret value in the same secret."},
		{"too large", func() error {
			_, err := c.PutSecretValue(ctx, &awssm.PutSecretValueInput{SecretId: aws.String("e"), SecretString: aws.String(strings.Repeat(secretValue, 3000))})
			return err
		}, isA[*types.InvalidParameterException], "The secret value must be at most 65536 bytes."},
		{"bad name", func() error {
			_, err := c.CreateSecret(ctx, &awssm.CreateSecretInput{Name: aws.String("a b"), SecretString: aws.String(secretValue)})
			return err
		}, isA[*types.InvalidParameterException], "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!"},
		{"force and window", func() error {
			_, err := c.DeleteSecret(ctx, &awssm.DeleteSecretInput{SecretId: aws.String("e"), ForceDeleteWithoutRecovery: aws.Bool(true), RecoveryWindowInDays: aws.Int64(7)})
			return err
		}, isA[*types.InvalidParameterException], "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays."},
		{"window out of range", func() error {
			_, err := c.DeleteSecret(ctx, &awssm.DeleteSecretInput{SecretId: aws.String("e"), RecoveryWindowInDays: aws.Int64(3)})
			return err
		}, isA[*types.InvalidParameterException], "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive)."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.call()
			if !tt.as(err) {
				t.Fatalf("err = %v (%T)", err, err)
			}
			if !strings.HasSuffix(err.Error(), tt.msg) {
				t.Errorf("message = %q, want %q", err, tt.msg)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error quotes the value: %v", err)
			}
		})
	}
}

func isA[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

func TestDeleteRestore(t *testing.T) {
	t.Parallel()
	c, clk, _ := start(t, Options{})
	ctx := context.Background()
	created, err := c.CreateSecret(ctx, &awssm.CreateSecretInput{Name: aws.String("prod/db"), SecretString: aws.String(secretValue)})
	if err != nil {
		t.Fatal(err)
	}
	del, err := c.DeleteSecret(ctx, &awssm.DeleteSecretInput{SecretId: aws.String("prod/db"), RecoveryWindowInDays: aws.Int64(7)})
	if err != nil {
		t.Fatal(err)
	}
	if want := t0.Add(7 * 24 * time.Hour); !del.DeletionDate.Equal(want) || aws.ToString(del.ARN) != aws.ToString(created.ARN) {
		t.Errorf("DeleteSecret = %v %s", del.DeletionDate, aws.ToString(del.ARN))
	}
	var invalid *types.InvalidRequestException
	_, err = c.GetSecretValue(ctx, &awssm.GetSecretValueInput{SecretId: aws.String("prod/db")})
	if !errors.As(err, &invalid) || !strings.Contains(err.Error(), "marked for deletion") {
		t.Errorf("GetSecretValue of a deleted secret: %v", err)
	}
	_, err = c.CreateSecret(ctx, &awssm.CreateSecretInput{Name: aws.String("prod/db"), SecretString: aws.String("x")})
	if !errors.As(err, &invalid) || !strings.Contains(err.Error(), "already scheduled for deletion") {
		t.Errorf("CreateSecret over a deleted secret: %v", err)
	}
	_, err = c.DeleteSecret(ctx, &awssm.DeleteSecretInput{SecretId: aws.String("prod/db")})
	if !errors.As(err, &invalid) {
		t.Errorf("DeleteSecret twice: %v", err)
	}
	desc, err := c.DescribeSecret(ctx, &awssm.DescribeSecretInput{SecretId: aws.String("prod/db")})
	if err != nil || desc.DeletedDate == nil {
		t.Errorf("DescribeSecret of a deleted secret = %+v, %v", desc, err)
	}
	if _, err := c.RestoreSecret(ctx, &awssm.RestoreSecretInput{SecretId: aws.String("prod/db")}); err != nil {
		t.Fatal(err)
	}
	if got, err := c.GetSecretValue(ctx, &awssm.GetSecretValueInput{SecretId: aws.String("prod/db")}); err != nil || aws.ToString(got.SecretString) != secretValue {
		t.Fatalf("GetSecretValue after RestoreSecret: %v", err)
	}

	// The recovery window passes: the secret is gone and its name is free.
	c.DeleteSecret(ctx, &awssm.DeleteSecretInput{SecretId: aws.String("prod/db"), RecoveryWindowInDays: aws.Int64(7)})
	clk.add(7*24*time.Hour + time.Second)
	var nf *types.ResourceNotFoundException
	if _, err = c.GetSecretValue(ctx, &awssm.GetSecretValueInput{SecretId: aws.String("prod/db")}); !errors.As(err, &nf) {
		t.Errorf("GetSecretValue after the recovery window: %v", err)
	}
	again, err := c.CreateSecret(ctx, &awssm.CreateSecretInput{Name: aws.String("prod/db"), SecretString: aws.String("x")})
	if err != nil || aws.ToString(again.ARN) == aws.ToString(created.ARN) {
		t.Fatalf("CreateSecret after the recovery window = %+v, %v", again, err)
	}

	// Force: gone at once; forcing a missing secret is no error.
	if _, err := c.DeleteSecret(ctx, &awssm.DeleteSecretInput{SecretId: aws.String("prod/db"), ForceDeleteWithoutRecovery: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err = c.GetSecretValue(ctx, &awssm.GetSecretValueInput{SecretId: aws.String("prod/db")}); !errors.As(err, &nf) {
		t.Errorf("GetSecretValue after a forced delete: %v", err)
	}
	if _, err := c.DeleteSecret(ctx, &awssm.DeleteSecretInput{SecretId: aws.String("prod/db"), ForceDeleteWithoutRecovery: aws.Bool(true)}); err != nil {
		t.Errorf("forced DeleteSecret of a missing secret: %v", err)
	}
	if _, err := c.DeleteSecret(ctx, &awssm.DeleteSecretInput{SecretId: aws.String("prod/db")}); !errors.As(err, &nf) {
		t.Errorf("DeleteSecret of a missing secret: %v", err)
	}
}

func TestPersistence(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c, _, _ := start(t, Options{StateDir: dir})
	ctx := context.Background()
	created, err := c.CreateSecret(ctx, &awssm.CreateSecretInput{Name: aws.String("keep"), SecretString: aws.String("v1")})
	if err != nil {
		t.Fatal(err)
	}
	c.PutSecretValue(ctx, &awssm.PutSecretValueInput{SecretId: aws.String("keep"), SecretString: aws.String("v2")})
	c.CreateSecret(ctx, &awssm.CreateSecretInput{Name: aws.String("doomed"), SecretString: aws.String("x")})
	c.DeleteSecret(ctx, &awssm.DeleteSecretInput{SecretId: aws.String("doomed")})
	fi, err := os.Stat(filepath.Join(dir, StateFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", fi, err)
	}

	c2, _, _ := start(t, Options{StateDir: dir})
	got, err := c2.GetSecretValue(ctx, &awssm.GetSecretValueInput{SecretId: created.ARN})
	if err != nil || aws.ToString(got.SecretString) != "v2" {
		t.Fatalf("after restart: %+v, %v", got, err)
	}
	prev, err := c2.GetSecretValue(ctx, &awssm.GetSecretValueInput{SecretId: aws.String("keep"), VersionStage: aws.String("AWSPREVIOUS")})
	if err != nil || aws.ToString(prev.SecretString) != "v1" {
		t.Errorf("AWSPREVIOUS after restart: %+v, %v", prev, err)
	}
	var invalid *types.InvalidRequestException
	if _, err := c2.GetSecretValue(ctx, &awssm.GetSecretValueInput{SecretId: aws.String("doomed")}); !errors.As(err, &invalid) {
		t.Errorf("a deleted secret after restart: %v", err)
	}
	bin, err := c2.CreateSecret(ctx, &awssm.CreateSecretInput{Name: aws.String("bin"), SecretBinary: []byte("binary-secret\x00")})
	if err != nil {
		t.Fatal(err)
	}

	// No file of the state directory holds a value in clear (issue 13).
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		for _, v := range []string{`"v1"`, `"v2"`, "binary-secret", base64.StdEncoding.EncodeToString([]byte("binary-secret\x00"))} {
			if strings.Contains(string(b), v) {
				t.Errorf("%s holds %s in clear", e.Name(), v)
			}
		}
	}
	c3, _, _ := start(t, Options{StateDir: dir})
	got, err = c3.GetSecretValue(ctx, &awssm.GetSecretValueInput{SecretId: bin.ARN})
	if err != nil || string(got.SecretBinary) != "binary-secret\x00" || got.SecretString != nil {
		t.Errorf("binary secret after restart: %+v, %v", got, err)
	}
	// A replaced key does not open them, and says so without a value.
	os.Remove(filepath.Join(dir, statefile.KeyFile))
	_, err = New(Options{StateDir: dir})
	if !errors.Is(err, statefile.ErrWrongKey) || strings.Contains(err.Error(), "v2") {
		t.Errorf("New with another key: %v", err)
	}
}

func TestAWSCLI(t *testing.T) {
	t.Parallel()
	_, _, url := start(t, Options{})
	stdout, stderr, err := awstest.CLI(t, url, "secretsmanager", "create-secret", "--name", "cli/db", "--secret-string", secretValue)
	if err != nil {
		t.Fatalf("aws secretsmanager create-secret: %v\n%s", err, stderr)
	}
	var created struct{ ARN, Name, VersionId string }
	if err := json.Unmarshal(stdout, &created); err != nil || created.Name != "cli/db" || created.VersionId == "" {
		t.Fatalf("create-secret answered %s (%v)", stdout, err)
	}
	stdout, stderr, err = awstest.CLI(t, url, "secretsmanager", "get-secret-value", "--secret-id", "cli/db")
	if err != nil {
		t.Fatalf("aws secretsmanager get-secret-value: %v\n%s", err, stderr)
	}
	var got struct {
		ARN, Name, VersionId, SecretString string
		VersionStages                      []string
		CreatedDate                        string
	}
	if err := json.Unmarshal(stdout, &got); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if got.ARN != created.ARN || got.SecretString != secretValue || got.VersionId != created.VersionId || strings.Join(got.VersionStages, ",") != "AWSCURRENT" || got.CreatedDate != "2025-03-04T05:06:07+00:00" {
		t.Errorf("get-secret-value = %+v", got)
	}
	_, stderr, err = awstest.CLI(t, url, "secretsmanager", "get-secret-value", "--secret-id", "cli/missing")
	if err == nil || !strings.Contains(string(stderr), "An error occurred (ResourceNotFoundException) when calling the GetSecretValue operation: Secrets Manager can't find the specified secret.") {
		t.Errorf("get-secret-value of a missing secret: %v\n%s", err, stderr)
	}
}
