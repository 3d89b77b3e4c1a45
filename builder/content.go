package builder

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"sort"

	"github.com/lambctl/lamb/internal/fsutil"
)

// entrySum is one zip entry known by content.
type entrySum struct {
	name string
	mode fs.FileMode
	sum  [sha256.Size]byte
	size int64
}

// hashEntries reads the content of every entry: what a zip of them would
// hold. Only regular files are read.
func hashEntries(entries []ZipFile) ([]entrySum, error) {
	out := make([]entrySum, len(entries))
	for i, e := range entries {
		if e.data != nil { // read and hashed already (loadZipFile)
			out[i] = entrySum{name: e.Name, mode: e.Mode, sum: e.sum, size: int64(len(e.data))}
			continue
		}
		sum, size, err := hashFile(e.Src)
		if err != nil {
			return nil, &entryError{e.Name, err}
		}
		out[i] = entrySum{name: e.Name, mode: e.Mode, sum: sum, size: size}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].name < out[b].name })
	return out, nil
}

// entryError is the failure to read one zip entry's file.
type entryError struct {
	name string
	err  error
}

func (e *entryError) Error() string { return e.name + ": " + e.err.Error() }
func (e *entryError) Unwrap() error { return e.err }

// hashFile returns the SHA-256 and size of the content of the regular
// file p.
func hashFile(p string) ([sha256.Size]byte, int64, error) {
	var sum [sha256.Size]byte
	f, err := fsutil.OpenRegular(p)
	if err != nil {
		return sum, 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return sum, 0, err
	}
	copy(sum[:], h.Sum(nil))
	return sum, n, nil
}

// inputsDigest identifies a zip by what it holds: the zip format and
// timestamp (zipSig), and each entry's name, mode and content. Two zips
// with the same digest have the same bytes.
func inputsDigest(zipSig string, in []entrySum) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", zipSig)
	for _, e := range in {
		fmt.Fprintf(h, "%q %o %x\n", e.name, uint32(e.mode), e.sum)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// checkFingerprinted checks that the files: entries in in have the content
// their fingerprint covers (want: path → hex SHA-256, Target.Files). nil
// want checks nothing.
func checkFingerprinted(want map[string]string, in []entrySum) error {
	if want == nil {
		return nil
	}
	for _, e := range in {
		if e.name == "bootstrap" {
			continue
		}
		w, ok := want[e.name]
		if !ok {
			return fmt.Errorf("files: %s is not covered by the fingerprint", e.name)
		}
		if got := hex.EncodeToString(e.sum[:]); got != w {
			return fmt.Errorf("files: %s changed since it was fingerprinted (sha256 %.12s…, fingerprinted %.12s…): run lamb again", e.name, got, w)
		}
	}
	return nil
}

// sameContent reports whether a zip wrote exactly the content in records
// (the files did not change between hashing and zipping), naming the
// first entry that did.
func sameContent(in []entrySum, z zipped) (string, bool) {
	for _, e := range in {
		if z.sums[e.name] != e.sum {
			return e.name, false
		}
	}
	return "", len(z.sums) == len(in)
}
