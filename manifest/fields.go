package manifest

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/lambctl/lamb/internal/route"
)

// The settings of issues 12-15: environment references, manage, rollout,
// budget, http, and the stage's account and confirm. Raw values, their
// decoders and their checks where they are written; resolve.go merges them.

type flag struct {
	Value bool
	Pos   Pos
	Set   bool
}

type numList struct {
	Items []num
	Pos   Pos
	Set   bool
}

// rawRef is an environment value kept outside the manifest.
type rawRef struct {
	Pos    Pos
	SSM    str
	Secret str
	Key    str
}

// rawRollout is a rollout: setting; Off for "none" or false.
type rawRollout struct {
	Pos       Pos
	Set       bool
	Off       bool
	Steps     numList
	Interval  str
	Smoke     strList
	Alarms    strList
	MaxErrors num
	smoke     []string // Smoke cleaned (by the resolver), the valid ones
	interval  time.Duration
}

type rawBudget struct {
	Pos    Pos
	Set    bool
	Zip    str
	Growth str
	Init   str
	zip    int64
	growth *float64
	init   time.Duration
}

type rawHTTP struct {
	Pos    Pos
	Set    bool
	Routes strList
	URL    rawURL
}

type rawURL struct {
	Pos     Pos
	Set     bool
	Enabled bool
	Auth    str
}

func (d *decoder) boolean(dst *flag, field string) func(*node) {
	return func(n *node) {
		*dst = flag{Pos: n.pos, Set: true}
		if n.kind == scalarNode && n.tag == tagBool {
			dst.Value = n.text == "true"
			return
		}
		dst.Set = false
		d.errorf(n.pos, "%s: want true or false, got %s", field, n.describe())
	}
}

// text decodes a scalar as written: a string, or a number kept in its
// source spelling (an account 012345678901 keeps its leading zero).
func (d *decoder) text(dst *str, field string) func(*node) {
	return func(n *node) {
		*dst = str{Pos: n.pos, Set: true}
		if n.kind == scalarNode && (n.tag == tagStr || n.tag == tagInt || n.tag == tagFloat) {
			dst.Value = n.text
			return
		}
		dst.Set = false
		d.errorf(n.pos, "%s: want a string, got %s", field, n.describe())
	}
}

func (d *decoder) numList(dst *numList, field string) func(*node) {
	return func(n *node) {
		*dst = numList{Pos: n.pos, Set: true}
		if n.kind != seqNode {
			d.errorf(n.pos, "%s: want a list of integers, got %s", field, n.describe())
			return
		}
		for _, it := range n.items {
			var v num
			d.num(&v, field)(it)
			if v.Set {
				dst.Items = append(dst.Items, v)
			}
		}
	}
}

// ref decodes {ssm: NAME} or {secret: ID, key: KEY}.
func (d *decoder) ref(n *node, field, key string) *rawRef {
	r := &rawRef{Pos: n.pos}
	d.fields(n, fmt.Sprintf("%s: value of %q", field, key), map[string]func(*node){
		"ssm":    d.str(&r.SSM, "ssm"),
		"secret": d.str(&r.Secret, "secret"),
		"key":    d.str(&r.Key, "key"),
	})
	return r
}

func (d *decoder) rollout(dst *rawRollout) func(*node) {
	return func(n *node) {
		*dst = rawRollout{Pos: n.pos, Set: true}
		switch {
		case n.kind == scalarNode && (n.tag == tagBool && n.text == "false" || n.tag == tagStr && n.text == "none"):
			dst.Off = true
			return
		case n.kind != mapNode:
			dst.Set = false
			d.errorf(n.pos, "rollout: want a mapping {steps: [10, 50, 100], ...}, none or false, got %s", n.describe())
			return
		}
		d.fields(n, "rollout", map[string]func(*node){
			"steps":      d.numList(&dst.Steps, "rollout.steps"),
			"interval":   d.text(&dst.Interval, "rollout.interval"),
			"smoke":      d.strList(&dst.Smoke, "rollout.smoke"),
			"alarms":     d.strList(&dst.Alarms, "rollout.alarms"),
			"max_errors": d.num(&dst.MaxErrors, "rollout.max_errors"),
		})
	}
}

