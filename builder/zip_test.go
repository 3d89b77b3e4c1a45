package builder

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type zipEntryInfo struct {
	Name     string
	Mode     fs.FileMode
	Modified time.Time
	Method   uint16
	Flags    uint16
	Extra    int
	Content  string
}

func readZip(t *testing.T, data []byte) []zipEntryInfo {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out []zipEntryInfo
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		out = append(out, zipEntryInfo{
			Name:     f.Name,
			Mode:     f.Mode(),
			Modified: f.Modified.UTC(),
			Method:   f.Method,
			Flags:    f.Flags,
			Extra:    len(f.Extra),
			Content:  string(b),
		})
	}
	return out
}

func writeTestFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestWriteZip(t *testing.T) {
	dir := t.TempDir()
	big := bytes.Repeat([]byte("lambda bootstrap "), 10000)
	writeTestFiles(t, dir, map[string]string{
		"bin":               string(big),
		"config/rates.json": `{"eu": 2000}`,
		"a.txt":             "a",
		"empty":             "",
	})
	entries := []ZipFile{
		{Name: "config/rates.json", Src: filepath.Join(dir, "config/rates.json"), Mode: 0o644},
		{Name: "bootstrap", Src: filepath.Join(dir, "bin"), Mode: 0o755},
		{Name: "empty", Src: filepath.Join(dir, "empty"), Mode: 0o644},
		{Name: "a.txt", Src: filepath.Join(dir, "a.txt"), Mode: 0o644},
	}
	tests := []struct {
		name string
		sde  string
		want time.Time
	}{
		{"default epoch", "", time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"SOURCE_DATE_EPOCH", "1700000000", time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC)},
		{"SOURCE_DATE_EPOCH before 1980", "0", time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mtime, err := zipTime(tt.sde)
			if err != nil {
				t.Fatal(err)
			}
			var b1, b2 bytes.Buffer
			n, err := WriteZip(&b1, entries, mtime)
			if err != nil {
				t.Fatal(err)
			}
			if want := int64(len(big) + len(`{"eu": 2000}`) + 1); n != want {
				t.Errorf("unzipped size = %d, want %d", n, want)
			}
			// Reversed input order and a second run: the same bytes.
			rev := []ZipFile{entries[3], entries[2], entries[1], entries[0]}
			if _, err := WriteZip(&b2, rev, mtime); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b1.Bytes(), b2.Bytes()) {
				t.Fatal("same input gave different zip bytes")
			}
			got := readZip(t, b1.Bytes())
			want := []zipEntryInfo{
				{Name: "a.txt", Mode: 0o644, Modified: tt.want, Method: zip.Store, Content: "a"},
				{Name: "bootstrap", Mode: 0o755, Modified: tt.want, Method: zip.Deflate, Content: string(big)},
				{Name: "config/rates.json", Mode: 0o644, Modified: tt.want, Method: zip.Store, Content: `{"eu": 2000}`},
				{Name: "empty", Mode: 0o644, Modified: tt.want, Method: zip.Store, Content: ""},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("zip entries (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteZipDuplicate(t *testing.T) {
	dir := t.TempDir()
	writeTestFiles(t, dir, map[string]string{"a": "x"})
	e := ZipFile{Name: "a", Src: filepath.Join(dir, "a"), Mode: 0o644}
	if _, err := WriteZip(io.Discard, []ZipFile{e, e}, defaultEpoch); err == nil {
		t.Fatal("duplicate entries: no error")
	}
}

func TestZipTime(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{"", defaultEpoch, false},
		{"315532800", defaultEpoch, false},
		{"315532802", defaultEpoch.Add(2 * time.Second), false},
		{"-5", defaultEpoch, false},
		{"99999999999", time.Date(2107, 12, 31, 23, 59, 58, 0, time.UTC), false},
		{"yesterday", time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := zipTime(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !got.Equal(tt.want) {
				t.Errorf("zipTime(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzZipTime(f *testing.F) {
	for _, s := range []string{"", "0", "1700000000", "-1", "9223372036854775807", "1e9", " 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := zipTime(s)
		if err != nil {
			return
		}
		if tm.Before(defaultEpoch) || tm.Year() > 2107 {
			t.Fatalf("zipTime(%q) = %v: outside what a zip holds", s, tm)
		}
		d, tim := msDosTime(tm)
		back := time.Date(int(d>>9)+1980, time.Month(d>>5&0xf), int(d&0x1f), int(tim>>11), int(tim>>5&0x3f), int(tim&0x1f)*2, 0, time.UTC)
		if !back.Equal(tm.Truncate(2 * time.Second)) {
			t.Fatalf("zipTime(%q) = %v encodes as %v", s, tm, back)
		}
	})
}

// TestWriteZipFileKept: a zip made in memory for the deploy (lamb dev) is
// byte for byte the file written, its SHA-256 is theirs, and it is the zip
// the streaming path writes; the binary, not hashed, still zips whole.
func TestWriteZipFileKept(t *testing.T) {
	dir := t.TempDir()
	boot := filepath.Join(dir, "bootstrap")
	if err := os.WriteFile(boot, bytes.Repeat([]byte("binary "), 5000), 0o755); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "conf.json")
	if err := os.WriteFile(conf, []byte(`{"a":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, stored := range []bool{true, false} {
		t.Run(fmt.Sprintf("stored=%v", stored), func(t *testing.T) {
			var sums []string
			var files [][]byte
			for _, keep := range []bool{false, true} {
				f, err := loadZipFile(ZipFile{Name: "bootstrap", Src: boot, Mode: 0o755}, !keep)
				if err != nil {
					t.Fatal(err)
				}
				dst := filepath.Join(dir, fmt.Sprintf("out-%v-%v.zip", stored, keep))
				sum, size, z, data, err := writeZipFile(context.Background(), dst, []ZipFile{f, {Name: "conf.json", Src: conf, Mode: 0o644}}, defaultEpoch, stored, keep)
				if err != nil {
					t.Fatal(err)
				}
				onDisk, err := os.ReadFile(dst)
				if err != nil {
					t.Fatal(err)
				}
				if keep && !bytes.Equal(data, onDisk) {
					t.Error("the zip kept in memory is not the file written")
				}
				if !keep && data != nil {
					t.Error("bytes returned without keep")
				}
				h := sha256.Sum256(onDisk)
				if want := base64.StdEncoding.EncodeToString(h[:]); sum != want || size != int64(len(onDisk)) {
					t.Errorf("keep=%v: sum %s size %d, want %s %d", keep, sum, size, want, len(onDisk))
				}
				if len(z.sums) != 2 {
					t.Errorf("keep=%v: %d entries zipped, want 2", keep, len(z.sums))
				}
				sums, files = append(sums, sum), append(files, onDisk)
			}
			if sums[0] != sums[1] || !bytes.Equal(files[0], files[1]) {
				t.Error("kept and streamed zips differ")
			}
		})
	}
}
