package cloudwatch

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"
)

// The metrics store: per metric (namespace, name and dimension set, the
// identity CloudWatch gives a metric), statistic sets (count, sum, min,
// max) in buckets of the datapoints' storage resolution: 60 s for
// standard-resolution data (Lambda's metrics, and PutMetricData without
// StorageResolution 1), 1 s for high-resolution data. CloudWatch keeps
// statistic sets too, so every statistic this package answers (Sum,
// Average, Minimum, Maximum, SampleCount) is exact; percentiles are not
// kept.
//
// Memory is bounded two ways: buckets older than Options.Retention are
// dropped, and when more than Options.MaxBuckets are held the oldest
// eighth goes (evictLocked). Metrics with no bucket left disappear.

type bucket struct {
	t                  int64 // Unix seconds at the bucket's start
	n, sum, minv, maxv float64
}

func (b *bucket) merge(o bucket) {
	if b.n == 0 {
		b.minv, b.maxv = o.minv, o.maxv
	} else {
		b.minv, b.maxv = math.Min(b.minv, o.minv), math.Max(b.maxv, o.maxv)
	}
	b.n += o.n
	b.sum += o.sum
}

// valueSet is the statistic set of one value.
func valueSet(v float64) bucket { return bucket{n: 1, sum: v, minv: v, maxv: v} }

type series struct {
	namespace, name string
	dims            []dimension // sorted by name
	unit            string      // of the last datapoint
	pts             []bucket    // ascending t, no two equal
}

// metricKey is a metric's identity; dims must be sorted by name.
func metricKey(namespace, name string, dims []dimension) string {
	var b strings.Builder
	b.WriteString(namespace)
	b.WriteByte(0)
	b.WriteString(name)
	for _, d := range dims {
		b.WriteByte(0)
		b.WriteString(d.Name)
		b.WriteByte(1)
		b.WriteString(d.Value)
	}
	return b.String()
}

func sortedDims(dims []dimension) []dimension {
	d := slices.Clone(dims)
	slices.SortFunc(d, func(a, b dimension) int { return cmp.Compare(a.Name, b.Name) })
	return d
}

// addLocked adds the statistic set st at time t, in a bucket of res
// seconds, to a metric. s.mu is held.
func (s *Service) addLocked(namespace, name string, dims []dimension, unit string, t time.Time, res int64, st bucket) {
	if st.n <= 0 {
		return
	}
	sec := t.Unix()
	sec -= mod(sec, res)
	if sec < s.cutoffLocked() {
		return
	}
	dims = sortedDims(dims)
	key := metricKey(namespace, name, dims)
	sr := s.series[key]
	if sr == nil {
		sr = &series{namespace: namespace, name: name, dims: dims}
		s.series[key] = sr
	}
	if unit != "" {
		sr.unit = unit
	}
	st.t = sec
	i, found := slices.BinarySearchFunc(sr.pts, sec, func(b bucket, t int64) int { return cmp.Compare(b.t, t) })
	if found {
		sr.pts[i].merge(st)
		return
	}
	sr.pts = slices.Insert(sr.pts, i, st)
	s.buckets++
	if s.buckets > s.opts.MaxBuckets {
		s.evictLocked()
	}
}

func mod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// cutoffLocked is the Unix second before which buckets are dropped.
func (s *Service) cutoffLocked() int64 { return s.now().Add(-s.opts.Retention).Unix() }

// pruneLocked drops the buckets older than the retention window.
func (s *Service) pruneLocked() { s.dropBeforeLocked(s.cutoffLocked()) }

// dropBeforeLocked drops every bucket that starts before t.
func (s *Service) dropBeforeLocked(t int64) {
	for key, sr := range s.series {
		i, _ := slices.BinarySearchFunc(sr.pts, t, func(b bucket, t int64) int { return cmp.Compare(b.t, t) })
		if i == 0 {
			continue
		}
		s.buckets -= i
		sr.pts = slices.Delete(sr.pts, 0, i)
		if len(sr.pts) == 0 {
			delete(s.series, key)
		}
	}
}

// evictLocked makes room when more than MaxBuckets are held: expired
// buckets go, then, if still over, the oldest eighth of all buckets.
func (s *Service) evictLocked() {
	s.pruneLocked()
	if s.buckets <= s.opts.MaxBuckets {
		return
	}
	ts := make([]int64, 0, s.buckets)
	for _, sr := range s.series {
		for _, b := range sr.pts {
			ts = append(ts, b.t)
		}
	}
	slices.Sort(ts)
	s.dropBeforeLocked(ts[len(ts)/8] + 1)
}

// statistics CloudWatch computes from statistic sets.
var statistics = []string{"SampleCount", "Average", "Sum", "Minimum", "Maximum"}

func statValue(stat string, b bucket) float64 {
	switch stat {
	case "SampleCount":
		return b.n
	case "Average":
		return b.sum / b.n
	case "Sum":
		return b.sum
	case "Minimum":
		return b.minv
	default: // Maximum
		return b.maxv
	}
}

// aggregateLocked is a metric's statistic sets over [from, to) in periods
// of period seconds from from: the periods' start times and sets, in
// ascending time, periods without data left out. unit, when set, must be
// the metric's.
func (s *Service) aggregateLocked(key, unit string, from, to time.Time, period int64) ([]time.Time, []bucket) {
	sr := s.series[key]
	if sr == nil || unit != "" && sr.unit != unit {
		return nil, nil
	}
	start := from.Unix()
	i, _ := slices.BinarySearchFunc(sr.pts, start, func(b bucket, t int64) int { return cmp.Compare(b.t, t) })
	var times []time.Time
	var sets []bucket
	for _, b := range sr.pts[i:] {
		if !time.Unix(b.t, 0).Before(to) {
			break
		}
		pstart := start + (b.t-start)/period*period
		if n := len(sets); n > 0 && times[n-1].Unix() == pstart {
			sets[n-1].merge(b)
			continue
		}
		times = append(times, time.Unix(pstart, 0).UTC())
		b.t = pstart
		sets = append(sets, b)
	}
	return times, sets
}
