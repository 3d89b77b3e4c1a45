package graph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/lambctl/lamb/internal/failure"
	"github.com/lambctl/lamb/internal/gitwt"
	"github.com/lambctl/lamb/manifest"
)

// ErrRefNotFound reports that the ref given to Affected is not a commit of
// the repository (a typo, or history missing in a shallow clone).
var ErrRefNotFound = errors.New("git ref not found")

// ErrNotGitRepo reports that the manifest is not inside a git work tree.
var ErrNotGitRepo = errors.New("not a git repository")

// AffectedResult is the outcome of Affected.
type AffectedResult struct {
	// Base is the merge-base of REF and HEAD: the state compared against.
	Base string `json:"base"`
	// Functions are the affected functions, in the order given to Affected.
	Functions []AffectedFunction `json:"functions"`
	// Removed are the functions of the base's manifest that the current
	// manifest no longer has, sorted.
	Removed []string `json:"removed"`
	// Warnings are things the user should know (e.g. the base manifest could
	// not be read, so nothing is listed as removed).
	Warnings []string `json:"warnings,omitempty"`
	// Prints are the working tree's prints of every function considered,
	// affected or not, in the order given to Affected: build, plan and
	// deploy use them instead of fingerprinting again. A function that
	// could not be fingerprinted has only its Function set.
	Prints []Print `json:"-"`
}

// AffectedFunction is one affected function and why.
type AffectedFunction struct {
	Name        string `json:"name"`
	Package     string `json:"package"`
	Fingerprint string `json:"fingerprint"`
	// Code reports that what the function's zip is built from changed
	// (its fingerprint differs, or it is new): it must be built. False
	// when only its configuration changed (memory, environment, role...):
	// a deploy updates the configuration, there is nothing to build.
	Code bool `json:"code"`
	// Reasons say why: the code reasons first, then the configuration
	// reasons, which start with "config: ". Each part is sorted.
	Reasons []string `json:"reasons"`
}

// ConfigPrefix starts every configuration reason.
const ConfigPrefix = "config: "

// basePrint is the fingerprint of a function at the base commit.
type basePrint struct {
	Print
	New           bool   `json:"new,omitempty"`             // package absent at base
	NotInManifest bool   `json:"not_in_manifest,omitempty"` // the base manifest has no such function
	Err           string `json:"err,omitempty"`             // could not be fingerprinted at base
}

// baseState is what Affected computes at the base commit, and caches.
type baseState struct {
	Prints []basePrint `json:"prints"`
	// Manifest reports whether the base has a manifest at the same path
	// that loads; Names are its function names (stage applied) and Entries
	// their configuration (configEntry), by name.
	Manifest bool                         `json:"manifest"`
	Names    []string                     `json:"names,omitempty"`
	Entries  map[string]map[string]string `json:"entries,omitempty"`
	Warning  string                       `json:"warning,omitempty"`
}

// Affected compares the working tree (committed or not) with the merge-base
// of ref and HEAD and returns the functions of fns that changed, with
// reasons: their fingerprint differs (code), or their resolved manifest
// entry does (configuration). Each side is fingerprinted with its own
// manifest's build settings; when the base has no readable manifest at the
// same path, with the current one's. The base is checked out in a
// temporary git worktree, removed afterwards, and what Affected needs of it
// is cached in the user cache directory by commit.
//
// When some functions cannot be fingerprinted in the working tree,
// Affected returns the result for the others and an error listing the
// failures (*failure.Error each, aggregated by failure.Append); other
// errors return no result.
func Affected(ctx context.Context, m *manifest.Manifest, ref string, fns []manifest.Function) (*AffectedResult, error) {
	return AffectedWith(ctx, m, ref, fns, nil)
}

