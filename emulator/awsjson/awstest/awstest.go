// Package awstest helps test local AWS services with the real clients: an
// SDK configuration that talks to a local endpoint with dummy credentials,
// and the AWS CLI (/usr/bin/aws) run against one.
package awstest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// CLIPath is where the AWS CLI is expected (.ci/run installs it there).
const CLIPath = "/usr/bin/aws"

// Config is an SDK configuration for local endpoints: region us-east-1,
// static dummy credentials, nothing read from the environment or files.
// Clients take the endpoint as BaseEndpoint.
func Config() aws.Config {
	return aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", ""),
	}
}

// CLI runs `aws --endpoint-url endpoint args...` with dummy credentials and
// an empty configuration, and returns its stdout, stderr and error. It
// skips the test when the CLI is not installed.
func CLI(t testing.TB, endpoint string, args ...string) (stdout, stderr []byte, err error) {
	t.Helper()
	if _, err := os.Stat(CLIPath); err != nil {
		t.Skipf("%s not installed (.ci/run installs it)", CLIPath)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	home := t.TempDir()
	cmd := exec.CommandContext(ctx, CLIPath, append([]string{"--endpoint-url", endpoint, "--region", "us-east-1", "--output", "json"}, args...)...)
	cmd.Env = []string{
		"HOME=" + home,
		"PATH=/usr/bin:/bin",
		"AWS_ACCESS_KEY_ID=AKIDLOCAL",
		"AWS_SECRET_ACCESS_KEY=local-secret",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_PAGER=",
		"AWS_EC2_METADATA_DISABLED=true",
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.Bytes(), errb.Bytes(), err
}
