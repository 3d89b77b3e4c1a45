package statefile

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

type sealedState struct {
	Values map[string]Secret `json:"values"`
}

// TestSealedSecrets: a secret value is sealed in the file, opens after a
// restart with the directory's key, and refuses another key without
// quoting anything.
func TestSealedSecrets(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	k, err := LoadKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != keySize {
		t.Fatalf("key file: %v %v", fi, err)
	}
	values := map[string]string{"s": "hunter2", "empty": "", "binary": "\x00\xff\n"}
	st := sealedState{Values: map[string]Secret{}}
	for name, v := range values {
		st.Values[name] = k.Seal(v)
	}
	path := filepath.Join(dir, "s.json")
	if err := Save(path, st); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if strings.Contains(string(b), "hunter2") {
		t.Errorf("the file holds a value in clear:\n%s", b)
	}

	k2, err := LoadKey(dir) // a restart
	if err != nil {
		t.Fatal(err)
	}
	var got sealedState
	if _, err := Load(path, &got); err != nil {
		t.Fatal(err)
	}
	for name, want := range values {
		s := got.Values[name]
		if s.Clear() != "" {
			t.Errorf("%s is in clear before Open", name)
		}
		if err := k2.Open(&s); err != nil || s.Clear() != want {
			t.Errorf("Open %s: %q, %v", name, s.Clear(), err)
		}
	}

	// Another directory's key does not open them.
	other, err := LoadKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := got.Values["s"]
	err = other.Open(&s)
	if !errors.Is(err, ErrWrongKey) || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), KeyFile) {
		t.Errorf("Open with another key: %v", err)
	}
}

// TestSecretNeverInClear: a Secret that was never sealed does not marshal,
// and what is not sealed does not open.
func TestSecretNeverInClear(t *testing.T) {
	t.Parallel()
	if b, err := json.Marshal(sealedState{Values: map[string]Secret{"x": {clear: "hunter2"}}}); err == nil {
		t.Errorf("an unsealed Secret marshals: %s", b)
	}
	k, _ := LoadKey("")
	for _, sealed := range []string{`"hunter2"`, `"sealed:v1:!!"`, `"sealed:v1:AAAA"`} {
		var s Secret
		if err := json.Unmarshal([]byte(sealed), &s); err != nil {
			t.Fatal(err)
		}
		if err := k.Open(&s); err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(%s): %v", sealed, err)
		}
	}
}

// TestLoadKeyRace: processes (here goroutines) creating a directory's key
// at once end with one key.
func TestLoadKeyRace(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keys := make([]*Key, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, err := LoadKey(dir)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	sealed := keys[0].Seal("v")
	for i, k := range keys {
		s := sealed
		if err := k.Open(&s); err != nil {
			t.Errorf("key %d differs: %v", i, err)
		}
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("files left: %v", ents)
	}
}

// TestBadKeyFile: a key file of the wrong size is an error naming it.
func TestBadKeyFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, KeyFile), []byte("short"), 0o600)
	if _, err := LoadKey(dir); err == nil || !strings.Contains(err.Error(), KeyFile) {
		t.Errorf("LoadKey of a short key: %v", err)
	}
}
