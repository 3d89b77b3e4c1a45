package emulator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/emulator"
	"github.com/lambctl/lamb/emulator/emulatortest"
)

// onDisk returns the names of the functions in dir's state file.
func onDisk(dir string) (map[string]bool, error) {
	b, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err != nil {
		return nil, err
	}
	var st struct{ Functions map[string]json.RawMessage }
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for n := range st.Functions {
		names[n] = true
	}
	return names, nil
}

// TestGroupCommit: calls changing the state at once, whose writes are
// made outside the server's lock and shared, are each answered only once
// its change is on disk, and every change is — with fsync and without
// (NoSync).
func TestGroupCommit(t *testing.T) {
	t.Parallel()
	for _, noSync := range []bool{false, true} {
		t.Run(fmt.Sprintf("NoSync=%v", noSync), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			k := emulatortest.New(t, emulatortest.WithOptions(emulator.Options{StateDir: dir, NoSync: noSync}))
			zip := bootstrapZip(t, "v1")
			const n = 12
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				wg.Go(func() {
					name := fmt.Sprintf("fn%d", i)
					if _, err := k.Lambda.CreateFunction(context.Background(), newCreateInput(name, zip)); err != nil {
						errs[i] = err
						return
					}
					// Answered: on disk, whatever the other calls do.
					names, err := onDisk(dir)
					if err != nil {
						errs[i] = err
					} else if !names[name] {
						errs[i] = fmt.Errorf("%s answered before it was written", name)
					}
				})
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Error(err)
				}
			}
			names, err := onDisk(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(names) != n {
				t.Errorf("%d functions on disk, want %d", len(names), n)
			}
		})
	}
}

// unwritable puts a directory where dir's state file goes: renaming over
// it fails, even as root.
func unwritable(t *testing.T, dir string) {
	t.Helper()
	if err := os.Remove(filepath.Join(dir, "state.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "state.json"), 0o700); err != nil {
		t.Fatal(err)
	}
}

// TestSaveFailureIsTheAnswer: when the state cannot be written, the call
// that changed it answers ServiceException; reads go on; the code the
// state on disk uses stays stored until a state without it is written.
func TestSaveFailureIsTheAnswer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	k := emulatortest.New(t, emulatortest.WithOptions(emulator.Options{StateDir: dir}))
	ctx := context.Background()
	v1, v2 := bootstrapZip(t, "v1"), bootstrapZip(t, "v2")
	create(t, k, "fn", v1)
	unwritable(t, dir)
	_, err := k.Lambda.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String("arn:aws:lambda:us-east-1:123456789012:function:fn"), Tags: map[string]string{"team": "a"}})
	if code, _ := apiErr(t, err); code != "ServiceException" {
		t.Errorf("TagResource with an unwritable state: %v, want ServiceException", err)
	}
	if _, err := k.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn")}); err != nil {
		t.Errorf("GetFunction: %v", err)
	}
	_, err = k.Lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("fn"), ZipFile: v2})
	if code, _ := apiErr(t, err); code != "ServiceException" {
		t.Errorf("UpdateFunctionCode with an unwritable state: %v, want ServiceException", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "code", hexSHA(v1)+".zip")); err != nil {
		t.Errorf("the code of the state on disk was removed before a state without it was written: %v", err)
	}
	var got []emulator.Call
	for _, c := range k.Server.Calls() {
		if c.Op == "TagResource" || c.Op == "UpdateFunctionCode" {
			got = append(got, emulator.Call{Op: c.Op, Status: c.Status, ErrorType: c.ErrorType})
		}
	}
	want := []emulator.Call{{Op: "TagResource", Status: 500, ErrorType: "ServiceException"}, {Op: "UpdateFunctionCode", Status: 500, ErrorType: "ServiceException"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("call log (-want +got):\n%s", diff)
	}
	// Writable again: the next write replaces the state, and v1 goes.
	os.Remove(filepath.Join(dir, "state.json"))
	if err := k.WaitUpdated(t, "fn"); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Lambda.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String("arn:aws:lambda:us-east-1:123456789012:function:fn"), Tags: map[string]string{"team": "b"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "code", hexSHA(v1)+".zip")); err == nil {
		t.Error("v1 still stored after a state without it was written")
	}
}

