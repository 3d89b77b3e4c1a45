package builder

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkZipBootstrap zips a 6.6 MB bootstrap (the size of the sample's)
// as zipJob does after a build: read once, then written deflated (lamb
// build), stored, or stored and kept in memory for the deploy (lamb dev).
func BenchmarkZipBootstrap(b *testing.B) {
	dir := b.TempDir()
	src := filepath.Join(dir, "bootstrap")
	data := make([]byte, 6600000)
	for i := range data {
		data[i] = byte(i*7) ^ byte(i>>9) // compresses a little, like code
	}
	if err := os.WriteFile(src, data, 0o755); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name         string
		stored, kept bool
	}{
		{"deflated", false, false},
		{"stored", true, false},
		// lamb dev: stored, made in memory and handed to the deploy, the
		// binary not hashed (the zip's SHA-256 identifies it).
		{"stored-kept", true, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				f, err := loadZipFile(ZipFile{Name: "bootstrap", Src: src, Mode: 0o755}, !c.kept)
				if err != nil {
					b.Fatal(err)
				}
				if _, _, _, _, err := writeZipFile(context.Background(), filepath.Join(dir, "out.zip"), []ZipFile{f}, defaultEpoch, c.stored, c.kept); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
