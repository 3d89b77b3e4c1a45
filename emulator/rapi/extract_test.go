package rapi

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/base64"
	"errors"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExtractZip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		entries []zipEntry
		wantErr error
		// want maps extracted paths to their mode and content ("->target" for links).
		want map[string]string
	}{
		{
			name: "files, dirs, exec bits and an inner symlink",
			entries: []zipEntry{
				{name: "bootstrap", mode: 0o755, data: []byte("#!bin")},
				{name: "conf/", mode: fs.ModeDir | 0o755},
				{name: "conf/app.yaml", mode: 0o600, data: []byte("a: 1")},
				{name: "templates/mail.txt", mode: 0o644, data: []byte("hi")},
				{name: "templates/current", mode: fs.ModeSymlink | 0o777, data: []byte("../conf/app.yaml")},
				{name: "./dot/x", mode: 0o744, data: []byte("x")},
			},
			want: map[string]string{
				"bootstrap":          "-rwxr-xr-x #!bin",
				"conf":               "drwxr-xr-x",
				"conf/app.yaml":      "-rw-r--r-- a: 1",
				"templates":          "drwxr-xr-x",
				"templates/mail.txt": "-rw-r--r-- hi",
				"templates/current":  "->../conf/app.yaml",
				"dot":                "drwxr-xr-x",
				"dot/x":              "-rwxr-xr-x x",
			},
		},
		{name: "dot-dot", entries: []zipEntry{{name: "../evil", mode: 0o644, data: []byte("x")}}, wantErr: ErrUnsafePath},
		{name: "dot-dot inside", entries: []zipEntry{{name: "a/../../evil", mode: 0o644, data: []byte("x")}}, wantErr: ErrUnsafePath},
		{name: "absolute", entries: []zipEntry{{name: "/tmp/evil", mode: 0o644, data: []byte("x")}}, wantErr: ErrUnsafePath},
		{name: "windows absolute", entries: []zipEntry{{name: `C:\evil`, mode: 0o644, data: []byte("x")}}, wantErr: ErrUnsafePath},
		{name: "backslash dot-dot", entries: []zipEntry{{name: `..\evil`, mode: 0o644, data: []byte("x")}}, wantErr: ErrUnsafePath},
		{name: "symlink to absolute", entries: []zipEntry{{name: "etc", mode: fs.ModeSymlink | 0o777, data: []byte("/etc")}}, wantErr: ErrUnsafePath},
		{name: "symlink escaping", entries: []zipEntry{{name: "a/up", mode: fs.ModeSymlink | 0o777, data: []byte("../../x")}}, wantErr: ErrUnsafePath},
		{name: "honest size over the limit", entries: []zipEntry{{name: "big", mode: 0o644, data: make([]byte, 2048)}}, wantErr: ErrTooLarge},
		{name: "sum of files over the limit", entries: []zipEntry{
			{name: "a", mode: 0o644, data: make([]byte, 600)},
			{name: "b", mode: 0o644, data: make([]byte, 600)},
		}, wantErr: ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmp := t.TempDir()
			zp := filepath.Join(tmp, "code.zip")
			if err := writeZip(zp, tt.entries); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(tmp, "out")
			err := ExtractZip(zp, dir, 1024)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("ExtractZip error = %v, want %v", err, tt.wantErr)
				}
				if _, err := os.Lstat(filepath.Join(tmp, "evil")); err == nil {
					t.Errorf("an entry escaped the target dir")
				}
				return
			}
			if err != nil {
				t.Fatalf("ExtractZip: %v", err)
			}
			if diff := cmp.Diff(tt.want, listTree(t, dir)); diff != "" {
				t.Errorf("extracted tree (-want +got):\n%s", diff)
			}
		})
	}
}

func listTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			got[filepath.ToSlash(rel)] = "->" + target
		case info.IsDir():
			got[filepath.ToSlash(rel)] = info.Mode().String()
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			got[filepath.ToSlash(rel)] = info.Mode().String() + " " + string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestExtractZipLyingHeader: a bomb whose header claims 10 bytes but which
// inflates to 4 MB must stop near the limit, counting real bytes.
func TestExtractZipLyingHeader(t *testing.T) {
	t.Parallel()
	payload := make([]byte, 4<<20)
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestSpeed)
	fw.Write(payload)
	fw.Close()

	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bomb", Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(payload),
		CompressedSize64: uint64(comp.Len()), UncompressedSize64: 10}
	h.SetMode(0o644)
	w, err := zw.CreateRaw(h)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(comp.Bytes())
	zw.Close()
	tmp := t.TempDir()
	zp := filepath.Join(tmp, "bomb.zip")
	if err := os.WriteFile(zp, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(tmp, "out")
	const limit = 256 << 10
	err = ExtractZip(zp, dir, limit)
	if err == nil {
		t.Fatalf("ExtractZip of a lying bomb succeeded")
	}
	if st, serr := os.Stat(filepath.Join(dir, "bomb")); serr == nil && st.Size() > limit+1 {
		t.Errorf("wrote %d bytes past a %d limit", st.Size(), limit)
	}
}

func TestExtractZipNotAZip(t *testing.T) {
	t.Parallel()
	zp := filepath.Join(t.TempDir(), "x.zip")
	os.WriteFile(zp, []byte("not a zip"), 0o644)
	if err := ExtractZip(zp, t.TempDir(), 0); err == nil || !strings.Contains(err.Error(), "x.zip") {
		t.Errorf("error = %v, want one naming the file", err)
	}
}

func TestTailLog(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 10, 4096, 5000} {
		logs := bytes.Repeat([]byte("a"), n)
		if n > 0 {
			logs[n-1] = 'z'
		}
		b, err := base64.StdEncoding.DecodeString(TailLog(logs))
		if err != nil {
			t.Fatal(err)
		}
		if want := min(n, 4096); len(b) != want || !bytes.HasSuffix(logs, b) {
			t.Errorf("TailLog(%d bytes) decoded to %d bytes, want the last %d", n, len(b), want)
		}
	}
}

func FuzzEntryName(f *testing.F) {
	for _, s := range []string{"bootstrap", "a/b", "../x", "/abs", "a/../b", "./x", "a//b", `a\..\b`, "C:x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, n string) {
		got, err := entryName(n)
		if err != nil || got == "" {
			return
		}
		if !filepath.IsLocal(got) {
			t.Errorf("entryName(%q) = %q, not local", n, got)
		}
	})
}