// TestNoSync: a state written without fsync is marked until Close syncs
// it; after a crash, code lost with the machine leaves its function
// LastUpdateStatus Failed (a deploy uploads it again), and an unreadable
// state starts empty. Without the marker, an unreadable state is an error.
func TestNoSync(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v1, v2 := bootstrapZip(t, "v1"), bootstrapZip(t, "v2")
	marker := func(dir string) bool {
		_, err := os.Lstat(filepath.Join(dir, "unsynced"))
		return err == nil
	}
	status := func(t *testing.T, k *emulatortest.Kit, name string) (string, string) {
		t.Helper()
		out, err := k.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return string(out.Configuration.LastUpdateStatus), aws.ToString(out.Configuration.CodeSha256)
	}

	// crashThenStart runs a server writing without fsync in a new state
	// directory, creates fns (Active), then pending (its creation not
	// finished, as when a crash cuts it short) unless "", crashes it,
	// empties the file damaged (a path in the directory; "" for none) as a
	// stop of the machine can, and starts a server there again.
	crashThenStart := func(t *testing.T, fns map[string][]byte, pending string, pendingZip []byte, damaged string) (*emulatortest.Kit, string) {
		t.Helper()
		dir := t.TempDir()
		k := emulatortest.New(t, emulatortest.WithOptions(emulator.Options{StateDir: dir, NoSync: true}))
		for name, zip := range fns {
			create(t, k, name, zip)
		}
		if pending != "" {
			k.Server.Inject(emulator.Fault{Op: "CreateFunction", Function: pending, Delay: time.Hour})
			if _, err := k.Lambda.CreateFunction(ctx, newCreateInput(pending, pendingZip)); err != nil {
				t.Fatal(err)
			}
		}
		k.Server.Crash()
		if damaged != "" {
			if err := os.WriteFile(filepath.Join(dir, damaged), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		return emulatortest.New(t, emulatortest.WithOptions(emulator.Options{StateDir: dir, NoSync: true})), dir
	}

	t.Run("clean close", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		k := emulatortest.New(t, emulatortest.WithOptions(emulator.Options{StateDir: dir, NoSync: true}))
		if !marker(dir) {
			t.Error("no marker while the state is written without fsync")
		}
		create(t, k, "fn", v1)
		if err := k.Close(); err != nil {
			t.Fatal(err)
		}
		if marker(dir) {
			t.Error("marker left by a clean close")
		}
		k = emulatortest.New(t, emulatortest.WithOptions(emulator.Options{StateDir: dir}))
		if st, sum := status(t, k, "fn"); st != "Successful" || sum != sha(v1) {
			t.Errorf("after restart: %s %s, want Successful %s", st, sum, sha(v1))
		}
	})

	t.Run("code lost in a crash", func(t *testing.T) {
		t.Parallel()
		// The machine went down before v1's zip reached the disk, while
		// "cut" was being created with it.
		v3 := bootstrapZip(t, "v3")
		k, dir := crashThenStart(t, map[string][]byte{"lost": v1, "kept": v2}, "cut", v3, filepath.Join("code", hexSHA(v1)+".zip"))
		if st, _ := status(t, k, "lost"); st != "Failed" {
			t.Errorf("function whose code was lost: LastUpdateStatus %s, want Failed", st)
		}
		k.WaitActive(t, "kept")
		if st, _ := status(t, k, "kept"); st != "Successful" {
			t.Errorf("function whose code is intact: LastUpdateStatus %s, want Successful", st)
		}
		// A creation cut short with its code lost ends Active, its last
		// update Failed; nothing completes it as Successful later.
		k2, dir2 := crashThenStart(t, nil, "cut", v3, filepath.Join("code", hexSHA(v3)+".zip"))
		k2.WaitActive(t, "cut")
		if st, _ := status(t, k2, "cut"); st != "Failed" {
			t.Errorf("creation cut short, code lost: LastUpdateStatus %s, want Failed", st)
		}
		if err := k2.Close(); err != nil {
			t.Fatal(err)
		}
		k2 = emulatortest.New(t, emulatortest.WithOptions(emulator.Options{StateDir: dir2, NoSync: true}))
		if st, _ := status(t, k2, "cut"); st != "Failed" {
			t.Errorf("after a clean restart: LastUpdateStatus %s, want Failed", st)
		}
		if _, err := os.Stat(filepath.Join(dir, "code", hexSHA(v1)+".zip")); err == nil {
			t.Error("the damaged zip is still stored")
		}
		// Deployed again, it is whole.
		if _, err := k.Lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("lost"), ZipFile: v1}); err != nil {
			t.Fatal(err)
		}
		if err := k.WaitUpdated(t, "lost"); err != nil {
			t.Fatal(err)
		}
		if st, sum := status(t, k, "lost"); st != "Successful" || sum != sha(v1) {
			t.Errorf("after the new upload: %s %s, want Successful %s", st, sum, sha(v1))
		}
	})

	t.Run("synced after a crash", func(t *testing.T) {
		t.Parallel()
		// A server that syncs takes over a state a crash left unsynced: it
		// checks it, syncs it and removes the marker.
		k, dir := crashThenStart(t, map[string][]byte{"fn": v1}, "", nil, "")
		if err := k.Close(); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "unsynced"), nil, 0o600); err != nil { // as a crash leaves it
			t.Fatal(err)
		}
		k = emulatortest.New(t, emulatortest.WithOptions(emulator.Options{StateDir: dir}))
		if marker(dir) {
			t.Error("marker left by a server that syncs")
		}
		k.WaitActive(t, "fn")
		if st, sum := status(t, k, "fn"); st != "Successful" || sum != sha(v1) {
			t.Errorf("%s %s, want Successful %s", st, sum, sha(v1))
		}
	})

	t.Run("close that cannot write", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		// Not a Kit: its cleanup fails the test on a failed Close.
		srv, err := emulator.New(emulator.Options{StateDir: dir, NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv)
		defer ts.Close()
		c := lambda.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("lamb", "lamb", ""), BaseEndpoint: aws.String(ts.URL), RetryMaxAttempts: 1})
		if _, err := c.CreateFunction(ctx, newCreateInput("fn", v1)); err != nil {
			t.Fatal(err)
		}
		unwritable(t, dir)
		if _, err := c.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String("arn:aws:lambda:us-east-1:123456789012:function:fn"), Tags: map[string]string{"team": "a"}}); err == nil {
			t.Error("TagResource answered without its change written")
		}
		if err := srv.Close(); err == nil {
			t.Error("Close wrote a state it cannot write")
		}
		if !marker(dir) {
			t.Error("marker removed though the last state was not written")
		}
	})

	t.Run("unreadable state after a crash", func(t *testing.T) {
		t.Parallel()
		k, _ := crashThenStart(t, map[string][]byte{"fn": v1}, "", nil, "state.json")
		out, err := k.Lambda.ListFunctions(ctx, &lambda.ListFunctionsInput{})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Functions) != 0 {
			t.Errorf("%d functions from an unreadable state, want none", len(out.Functions))
		}
	})

	t.Run("unreadable synced state", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "state.json"), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := emulator.New(emulator.Options{StateDir: dir, NoSync: true}); err == nil {
			t.Error("New read an unreadable state without a marker")
		}
	})
}
