package graph

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lambctl/lamb/manifest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestAffectedJSONGolden pins the JSON of `lamb affected -o json`, with the
// base SHA and fingerprints replaced by placeholders.
func TestAffectedJSONGolden(t *testing.T) {
	isolateCache(t)
	dir := newRepo(t, map[string]string{
		"lamb.yaml": `version: 1
defaults:
  runtime: provided.al2023
  architecture: arm64
functions:
  a:
    package: ./functions/a
  b:
    package: ./functions/b
    files: [config/rates.json]
  old:
    package: ./functions/b
  d:
    package: ./functions/d
    memory: 128
    environment:
      TABLE: orders
`,
		"functions/d/main.go":      "package main\n\nfunc main() {}\n",
		"functions/b/static/t.txt": "t\n",
		"functions/b/main.go":      "package main\n\nimport _ \"embed\"\n\n//go:embed static/t.txt\nvar t string\n\nfunc main() { println(t) }\n",
	})
	gitInit(t, dir)
	gitCommit(t, dir, "base")
	writeFiles(t, dir, map[string]string{
		"lamb.yaml": `version: 1
defaults:
  runtime: provided.al2023
  architecture: arm64
functions:
  a:
    package: ./functions/a
  b:
    package: ./functions/b
    files: [config/rates.json]
  c:
    package: ./functions/c
  d:
    package: ./functions/d
    memory: 512
    timeout: 30
    environment:
      TABLE: orders-v2
      QUEUE: jobs
`,
		"functions/c/main.go":       "package main\n\nfunc main() {}\n",
		"functions/b/static/t.txt":  "T\n",
		"config/rates.json":         "{\"eur\": 1}\n",
		"internal/shared/shared.go": "package shared\n\nfunc Greet() string { return \"hi\" }\n",
	})
	m, err := manifest.Load(filepath.Join(dir, "lamb.yaml"), manifest.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Affected(context.Background(), m, "HEAD", m.Functions)
	if err != nil {
		t.Fatal(err)
	}
	res.Base = "<base>"
	for i := range res.Functions {
		res.Functions[i].Fingerprint = "<fingerprint>"
	}
	var buf bytes.Buffer
	if err := res.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"orders-v2", "jobs"} {
		if bytes.Contains(buf.Bytes(), []byte(secret)) {
			t.Errorf("environment value %q in the JSON", secret)
		}
	}
	golden := filepath.Join("testdata", "affected.golden")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), buf.String()); diff != "" {
		t.Errorf("affected JSON (-want +got):\n%s", diff)
	}
}
