package builder

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkZipBootstrap zips a 6.6 MB bootstrap (the size of the sample's)
// as zipJob does after a build: read once, then written deflated (lamb
// build) or stored (lamb dev).
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
	for _, stored := range []bool{false, true} {
		name := "deflated"
		if stored {
			name = "stored"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				f, err := loadZipFile(ZipFile{Name: "bootstrap", Src: src, Mode: 0o755})
				if err != nil {
					b.Fatal(err)
				}
				if _, _, _, err := writeZipFile(context.Background(), filepath.Join(dir, "out.zip"), []ZipFile{f}, defaultEpoch, stored); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
