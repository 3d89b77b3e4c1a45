package emulator_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	awssm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/emulator"
	"github.com/lambctl/lamb/emulator/awsjson/statefile"
	"github.com/lambctl/lamb/emulator/emulatortest"
)

// TestStateDirHoldsNoSecretInClear: a SecureString, a secret and a
// function's environment (where lamb puts resolved secrets) appear in no
// file of the state directory in clear (issue 13), come back after a
// restart, and the directory keeps itself out of git.
func TestStateDirHoldsNoSecretInClear(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "state")
	k := emulatortest.New(t, emulatortest.WithOptions(emulator.Options{StateDir: dir}))
	ctx := context.Background()
	in := newCreateInput("fn", bootstrapZip(t, "x"))
	in.Environment = &types.Environment{Variables: map[string]string{"DB_PASSWORD": "env-hunter2", "LOG_LEVEL": "debug"}}
	k.CreateFunction(t, in)
	if _, err := k.Lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")}); err != nil {
		t.Fatal(err)
	}
	c := newClients(k.AWSConfig)
	if _, err := c.ssm.PutParameter(ctx, &awsssm.PutParameterInput{Name: aws.String("/db/url"), Value: aws.String("ssm-hunter2"), Type: ssmtypes.ParameterTypeSecureString}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.secrets.CreateSecret(ctx, &awssm.CreateSecretInput{Name: aws.String("db"), SecretString: aws.String(`{"password":"sm-hunter2"}`)}); err != nil {
		t.Fatal(err)
	}
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}

	var files []string
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		files = append(files, rel)
		b, _ := os.ReadFile(path)
		if strings.Contains(string(b), "hunter2") {
			t.Errorf("%s holds a secret value in clear", rel)
		}
		if fi, _ := d.Info(); fi.Mode().Perm()&0o077 != 0 && rel != "lock" {
			t.Errorf("%s has mode %v", rel, fi.Mode().Perm())
		}
		return nil
	})
	for _, want := range []string{".gitignore", statefile.KeyFile, "state.json", "ssm.json", "secretsmanager.json"} {
		if !strings.Contains(strings.Join(files, " "), want) {
			t.Errorf("no %s in the state directory: %v", want, files)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, ".gitignore")); !strings.Contains(string(b), "\n*\n") {
		t.Errorf(".gitignore does not ignore everything: %q", b)
	}

	// A restart opens them.
	k2 := emulatortest.New(t, emulatortest.WithOptions(emulator.Options{StateDir: dir}))
	c2 := newClients(k2.AWSConfig)
	for _, q := range []string{"$LATEST", "1"} {
		got, err := k2.Lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("fn"), Qualifier: aws.String(q)})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(in.Environment.Variables, got.Environment.Variables); diff != "" {
			t.Errorf("%s environment after restart (-want +got):\n%s", q, diff)
		}
	}
	p, err := c2.ssm.GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String("/db/url"), WithDecryption: aws.Bool(true)})
	if err != nil || aws.ToString(p.Parameter.Value) != "ssm-hunter2" {
		t.Errorf("SecureString after restart: %v", err)
	}
	s, err := c2.secrets.GetSecretValue(ctx, &awssm.GetSecretValueInput{SecretId: aws.String("db")})
	if err != nil || aws.ToString(s.SecretString) != `{"password":"sm-hunter2"}` {
		t.Errorf("secret after restart: %v", err)
	}
}

// TestPlainEnvironmentFromAnEarlierState: a state file written before
// environments were sealed still loads, and the next save seals it.
func TestPlainEnvironmentFromAnEarlierState(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	state := `{"functions":{"old":{"name":"old","nextVersion":1,"latest":{"version":"$LATEST","runtime":"provided.al2023",
		"role":"` + testRole + `","handler":"bootstrap","timeout":3,"memorySize":128,"environment":{"TOKEN":"old-hunter2"},
		"architectures":["arm64"],"codeSha256":"x","codeSize":1,"lastModified":"2025-01-01T00:00:00.000+0000","revisionId":"r","state":"Active"}}}}`
	if err := os.WriteFile(filepath.Join(dir, "state.json"), []byte(state), 0o600); err != nil {
		t.Fatal(err)
	}
	k := emulatortest.New(t, emulatortest.WithOptions(emulator.Options{StateDir: dir}))
	ctx := context.Background()
	got, err := k.Lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("old")})
	if err != nil || got.Environment == nil || got.Environment.Variables["TOKEN"] != "old-hunter2" {
		t.Fatalf("environment of an earlier state: %+v %v", got, err)
	}
	if _, err := k.Lambda.TagResource(ctx, &lambda.TagResourceInput{Resource: got.FunctionArn, Tags: map[string]string{"a": "b"}}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "state.json")); strings.Contains(string(b), "hunter2") {
		t.Errorf("state.json still holds the environment in clear after a save")
	}
}
