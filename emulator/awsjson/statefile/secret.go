package statefile

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/lambctl/lamb/internal/fsutil"
)

// Secret values (SecureString parameters, Secrets Manager's values) are
// sealed in the state files with a key kept beside them in KeyFile (mode
// 0600), so that they do not show in clear in a backup, a grep or a paste
// of the state directory. This is not protection against the user: the
// key sits in the same directory (there is no KMS locally).

// KeyFile is the file in a state directory that holds the key sealing its
// secret values.
const KeyFile = "secrets.key"

// keySize is the key's length: AES-256.
const keySize = 32

// sealedPrefix marks a sealed value and its format: AES-256-GCM, the nonce
// then the ciphertext, base64.
const sealedPrefix = "sealed:v1:"

// ErrWrongKey reports sealed values the state directory's key does not
// open: the key file was replaced or deleted after they were written.
var ErrWrongKey = errors.New("sealed with another key")

// Key seals and opens the secret values of a state directory's files.
type Key struct {
	aead cipher.AEAD
	path string // "" for a key of this process only
}

// LoadKey returns the key of dir (dir/KeyFile), creating it the first
// time: 32 random bytes, mode 0600, written so that two processes racing
// to create it end with one key. dir "" gives a key of this process only,
// written nowhere (state in memory needs no sealing, but gets it alike).
func LoadKey(dir string) (*Key, error) {
	if dir == "" {
		k := make([]byte, keySize)
		rand.Read(k)
		return newKey(k, "")
	}
	path := filepath.Join(dir, KeyFile)
	b, err := fsutil.ReadRegular(path, keySize+1)
	if errors.Is(err, fs.ErrNotExist) {
		b, err = createKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("statefile: %w", PathError("key", path, err))
	}
	if len(b) != keySize {
		return nil, fmt.Errorf("statefile: key %s: %d bytes, want %d (delete it and the state files it seals to start afresh)", DisplayPath(path), len(b), keySize)
	}
	return newKey(b, path)
}

// createKey writes a new key at path unless one appears there first (a
// temporary file linked into place), and returns the key at path.
func createKey(path string) ([]byte, error) {
	k := make([]byte, keySize)
	rand.Read(k)
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, ".tmp-key-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(k)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	if err := os.Link(f.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	return fsutil.ReadRegular(path, keySize+1)
}

func newKey(k []byte, path string) (*Key, error) {
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, fmt.Errorf("statefile: key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("statefile: key: %w", err)
	}
	return &Key{aead: aead, path: path}, nil
}

// Secret is a secret value of a state: in clear in memory (Clear), sealed
// with a Key in the file. Its JSON is the sealed form only; a Secret read
// from JSON holds nothing in clear until Key.Open.
type Secret struct {
	clear  string
	sealed string
}

// Seal returns clear as a Secret sealed with k.
func (k *Key) Seal(clear string) Secret {
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(clear)+k.aead.Overhead())
	rand.Read(nonce)
	return Secret{clear: clear, sealed: sealedPrefix + base64.RawStdEncoding.EncodeToString(k.aead.Seal(nonce, nonce, []byte(clear), nil))}
}

// Open sets s's clear value from its sealed form. A value sealed with
// another key is ErrWrongKey; the error never quotes the value.
func (k *Key) Open(s *Secret) error {
	enc, ok := strings.CutPrefix(s.sealed, sealedPrefix)
	if !ok {
		return errors.New("statefile: a secret value is not sealed")
	}
	b, err := base64.RawStdEncoding.DecodeString(enc)
	if err != nil || len(b) < k.aead.NonceSize() {
		return errors.New("statefile: a sealed secret value is malformed")
	}
	n := k.aead.NonceSize()
	clear, err := k.aead.Open(nil, b[:n], b[n:], nil)
	if err != nil {
		if k.path != "" {
			return fmt.Errorf("statefile: secret values %w than %s (was it replaced or deleted?)", ErrWrongKey, DisplayPath(k.path))
		}
		return fmt.Errorf("statefile: secret values %w", ErrWrongKey)
	}
	s.clear = string(clear)
	return nil
}

// Clear is the value in clear.
func (s Secret) Clear() string { return s.clear }

// MarshalJSON writes the sealed form; a Secret that was never sealed is an
// error, so that no value reaches a file in clear.
func (s Secret) MarshalJSON() ([]byte, error) {
	if s.sealed == "" {
		return nil, errors.New("statefile: a secret value was not sealed")
	}
	return json.Marshal(s.sealed)
}

// UnmarshalJSON reads the sealed form (Key.Open opens it).
func (s *Secret) UnmarshalJSON(b []byte) error {
	*s = Secret{}
	return json.Unmarshal(b, &s.sealed)
}
