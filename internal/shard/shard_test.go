package shard

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    Spec
		wantErr bool
	}{
		{in: "", want: Spec{}},
		{in: "1/1", want: Spec{Index: 1, Count: 1}},
		{in: "2/4", want: Spec{Index: 2, Count: 4}},
		{in: "4/4", want: Spec{Index: 4, Count: 4}},
		{in: " 3/8 ", want: Spec{Index: 3, Count: 8}},
		{in: "1/1024", want: Spec{Index: 1, Count: 1024}},
		{in: "0/4", wantErr: true},
		{in: "5/4", wantErr: true},
		{in: "1/0", wantErr: true},
		{in: "-1/4", wantErr: true},
		{in: "+1/4", wantErr: true},
		{in: "1/-4", wantErr: true},
		{in: "1", wantErr: true},
		{in: "1/", wantErr: true},
		{in: "/4", wantErr: true},
		{in: "a/b", wantErr: true},
		{in: "1/2/3", wantErr: true},
		{in: "1 /2", wantErr: true},
		{in: "0x1/2", wantErr: true},
		{in: "1/1025", wantErr: true},
		{in: "1/99999999999999999999999", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Parse(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			if err == nil && got.Enabled() {
				if back, _ := Parse(got.String()); back != got {
					t.Errorf("Parse(String()) = %v, want %v", back, got)
				}
			}
		})
	}
}

func names(items []Item, idx []int) []string {
	var out []string
	for _, i := range idx {
		out = append(out, items[i].Name)
	}
	return out
}

func TestPartitionExample(t *testing.T) {
	items := []Item{
		{Name: "api", Cost: 10},
		{Name: "billing", Cost: 7},
		{Name: "cron", Cost: 3},
		{Name: "events", Cost: 3},
		{Name: "auth", Cost: 6},
		{Name: "zero", Cost: 0},
	}
	got, err := Partition(items, 2)
	if err != nil {
		t.Fatal(err)
	}
	// LPT: api(10)→1, billing(7)→2, auth(6)→2 (13), cron(3)→1 (13),
	// events(3)→1 (16), zero(1)→2 (14).
	want := [][]string{{"api", "cron", "events"}, {"billing", "auth", "zero"}}
	gotNames := [][]string{names(items, got[0]), names(items, got[1])}
	if diff := cmp.Diff(want, gotNames); diff != "" {
		t.Errorf("Partition mismatch (-want +got):\n%s", diff)
	}
}

func TestPartitionErrors(t *testing.T) {
	if _, err := Partition([]Item{{Name: "a"}}, 0); err == nil {
		t.Error("Partition(n=0) succeeded")
	}
	if _, err := Partition([]Item{{Name: "a"}, {Name: "a"}}, 2); err == nil {
		t.Error("Partition(duplicate names) succeeded")
	}
}

func TestSelectAllWhenDisabled(t *testing.T) {
	items := []Item{{Name: "b"}, {Name: "a"}}
	got, err := Select(items, Spec{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{0, 1}, got); diff != "" {
		t.Errorf("Select(zero Spec) mismatch (-want +got):\n%s", diff)
	}
}

// TestPartitionProperties checks, over seeded random inputs, that shards
// are disjoint and complete, balanced within the largest cost, and a pure
// function of the set of items (input order does not matter).
func TestPartitionProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 7))
	for iter := range 500 {
		nItems := r.IntN(40)
		n := 1 + r.IntN(8)
		items := make([]Item, nItems)
		maxCost := 1
		for i := range items {
			c := r.IntN(100) - 5 // some non-positive costs
			if iter%5 == 0 {
				c = 3 // many ties
			}
			items[i] = Item{Name: fmt.Sprintf("fn-%03d", r.IntN(1000)*1000+i), Cost: c}
			maxCost = max(maxCost, c)
		}
		shards, err := Partition(items, n)
		if err != nil {
			t.Fatal(err)
		}
		if len(shards) != n {
			t.Fatalf("got %d shards, want %d", len(shards), n)
		}
		seen := make([]int, nItems)
		totals := make([]int, n)
		for s, idx := range shards {
			if !slices.IsSorted(idx) {
				t.Errorf("shard %d not sorted: %v", s, idx)
			}
			for _, i := range idx {
				seen[i]++
				totals[s] += max(items[i].Cost, 1)
			}
		}
		for i, c := range seen {
			if c != 1 {
				t.Fatalf("iter %d: item %s in %d shards, want exactly 1", iter, items[i].Name, c)
			}
		}
		if d := slices.Max(totals) - slices.Min(totals); d > maxCost {
			t.Errorf("iter %d: shard totals %v differ by %d > largest cost %d", iter, totals, d, maxCost)
		}

		// Same set, other order: same shards by name.
		shuffled := slices.Clone(items)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		again, err := Partition(shuffled, n)
		if err != nil {
			t.Fatal(err)
		}
		for s := range shards {
			a, b := names(items, shards[s]), names(shuffled, again[s])
			slices.Sort(a)
			slices.Sort(b)
			if diff := cmp.Diff(a, b); diff != "" {
				t.Fatalf("iter %d: shard %d depends on input order (-first +shuffled):\n%s", iter, s, diff)
			}
		}

		// Select over every K covers everything exactly once.
		var union []int
		for k := 1; k <= n; k++ {
			sel, err := Select(items, Spec{Index: k, Count: n})
			if err != nil {
				t.Fatal(err)
			}
			union = append(union, sel...)
		}
		slices.Sort(union)
		if len(union) != nItems || (nItems > 0 && (union[0] != 0 || union[nItems-1] != nItems-1 || len(slices.Compact(union)) != nItems)) {
			t.Fatalf("iter %d: union of Select over all shards = %v, want 0..%d", iter, union, nItems-1)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1/2", "0/0", "", "3/3", "x/y", "1/1025"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spec, err := Parse(s)
		if err != nil {
			return
		}
		if s != "" && (spec.Index < 1 || spec.Index > spec.Count || spec.Count > MaxCount) {
			t.Fatalf("Parse(%q) = %+v: out of range", s, spec)
		}
	})
}

// BenchmarkPartition splits 5000 functions (a very large monorepo) into 16
// shards.
func BenchmarkPartition(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	items := make([]Item, 5000)
	for i := range items {
		items[i] = Item{Name: fmt.Sprintf("fn-%05d", i), Cost: 1 + r.IntN(2000)}
	}
	for b.Loop() {
		if _, err := Partition(items, 16); err != nil {
			b.Fatal(err)
		}
	}
}
