package graph

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Node is one function's graph, as `lamb graph -o json` prints it.
type Node struct {
	Name     string        `json:"name"`
	Package  string        `json:"package"`
	Packages []PackageNode `json:"packages"`
	Modules  []ModuleNode  `json:"modules"`
}

// PackageNode is a repository package of a function's closure.
type PackageNode struct {
	Path    string   `json:"path"`
	Name    string   `json:"name"`
	Imports []string `json:"imports"` // repository packages, import paths
	Modules []string `json:"modules"` // other modules imported directly
}

// ModuleNode is a module of a function's closure outside the repository.
type ModuleNode struct {
	Path    string `json:"path"`
	Version string `json:"version"`
}

// Nodes returns the graph of each print: function → repository packages →
// other modules.
func Nodes(prints []Print) []Node {
	out := make([]Node, 0, len(prints))
	for _, p := range prints {
		n := Node{Name: p.Function, Package: p.Package, Packages: []PackageNode{}, Modules: []ModuleNode{}}
		for _, path := range sortedKeys(p.Inputs.Packages) {
			pi := p.Inputs.Packages[path]
			n.Packages = append(n.Packages, PackageNode{Path: path, Name: pi.Name, Imports: nonNil(pi.Imports), Modules: nonNil(pi.Modules)})
		}
		for _, path := range sortedKeys(p.Inputs.Modules) {
			n.Modules = append(n.Modules, ModuleNode{Path: path, Version: p.Inputs.Modules[path]})
		}
		out = append(out, n)
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// WriteGraph writes the graph of prints in format text, dot or json.
func WriteGraph(w io.Writer, prints []Print, format string) error {
	nodes := Nodes(prints)
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(nodes)
	case "dot":
		return writeDot(w, nodes)
	case "text", "":
		return writeText(w, nodes)
	}
	return fmt.Errorf("unknown graph format %q (text|dot|json)", format)
}

func writeText(w io.Writer, nodes []Node) error {
	bw := bufio.NewWriter(w)
	for i, n := range nodes {
		if i > 0 {
			fmt.Fprintln(bw)
		}
		fmt.Fprintf(bw, "%s (%s)\n", n.Name, n.Package)
		names := map[string]string{}
		for _, p := range n.Packages {
			names[p.Path] = p.Name
		}
		for _, p := range n.Packages {
			fmt.Fprintf(bw, "  %s\n", p.Name)
			for _, imp := range p.Imports {
				fmt.Fprintf(bw, "    -> %s\n", names[imp])
			}
			for _, m := range p.Modules {
				fmt.Fprintf(bw, "    => %s\n", m)
			}
		}
		for _, m := range n.Modules {
			fmt.Fprintf(bw, "  module %s %s\n", m.Path, m.Version)
		}
	}
	return bw.Flush()
}

func writeDot(w io.Writer, nodes []Node) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "digraph lamb {")
	fmt.Fprintln(bw, "\trankdir=LR;")
	fmt.Fprintln(bw, "\tnode [fontname=\"Helvetica\"];")
	seen := map[string]bool{}
	line := func(format string, args ...any) {
		s := fmt.Sprintf(format, args...)
		if !seen[s] {
			seen[s] = true
			fmt.Fprintln(bw, "\t"+s)
		}
	}
	for _, n := range nodes {
		fn := "fn:" + n.Name
		line("%s [shape=box, style=filled, fillcolor=\"#ffd58a\", label=%s];", quote(fn), quote(n.Name))
		line("%s -> %s;", quote(fn), quote("pkg:"+n.Package))
		direct := map[string]bool{}
		for _, p := range n.Packages {
			line("%s [shape=box, label=%s];", quote("pkg:"+p.Path), quote(p.Name))
			for _, imp := range p.Imports {
				line("%s -> %s;", quote("pkg:"+p.Path), quote("pkg:"+imp))
			}
			for _, m := range p.Modules {
				direct[m] = true
				line("%s -> %s;", quote("pkg:"+p.Path), quote("mod:"+m))
			}
		}
		for _, m := range n.Modules {
			line("%s [shape=ellipse, style=dashed, label=%s];", quote("mod:"+m.Path), quote(m.Path+"\n"+m.Version))
			if !direct[m.Path] {
				line("%s -> %s [style=dotted];", quote(fn), quote("mod:"+m.Path))
			}
		}
	}
	fmt.Fprintln(bw, "}")
	return bw.Flush()
}

// quote quotes s as a dot ID.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
