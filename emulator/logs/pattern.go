package logs

import (
	"fmt"
	"strings"
)

// Pattern is a compiled CloudWatch Logs filter pattern of the subset for
// unstructured events that lamb implements:
//
//	""                     every event
//	ERROR                  events containing the term
//	ERROR Exception        events containing both terms
//	"Internal Error"       events containing the phrase (quotes; \" and \\ escape)
//	?ERROR ?WARN           events containing either term (every term marked ?)
//	ERROR -Exiting         ERROR but not Exiting; -term alone excludes only
//
// Matching is a case-sensitive substring match. Unquoted terms are letters,
// digits and underscores; anything else must be quoted. JSON patterns
// ({ $.x = 1 }), space-delimited patterns ([ip, user, ...]), regular
// expressions (%...%), numeric comparisons and mixing ?terms with plain or
// -terms are refused with an error rather than matched differently from
// AWS.
type Pattern struct {
	all, any, none []string
}

// ParsePattern compiles a filter pattern.
func ParsePattern(p string) (*Pattern, error) {
	var pat Pattern
	s := strings.TrimSpace(p)
	if s == "" {
		return &pat, nil
	}
	switch s[0] {
	case '{':
		return nil, fmt.Errorf("JSON filter patterns ({ $.field ... }) are not supported by lamb local")
	case '[':
		return nil, fmt.Errorf("space-delimited filter patterns ([field, ...]) are not supported by lamb local")
	case '%':
		return nil, fmt.Errorf("regular-expression filter patterns (%%...%%) are not supported by lamb local")
	}
	for s != "" {
		var mod byte
		if s[0] == '?' || s[0] == '-' {
			mod, s = s[0], s[1:]
		}
		var term string
		if s != "" && s[0] == '"' {
			var b strings.Builder
			i, closed := 1, false
			for i < len(s) {
				c := s[i]
				if c == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				i++
				if c == '"' {
					closed = true
					break
				}
				b.WriteByte(c)
			}
			if !closed {
				return nil, fmt.Errorf("unterminated quoted phrase in filter pattern")
			}
			term, s = b.String(), s[i:]
			if s != "" && s[0] != ' ' && s[0] != '\t' {
				return nil, fmt.Errorf("a quoted phrase must be followed by a space or the end of the filter pattern")
			}
		} else {
			end := strings.IndexAny(s, " \t")
			if end < 0 {
				end = len(s)
			}
			term, s = s[:end], s[end:]
			if term == "" {
				return nil, fmt.Errorf("%q must be followed by a term", string(mod))
			}
			for _, c := range term {
				if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
					return nil, fmt.Errorf("term %q has characters other than letters, digits and underscores: quote it (\"...\"); comparisons and wildcards are not supported by lamb local", term)
				}
			}
		}
		if term == "" {
			return nil, fmt.Errorf("empty quoted phrase in filter pattern")
		}
		switch mod {
		case '?':
			pat.any = append(pat.any, term)
		case '-':
			pat.none = append(pat.none, term)
		default:
			pat.all = append(pat.all, term)
		}
		s = strings.TrimLeft(s, " \t")
	}
	if len(pat.any) > 0 && (len(pat.all) > 0 || len(pat.none) > 0) {
		return nil, fmt.Errorf("mixing ?terms with other terms is not supported by lamb local: mark every term with ? for OR")
	}
	return &pat, nil
}

// Match reports whether a message matches.
func (p *Pattern) Match(msg string) bool {
	for _, t := range p.all {
		if !strings.Contains(msg, t) {
			return false
		}
	}
	for _, t := range p.none {
		if strings.Contains(msg, t) {
			return false
		}
	}
	if len(p.any) == 0 {
		return true
	}
	for _, t := range p.any {
		if strings.Contains(msg, t) {
			return true
		}
	}
	return false
}
