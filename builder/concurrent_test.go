package builder

import (
	"context"
	"io"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// overlapRunner runs the go command and records whether the go builds it
// was given overlapped: each build waits (up to a deadline) for another to
// start before running.
type overlapRunner struct {
	mu      sync.Mutex
	started int
	both    chan struct{}
	waited  []bool // per build: another build started while it waited
	ps      []int  // each build's -p
}

func (r *overlapRunner) run(ctx context.Context, dir string, env, args []string, stdout, stderr io.Writer) error {
	if args[0] == "build" {
		r.mu.Lock()
		r.started++
		if r.started == 2 {
			close(r.both)
		}
		if i := slices.Index(args, "-p"); i >= 0 {
			p, _ := strconv.Atoi(args[i+1])
			r.ps = append(r.ps, p)
		}
		r.mu.Unlock()
		overlap := false
		select {
		case <-r.both:
			overlap = true
		case <-time.After(20 * time.Second):
		}
		r.mu.Lock()
		r.waited = append(r.waited, overlap)
		r.mu.Unlock()
	}
	return execGo(ctx, dir, env, args, stdout, stderr)
}

// TestGroupsRunSideBySide is issue 16's "builds for different settings run
// side by side": the arm64 and the x86_64 go builds run at the same time,
// and their -p add up to the -j budget.
func TestGroupsRunSideBySide(t *testing.T) {
	t.Parallel()
	m := monorepo(t)
	r := &overlapRunner{both: make(chan struct{})}
	arts, err := New(Options{Root: m.Root, NoCache: true, Jobs: 2, run: r.run}).Build(context.Background(), targets(t, m, "worker", "pricing"))
	if err != nil {
		t.Fatal(err)
	}
	if arts[0].Architecture != "arm64" || arts[1].Architecture != "x86_64" {
		t.Fatalf("artifacts: %+v", arts)
	}
	if !slices.Equal(r.waited, []bool{true, true}) {
		t.Errorf("go builds overlapped: %v, want both", r.waited)
	}
	if sum := r.ps[0] + r.ps[1]; sum != 2 {
		t.Errorf("-p of the two builds: %v, want a sum of 2", r.ps)
	}
}

func TestShares(t *testing.T) {
	tests := []struct {
		jobs, groups int
		want         []int
	}{
		{2, 1, []int{2}},
		{2, 2, []int{1, 1}},
		{2, 3, []int{1, 1}},
		{8, 3, []int{3, 3, 2}},
		{1, 4, []int{1}},
	}
	for _, tt := range tests {
		if got := shares(tt.jobs, tt.groups); !slices.Equal(got, tt.want) {
			t.Errorf("shares(%d, %d) = %v, want %v", tt.jobs, tt.groups, got, tt.want)
		}
	}
}
