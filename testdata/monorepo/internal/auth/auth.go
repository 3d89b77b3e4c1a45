// Package auth issues and verifies bearer tokens of the form
// "<user>.<hex HMAC-SHA256(user, secret)>".
//
// The secret comes from AUTH_SECRET; when unset, DevSecret is used so the
// sample works locally. With DevSecret, the token for user "u-1" is
// Sign("u-1", DevSecret).
package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"strings"
)

// DevSecret is the signing secret used when AUTH_SECRET is unset.
const DevSecret = "dev-secret"

// Anonymous is the caller of a request without an Authorization header.
const Anonymous = "anonymous"

var (
	// ErrMissing means the request has no Authorization header.
	ErrMissing = errors.New("auth: missing bearer token")
	// ErrInvalid means the token is malformed or its signature is wrong.
	ErrInvalid = errors.New("auth: invalid bearer token")
)

// Secret returns AUTH_SECRET, or DevSecret when it is unset.
func Secret() string {
	if s := os.Getenv("AUTH_SECRET"); s != "" {
		return s
	}
	return DevSecret
}

// Sign returns the token for user.
func Sign(user, secret string) string {
	return user + "." + mac(user, secret)
}

// Verify checks token and returns its user.
func Verify(token, secret string) (string, error) {
	user, sig, ok := strings.Cut(token, ".")
	if !ok || user == "" || sig == "" {
		return "", ErrInvalid
	}
	if !hmac.Equal([]byte(sig), []byte(mac(user, secret))) {
		return "", ErrInvalid
	}
	return user, nil
}

// FromHeader verifies the value of an Authorization header ("Bearer <token>").
// An empty header gives ErrMissing.
func FromHeader(header, secret string) (string, error) {
	if header == "" {
		return "", ErrMissing
	}
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return "", ErrInvalid
	}
	return Verify(strings.TrimSpace(token), secret)
}

func mac(user, secret string) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(user))
	return hex.EncodeToString(h.Sum(nil))
}
