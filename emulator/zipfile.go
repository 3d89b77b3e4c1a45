package emulator

import (
	"bytes"
	"encoding/base64"
	"slices"
	"strings"
)

// A deployment package arrives inline as the base64 string of a ZipFile
// member: UpdateFunctionCode's at the top level, CreateFunction's in Code.
// encoding/json scans and unquotes such a string at a few nanoseconds a
// byte (about 130 ms for a 13 MB package, most of an update's time), while
// finding its end and decoding it takes a fraction of that. cutZipFile
// takes the string out of the body when that is safe, and encoding/json
// decodes the rest; anything unusual is left to encoding/json whole, so
// the result (and every error) is the same either way (FuzzCutZipFile).

// maxJSONDepth bounds the nesting cutZipFile walks; deeper bodies are left
// to encoding/json.
const maxJSONDepth = 32

// cutZipFile returns body with the value of the member "ZipFile" of the
// object at path (none: the top level) replaced by "", and that value
// decoded. ok is false, and body should be decoded as it is, unless the
// body is an object with exactly one such member, spelled exactly so (no
// other member whose name matches it case-insensitively, as
// encoding/json's would), whose value is a string of standard base64
// without escapes or line breaks.
func cutZipFile(body []byte, path ...string) (rest, zip []byte, ok bool) {
	w := zipWalker{b: body, path: path, start: -1}
	w.ws()
	if !w.value(nil, 0) || w.start < 0 || w.bad {
		return nil, nil, false
	}
	val := body[w.start:w.end]
	if bytes.IndexByte(val, '\n') >= 0 || bytes.IndexByte(val, '\r') >= 0 { // base64 skips them; JSON refuses them raw
		return nil, nil, false
	}
	zip = make([]byte, base64.StdEncoding.DecodedLen(len(val)))
	n, err := base64.StdEncoding.Strict().Decode(zip, val)
	if err != nil {
		return nil, nil, false
	}
	rest = make([]byte, 0, len(body)-len(val))
	rest = append(append(rest, body[:w.start]...), body[w.end:]...)
	return rest, zip[:n], true
}

// zipWalker walks a JSON text, skipping strings with bytes.IndexAny, and
// notes where the wanted ZipFile string's content is.
type zipWalker struct {
	b          []byte
	i          int
	path       []string
	start, end int  // the ZipFile string's content, start -1 until seen
	bad        bool // a reason to leave the body to encoding/json
}

func (w *zipWalker) ws() {
	for w.i < len(w.b) {
		switch w.b[w.i] {
		case ' ', '\t', '\n', '\r':
			w.i++
		default:
			return
		}
	}
}

// str reads the string at w.i (its opening quote), returning its content's
// span and whether it has escapes. Quotes and backslashes are found with
// bytes.IndexByte, which is vectorised: a package is scanned at memory
// speed.
func (w *zipWalker) str() (start, end int, esc, ok bool) {
	start = w.i + 1
	j, q := start, -1 // q: the next quote at or after j
	for {
		if q < j {
			k := bytes.IndexByte(w.b[j:], '"')
			if k < 0 {
				return 0, 0, false, false
			}
			q = j + k
		}
		bs := bytes.IndexByte(w.b[j:q], '\\')
		if bs < 0 {
			w.i = q + 1
			return start, q, esc, true
		}
		esc = true
		j += bs + 2 // the escaped character: \" does not end the string
		if j > len(w.b) {
			return 0, 0, false, false
		}
	}
}

// value walks the value at w.i, the member of the objects at keys.
func (w *zipWalker) value(keys []string, depth int) bool {
	if w.i >= len(w.b) || depth > maxJSONDepth {
		return false
	}
	switch w.b[w.i] {
	case '"':
		_, _, _, ok := w.str()
		return ok
	case '{':
		if w.open('}') {
			return true
		}
		// On the way to the ZipFile (path, then "ZipFile"), the member
		// taken must be the only one encoding/json would take: spelled
		// exactly, once, and no escaped names beside it.
		onPath := len(keys) <= len(w.path) && slices.Equal(keys, w.path[:len(keys)])
		want := "ZipFile"
		if onPath && len(keys) < len(w.path) {
			want = w.path[len(keys)]
		}
		seen := false
		for {
			w.ws()
			if w.i >= len(w.b) || w.b[w.i] != '"' {
				return false
			}
			ks, ke, esc, ok := w.str()
			if !ok {
				return false
			}
			key := string(w.b[ks:ke])
			here := onPath && len(keys) == len(w.path)
			if onPath && (esc || strings.EqualFold(key, want) && (key != want || seen)) {
				w.bad = true // a name encoding/json would take for it
			}
			if onPath && key == want {
				seen = true
			}
			w.ws()
			if w.i >= len(w.b) || w.b[w.i] != ':' {
				return false
			}
			w.i++
			w.ws()
			if here && key == "ZipFile" {
				if w.i >= len(w.b) || w.b[w.i] != '"' {
					w.bad = true // not a string
				}
				if w.i < len(w.b) && w.b[w.i] == '"' {
					s, e, esc, ok := w.str()
					if !ok {
						return false
					}
					if esc {
						w.bad = true
					}
					w.start, w.end = s, e
				} else if !w.value(append(keys, key), depth+1) {
					return false
				}
			} else if !w.value(append(keys[:len(keys):len(keys)], key), depth+1) {
				return false
			}
			if end, ok := w.sep('}'); !ok || end {
				return ok
			}
		}
	case '[':
		if w.open(']') {
			return true
		}
		for {
			w.ws()
			// Inside an array no path matches: an unused key.
			if !w.value(append(keys[:len(keys):len(keys)], "\x00[]"), depth+1) {
				return false
			}
			if end, ok := w.sep(']'); !ok || end {
				return ok
			}
		}
	default: // a number, true, false, null: encoding/json checks it
		for w.i < len(w.b) {
			switch w.b[w.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return true
			}
			w.i++
		}
		return true
	}
}

// open reads the opening bracket at w.i and reports whether close follows
// it at once (an empty object or array, read whole).
func (w *zipWalker) open(close byte) (empty bool) {
	w.i++
	w.ws()
	if w.i < len(w.b) && w.b[w.i] == close {
		w.i++
		return true
	}
	return false
}

// sep reads what follows a member or an element: a comma (end false), or
// close (end true); ok is false for anything else.
func (w *zipWalker) sep(close byte) (end, ok bool) {
	w.ws()
	if w.i >= len(w.b) {
		return false, false
	}
	switch w.b[w.i] {
	case ',':
		w.i++
		return false, true
	case close:
		w.i++
		return true, true
	}
	return false, false
}
