package deployer_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/deployer"
	"github.com/lambctl/lamb/emulator"
	"github.com/lambctl/lamb/manifest"
)

// shaSeen is a LambdaAPI that records the CodeSha256 the deployer hands
// with each UpdateFunctionCode (deployer.ZipSha256), as lamb's in-process
// local Lambda takes it.
type shaSeen struct {
	deployer.LambdaAPI
	mu  sync.Mutex
	got map[string]string
}

func (s *shaSeen) UpdateFunctionCode(ctx context.Context, in *lambda.UpdateFunctionCodeInput, opts ...func(*lambda.Options)) (*lambda.UpdateFunctionCodeOutput, error) {
	sha, _ := deployer.ZipSha256(ctx)
	s.mu.Lock()
	s.got[aws.ToString(in.FunctionName)] = sha
	s.mu.Unlock()
	return s.LambdaAPI.UpdateFunctionCode(ctx, in, opts...)
}

// TestDeployZipInMemory: an artifact whose zip is in memory (lamb dev's
// builder hands it over) is sent as it is, its file never read; the
// package's CodeSha256 goes along with the call, for a file-backed
// artifact too.
func TestDeployZipInMemory(t *testing.T) {
	e := newTestEnv(t, emulator.Options{})
	ctx := context.Background()
	w := e.world(t, map[string]string{"a": "fa1", "b": "fb1"})
	if _, _, err := e.deploy(ctx, t, w, testOptions(e)); err != nil {
		t.Fatal(err)
	}
	w.set(t, e, "a", "fa2")
	w.set(t, e, "b", "fb2")
	mem := w.arts["b"]
	data, err := os.ReadFile(mem.Path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(mem.Path); err != nil { // only the bytes in memory are left
		t.Fatal(err)
	}
	mem.Zip = data
	w.arts["b"] = mem

	api := &shaSeen{LambdaAPI: e.client, got: map[string]string{}}
	opts := testOptions(e)
	opts.Lambda = api
	_, res, err := e.deploy(ctx, t, w, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.Summary(), "created 0, updated 2, unchanged 0, failed 0"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	want := map[string]string{"a": w.arts["a"].CodeSha256, "b": mem.CodeSha256}
	if diff := cmp.Diff(want, api.got); diff != "" {
		t.Errorf("CodeSha256 handed with the updates (-want +got):\n%s", diff)
	}
	for name, sha := range want {
		out, err := e.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(out.Configuration.CodeSha256); got != sha {
			t.Errorf("%s: live CodeSha256 %s, want %s", name, got, sha)
		}
	}
}

// TestDeployRestoresLostCode: lamb dev's local Lambda writes without fsync
// (emulator.Options.NoSync); when the machine stops before a zip reached
// the disk, the next start marks the function's last update failed, and
// the next deploy — the fingerprint unchanged — uploads its code again.
func TestDeployRestoresLostCode(t *testing.T) {
	dir := t.TempDir()
	opts := emulator.Options{StateDir: dir, NoSync: true}
	e := newTestEnv(t, opts)
	ctx := context.Background()
	w := e.world(t, map[string]string{"a": "fa1", "b": "fb1"})
	for _, name := range []string{"a", "b"} {
		w.edit(name, func(f *manifest.Function) { f.Alias = "" }) // $LATEST, as lamb dev
	}
	if _, _, err := e.deploy(ctx, t, w, testOptions(e)); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Close(); err != nil {
		t.Fatal(err)
	}
	// As a crash of the machine leaves it: the marker, and a's zip empty.
	if err := os.WriteFile(filepath.Join(dir, "unsynced"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	sum, err := base64.StdEncoding.DecodeString(w.arts["a"].CodeSha256)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "code", hex.EncodeToString(sum)+".zip"), nil, 0o600); err != nil {
		t.Fatal(err)
	}

	e = newTestEnv(t, opts)
	plan, res, err := e.deploy(ctx, t, w, testOptions(e))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a"}, plan.NeedCode()); diff != "" {
		t.Errorf("NeedCode (-want +got):\n%s", diff)
	}
	if got, want := res.Summary(), "created 0, updated 1, unchanged 1, failed 0"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	e.checkConverged(t, w)
}
