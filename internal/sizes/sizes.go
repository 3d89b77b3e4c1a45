// Package sizes measures what lamb builds: the zip and the binary of each
// function, broken down by module and package (internal/binsize) from the
// bootstrap the zip ships; the same for the base of --since, built in a
// temporary worktree or copied from the artifact cache; the cold start of
// each function in the local runtime; and the budgets a manifest sets
// (budget: {zip, growth, init}), checked by lamb size, build and plan.
package sizes

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/lambctl/lamb/builder"
	"github.com/lambctl/lamb/internal/binsize"
	"github.com/lambctl/lamb/internal/failure"
	"github.com/lambctl/lamb/internal/fsutil"
	"github.com/lambctl/lamb/internal/lambdaspec"
)

// Bootstrap is the name of the executable in a function's zip (the
// provided runtimes' handler).
const Bootstrap = "bootstrap"

// Measure is one built function's sizes.
type Measure struct {
	Function     string `json:"function"`
	Architecture string `json:"architecture"`
	Fingerprint  string `json:"fingerprint"`
	// Zip is the size of the zip, what Lambda's code size limits count.
	Zip int64 `json:"zip"`
	// Binary is the size of the bootstrap unzipped.
	Binary int64 `json:"binary"`
	// Report is the bootstrap's breakdown by module, package and function
	// (binsize.Report.DropFuncs drops the functions); nil when not
	// analyzed.
	Report *binsize.Report `json:"report,omitempty"`
}

// Of returns the sizes of an artifact as the builder reports them, without
// analyzing the binary.
func Of(a builder.Artifact) *Measure {
	return &Measure{Function: a.Function, Architecture: a.Architecture, Fingerprint: a.Fingerprint, Zip: a.Size, Binary: a.BinarySize}
}

// Analyze returns the sizes of an artifact with the breakdown of its
// bootstrap (ReadBootstrap, binsize.AnalyzeReader). Errors name the
// function.
func Analyze(a builder.Artifact) (*Measure, error) {
	m := Of(a)
	bin, err := ReadBootstrap(a.Path, lambdaspec.UnzippedLimit)
	if err != nil {
		return nil, failure.New(a.Function, "size", err)
	}
	r, err := binsize.AnalyzeReader(bytes.NewReader(bin), int64(len(bin)))
	if err != nil {
		return nil, failure.New(a.Function, "size", fmt.Errorf("%s in %s: %w", Bootstrap, a.Path, err))
	}
	r.Name = a.Function
	m.Report = r
	m.Binary = int64(len(bin))
	return m, nil
}

// AnalyzeAll analyzes arts, up to GOMAXPROCS at a time, and returns their
// measures in arts' order; the failures of single functions are
// aggregated in the error and their measures left nil.
func AnalyzeAll(ctx context.Context, arts []builder.Artifact) ([]*Measure, error) {
	out := make([]*Measure, len(arts))
	errs := make([]error, len(arts))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, a := range arts {
		if err := ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i], errs[i] = Analyze(a)
		}()
	}
	wg.Wait()
	return out, failure.Append(nil, errs...).ErrorOrNil()
}

// ErrNoBootstrap reports a zip without a bootstrap to analyze.
var ErrNoBootstrap = errors.New("no " + Bootstrap + " in the zip")

// ReadBootstrap returns the content of the bootstrap entry of the zip at
// path: a regular file of at most max bytes unzipped (its declared size
// and what it inflates to are both checked, and the zip's CRC). Nothing is
// written to disk.
func ReadBootstrap(path string, max int64) ([]byte, error) {
	f, err := fsutil.OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	b, err := readBootstrap(f, st.Size(), max)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// readBootstrap is ReadBootstrap of the zip of size bytes in r.
func readBootstrap(r io.ReaderAt, size, max int64) ([]byte, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, err
	}
	var entry *zip.File
	for _, e := range zr.File {
		if e.Name == Bootstrap {
			if entry != nil {
				return nil, fmt.Errorf("two %s entries", Bootstrap)
			}
			entry = e
		}
	}
	if entry == nil {
		return nil, ErrNoBootstrap
	}
	if !entry.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is a %s, not a regular file", Bootstrap, fsutil.Kind(entry.Mode()))
	}
	if entry.UncompressedSize64 > uint64(max) {
		return nil, fmt.Errorf("%s is %d bytes unzipped, over the %d bytes allowed", Bootstrap, entry.UncompressedSize64, max)
	}
	rc, err := entry.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Bootstrap, err)
	}
	defer rc.Close()
	// Grown as it is read, so a size the header only claims costs nothing.
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(rc, int64(entry.UncompressedSize64)+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Bootstrap, err)
	}
	if uint64(n) != entry.UncompressedSize64 {
		return nil, fmt.Errorf("%s inflates to more than its declared %d bytes", Bootstrap, entry.UncompressedSize64)
	}
	return buf.Bytes(), nil
}
