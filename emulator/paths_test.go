package emulator_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambctl/lamb/emulator"
	"github.com/lambctl/lamb/emulator/emulatortest"
	"github.com/lambctl/lamb/emulator/rapi"
)

// TestErrorsNameNoStatePath: what the local Lambda says when it cannot run
// a function's code, or use its state directory, does not spell out the
// absolute path of the state or work directory (issue 11, item 16): the
// state directory is named relative to the working directory, the code by
// what it is.
func TestErrorsNameNoStatePath(t *testing.T) {
	// Not parallel: it changes the working directory.
	root := t.TempDir()
	t.Chdir(root)
	state := filepath.Join(root, ".lamb", "local", "state")
	k := emulatortest.New(t,
		emulatortest.WithOptions(emulator.Options{StateDir: state}),
		emulatortest.WithRunnerOptions(rapi.RunnerOptions{WorkDir: filepath.Join(root, ".lamb", "local", "run")}))

	// A package that passes the upload checks and cannot be extracted.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("../escape")
	w.Write([]byte("x"))
	zw.Close()
	k.CreateFunction(t, emulatortest.CreateInput("slip", buf.Bytes()))
	out, err := k.Lambda.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("slip")})
	if err != nil {
		t.Fatal(err)
	}
	msg := string(out.Payload)
	if aws.ToString(out.FunctionError) != "Unhandled" || !strings.Contains(msg, "unsafe path") {
		t.Errorf("invoke of a bad package: %q %s", aws.ToString(out.FunctionError), msg)
	}
	if strings.Contains(msg, root) {
		t.Errorf("the error names an absolute path: %s", msg)
	}

	// A second server on the same state directory.
	_, err = emulator.New(emulator.Options{StateDir: state})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(".lamb", "local", "state")) || strings.Contains(err.Error(), root) {
		t.Errorf("state dir in use: %v", err)
	}
	if !errors.Is(err, emulator.ErrStateInUse) {
		t.Errorf("state dir in use: %v is not ErrStateInUse", err)
	}
	if _, err := os.Stat(state); err != nil {
		t.Fatal(err)
	}
}
