package manifest

import (
	"fmt"
	"math"
	"strconv"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// nodeKind is the shape of a YAML value.
type nodeKind int

const (
	nullNode nodeKind = iota
	scalarNode
	mapNode
	seqNode
)

// scalar tags: what YAML resolved a plain scalar to.
const (
	tagStr   = "string"
	tagInt   = "integer"
	tagFloat = "number"
	tagBool  = "boolean"
	tagNull  = "null"
)

// node is a YAML value with its position, reduced to what the manifest
// needs: anchors and aliases resolved, merge keys applied.
type node struct {
	kind   nodeKind
	pos    Pos
	tag    string // scalars: tagStr, tagInt, ...
	text   string // scalars: the value (strings unquoted)
	quoted bool   // a string written in quotes (pos is the quote's)
	int    int64  // tagInt
	keys   []*node
	vals   []*node
	items  []*node
	// size is how many values the node stands for with aliases expanded:
	// what decoding it costs.
	size int
}

func (n *node) describe() string {
	switch n.kind {
	case nullNode:
		return "null"
	case mapNode:
		return "a mapping"
	case seqNode:
		return "a list"
	}
	if n.tag == tagStr {
		return fmt.Sprintf("string %q", n.text)
	}
	return n.tag + " " + n.text
}

// maxDepth bounds nesting; the manifest needs 5 levels.
const maxDepth = 64

// maxValues bounds the values a manifest stands for once aliases are
// expanded (a 1 MiB manifest without aliases has fewer than 600,000): an
// alias of an alias of ... would otherwise make decoding it exponential.
const maxValues = 1 << 20

// converter turns the goccy AST into nodes.
type converter struct {
	file    string
	anchors map[string]*node
	// errs are the problems that leave the rest of the document readable
	// (a duplicate key, an unknown anchor); convert's own error ends it.
	errs []*Error
	// syntax: parts of the document were blanked after syntax errors, so
	// an anchor defined there is not reported unknown.
	syntax bool
}

func (c *converter) pos(tk *token.Token) Pos {
	if tk == nil || tk.Position == nil {
		return Pos{File: c.file, Line: 1, Col: 1}
	}
	return Pos{File: c.file, Line: tk.Position.Line, Col: tk.Position.Column}
}

func (c *converter) errorf(tk *token.Token, format string, args ...any) *Error {
	return &Error{Pos: c.pos(tk), Msg: fmt.Sprintf(format, args...)}
}

func (c *converter) convert(n ast.Node, depth int) (*node, *Error) {
	out, err := c.convertNode(n, depth)
	if err != nil {
		return nil, err
	}
	if out.size == 0 {
		out.size = 1
	}
	if out.size > maxValues {
		return nil, &Error{Pos: out.pos, Msg: fmt.Sprintf("aliases expand the manifest to more than %d values", maxValues)}
	}
	return out, nil
}

func (c *converter) convertNode(n ast.Node, depth int) (*node, *Error) {
	if n == nil {
		return &node{kind: nullNode, pos: Pos{File: c.file, Line: 1, Col: 1}, tag: tagNull}, nil
	}
	if depth > maxDepth {
		return nil, c.errorf(n.GetToken(), "nested too deeply (more than %d levels)", maxDepth)
	}
	switch n := n.(type) {
	case *ast.DocumentNode:
		if n.Body == nil {
			return &node{kind: nullNode, pos: c.pos(n.GetToken()), tag: tagNull}, nil
		}
		return c.convert(n.Body, depth+1)
	case *ast.NullNode:
		return &node{kind: nullNode, pos: c.pos(n.Token), tag: tagNull}, nil
	case *ast.StringNode:
		q := n.Token != nil && (n.Token.Type == token.DoubleQuoteType || n.Token.Type == token.SingleQuoteType)
		return &node{kind: scalarNode, pos: c.pos(n.Token), tag: tagStr, text: n.Value, quoted: q}, nil
	case *ast.LiteralNode:
		return &node{kind: scalarNode, pos: c.pos(n.Start), tag: tagStr, text: n.Value.Value}, nil
	case *ast.IntegerNode:
		out := &node{kind: scalarNode, pos: c.pos(n.Token), tag: tagInt, text: n.Token.Value}
		switch v := n.Value.(type) {
		case int64:
			out.int = v
		case uint64:
			out.int = math.MaxInt64 // clamped: out of range for every field
			if v < math.MaxInt64 {
				out.int = int64(v)
			}
		default:
			out.tag = tagFloat
		}
		return out, nil
	case *ast.FloatNode:
		return &node{kind: scalarNode, pos: c.pos(n.Token), tag: tagFloat, text: n.Token.Value}, nil
	case *ast.InfinityNode:
		return &node{kind: scalarNode, pos: c.pos(n.Token), tag: tagFloat, text: n.Token.Value}, nil
	case *ast.NanNode:
		return &node{kind: scalarNode, pos: c.pos(n.Token), tag: tagFloat, text: n.Token.Value}, nil
	case *ast.BoolNode:
		return &node{kind: scalarNode, pos: c.pos(n.Token), tag: tagBool, text: strconv.FormatBool(n.Value)}, nil
	case *ast.MappingNode:
		return c.mapping(n.GetToken(), n.Values, depth)
	case *ast.MappingValueNode:
		return c.mapping(n.Key.GetToken(), []*ast.MappingValueNode{n}, depth)
	case *ast.MappingKeyNode:
		return c.convert(n.Value, depth+1)
	case *ast.SequenceNode:
		out := &node{kind: seqNode, pos: c.pos(n.Start), size: 1}
		for _, v := range n.Values {
			item, err := c.convert(v, depth+1)
			if err != nil {
				return nil, err
			}
			out.items = append(out.items, item)
			if out.size += item.size; out.size > maxValues {
				return out, nil // convert reports it
			}
		}
		return out, nil
	case *ast.AnchorNode:
		v, err := c.convert(n.Value, depth+1)
		if err != nil {
			return nil, err
		}
		if n.Name != nil {
			c.anchors[n.Name.GetToken().Value] = v
		}
		return v, nil
	case *ast.AliasNode:
		name := ""
		if n.Value != nil {
			name = n.Value.GetToken().Value
		}
		v, ok := c.anchors[name]
		if !ok {
			if !c.syntax {
				c.errs = append(c.errs, c.errorf(n.Start, "unknown anchor %q", name))
			}
			return &node{kind: nullNode, pos: c.pos(n.Start), tag: tagNull}, nil
		}
		return v, nil
	case *ast.TagNode:
		v, err := c.convert(n.Value, depth+1)
		if err != nil {
			return nil, err
		}
		if n.Start != nil && n.Start.Value == "!!str" && v.kind == scalarNode {
			cp := *v
			cp.tag = tagStr
			return &cp, nil
		}
		return v, nil
	}
	return nil, c.errorf(n.GetToken(), "unsupported YAML %s", n.Type())
}

// mapping converts the pairs of a mapping, applying merge keys (<<): merged
// pairs never override the mapping's own keys. An index of the keys keeps
// it linear in the pairs and merged pairs.
func (c *converter) mapping(start *token.Token, pairs []*ast.MappingValueNode, depth int) (*node, *Error) {
	out := &node{kind: mapNode, pos: c.pos(start), size: 1}
	if len(pairs) > 0 && pairs[0].Key != nil {
		out.pos = c.pos(pairs[0].Key.GetToken())
	}
	index := make(map[string]*node, len(pairs)) // key → its first node
	var merged []*node
	for _, p := range pairs {
		if p.Key == nil {
			continue
		}
		if p.Key.IsMergeKey() {
			v, err := c.convert(p.Value, depth+1)
			if err != nil {
				return nil, err
			}
			out.size += v.size
			switch v.kind {
			case mapNode:
				merged = append(merged, v)
			case seqNode:
				for _, it := range v.items {
					if it.kind != mapNode {
						c.errs = append(c.errs, &Error{Pos: it.pos, Msg: "merge key (<<) needs a mapping or a list of mappings"})
						continue
					}
					merged = append(merged, it)
				}
			case nullNode:
				// An unknown anchor, reported where it is used.
			default:
				c.errs = append(c.errs, &Error{Pos: v.pos, Msg: "merge key (<<) needs a mapping or a list of mappings"})
			}
			continue
		}
		k, err := c.convert(p.Key, depth+1)
		if err != nil {
			return nil, err
		}
		if k.kind != scalarNode {
			c.errs = append(c.errs, &Error{Pos: k.pos, Msg: "mapping keys must be scalars"})
			continue
		}
		if first, dup := index[k.text]; dup {
			// Reported, and the value left out: the first one counts.
			c.errs = append(c.errs, &Error{Pos: k.pos, Msg: fmt.Sprintf("duplicate key %q (first at %s)", k.text, first.pos)})
			continue
		}
		v, err := c.convert(p.Value, depth+1)
		if err != nil {
			return nil, err
		}
		if v.kind == nullNode && p.Value == nil {
			v.pos = k.pos
		}
		out.size += k.size + v.size
		if out.size > maxValues {
			return out, nil // convert reports it
		}
		index[k.text] = k
		out.keys = append(out.keys, k)
		out.vals = append(out.vals, v)
	}
	if out.size > maxValues {
		return out, nil
	}
	for _, m := range merged {
		for i, k := range m.keys {
			if index[k.text] == nil {
				index[k.text] = k
				out.keys = append(out.keys, k)
				out.vals = append(out.vals, m.vals[i])
			}
		}
	}
	return out, nil
}
