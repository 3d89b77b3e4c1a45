package auth

import (
	"errors"
	"testing"
)

func TestFromHeader(t *testing.T) {
	good := Sign("u-1", "s3cret")
	tests := []struct {
		name    string
		header  string
		want    string
		wantErr error
	}{
		{"valid", "Bearer " + good, "u-1", nil},
		{"lowercase scheme", "bearer " + good, "u-1", nil},
		{"missing", "", "", ErrMissing},
		{"wrong scheme", "Basic " + good, "", ErrInvalid},
		{"no signature", "Bearer u-1", "", ErrInvalid},
		{"tampered user", "Bearer u-2" + good[3:], "", ErrInvalid},
		{"other secret", "Bearer " + Sign("u-1", "other"), "", ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FromHeader(tt.header, "s3cret")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("FromHeader error = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("FromHeader = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSecret(t *testing.T) {
	t.Setenv("AUTH_SECRET", "")
	if got := Secret(); got != DevSecret {
		t.Errorf("Secret() = %q, want DevSecret", got)
	}
	t.Setenv("AUTH_SECRET", "x")
	if got := Secret(); got != "x" {
		t.Errorf("Secret() = %q, want x", got)
	}
}
