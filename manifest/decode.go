package manifest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The raw manifest: what lamb.yaml says, each value with its position and
// whether it was set at all. Validation reads it; resolve turns it into
// Functions.

type str struct {
	Value  string
	Pos    Pos
	Set    bool
	Quoted bool // written in quotes: Pos is the quote's
}

type num struct {
	Value int
	Pos   Pos
	Set   bool
}

type entry struct {
	Key, Value string
	KeyPos     Pos
	Ref        *rawRef // environment only: a value kept in SSM or Secrets Manager
}

type strMap struct {
	Entries []entry
	Pos     Pos
	Set     bool
	over    bool // breaks a limit on its own (set by validation)
}

type strList struct {
	Items []str
	Pos   Pos
	Set   bool
}

type rawBuild struct {
	Tags    strList
	LDFlags str
	GCFlags str
	Env     strMap
}

// rawSettings are the settings shared by defaults, functions and discover
// entries.
type rawSettings struct {
	Runtime      str
	Architecture str
	Memory       num
	Timeout      num
	Role         str
	Environment  strMap
	Tags         strMap
	Alias        str
	Build        rawBuild
	Manage       str
	Rollout      rawRollout
	Budget       rawBudget
}

type rawFunction struct {
	Key     str // the function's key: its name without stage prefix
	Package str
	Files   strList
	HTTP    rawHTTP
	rawSettings
}

type rawDiscover struct {
	Pos      Pos
	Packages str
	Name     str
	rawSettings
}

type rawStage struct {
	Name           str
	Prefix         str
	Role           str
	Environment    strMap
	Tags           strMap
	Alias          str
	ArtifactBucket str
	Region         str
	Manage         str
	Rollout        rawRollout
	Account        str
	Confirm        flag
}

type rawManifest struct {
	Version   num
	Project   str
	Defaults  rawSettings
	Functions []*rawFunction
	Discover  []*rawDiscover
	Stages    []*rawStage
	Cache     str
}

// decoder fills a rawManifest from nodes, collecting every error.
type decoder struct {
	file   string // shown in positions
	errs   Errors
	syntax bool // a syntax error was reported: parts of the file were not read
}

func (d *decoder) errorf(p Pos, format string, args ...any) {
	if p.File == "" {
		p.File = d.file
	}
	d.errs = append(d.errs, &Error{Pos: p, Msg: oneLine(fmt.Sprintf(format, args...))})
}

