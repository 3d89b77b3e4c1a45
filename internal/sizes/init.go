package sizes

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/lambctl/lamb/emulator/rapi"
)

// DefaultRuns is how many cold starts MeasureInit makes by default.
const DefaultRuns = 5

// InitStats are a function's cold starts in the local runtime, with the
// figures Lambda's REPORT line gives: Init Duration and Max Memory Used.
type InitStats struct {
	Runs int `json:"runs"`
	// Median and P90 of the Init Duration (the runtime's start to its
	// first request for an event); P90 by nearest rank.
	Median time.Duration `json:"-"`
	P90    time.Duration `json:"-"`
	// MaxMemoryMB is the largest Max Memory Used of the runs.
	MaxMemoryMB int `json:"maxMemoryMB"`
	// Errors counts the runs whose invocation returned a function error
	// (the event did not suit the function, say): their init counts all
	// the same.
	Errors int `json:"errors"`
}

// MarshalJSON writes the durations in milliseconds with two decimals, as
// the REPORT line does: {"runs":5,"medianMs":12.34,"p90Ms":15.02,...}.
func (s InitStats) MarshalJSON() ([]byte, error) {
	type plain InitStats
	return json.Marshal(struct {
		plain
		MedianMs float64 `json:"medianMs"`
		P90Ms    float64 `json:"p90Ms"`
	}{plain(s), Millis(s.Median), Millis(s.P90)})
}

// Millis is d in milliseconds rounded to two decimals, as Lambda's REPORT
// line prints durations.
func Millis(d time.Duration) float64 { return math.Round(float64(d.Microseconds())/10) / 100 }

// MeasureInit cold-starts req's function runs times in r, one after the
// other, retiring its environment after each run so that the next one
// starts a new process. A failed init (the process exits or reports an
// init error before asking for an event) is an error: there is no init
// duration to report.
func MeasureInit(ctx context.Context, r *rapi.Runner, req rapi.InvokeRequest, runs int) (InitStats, error) {
	if runs <= 0 {
		runs = DefaultRuns
	}
	st := InitStats{Runs: runs}
	inits := make([]time.Duration, 0, runs)
	for i := range runs {
		r.Retire(req.FunctionName) // the next invoke is a cold start
		req.RequestID = ""
		res, err := r.Invoke(ctx, req)
		if err != nil {
			return InitStats{}, err
		}
		if !res.ColdStart {
			return InitStats{}, fmt.Errorf("run %d of %d was not a cold start", i+1, runs)
		}
		if res.FunctionError != "" && res.Duration == 0 {
			return InitStats{}, fmt.Errorf("init failed in run %d of %d: %s", i+1, runs, firstLine(string(res.Payload)))
		}
		if res.FunctionError != "" {
			st.Errors++
		}
		inits = append(inits, res.InitDuration)
		st.MaxMemoryMB = max(st.MaxMemoryMB, res.MaxMemoryMB)
	}
	r.Retire(req.FunctionName)
	st.Median, st.P90 = Percentile(inits, 50), Percentile(inits, 90)
	return st, nil
}

// Percentile returns the p-th percentile of ds by nearest rank (the
// smallest value at least p% of the values are at or below); 0 for none.
// For an even count, the 50th is the lower middle value.
func Percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := (p*len(s) + 99) / 100 // ceil(p/100 * n)
	return s[min(max(rank, 1), len(s))-1]
}
