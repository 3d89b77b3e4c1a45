package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/lambctl/lamb/graph"
	"github.com/lambctl/lamb/manifest"
)

// selectFunctions returns the manifest's functions named in names (all when
// names is empty; a name is a function's Name or Key; an unknown name is a
// usage error listing the known names), narrowed to those affected since
// the ref since when since is not empty. A missing ref is a usage error.
func selectFunctions(ctx context.Context, m *manifest.Manifest, names []string, since string) ([]manifest.Function, error) {
	fns, err := namedFunctions(m, names)
	if err != nil {
		return nil, err
	}
	if since == "" {
		return fns, nil
	}
	res, err := affected(ctx, m, since, fns)
	if err != nil {
		return nil, err
	}
	keep := make(map[string]bool, len(res.Functions))
	for _, f := range res.Functions {
		keep[f.Name] = true
	}
	var out []manifest.Function
	for _, f := range fns {
		if keep[f.Name] {
			out = append(out, f)
		}
	}
	return out, nil
}

// namedFunctions returns the functions named in names, in manifest order.
func namedFunctions(m *manifest.Manifest, names []string) ([]manifest.Function, error) {
	if len(names) == 0 {
		return append([]manifest.Function(nil), m.Functions...), nil
	}
	want := map[string]bool{}
	var unknown []string
	for _, n := range names {
		f, ok := m.Lookup(n)
		if !ok {
			unknown = append(unknown, n)
			continue
		}
		want[f.Name] = true
	}
	if len(unknown) > 0 {
		known := make([]string, len(m.Functions))
		for i, f := range m.Functions {
			known[i] = f.Name
		}
		return nil, usageError(fmt.Errorf("unknown function %s (known: %s)", strings.Join(unknown, ", "), strings.Join(known, ", ")))
	}
	var out []manifest.Function
	for _, f := range m.Functions {
		if want[f.Name] {
			out = append(out, f)
		}
	}
	return out, nil
}

// affected runs graph.Affected and turns a missing ref or a missing git
// repository into a usage error (exit 2).
func affected(ctx context.Context, m *manifest.Manifest, since string, fns []manifest.Function) (*graph.AffectedResult, error) {
	res, err := graph.Affected(ctx, m, since, fns)
	if errors.Is(err, graph.ErrRefNotFound) || errors.Is(err, graph.ErrNotGitRepo) {
		return nil, usageError(err)
	}
	return res, err
}