// oneLine escapes the control characters of msg (which an error of the
// file system can carry, naming a path): an Error is one line.
func oneLine(msg string) string {
	if !strings.ContainsFunc(msg, isControl) {
		return msg
	}
	var b strings.Builder
	for _, r := range msg {
		if isControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isControl(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }

// fields decodes mapping n with one handler per known key; unknown keys are
// errors with a suggestion.
func (d *decoder) fields(n *node, what string, handlers map[string]func(*node)) {
	if n.kind == nullNode {
		return
	}
	if n.kind != mapNode {
		d.errorf(n.pos, "%s: want a mapping, got %s", what, n.describe())
		return
	}
	for i, k := range n.keys {
		h, ok := handlers[k.text]
		if !ok {
			names := make([]string, 0, len(handlers))
			for name := range handlers {
				names = append(names, name)
			}
			if s := suggest(k.text, names); s != "" {
				d.errorf(k.pos, "unknown field %q (did you mean %q?)", k.text, s)
			} else {
				sort.Strings(names)
				d.errorf(k.pos, "unknown field %q in %s (known: %s)", k.text, what, strings.Join(names, ", "))
			}
			continue
		}
		h(n.vals[i])
	}
}

func (d *decoder) str(dst *str, field string) func(*node) {
	return func(n *node) {
		*dst = str{Pos: n.pos, Set: true}
		switch {
		case n.kind == nullNode:
		case n.kind == scalarNode && n.tag == tagStr:
			dst.Value = n.text
		default:
			dst.Set = false
			d.errorf(n.pos, "%s: want a string, got %s", field, n.describe())
		}
	}
}

func (d *decoder) num(dst *num, field string) func(*node) {
	return func(n *node) {
		*dst = num{Pos: n.pos, Set: true}
		if n.kind == scalarNode && n.tag == tagInt {
			// Clamp: out-of-range values are reported by validation.
			switch {
			case n.int > 1<<31:
				dst.Value = 1 << 31
			case n.int < -1<<31:
				dst.Value = -1 << 31
			default:
				dst.Value = int(n.int)
			}
			return
		}
		dst.Set = false
		d.errorf(n.pos, "%s: want an integer, got %s", field, n.describe())
	}
}

// strMap decodes a mapping of strings; values may be any scalar (an
// environment value 8080 is the string "8080").
func (d *decoder) strMap(dst *strMap, field string) func(*node) {
	return d.valueMap(dst, field, false)
}

// envMap decodes an environment: a strMap whose values may also be
// references ({ssm: NAME} or {secret: ID, key: KEY}).
func (d *decoder) envMap(dst *strMap, field string) func(*node) {
	return d.valueMap(dst, field, true)
}

func (d *decoder) valueMap(dst *strMap, field string, refs bool) func(*node) {
	return func(n *node) {
		*dst = strMap{Pos: n.pos, Set: true}
		switch n.kind {
		case nullNode:
			return
		case mapNode:
		default:
			d.errorf(n.pos, "%s: want a mapping, got %s", field, n.describe())
			return
		}
		for i, k := range n.keys {
			v := n.vals[i]
			e := entry{Key: k.text, KeyPos: k.pos}
			switch {
			case v.kind == nullNode:
			case v.kind == scalarNode:
				e.Value = v.text
			case v.kind == mapNode && refs:
				e.Ref = d.ref(v, field, k.text)
			case refs:
				d.errorf(v.pos, "%s: value of %q: want a string, {ssm: NAME} or {secret: ID, key: KEY}, got %s", field, k.text, v.describe())
				continue
			default:
				d.errorf(v.pos, "%s: value of %q: want a string, got %s", field, k.text, v.describe())
				continue
			}
			dst.Entries = append(dst.Entries, e)
		}
	}
}

func (d *decoder) strList(dst *strList, field string) func(*node) {
	return func(n *node) {
		*dst = strList{Pos: n.pos, Set: true}
		switch n.kind {
		case nullNode:
			return
		case seqNode:
		default:
			d.errorf(n.pos, "%s: want a list, got %s", field, n.describe())
			return
		}
		for _, it := range n.items {
			if it.kind != scalarNode || it.tag != tagStr {
				d.errorf(it.pos, "%s: want a string, got %s", field, it.describe())
				continue
			}
			dst.Items = append(dst.Items, str{Value: it.text, Pos: it.pos, Set: true, Quoted: it.quoted})
		}
	}
}

func (d *decoder) settings(s *rawSettings, h map[string]func(*node)) map[string]func(*node) {
	h["runtime"] = d.str(&s.Runtime, "runtime")
	h["architecture"] = d.str(&s.Architecture, "architecture")
	h["memory"] = d.num(&s.Memory, "memory")
	h["timeout"] = d.num(&s.Timeout, "timeout")
	h["role"] = d.str(&s.Role, "role")
	h["environment"] = d.envMap(&s.Environment, "environment")
	h["tags"] = d.strMap(&s.Tags, "tags")
	h["alias"] = d.str(&s.Alias, "alias")
	h["manage"] = d.str(&s.Manage, "manage")
	h["rollout"] = d.rollout(&s.Rollout)
	h["budget"] = d.budget(&s.Budget)
	h["build"] = func(n *node) {
		b := &s.Build
		d.fields(n, "build", map[string]func(*node){
			"tags":    d.strList(&b.Tags, "build.tags"),
			"ldflags": d.str(&b.LDFlags, "build.ldflags"),
			"gcflags": d.str(&b.GCFlags, "build.gcflags"),
			"env":     d.strMap(&b.Env, "build.env"),
		})
	}
	return h
}

func (d *decoder) manifest(n *node) *rawManifest {
	m := &rawManifest{}
	if n.kind != mapNode {
		d.errorf(n.pos, "manifest: want a mapping starting with \"version: 1\", got %s", n.describe())
		return m
	}
	d.fields(n, "manifest", map[string]func(*node){
		"version":  d.num(&m.Version, "version"),
		"project":  d.str(&m.Project, "project"),
		"defaults": func(n *node) { d.fields(n, "defaults", d.settings(&m.Defaults, map[string]func(*node){})) },
		"cache":    d.str(&m.Cache, "cache"),
		"functions": func(n *node) {
			if n.kind == nullNode {
				return
			}
			if n.kind != mapNode {
				d.errorf(n.pos, "functions: want a mapping of function names, got %s", n.describe())
				return
			}
			for i, k := range n.keys {
				f := &rawFunction{Key: str{Value: k.text, Pos: k.pos, Set: true}}
				h := d.settings(&f.rawSettings, map[string]func(*node){
					"package": d.str(&f.Package, "package"),
					"files":   d.strList(&f.Files, "files"),
					"http":    d.http(&f.HTTP),
				})
				d.fields(n.vals[i], fmt.Sprintf("function %q", k.text), h)
				m.Functions = append(m.Functions, f)
			}
		},
		"discover": func(n *node) {
			if n.kind == nullNode {
				return
			}
			if n.kind != seqNode {
				d.errorf(n.pos, "discover: want a list of {packages, name}, got %s", n.describe())
				return
			}
			for _, it := range n.items {
				e := &rawDiscover{Pos: it.pos}
				h := d.settings(&e.rawSettings, map[string]func(*node){
					"packages": d.str(&e.Packages, "packages"),
					"name":     d.str(&e.Name, "name"),
				})
				d.fields(it, "discover entry", h)
				m.Discover = append(m.Discover, e)
			}
		},
		"stages": func(n *node) {
			if n.kind == nullNode {
				return
			}
			if n.kind != mapNode {
				d.errorf(n.pos, "stages: want a mapping of stage names, got %s", n.describe())
				return
			}
			for i, k := range n.keys {
				s := &rawStage{Name: str{Value: k.text, Pos: k.pos, Set: true}}
				d.fields(n.vals[i], fmt.Sprintf("stage %q", k.text), map[string]func(*node){
					"prefix":          d.str(&s.Prefix, "prefix"),
					"role":            d.str(&s.Role, "role"),
					"environment":     d.envMap(&s.Environment, "environment"),
					"tags":            d.strMap(&s.Tags, "tags"),
					"alias":           d.str(&s.Alias, "alias"),
					"artifact_bucket": d.str(&s.ArtifactBucket, "artifact_bucket"),
					"region":          d.str(&s.Region, "region"),
					"manage":          d.str(&s.Manage, "manage"),
					"rollout":         d.rollout(&s.Rollout),
					"account":         d.text(&s.Account, "account"),
					"confirm":         d.boolean(&s.Confirm, "confirm"),
				})
				m.Stages = append(m.Stages, s)
			}
		},
	})
	return m
}

// suggest returns the candidate closest to s, if it is close enough to be
// a likely typo.
func suggest(s string, candidates []string) string {
	best, bestDist := "", 0
	sort.Strings(candidates)
	for _, c := range candidates {
		if strings.EqualFold(s, c) {
			return c
		}
		dist := levenshtein(strings.ToLower(s), c)
		if best == "" || dist < bestDist {
			best, bestDist = c, dist
		}
	}
	limit := 2
	if len(s) <= 4 {
		limit = 1
	}
	if best == "" || bestDist > limit {
		return ""
	}
	return best
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