// AffectedWith is Affected with the working tree's prints of fns already
// computed: head[i] is the print of fns[i] (from Fingerprints, or the
// Prints of a previous AffectedResult); nil computes them. Only the base is
// then loaded (nothing at all when it is cached).
func AffectedWith(ctx context.Context, m *manifest.Manifest, ref string, fns []manifest.Function, head []Print) (*AffectedResult, error) {
	if head != nil && len(head) != len(fns) {
		return nil, fmt.Errorf("affected: %d prints for %d functions", len(head), len(fns))
	}
	top, err := gitwt.Git(ctx, m.Root, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrNotGitRepo, m.Root, err)
	}
	base, err := resolveBase(ctx, top, ref)
	if err != nil {
		return nil, err
	}
	cur := head
	var headErr error
	if cur == nil {
		cur, headErr = Fingerprints(ctx, m, fns)
	} else {
		for i, p := range cur {
			if p.Fingerprint == "" {
				headErr = failure.Append(nil, headErr, fail(fns[i].Name, errors.New("no fingerprint")))
			}
		}
	}
	if headErr != nil {
		for _, e := range failure.Flatten(headErr) {
			if _, ok := failure.FunctionOf(e); !ok {
				return nil, headErr
			}
		}
	}
	relRoot, err := gitwt.RelPath(top, m.Root)
	if err != nil {
		return nil, err
	}
	relManifest := ""
	if m.Path != "" {
		if relManifest, err = gitwt.RelPath(m.Root, m.Path); err != nil {
			return nil, err
		}
	}
	stage := ""
	if m.Stage != nil {
		stage = m.Stage.Name
	}
	key := cacheKey(base, relRoot, relManifest, stage, fns, cur)
	bs, ok := readCache(key)
	if !ok || len(bs.Prints) != len(fns) {
		if bs, err = computeBase(ctx, top, base, relRoot, relManifest, stage, fns); err != nil {
			return nil, err
		}
		writeCache(key, bs)
	}

	res := &AffectedResult{Base: base, Functions: []AffectedFunction{}, Removed: []string{}, Prints: cur}
	if bs.Warning != "" {
		res.Warnings = append(res.Warnings, bs.Warning)
	}
	for i, f := range fns {
		if cur[i].Fingerprint == "" {
			continue // its failure is in headErr
		}
		old := bs.Prints[i]
		var code []string
		switch {
		case old.NotInManifest:
			code = []string{"new in the manifest"}
		case old.New:
			code = []string{"new function"}
		case old.Err != "":
			code = []string{"could not fingerprint at base: " + old.Err}
		case old.Fingerprint != cur[i].Fingerprint:
			code = Diff(old.Print, cur[i])
		}
		var config []string
		if e, ok := bs.Entries[f.Name]; ok && bs.Manifest {
			config = configReasons(e, configEntry(f))
		}
		if len(code)+len(config) > 0 {
			res.Functions = append(res.Functions, AffectedFunction{
				Name: f.Name, Package: cur[i].Package, Fingerprint: cur[i].Fingerprint,
				Code: len(code) > 0, Reasons: append(code, config...),
			})
		}
	}
	now := map[string]bool{}
	for _, f := range m.Functions {
		now[f.Name] = true
	}
	for _, n := range bs.Names {
		if !now[n] {
			res.Removed = append(res.Removed, n)
		}
	}
	sort.Strings(res.Removed)
	return res, headErr
}

// resolveBase returns the merge-base of ref and HEAD in the repository at
// top, or an ErrRefNotFound that says what to do: commit first in a
// repository without commits, fetch more history in a shallow clone, check
// the name otherwise.
func resolveBase(ctx context.Context, top, ref string) (string, error) {
	if head, err := gitwt.Git(ctx, top, "rev-parse", "--verify", "--quiet", "HEAD^{commit}"); err != nil || head == "" {
		return "", fmt.Errorf("%w: %q: the repository %s has no commits yet; affected compares the working tree with a commit: commit first", ErrRefNotFound, ref, top)
	}
	shallow, _ := gitwt.Git(ctx, top, "rev-parse", "--is-shallow-repository")
	const fetch = "fetch more history (git fetch --deepen=100, or fetch-depth: 0 in CI)"
	sha, err := gitwt.Git(ctx, top, "rev-parse", "--verify", "--quiet", "--end-of-options", ref+"^{commit}")
	if err != nil || sha == "" {
		if shallow == "true" {
			return "", fmt.Errorf("%w: %q is not a commit in %s, a shallow clone: %s", ErrRefNotFound, ref, top, fetch)
		}
		return "", fmt.Errorf("%w: %q is not a commit in %s; check the name (git branch -a / git tag)", ErrRefNotFound, ref, top)
	}
	base, err := gitwt.Git(ctx, top, "merge-base", sha, "HEAD")
	if err != nil || base == "" {
		if shallow == "true" {
			return "", fmt.Errorf("%w: no merge base of %q and HEAD in %s, a shallow clone: %s", ErrRefNotFound, ref, top, fetch)
		}
		return "", fmt.Errorf("%w: %q and HEAD have no common history in %s (no merge base)", ErrRefNotFound, ref, top)
	}
	return base, nil
}

