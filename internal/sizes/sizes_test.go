package sizes

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/builder"
	"github.com/lambctl/lamb/emulator/emulatortest"
)

// probeZip is emulator/rapi's probe, a real aws-lambda-go function, built
// for this machine once per test binary and zipped as the builder does.
func probeZip(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a Go program")
	}
	data := emulatortest.BuildFunction(t, filepath.Join("..", "..", "emulator", "rapi", "testdata", "probe"), ".")
	p := filepath.Join(t.TempDir(), "probe.zip")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

type entry struct {
	name string
	mode fs.FileMode
	data string
	// size, when set, is the uncompressed size the header declares (a lie).
	size uint64
}

func makeZip(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Store}
		h.SetMode(e.mode)
		if e.size == 0 {
			w, err := zw.CreateHeader(h)
			if err == nil {
				_, err = w.Write([]byte(e.data))
			}
			if err != nil {
				t.Fatal(err)
			}
			continue
		}
		// A header whose sizes say e.size over e.data's bytes.
		h.CompressedSize64, h.UncompressedSize64 = uint64(len(e.data)), e.size
		w, err := zw.CreateRaw(h)
		if err == nil {
			_, err = w.Write([]byte(e.data))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadBootstrap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		zip     []byte
		max     int64
		want    string
		wantErr string
	}{
		{name: "ok", zip: makeZip(t, entry{name: "config.json", mode: 0o644, data: "{}"}, entry{name: "bootstrap", mode: 0o755, data: "ELF..."}), max: 100, want: "ELF..."},
		{name: "at the bound", zip: makeZip(t, entry{name: "bootstrap", mode: 0o755, data: "12345"}), max: 5, want: "12345"},
		{name: "over the bound", zip: makeZip(t, entry{name: "bootstrap", mode: 0o755, data: "123456"}), max: 5, wantErr: "bootstrap is 6 bytes unzipped, over the 5 bytes allowed"},
		{name: "none", zip: makeZip(t, entry{name: "main", mode: 0o755, data: "x"}), max: 100, wantErr: "no bootstrap in the zip"},
		{name: "in a directory only", zip: makeZip(t, entry{name: "bin/bootstrap", mode: 0o755, data: "x"}), max: 100, wantErr: "no bootstrap in the zip"},
		{name: "two", zip: makeZip(t, entry{name: "bootstrap", mode: 0o755, data: "a"}, entry{name: "bootstrap", mode: 0o755, data: "b"}), max: 100, wantErr: "two bootstrap entries"},
		{name: "symlink", zip: makeZip(t, entry{name: "bootstrap", mode: fs.ModeSymlink | 0o777, data: "/etc/passwd"}), max: 100, wantErr: "bootstrap is a symlink, not a regular file"},
		{name: "directory", zip: makeZip(t, entry{name: "bootstrap", mode: fs.ModeDir | 0o755}), max: 100, wantErr: "bootstrap is a directory, not a regular file"},
		{name: "declared larger than its data", zip: makeZip(t, entry{name: "bootstrap", mode: 0o755, data: "abc", size: 10}), max: 100, wantErr: "bootstrap:"},
		{name: "declared over the bound", zip: makeZip(t, entry{name: "bootstrap", mode: 0o755, data: "abc", size: 1 << 40}), max: 100, wantErr: "over the 100 bytes allowed"},
		{name: "not a zip", zip: []byte("hello"), max: 100, wantErr: "zip: not a valid zip file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(t.TempDir(), "f.zip")
			if err := os.WriteFile(p, tt.zip, 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := ReadBootstrap(p, tt.max)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ReadBootstrap = %q, %v; want an error with %q", got, err, tt.wantErr)
				}
				if !strings.HasPrefix(err.Error(), p+": ") {
					t.Errorf("error %q does not name the zip", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("content (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadBootstrapNotRegular(t *testing.T) {
	t.Parallel()
	_, err := ReadBootstrap(t.TempDir(), 100)
	if err == nil || !strings.Contains(err.Error(), "not a regular file (directory)") {
		t.Fatalf("ReadBootstrap(dir) = %v; want a not-regular error", err)
	}
}

func FuzzReadBootstrap(f *testing.F) {
	f.Add(makeZip(f, entry{name: "bootstrap", mode: 0o755, data: "ELF"}))
	f.Add(makeZip(f, entry{name: "bootstrap", mode: 0o755, data: "abc", size: 10}))
	f.Add(makeZip(f, entry{name: "bootstrap", mode: fs.ModeSymlink | 0o777, data: "x"}))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := readBootstrap(bytes.NewReader(data), int64(len(data)), 1<<16)
		if err == nil && int64(len(b)) > 1<<16 {
			t.Fatalf("read %d bytes over the bound", len(b))
		}
	})
}

func TestAnalyzeProbe(t *testing.T) {
	t.Parallel()
	p := probeZip(t)
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	a := builder.Artifact{Function: "probe", Architecture: "arm64", Fingerprint: "fp", Path: p, Size: st.Size(), BinarySize: 1}
	m, err := Analyze(a)
	if err != nil {
		t.Fatal(err)
	}
	if m.Function != "probe" || m.Zip != st.Size() || m.Report == nil || m.Report.Name != "probe" {
		t.Fatalf("measure = %+v", m)
	}
	if m.Binary != int64(m.Report.FileSize) {
		t.Errorf("Binary %d, want the bootstrap's size %d", m.Binary, m.Report.FileSize)
	}
	for _, mod := range []string{"std", "github.com/aws/aws-lambda-go", "example.com/rapiprobe"} {
		if m.Report.Module(mod) == nil {
			t.Errorf("no module %s in %v", mod, modulePaths(m))
		}
	}
	if share := float64(m.Report.Attributed) / float64(m.Report.FileSize); share < 0.95 {
		t.Errorf("attributed %.1f%% of the file, want at least 95%%", 100*share)
	}
	if p := m.Report.Module("example.com/rapiprobe"); p == nil || len(p.Packages) == 0 || len(p.Packages[0].Funcs) == 0 {
		t.Error("the probe's main package has no function list (the treemap draws functions)")
	}

	// AnalyzeAll keeps the order and reports a bad zip as its function's failure.
	bad := builder.Artifact{Function: "broken", Path: filepath.Join(t.TempDir(), "missing.zip")}
	ms, err := AnalyzeAll(context.Background(), []builder.Artifact{a, bad, a})
	if err == nil || !strings.Contains(err.Error(), "broken: size: ") {
		t.Errorf("AnalyzeAll error = %v; want broken's failure", err)
	}
	if len(ms) != 3 || ms[0] == nil || ms[1] != nil || ms[2] == nil {
		t.Errorf("AnalyzeAll measures = %v", ms)
	}
}

func modulePaths(m *Measure) []string {
	var out []string
	for _, mod := range m.Report.Modules {
		out = append(out, mod.Path)
	}
	return out
}

func TestPercentile(t *testing.T) {
	t.Parallel()
	ms := func(ns ...int) []time.Duration {
		var out []time.Duration
		for _, n := range ns {
			out = append(out, time.Duration(n)*time.Millisecond)
		}
		return out
	}
	tests := []struct {
		in       []time.Duration
		p        int
		wantMs   int
		describe string
	}{
		{nil, 50, 0, "none"},
		{ms(7), 50, 7, "one"},
		{ms(7), 90, 7, "one p90"},
		{ms(5, 1, 3), 50, 3, "odd count"},
		{ms(4, 1, 3, 2), 50, 2, "even count: lower middle"},
		{ms(9, 1, 8, 2, 7, 3, 6, 4, 5, 10), 90, 9, "ten: 9th"},
		{ms(1, 2, 3, 4, 5), 90, 5, "five: the largest"},
		{ms(1, 2, 3, 4, 5), 100, 5, "p100"},
		{ms(1, 2, 3, 4, 5), 0, 1, "p0: the smallest"},
	}
	for _, tt := range tests {
		got := Percentile(tt.in, tt.p)
		if want := time.Duration(tt.wantMs) * time.Millisecond; got != want {
			t.Errorf("%s: Percentile(%v, %d) = %v, want %v", tt.describe, tt.in, tt.p, got, want)
		}
	}
}

func TestErrNoBootstrap(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "f.zip")
	if err := os.WriteFile(p, makeZip(t, entry{name: "x", mode: 0o644, data: "x"}), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadBootstrap(p, 10); !errors.Is(err, ErrNoBootstrap) {
		t.Errorf("err = %v, want ErrNoBootstrap", err)
	}
}
