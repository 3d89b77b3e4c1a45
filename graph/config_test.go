package graph

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestConfigReasons: every configuration field of a manifest entry is
// compared, fields unknown today included; build fields are left to the
// fingerprint; values of environment, secret and parameter fields are
// never shown.
func TestConfigReasons(t *testing.T) {
	t.Parallel()
	before := `{"name": "a", "key": "a", "package": "./functions/a", "dir": "functions/a", "runtime": "provided.al2023",
		"architecture": "arm64", "memory": 128, "timeout": 3,
		"environment": {"TABLE": "orders-secret", "GONE": "x", "MOVED": "literal"},
		"env_refs": {"DB": {"ssm": "/prod/db/url-secret"}},
		"tags": {"team": "core"},
		"build": {"ldflags": "-X a=1"}, "files": ["a.json"],
		"rollout": {"steps": [10, 100], "max_errors": 1},
		"secret_arns": ["arn:aws:secretsmanager:x:1:secret:s1"],
		"http": {"routes": ["GET /a"]}}`
	after := `{"name": "a", "key": "a", "package": "./functions/b", "dir": "functions/b", "runtime": "provided.al2",
		"architecture": "x86_64", "memory": 512, "timeout": 3,
		"environment": {"TABLE": "orders-secret-2", "NEW": "y"},
		"env_refs": {"DB": {"ssm": "/prod/db/url-secret-2"}, "MOVED": {"secret": "s"}},
		"tags": {"team": "payments", "cost": "c1"},
		"build": {"ldflags": "-X a=2"}, "files": ["b.json"],
		"rollout": {"steps": [25, 100], "max_errors": 1},
		"secret_arns": ["arn:aws:secretsmanager:x:1:secret:s2"],
		"http": {"routes": ["GET /a"]},
		"manage": "code"}`
	got := configReasons(configEntryJSON([]byte(before)), configEntryJSON([]byte(after)))
	want := []string{
		"config: environment DB changed (value hidden)",
		"config: environment GONE removed (value hidden)",
		"config: environment MOVED changed (value hidden)",
		"config: environment NEW added (value hidden)",
		"config: environment TABLE changed (value hidden)",
		"config: manage (none) → code",
		"config: memory 128 → 512",
		"config: rollout steps [10,100] → [25,100]",
		"config: runtime provided.al2023 → provided.al2",
		"config: secret_arns changed (value hidden)",
		"config: tags cost (none) → c1",
		"config: tags team core → payments",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reasons (-want +got):\n%s", diff)
	}
	for _, v := range configEntryJSON([]byte(after)) {
		if strings.Contains(v, "secret") {
			t.Errorf("a hidden value is kept: %q", v)
		}
	}
	if r := configReasons(configEntryJSON([]byte(before)), configEntryJSON([]byte(before))); r != nil {
		t.Errorf("equal entries: %q", r)
	}
}
