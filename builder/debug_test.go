package builder

import (
	"context"
	"debug/buildinfo"
	"debug/elf"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// binaryFacts unzips the bootstrap of a and says how it was built.
func binaryFacts(t *testing.T, a Artifact) map[string]string {
	t.Helper()
	dir := t.TempDir()
	unzip(t, a.Path, dir)
	bin := filepath.Join(dir, "bootstrap")
	bi, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	facts := map[string]string{}
	for _, s := range bi.Settings {
		if s.Key == "-gcflags" { // -trimpath leaves -ldflags out
			facts[s.Key] = s.Value
		}
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for fact, section := range map[string]string{"dwarf": ".debug_info", "symbols": ".symtab"} {
		facts[fact] = "no"
		if f.Section(section) != nil {
			facts[fact] = "yes"
		}
	}
	return facts
}

// TestDebugBuild: Options.Debug builds without -s -w and with
// -gcflags=all=-N -l, into its own dist directory and cache keys: a debug
// zip never stands in for a release zip of the same fingerprint, nor the
// other way round.
func TestDebugBuild(t *testing.T) {
	t.Parallel()
	m := monorepo(t)
	ts := targets(t, m, "worker")
	cacheDir := t.TempDir()
	build := func(debug bool) Artifact {
		t.Helper()
		arts, err := New(Options{Root: m.Root, CacheDir: cacheDir, Debug: debug}).Build(context.Background(), ts)
		if err != nil {
			t.Fatal(err)
		}
		return arts[0]
	}
	rel := build(false)
	dbg := build(true)
	if dbg.Cached || dbg.CodeSha256 == rel.CodeSha256 {
		t.Errorf("debug build = %+v, release %+v", dbg, rel)
	}
	if want := filepath.Join(m.Root, ".lamb", "dist-debug", "worker.zip"); dbg.Path != want {
		t.Errorf("debug zip at %s, want %s", dbg.Path, want)
	}
	tests := []struct {
		name string
		a    Artifact
		want map[string]string
	}{
		{"release", rel, map[string]string{"dwarf": "no", "symbols": "no"}},
		{"debug", dbg, map[string]string{"-gcflags": "all=-N -l", "dwarf": "yes", "symbols": "yes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, binaryFacts(t, tt.a)); diff != "" {
				t.Errorf("binary (-want +got):\n%s", diff)
			}
		})
	}
	// Each is up to date in its own dist directory.
	if a := build(false); !a.Cached || a.CodeSha256 != rel.CodeSha256 {
		t.Errorf("release again = %+v", a)
	}
	if a := build(true); !a.Cached || a.CodeSha256 != dbg.CodeSha256 {
		t.Errorf("debug again = %+v", a)
	}
}