func (d *decoder) budget(dst *rawBudget) func(*node) {
	return func(n *node) {
		*dst = rawBudget{Pos: n.pos, Set: true}
		d.fields(n, "budget", map[string]func(*node){
			"zip":    d.text(&dst.Zip, "budget.zip"),
			"growth": d.text(&dst.Growth, "budget.growth"),
			"init":   d.text(&dst.Init, "budget.init"),
		})
	}
}

func (d *decoder) http(dst *rawHTTP) func(*node) {
	return func(n *node) {
		*dst = rawHTTP{Pos: n.pos, Set: true}
		d.fields(n, "http", map[string]func(*node){
			"routes": d.strList(&dst.Routes, "http.routes"),
			"url": func(n *node) {
				u := &dst.URL
				*u = rawURL{Pos: n.pos, Set: true}
				switch {
				case n.kind == scalarNode && n.tag == tagBool:
					u.Enabled = n.text == "true"
				case n.kind == mapNode:
					u.Enabled = true
					d.fields(n, "http.url", map[string]func(*node){
						"auth": d.str(&u.Auth, "http.url.auth"),
					})
				default:
					u.Set = false
					d.errorf(n.pos, "http.url: want true, false or {auth: AWS_IAM|NONE}, got %s", n.describe())
				}
			},
		})
	}
}

// Manage values: which part of a function lamb manages.
var manageValues = []string{ManageAll, ManageCode}

func (d *decoder) validateManage(s str) {
	if s.Set && s.Value != ManageAll && s.Value != ManageCode {
		d.errorf(s.Pos, "manage: %q is not %s", s.Value, strings.Join(manageValues, " or "))
	}
}

var (
	// tagValueRE is what AWS allows in a tag value (letters, digits,
	// spaces and _ . : / = + - @); the project is written in one.
	tagValueRE = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	accountRE  = regexp.MustCompile(`^[0-9]{12}$`)
	// ssmNameRE: a Parameter Store name ("name" or "/a/b/name"), an
	// optional :version or :label selector; or a parameter ARN.
	ssmNameRE = regexp.MustCompile(`^(?:[a-zA-Z0-9_.\-]+|(?:/[a-zA-Z0-9_.\-]+)+)(?::[a-zA-Z0-9_.\-]+)?$`)
	ssmARNRE  = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:ssm:[a-z0-9-]+:[0-9]{12}:parameter/[a-zA-Z0-9_.\-/]+(?::[a-zA-Z0-9_.\-]+)?$`)
	// secretIDRE: a Secrets Manager name, or a secret ARN.
	secretIDRE  = regexp.MustCompile(`^[a-zA-Z0-9/_+=.@\-]{1,512}$`)
	secretARNRE = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[a-zA-Z0-9/_+=.@\-]+$`)
)

// Limits of the names the settings refer to.
const (
	maxSSMName     = 2048 // with the ARN form
	maxAlarmName   = 255  // CloudWatch
	maxSmokeEvent  = 6 * 1024 * 1024
	maxRolloutStep = 100
)

// validateProject checks the project name: it is the value of the
// lamb:project tag, "PROJECT" or "PROJECT/STAGE".
func (d *decoder) validateProject(m *rawManifest) {
	p := m.Project
	if !p.Set {
		return
	}
	longest := ""
	for _, s := range m.Stages {
		if len(s.Name.Value) > len(longest) {
			longest = s.Name.Value
		}
	}
	tag := p.Value
	if longest != "" {
		tag += "/" + longest
	}
	switch {
	case p.Value == "":
		d.errorf(p.Pos, "project: empty: name the project (it marks the functions lamb deploys, as tag %sproject)", TagPrefix)
	case !tagValueRE.MatchString(p.Value):
		d.errorf(p.Pos, "project: %q must be of letters, digits, spaces and _ . : / = + - @ (it is a tag value)", p.Value)
	case len(tag) > maxTagValLen:
		d.errorf(p.Pos, "project: %q makes the tag value %q %d characters, more than %d", p.Value, tag, len(tag), maxTagValLen)
	}
}

func (d *decoder) validateStageExtras(s *rawStage) {
	d.validateManage(s.Manage)
	d.validateRollout(&s.Rollout)
	if s.Account.Set && !accountRE.MatchString(s.Account.Value) {
		d.errorf(s.Account.Pos, "account: %q is not an AWS account ID (12 digits, quoted: \"012345678901\")", s.Account.Value)
	}
}

