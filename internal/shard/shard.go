// Package shard splits a set of items into N disjoint shards balanced by a
// cost estimate, so N CI runners can each build or deploy their share.
//
// The partition is a pure function of the names, their costs and N: every
// runner computes the same one without talking to the others.
package shard

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Spec is a parsed --shard K/N: shard Index (1-based) of Count.
type Spec struct {
	Index int
	Count int
}

// MaxCount bounds N; a larger value is almost certainly a typo.
const MaxCount = 1024

// Parse parses "K/N" with 1 <= K <= N. The empty string is the zero Spec,
// which selects everything (see Spec.Enabled).
func Parse(s string) (Spec, error) {
	if s == "" {
		return Spec{}, nil
	}
	ks, ns, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Spec{}, fmt.Errorf("--shard %q: want K/N, e.g. 1/4", s)
	}
	k, err := parseInt(ks)
	if err != nil {
		return Spec{}, fmt.Errorf("--shard %q: shard %w", s, err)
	}
	n, err := parseInt(ns)
	if err != nil {
		return Spec{}, fmt.Errorf("--shard %q: count %w", s, err)
	}
	switch {
	case n < 1:
		return Spec{}, fmt.Errorf("--shard %q: count must be at least 1", s)
	case n > MaxCount:
		return Spec{}, fmt.Errorf("--shard %q: count must be at most %d", s, MaxCount)
	case k < 1 || k > n:
		return Spec{}, fmt.Errorf("--shard %q: shard must be between 1 and %d (shards are 1-based)", s, n)
	}
	return Spec{Index: k, Count: n}, nil
}

func parseInt(s string) (int, error) {
	if s == "" {
		return 0, errors.New("is empty")
	}
	// Digits only: no sign, no spaces, no 0x.
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not a number", s)
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is out of range", s)
	}
	return n, nil
}

// Enabled reports whether s selects a strict share (it is not the zero Spec).
func (s Spec) Enabled() bool { return s.Count > 0 }

// String returns "K/N", or "" for the zero Spec.
func (s Spec) String() string {
	if !s.Enabled() {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// Item is something to place in a shard.
type Item struct {
	Name string
	// Cost is the estimated work; values below 1 count as 1, so that
	// items of unknown cost still spread across shards.
	Cost int
}

// Partition splits items into n shards with the greedy longest-processing-
// time rule: items by decreasing cost (ties by name) each go to the shard
// with the smallest total so far (ties by lowest index). Every item lands in
// exactly one shard; the largest and smallest shard totals differ by at most
// the largest single cost. Shard i holds the indexes into items, ascending.
// Duplicate names are an error: they would make the result depend on input
// order.
func Partition(items []Item, n int) ([][]int, error) {
	if n < 1 {
		return nil, fmt.Errorf("shard count %d: must be at least 1", n)
	}
	order := make([]int, len(items))
	seen := make(map[string]bool, len(items))
	for i, it := range items {
		if seen[it.Name] {
			return nil, fmt.Errorf("duplicate item %q", it.Name)
		}
		seen[it.Name] = true
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if c := cmp.Compare(cost(items[b]), cost(items[a])); c != 0 {
			return c
		}
		return strings.Compare(items[a].Name, items[b].Name)
	})
	totals := make([]int, n)
	shards := make([][]int, n)
	for _, i := range order {
		best := 0
		for s := 1; s < n; s++ {
			if totals[s] < totals[best] {
				best = s
			}
		}
		totals[best] += cost(items[i])
		shards[best] = append(shards[best], i)
	}
	for _, s := range shards {
		slices.Sort(s)
	}
	return shards, nil
}

func cost(it Item) int { return max(it.Cost, 1) }

// Select returns the indexes into items of shard spec, ascending; all of
// them when spec is the zero Spec.
func Select(items []Item, spec Spec) ([]int, error) {
	if !spec.Enabled() {
		all := make([]int, len(items))
		for i := range all {
			all[i] = i
		}
		return all, nil
	}
	shards, err := Partition(items, spec.Count)
	if err != nil {
		return nil, err
	}
	return shards[spec.Index-1], nil
}