// testHookWorktree, when set by a test, runs once the base worktree exists.
var testHookWorktree func(dir string)

// computeBase fingerprints fns at commit base in a temporary worktree,
// each with the base manifest's settings when the base has the manifest.
func computeBase(ctx context.Context, top, base, relRoot, relManifest, stage string, fns []manifest.Function) (bs *baseState, err error) {
	w, err := gitwt.Checkout(ctx, top, base)
	if err != nil {
		return nil, fmt.Errorf("base: %w", err)
	}
	defer w.Close() // even when ctx is cancelled (Ctrl-C)
	wt := w.Dir
	if testHookWorktree != nil {
		testHookWorktree(wt)
	}
	root := w.Path(relRoot)
	bs = &baseState{Prints: make([]basePrint, len(fns))}
	// Which function is built how at base: the base manifest's entry of
	// the same name; the current one when the base has no manifest.
	todo, idx := fns, make([]int, len(fns))
	for i := range idx {
		idx[i] = i
	}
	if relManifest != "" {
		path := filepath.Join(root, filepath.FromSlash(relManifest))
		if _, err := os.Lstat(path); err == nil {
			old, err := manifest.Load(path, manifest.LoadOptions{Stage: stage})
			if err != nil {
				bs.Warning = fmt.Sprintf("manifest at base %.12s not readable, no function is listed as removed and configuration is not compared: %v", base, w.Scrub(err.Error()))
			} else {
				bs.Manifest = true
				bs.Entries = map[string]map[string]string{}
				byName := map[string]manifest.Function{}
				for _, f := range old.Functions {
					bs.Names = append(bs.Names, f.Name)
					bs.Entries[f.Name] = configEntry(f)
					byName[f.Name] = f
				}
				todo, idx = nil, nil
				for i, f := range fns {
					bf, ok := byName[f.Name]
					if !ok {
						bs.Prints[i].NotInManifest = true
						continue
					}
					todo = append(todo, bf)
					idx = append(idx, i)
				}
			}
		}
	}
	prints, err := fingerprints(ctx, root, todo, w.GoEnv())
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	for j, i := range idx {
		bs.Prints[i].Print = prints[j]
	}
	for _, e := range failure.Flatten(err) {
		var fe *failure.Error
		if !errors.As(e, &fe) {
			return nil, err
		}
		j := indexOf(todo, fe.Function)
		if j < 0 {
			continue
		}
		i := idx[j]
		if errors.Is(fe, ErrPackageNotFound) {
			bs.Prints[i].New = true
		} else {
			bs.Prints[i].Err = w.Scrub(fe.Err.Error())
		}
	}
	return bs, nil
}

func indexOf(fns []manifest.Function, name string) int {
	for i, f := range fns {
		if f.Name == name {
			return i
		}
	}
	return -1
}

// cacheKey names the base state: the commit, where the manifest is, and
// every setting of the current side that the base side is computed with.
func cacheKey(base, relRoot, relManifest, stage string, fns []manifest.Function, cur []Print) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00", version, base, relRoot, relManifest, stage, os.Getenv("GOWORK"))
	for i, f := range fns {
		b, _ := json.Marshal(struct {
			Name, Dir string
			Files     []string
			Toolchain string
			Settings  Settings
		}{f.Name, f.Dir, f.Files, cur[i].Inputs.Toolchain, cur[i].Inputs.Settings})
		h.Write(b)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func cacheFile(key string) string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "lamb", "affected", key+".json")
}

func readCache(key string) (*baseState, bool) {
	name := cacheFile(key)
	if name == "" {
		return nil, false
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, false
	}
	var bs baseState
	if err := json.Unmarshal(data, &bs); err != nil {
		return nil, false
	}
	return &bs, true
}

// pruneCache removes entries not written for maxAge.
func pruneCache(dir string, maxAge time.Duration) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > maxAge {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// writeCache stores bs; a failure only costs time on the next run.
func writeCache(key string, bs *baseState) {
	name := cacheFile(key)
	if name == "" {
		return
	}
	data, err := json.Marshal(bs)
	if err != nil {
		return
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return
	}
	pruneCache(filepath.Dir(name), 30*24*time.Hour)
	tmp, err := os.CreateTemp(filepath.Dir(name), ".tmp-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Rename(tmp.Name(), name) != nil {
		os.Remove(tmp.Name())
	}
}

// WriteJSON writes r as `lamb affected -o json` prints it.
func (r *AffectedResult) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}