// validateRef checks an environment reference where it is written.
func (d *decoder) validateRef(key string, r *rawRef) {
	what := fmt.Sprintf("environment: value of %q", key)
	switch {
	case r.SSM.Set && r.Secret.Set:
		d.errorf(r.Pos, "%s: ssm or secret, not both", what)
	case r.SSM.Set:
		v := r.SSM.Value
		first := strings.ToLower(strings.TrimPrefix(v, "/"))
		switch {
		case ssmARNRE.MatchString(v) && len(v) <= maxSSMName:
		case !ssmNameRE.MatchString(v) || len(v) > maxSSMName:
			d.errorf(r.SSM.Pos, "%s: ssm: %q is not a Parameter Store name (/path/name, of letters, digits and _ . -, optionally :VERSION or :LABEL) or ARN", what, v)
		case strings.HasPrefix(first, "aws") || strings.HasPrefix(first, "ssm"):
			d.errorf(r.SSM.Pos, "%s: ssm: %q: names starting with aws or ssm are reserved", what, v)
		}
		if r.Key.Set {
			d.errorf(r.Key.Pos, "%s: key selects a key of a secret's JSON; a parameter has none", what)
		}
	case r.Secret.Set:
		if v := r.Secret.Value; !secretIDRE.MatchString(v) && !secretARNRE.MatchString(v) {
			d.errorf(r.Secret.Pos, "%s: secret: %q is not a Secrets Manager secret name (1-512 of letters, digits and / _ + = . @ -) or ARN", what, v)
		}
		if r.Key.Set && (r.Key.Value == "" || strings.ContainsRune(r.Key.Value, 0)) {
			d.errorf(r.Key.Pos, "%s: key: want the name of a key in the secret's JSON", what)
		}
	default:
		d.errorf(r.Pos, "%s: want {ssm: NAME} or {secret: ID, key: KEY}", what)
	}
}

// validateRollout checks a rollout where it is written; steps are
// replaced as a whole by a later layer, so each list is complete.
func (d *decoder) validateRollout(r *rawRollout) {
	if !r.Set || r.Off {
		return
	}
	if r.Steps.Set {
		if len(r.Steps.Items) == 0 {
			d.errorf(r.Steps.Pos, "rollout.steps: empty: list the traffic percentages, ending with 100")
		}
		prev := 0
		for i, s := range r.Steps.Items {
			switch {
			case s.Value < 1 || s.Value > maxRolloutStep:
				d.errorf(s.Pos, "rollout.steps: %d is not a percentage of traffic (1..100)", s.Value)
			case s.Value <= prev:
				d.errorf(s.Pos, "rollout.steps: %d after %d: steps increase", s.Value, prev)
			case i == len(r.Steps.Items)-1 && s.Value != maxRolloutStep:
				d.errorf(s.Pos, "rollout.steps: the last step is %d: it must be 100 (all traffic on the new version)", s.Value)
			}
			prev = max(prev, s.Value)
		}
	}
	if r.Interval.Set {
		iv, err := time.ParseDuration(r.Interval.Value)
		switch {
		case err != nil:
			d.errorf(r.Interval.Pos, "rollout.interval: %q is not a duration (like 30s, 1m, 0)", r.Interval.Value)
		case iv < 0:
			d.errorf(r.Interval.Pos, "rollout.interval: %s is negative", r.Interval.Value)
		default:
			r.interval = iv
		}
	}
	for _, a := range r.Alarms.Items {
		if a.Value == "" || len(a.Value) > maxAlarmName || strings.ContainsFunc(a.Value, isControl) {
			d.errorf(a.Pos, "rollout.alarms: %q is not a CloudWatch alarm name (1-%d characters)", a.Value, maxAlarmName)
		}
	}
	if r.MaxErrors.Set && r.MaxErrors.Value < 0 {
		d.errorf(r.MaxErrors.Pos, "rollout.max_errors: %d is negative", r.MaxErrors.Value)
	}
}

