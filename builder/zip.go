package builder

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/klauspost/compress/flate"

	"github.com/lambctl/lamb/internal/fsutil"
	"github.com/lambctl/lamb/internal/lambdaspec"
)

// zipLevel is the deflate level of artifact zips. klauspost/compress level
// 6 was chosen by measurement (bench/buildbench, docs/build.md): on Go
// Lambda bootstraps it is about 2-2.3× faster on one core than archive/zip's
// default (compress/flate level 5) and its output is 1.3% larger; level 5
// is 2.1% larger, level 7 about as slow as compress/flate.
const zipLevel = 6

// zipFormat names the zip layout; it is part of every artifact cache key, so
// changing zipLevel or the layout must change it.
const zipFormat = "zip1-kp6"

// zipFormatStored names the layout of Options.Uncompressed zips: the same,
// with every entry stored.
const zipFormatStored = "zip1-stored"

// ZipFile is one entry of an artifact zip.
type ZipFile struct {
	Name string      // path inside the zip, slash-separated
	Src  string      // file on disk
	Mode fs.FileMode // 0755 or 0644

	// data, when set, is Src's content, read once and used instead of
	// reading Src again; sum is its SHA-256, or zero when it was not
	// hashed (content in memory cannot change between hashing and
	// zipping: sameContent compares zero with zero).
	data []byte
	sum  [sha256.Size]byte
}

// loadZipFile returns f with its content read into memory (regular files
// only, at most Lambda's unzipped limit), and hashed when hash is set:
// hashing and zipping it then read the file once.
func loadZipFile(f ZipFile, hash bool) (ZipFile, error) {
	data, err := fsutil.ReadRegular(f.Src, lambdaspec.UnzippedLimit)
	if err != nil {
		return f, err
	}
	f.data = data
	if hash {
		f.sum = sha256.Sum256(data)
	}
	return f, nil
}

// defaultEpoch is the timestamp of every entry unless SOURCE_DATE_EPOCH is
// set: the earliest time an MS-DOS date can hold.
var defaultEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// zipTime returns the entries' timestamp for the SOURCE_DATE_EPOCH value sde
// (seconds since 1970; empty means unset), clamped to what a zip can hold.
func zipTime(sde string) (time.Time, error) {
	if sde == "" {
		return defaultEpoch, nil
	}
	n, err := strconv.ParseInt(sde, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: not a number of seconds", sde)
	}
	t := time.Unix(n, 0).UTC()
	if t.Before(defaultEpoch) {
		return defaultEpoch, nil
	}
	if max := time.Date(2107, 12, 31, 23, 59, 58, 0, time.UTC); t.After(max) {
		return max, nil
	}
	return t, nil
}

// msDosTime encodes t (UTC) in the zip's MS-DOS date and time fields; the
// time has a two-second resolution.
func msDosTime(t time.Time) (date, tim uint16) {
	date = uint16(t.Day() + int(t.Month())<<5 + (t.Year()-1980)<<9)
	tim = uint16(t.Second()/2 + t.Minute()<<5 + t.Hour()<<11)
	return date, tim
}

var flatePool sync.Pool // of *flate.Writer at zipLevel

func getFlate(w io.Writer) *flate.Writer {
	if fw, ok := flatePool.Get().(*flate.Writer); ok {
		fw.Reset(w)
		return fw
	}
	fw, err := flate.NewWriter(w, zipLevel)
	if err != nil {
		panic(err) // zipLevel is a valid constant
	}
	return fw
}

// WriteZip writes files, sorted by name, as a deterministic zip to w: every
// entry has the timestamp mtime, a Unix mode, no extra fields and no data
// descriptor, so the same inputs always give the same bytes. It returns the
// total uncompressed size.
//
// Only regular files are read (never blocking on a FIFO), each at most
// Lambda's unzipped limit.
func WriteZip(w io.Writer, files []ZipFile, mtime time.Time) (int64, error) {
	z, err := writeZip(context.Background(), w, files, mtime, false)
	return z.total, err
}

// zipped is what writeZip put in a zip.
type zipped struct {
	total int64
	// sums are the SHA-256 of each entry's content as it was read and
	// zipped, by entry name.
	sums map[string][sha256.Size]byte
}

// writeZip is WriteZip, stopping with ctx's cause between entries; stored
// writes every entry uncompressed.
func writeZip(ctx context.Context, w io.Writer, files []ZipFile, mtime time.Time, stored bool) (zipped, error) {
	files = append([]ZipFile(nil), files...)
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	date, tim := msDosTime(mtime.UTC())
	zw := zip.NewWriter(w)
	z := zipped{sums: map[string][sha256.Size]byte{}}
	var buf bytes.Buffer
	for i, f := range files {
		if i > 0 && files[i-1].Name == f.Name {
			return zipped{}, fmt.Errorf("zip: duplicate entry %s", f.Name)
		}
		if ctx.Err() != nil {
			return zipped{}, context.Cause(ctx)
		}
		buf.Reset()
		payload, c, err := compressFile(&buf, f, stored)
		if err != nil {
			return zipped{}, err
		}
		z.total += c.n
		z.sums[f.Name] = c.sum
		fh := &zip.FileHeader{
			Name:               f.Name,
			Method:             c.method,
			CRC32:              c.crc,
			CompressedSize64:   uint64(len(payload)),
			UncompressedSize64: uint64(c.n),
			// The MS-DOS fields, not Modified: Modified makes archive/zip add
			// an extended-timestamp extra field, which we keep out of the zip.
			//lint:ignore SA1019 deliberate, see above
			ModifiedDate: date,
			//lint:ignore SA1019 deliberate, see above
			ModifiedTime: tim,
		}
		fh.SetMode(f.Mode)
		fh.CreatorVersion |= 20
		fh.ReaderVersion = 20
		zw2, err := zw.CreateRaw(fh)
		if err != nil {
			return zipped{}, fmt.Errorf("zip %s: %w", f.Name, err)
		}
		if _, err := zw2.Write(payload); err != nil {
			return zipped{}, fmt.Errorf("zip %s: %w", f.Name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return zipped{}, fmt.Errorf("zip: %w", err)
	}
	return z, nil
}

// compressed is one entry compressFile wrote.
type compressed struct {
	crc    uint32
	sum    [sha256.Size]byte // of the content
	n      int64             // content size
	method uint16
}

// compressFile deflates the content of f (its data, or the file Src) into
// buf, falling back to storing it when deflate does not make it smaller;
// stored stores it. It returns the entry's payload: buf's bytes, or the
// content itself when stored.
func compressFile(buf *bytes.Buffer, f ZipFile, stored bool) ([]byte, compressed, error) {
	if f.data == nil {
		var err error
		if f, err = loadZipFile(f, true); err != nil {
			return nil, compressed{}, err
		}
	}
	data := f.data
	c := compressed{crc: crc32.ChecksumIEEE(data), sum: f.sum, n: int64(len(data))}
	if c.n > 0 && !stored {
		buf.Grow(len(data) / 2)
		fw := getFlate(buf)
		_, err := fw.Write(data)
		if err == nil {
			err = fw.Close()
		}
		flatePool.Put(fw)
		if err != nil {
			return nil, compressed{}, fmt.Errorf("deflate %s: %w", f.Src, err)
		}
		if int64(buf.Len()) < c.n {
			c.method = zip.Deflate
			return buf.Bytes(), c, nil
		}
	}
	c.method = zip.Store
	return data, c, nil
}
