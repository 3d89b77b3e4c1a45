package sizes

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lambctl/lamb/emulator/emulatortest"
	"github.com/lambctl/lamb/emulator/rapi"
)

func newRunner(t *testing.T) *rapi.Runner {
	t.Helper()
	r, err := rapi.NewRunner(rapi.RunnerOptions{WorkDir: t.TempDir(), IdleTimeout: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestMeasureInit(t *testing.T) {
	t.Parallel()
	zip := probeZip(t)
	r := newRunner(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	req := rapi.InvokeRequest{FunctionName: "probe", Version: "$LATEST", CodeSha256: "probe", ZipPath: zip, Payload: []byte(`{"action":"echo","message":"hi"}`)}
	st, err := MeasureInit(ctx, r, req, 3)
	if err != nil {
		t.Fatal(err)
	}
	if st.Runs != 3 || st.Errors != 0 {
		t.Errorf("runs %d errors %d, want 3 and 0", st.Runs, st.Errors)
	}
	if st.Median <= 0 || st.P90 < st.Median || st.P90 > time.Minute {
		t.Errorf("median %v p90 %v: want 0 < median <= p90", st.Median, st.P90)
	}
	if runtime.GOOS == "linux" && st.MaxMemoryMB <= 0 {
		t.Errorf("max memory %d MB, want the process's peak", st.MaxMemoryMB)
	}

	// Every run was a cold start: a warm invoke now is again a cold start,
	// since MeasureInit retired the environment it left.
	res, err := r.Invoke(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if !res.ColdStart {
		t.Error("an environment of MeasureInit was left warm")
	}

	// A function error counts, the init too.
	req.Payload = []byte(`{"action":"error","message":"no"}`)
	st, err = MeasureInit(ctx, r, req, 2)
	if err != nil {
		t.Fatal(err)
	}
	if st.Errors != 2 || st.Median <= 0 {
		t.Errorf("errors %d median %v, want 2 errors and an init", st.Errors, st.Median)
	}

	data, err := json.Marshal(InitStats{Runs: 5, Median: 12345678 * time.Nanosecond, P90: 20 * time.Millisecond, MaxMemoryMB: 21, Errors: 1})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"runs":5,"maxMemoryMB":21,"errors":1,"medianMs":12.35,"p90Ms":20}`; string(data) != want {
		t.Errorf("JSON %s, want %s", data, want)
	}
}

func TestMeasureInitFailure(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("a shell script bootstrap")
	}
	p := filepath.Join(t.TempDir(), "f.zip")
	if err := os.WriteFile(p, emulatortest.Zip(t, map[string]string{"bootstrap": "#!/bin/sh\necho starting\nexit 3\n"}), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := MeasureInit(ctx, newRunner(t), rapi.InvokeRequest{FunctionName: "crash", CodeSha256: "crash", ZipPath: p}, 3)
	if err == nil || !strings.Contains(err.Error(), "init failed in run 1 of 3: ") || !strings.Contains(err.Error(), "Runtime.ExitError") {
		t.Fatalf("MeasureInit = %v; want the init failure of run 1", err)
	}
}