// validateBudget parses a budget where it is written.
func (d *decoder) validateBudget(b *rawBudget) {
	if b.Zip.Set {
		if n, err := ParseSize(b.Zip.Value); err != nil {
			d.errorf(b.Zip.Pos, "budget.zip: %v", err)
		} else {
			b.zip = n
		}
	}
	if b.Growth.Set {
		if g, err := parsePercent(b.Growth.Value); err != nil {
			d.errorf(b.Growth.Pos, "budget.growth: %v", err)
		} else {
			b.growth = &g
		}
	}
	if b.Init.Set {
		iv, err := time.ParseDuration(b.Init.Value)
		switch {
		case err != nil:
			d.errorf(b.Init.Pos, "budget.init: %q is not a duration (like 100ms)", b.Init.Value)
		case iv <= 0:
			d.errorf(b.Init.Pos, "budget.init: %s: want a positive duration", b.Init.Value)
		default:
			b.init = iv
		}
	}
}

// sizeUnits are the units ParseSize accepts, in bytes.
var sizeUnits = map[string]int64{
	"B":  1,
	"KB": 1000, "MB": 1000 * 1000, "GB": 1000 * 1000 * 1000,
	"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30,
}

var sizeRE = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?) ?([KMG]i?B|B)?$`)

// ParseSize parses a size as the manifest writes it: a number of bytes
// (8388608), or a number and a unit: B, KB/MB/GB (powers of 1000) or
// KiB/MiB/GiB (powers of 1024), with an optional space ("8MiB", "1.5 MB").
// Fractions round down to whole bytes; the size is at least 1 byte.
func ParseSize(s string) (int64, error) {
	m := sizeRE.FindStringSubmatch(s)
	if m == nil || m[2] == "" && strings.Contains(m[1], ".") {
		return 0, fmt.Errorf("%q is not a size (like 8MiB, 500KB or 1048576: units B, KB, MB, GB, KiB, MiB, GiB)", s)
	}
	unit := int64(1)
	if m[2] != "" {
		u, ok := sizeUnits[m[2]]
		if !ok {
			return 0, fmt.Errorf("%q: unknown unit %s (B, KB, MB, GB, KiB, MiB, GiB)", s, m[2])
		}
		unit = u
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil || f*float64(unit) >= math.MaxInt64/2 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	n := int64(f * float64(unit))
	if n < 1 {
		return 0, fmt.Errorf("%q: want at least 1 byte", s)
	}
	return n, nil
}

var percentRE = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?) ?%$`)

// parsePercent parses "10%", "2.5%", "0%".
func parsePercent(s string) (float64, error) {
	m := percentRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("%q is not a percentage (like 10%%)", s)
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil || f > 1e6 {
		return 0, fmt.Errorf("%q is not a percentage (like 10%%)", s)
	}
	return f, nil
}

// Function URL auth types (Lambda's AuthType).
const (
	URLAuthIAM  = "AWS_IAM"
	URLAuthNone = "NONE"
)

// validateHTTP checks a function's http: setting where it is written;
// overlaps between functions are found by the resolver.
func (d *decoder) validateHTTP(h *rawHTTP) {
	for _, r := range h.Routes.Items {
		if _, err := route.Parse(r.Value); err != nil {
			p := r.Pos
			var se *route.SyntaxError
			if errors.As(err, &se) && !strings.ContainsAny(r.Value, "\\'\"\n") {
				// Point at the offending part when the key is written as
				// it reads (one line, nothing escaped).
				p.Col += se.Offset
				if r.Quoted {
					p.Col++
				}
			}
			d.errorf(p, "http.routes: %v", err)
		}
	}
	if u := h.URL; u.Set && u.Auth.Set && u.Auth.Value != URLAuthIAM && u.Auth.Value != URLAuthNone {
		d.errorf(u.Auth.Pos, "http.url.auth: %q is not %s (signed requests only) or %s (public)", u.Auth.Value, URLAuthIAM, URLAuthNone)
	}
}

// RouteTable returns the routes of fns as a table for the local HTTP
// front, each route's target the function's Name. Load has checked that
// no two routes of the manifest overlap, so for its functions (or any
// subset) the error is nil.
func RouteTable(fns []Function) (*route.Table, error) {
	t := &route.Table{}
	for _, f := range fns {
		for _, r := range f.HTTP.Routes {
			k, err := route.Parse(r)
			if err != nil {
				return nil, fmt.Errorf("function %s: %w", f.Name, err)
			}
			if err := t.Add(k, f.Name); err != nil {
				return nil, fmt.Errorf("function %s: %w", f.Name, err)
			}
		}
	}
	return t, nil
}
