package manifest

import (
	"fmt"

	"github.com/goccy/go-yaml/token"
)

// maxKeys bounds the keys of the manifest's mappings. The YAML parser's
// time grows with the square of a block mapping's key count (measured:
// 10,000 keys take seconds, 40,000 most of a minute), so checkKeys refuses
// a manifest whose mappings' key counts, squared and added up, pass
// maxKeys²: one mapping of at most 4096 keys, fewer when several are
// large. A valid manifest is far below (at most ~500 environment
// variables fit Lambda's 4 KB, 50 tags).
const maxKeys = 4096

// checkKeys counts the keys of each block mapping in tokens (keys at one
// column with nothing less indented between them) and reports the key at
// which the budget is passed, nil when it is not.
func (c *converter) checkKeys(tokens token.Tokens) *Error {
	type level struct{ col, keys int }
	var stack []level
	cost := 0
	for _, tk := range tokens {
		if tk.Position == nil {
			continue
		}
		switch tk.Type {
		case token.SequenceEntryType, token.DocumentHeaderType:
			// A new item or document ends the mappings indented more.
			col := tk.Position.Column
			for len(stack) > 0 && stack[len(stack)-1].col > col {
				stack = stack[:len(stack)-1]
			}
			if tk.Type == token.DocumentHeaderType {
				stack = stack[:0]
			}
		case token.MappingValueType:
			key := tk.Prev
			for key != nil && key.Type == token.CommentType {
				key = key.Prev
			}
			if key == nil || key.Position == nil {
				continue
			}
			col := key.Position.Column
			for len(stack) > 0 && stack[len(stack)-1].col > col {
				stack = stack[:len(stack)-1]
			}
			if len(stack) == 0 || stack[len(stack)-1].col < col {
				stack = append(stack, level{col: col})
			}
			top := &stack[len(stack)-1]
			cost += 2*top.keys + 1 // (n+1)² - n²
			top.keys++
			if cost > maxKeys*maxKeys {
				return &Error{Pos: c.pos(key), Msg: fmt.Sprintf("too many keys: lamb reads mappings of at most %d keys (fewer when several are large)", maxKeys)}
			}
		}
	}
	return nil
}
