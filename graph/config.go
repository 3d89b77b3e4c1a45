package graph

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/lambctl/lamb/manifest"
)

// buildFields are the fields of a resolved manifest entry (its JSON) that
// say how the function's zip is built. The fingerprint covers them — each
// side is fingerprinted with its own manifest's — so they are code
// reasons, never configuration ones. name and key identify the function.
var buildFields = map[string]bool{
	"name": true, "key": true, "package": true, "dir": true, "architecture": true, "build": true, "files": true,
}

// hiddenField reports whether the values of a manifest field must never be
// shown: its environment, and anything that names secrets, parameters or
// credentials (references included: they say where a secret lives).
func hiddenField(field string) bool {
	f := strings.ToLower(field)
	for _, s := range []string{"env", "secret", "param", "password", "token", "credential"} {
		if strings.Contains(f, s) {
			return true
		}
	}
	return false
}

// fieldNames are the names people write in lamb.yaml for fields whose JSON
// name differs: environment references are written under environment.
var fieldNames = map[string]string{"env_refs": "environment"}

// hiddenPrefix marks a value that is a digest of a hidden one.
const hiddenPrefix = "\x00hidden:"

// configEntry flattens the configuration of a resolved manifest entry —
// every field of its JSON except buildFields, so that fields the manifest
// gains later are compared too — into "field" → value and "field key" →
// value for maps. Values of hidden fields are replaced by a digest: they
// are never printed, and never written to the cache.
func configEntry(f manifest.Function) map[string]string {
	b, err := json.Marshal(f)
	if err != nil {
		panic(err) // a manifest.Function always marshals
	}
	return configEntryJSON(b)
}

// configEntryJSON is configEntry of a manifest entry's JSON object.
func configEntryJSON(b []byte) map[string]string {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		panic(err)
	}
	out := map[string]string{}
	for field, raw := range fields {
		if buildFields[field] {
			continue
		}
		hide := hiddenField(field)
		if name, ok := fieldNames[field]; ok {
			field = name // a key is in one of them, never both
		}
		put := func(k string, v json.RawMessage) {
			s := jsonText(v)
			if hide {
				h := sha256.Sum256([]byte(k + "\x00" + s))
				s = hiddenPrefix + hex.EncodeToString(h[:])
			}
			out[k] = s
		}
		var obj map[string]json.RawMessage
		if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) && json.Unmarshal(raw, &obj) == nil {
			for k, v := range obj {
				put(field+" "+k, v)
			}
			continue
		}
		put(field, raw)
	}
	return out
}

// jsonText is a JSON value as people read it: a string unquoted, anything
// else as compact JSON.
func jsonText(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	var buf bytes.Buffer
	if json.Compact(&buf, v) == nil {
		return buf.String()
	}
	return string(v)
}

// configReasons explains how the configuration entry b differs from a:
// "config: memory 128 → 512", "config: environment TABLE changed (value
// hidden)". Sorted.
func configReasons(a, b map[string]string) []string {
	var r []string
	for _, k := range unionKeys(a, b) {
		x, xok := a[k]
		y, yok := b[k]
		if xok == yok && x == y {
			continue
		}
		if strings.HasPrefix(x, hiddenPrefix) || strings.HasPrefix(y, hiddenPrefix) {
			what := "changed"
			switch {
			case !xok:
				what = "added"
			case !yok:
				what = "removed"
			}
			r = append(r, fmt.Sprintf("%s%s %s (value hidden)", ConfigPrefix, k, what))
			continue
		}
		if !xok {
			x = ""
		}
		if !yok {
			y = ""
		}
		r = append(r, fmt.Sprintf("%s%s %s → %s", ConfigPrefix, k, orNone(x), orNone(y)))
	}
	sort.Strings(r)
	return r
}
