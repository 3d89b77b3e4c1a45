package emulator

import (
	"crypto/sha256"
	"encoding/base64"
	"testing"
)

// TestPackageSha256: a CodeSha256 an in-process caller hands over is taken
// as it is (only its form checked), and checked against the package when
// verifying, as test binaries do; without one the package is hashed.
func TestPackageSha256(t *testing.T) {
	zip := []byte("PK\x03\x04 a package")
	sum := sha256.Sum256(zip)
	right := base64.StdEncoding.EncodeToString(sum[:])
	other := sha256.Sum256([]byte("another"))
	wrong := base64.StdEncoding.EncodeToString(other[:])
	tests := []struct {
		name   string
		known  string
		verify bool
		want   string
		err    bool
	}{
		{"hashed here", "", false, right, false},
		{"hashed here, verifying", "", true, right, false},
		{"taken", right, false, right, false},
		{"taken unchecked", wrong, false, wrong, false},
		{"not a SHA-256", "AAAA", false, "", true},
		{"checked", right, true, right, false},
		{"checked and wrong", wrong, true, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := packageSha256(zip, tt.known, tt.verify)
			if (err != nil) != tt.err || got != tt.want {
				t.Errorf("packageSha256(%q, verify %v) = %q, %v; want %q, error %v", tt.known, tt.verify, got, err, tt.want, tt.err)
			}
		})
	}
}
