package cloudwatch

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Limits of CloudWatch's API reference (GetMetricData, PutMetricData,
// ListMetrics).
const (
	maxQueries          = 500
	defaultMaxDatapoint = 100800
	maxMetricData       = 1000
	maxDimensions       = 30
	maxValues           = 150
	listMetricsPage     = 500
)

var queryID = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)

// validPeriod: 1, 5, 10, 20, 30 or a multiple of 60 seconds.
func validPeriod(p int32) bool {
	switch p {
	case 1, 5, 10, 20, 30:
		return true
	}
	return p > 0 && p%60 == 0
}

// alignStart rounds a GetMetricData StartTime down as CloudWatch does: to
// the period for periods under a minute; else to the minute when less
// than 15 days ago, 5 minutes up to 63 days, the hour beyond.
func alignStart(start, now time.Time, period int64) time.Time {
	start = start.UTC()
	if period < 60 {
		return start.Truncate(time.Duration(period) * time.Second)
	}
	switch age := now.Sub(start); {
	case age < 15*24*time.Hour:
		return start.Truncate(time.Minute)
	case age < 63*24*time.Hour:
		return start.Truncate(5 * time.Minute)
	default:
		return start.Truncate(time.Hour)
	}
}

func (s *Service) getMetricData(in *getMetricDataInput) (*getMetricDataOutput, error) {
	switch {
	case len(in.MetricDataQueries) == 0:
		return nil, missingParam("MetricDataQueries")
	case len(in.MetricDataQueries) > maxQueries:
		return nil, invalidParam("The collection MetricDataQueries must not have a size greater than %d.", maxQueries)
	case in.StartTime == nil:
		return nil, missingParam("StartTime")
	case in.EndTime == nil:
		return nil, missingParam("EndTime")
	case !in.StartTime.Before(*in.EndTime):
		return nil, invalidParam("The parameter StartTime must be less than the parameter EndTime.")
	}
	switch in.ScanBy {
	case "", "TimestampDescending", "TimestampAscending":
	default:
		return nil, validationErr(in.ScanBy, "scanBy", "Member must satisfy enum value set: [TimestampDescending, TimestampAscending]")
	}
	maxPoints := defaultMaxDatapoint
	if in.MaxDatapoints != nil {
		if *in.MaxDatapoints < 1 {
			return nil, invalidParam("The parameter MaxDatapoints must be greater than 0.")
		}
		maxPoints = int(*in.MaxDatapoints)
	}
	seen := map[string]bool{}
	for i, q := range in.MetricDataQueries {
		field := fmt.Sprintf("MetricDataQueries.member.%d", i+1)
		if !queryID.MatchString(q.Id) {
			return nil, invalidParam("The value %s for parameter %s.Id is invalid: it must start with a lowercase letter and contain only letters, numbers and underscores.", q.Id, field)
		}
		if seen[q.Id] {
			return nil, invalidParam("The value %s for parameter MetricDataQueries.Id is duplicated.", q.Id)
		}
		seen[q.Id] = true
		if q.Expression != nil {
			return nil, invalidParam("The parameter %s.Expression is not supported by lamb's local CloudWatch: it serves MetricStat queries only.", field)
		}
		if err := checkMetricStat(q.MetricStat, field+".MetricStat"); err != nil {
			return nil, err
		}
	}

	s.mu.Lock()
	now := s.now()
	s.pruneLocked()
	results := []metricDataResult{}
	for _, q := range in.MetricDataQueries {
		if q.ReturnData != nil && !*q.ReturnData {
			continue
		}
		ms := q.MetricStat
		period := int64(*ms.Period)
		start := alignStart(*in.StartTime, now, period)
		key := metricKey(ms.Metric.Namespace, ms.Metric.MetricName, sortedDims(ms.Metric.Dimensions))
		times, sets := s.aggregateLocked(key, ms.Unit, start, *in.EndTime, period)
		r := metricDataResult{Id: q.Id, Label: ms.Metric.MetricName, StatusCode: "Complete",
			Timestamps: make([]time.Time, 0, len(times)), Values: make([]float64, 0, len(sets))}
		if q.Label != nil && *q.Label != "" {
			r.Label = *q.Label
		}
		for i := range sets {
			r.Timestamps = append(r.Timestamps, times[i])
			r.Values = append(r.Values, statValue(ms.Stat, sets[i]))
		}
		if in.ScanBy != "TimestampAscending" {
			slices.Reverse(r.Timestamps)
			slices.Reverse(r.Values)
		}
		results = append(results, r)
	}
	s.mu.Unlock()
	return pageMetricData(results, in.NextToken, maxPoints)
}

func checkMetricStat(ms *metricStat, field string) error {
	switch {
	case ms == nil:
		return invalidParam("The parameter %s is required: lamb's local CloudWatch serves MetricStat queries only.", field)
	case ms.Metric == nil:
		return missingParam(field + ".Metric")
	case ms.Metric.Namespace == "":
		return missingParam(field + ".Metric.Namespace")
	case ms.Metric.MetricName == "":
		return missingParam(field + ".Metric.MetricName")
	case len(ms.Metric.Dimensions) > maxDimensions:
		return invalidParam("The collection %s.Metric.Dimensions must not have a size greater than %d.", field, maxDimensions)
	case ms.Period == nil:
		return missingParam(field + ".Period")
	case !validPeriod(*ms.Period):
		return invalidParam("The parameter %s.Period must be 1, 5, 10, 20, 30 or a multiple of 60.", field)
	case ms.Stat == "":
		return missingParam(field + ".Stat")
	case !slices.Contains(statistics, ms.Stat):
		return invalidParam("The value %s for parameter %s.Stat is not supported by lamb's local CloudWatch (it serves %s).", ms.Stat, field, strings.Join(statistics, ", "))
	}
	return nil
}

// pageMetricData cuts results to maxPoints datapoints from the offset a
// NextToken carries (datapoints counted in result order); a result with
// datapoints left for a later page has StatusCode PartialData.
func pageMetricData(results []metricDataResult, token *string, maxPoints int) (*getMetricDataOutput, error) {
	from := 0
	if token != nil {
		n, err := parseToken("gmd", *token)
		if err != nil {
			return nil, err
		}
		from = n
	}
	total := 0
	for _, r := range results {
		total += len(r.Values)
	}
	if from > total {
		return nil, invalidNextToken()
	}
	skip, budget := from, maxPoints
	for i := range results {
		r := &results[i]
		drop := min(skip, len(r.Values))
		skip -= drop
		r.Timestamps, r.Values = r.Timestamps[drop:], r.Values[drop:]
		if take := min(budget, len(r.Values)); take < len(r.Values) {
			r.Timestamps, r.Values = r.Timestamps[:take], r.Values[:take]
			r.StatusCode = "PartialData"
		}
		budget -= len(r.Values)
	}
	out := &getMetricDataOutput{MetricDataResults: results}
	if next := from + maxPoints - budget; next < total {
		t := makeToken("gmd", next)
		out.NextToken = &t
	}
	return out, nil
}

// Paging tokens are opaque to clients: base64 of "kind:offset".
func makeToken(kind string, offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + strconv.Itoa(offset)))
}

func parseToken(kind, token string) (int, error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return 0, invalidNextToken()
	}
	k, n, ok := strings.Cut(string(b), ":")
	off, err := strconv.Atoi(n)
	if !ok || k != kind || err != nil || off < 0 {
		return 0, invalidNextToken()
	}
	return off, nil
}

func (s *Service) putMetricData(in *putMetricDataInput) (*empty, error) {
	switch {
	case in.Namespace == "":
		return nil, missingParam("Namespace")
	case len(in.Namespace) > 255:
		return nil, validationErr(in.Namespace, "namespace", "Member must have length less than or equal to 255")
	case strings.HasPrefix(in.Namespace, "AWS/"):
		return nil, invalidParam("The value %s for parameter Namespace is invalid.", in.Namespace)
	case len(in.MetricData) == 0:
		return nil, missingParam("MetricData")
	case len(in.MetricData) > maxMetricData:
		return nil, invalidParam("The collection MetricData must not have a size greater than %d.", maxMetricData)
	}
	now := s.now()
	type point struct {
		d   *metricDatum
		t   time.Time
		res int64
		st  bucket
	}
	points := make([]point, 0, len(in.MetricData))
	for i := range in.MetricData {
		d := &in.MetricData[i]
		field := fmt.Sprintf("MetricData.member.%d", i+1)
		st, err := datumSet(d, field)
		if err != nil {
			return nil, err
		}
		p := point{d: d, t: now, res: 60, st: st}
		if d.Timestamp != nil {
			p.t = *d.Timestamp
		}
		if p.t.Before(now.Add(-14*24*time.Hour)) || p.t.After(now.Add(2*time.Hour)) {
			return nil, invalidParam("The parameter %s.Timestamp must specify a time no more than two weeks in the past and two hours in the future.", field)
		}
		if r := d.StorageResolution; r != nil {
			if *r != 1 && *r != 60 {
				return nil, invalidParam("The value %d for parameter %s.StorageResolution is invalid: it must be 1 or 60.", *r, field)
			}
			p.res = int64(*r)
		}
		points = append(points, p)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range points {
		s.addLocked(in.Namespace, p.d.MetricName, p.d.Dimensions, p.d.Unit, p.t, p.res, p.st)
	}
	return &empty{}, nil
}

// datumSet validates a PutMetricData datum and returns its statistic set.
func datumSet(d *metricDatum, field string) (bucket, error) {
	if d.MetricName == "" {
		return bucket{}, missingParam(field + ".MetricName")
	}
	if len(d.Dimensions) > maxDimensions {
		return bucket{}, invalidParam("The collection %s.Dimensions must not have a size greater than %d.", field, maxDimensions)
	}
	names := map[string]bool{}
	for j, dim := range d.Dimensions {
		if dim.Name == "" || dim.Value == "" || len(dim.Name) > 255 || len(dim.Value) > 1024 {
			return bucket{}, invalidParam("The parameter %s.Dimensions.member.%d must have a Name of 1 to 255 and a Value of 1 to 1024 characters.", field, j+1)
		}
		if names[dim.Name] {
			return bucket{}, invalidParam("The parameter %s.Dimensions has the dimension %s twice.", field, dim.Name)
		}
		names[dim.Name] = true
	}
	kinds := 0
	for _, set := range []bool{d.Value != nil, d.StatisticValues != nil, len(d.Values) > 0} {
		if set {
			kinds++
		}
	}
	if kinds > 1 {
		return bucket{}, invalidCombination("The parameters %s.Value, %[1]s.StatisticValues and %[1]s.Values are mutually exclusive.", field)
	}
	switch {
	case d.Value != nil:
		if !finite(*d.Value) {
			return bucket{}, invalidParam("The value %v for parameter %s.Value is invalid.", *d.Value, field)
		}
		return valueSet(*d.Value), nil
	case d.StatisticValues != nil:
		sv := d.StatisticValues
		if sv.SampleCount == nil || sv.Sum == nil || sv.Minimum == nil || sv.Maximum == nil {
			return bucket{}, missingParam(field + ".StatisticValues (SampleCount, Sum, Minimum and Maximum)")
		}
		if !finite(*sv.SampleCount) || !finite(*sv.Sum) || !finite(*sv.Minimum) || !finite(*sv.Maximum) ||
			*sv.SampleCount <= 0 || *sv.Minimum > *sv.Maximum {
			return bucket{}, invalidParam("The parameter %s.StatisticValues is invalid.", field)
		}
		return bucket{n: *sv.SampleCount, sum: *sv.Sum, minv: *sv.Minimum, maxv: *sv.Maximum}, nil
	case len(d.Values) > 0:
		if len(d.Values) > maxValues {
			return bucket{}, invalidParam("The collection %s.Values must not have a size greater than %d.", field, maxValues)
		}
		if len(d.Counts) > 0 && len(d.Counts) != len(d.Values) {
			return bucket{}, invalidParam("The parameters %s.Values and %[1]s.Counts must be of the same size.", field)
		}
		var b bucket
		for j, v := range d.Values {
			c := 1.0
			if len(d.Counts) > 0 {
				c = d.Counts[j]
			}
			if !finite(v) || !finite(c) || c < 0 {
				return bucket{}, invalidParam("The parameter %s.Values.member.%d is invalid.", field, j+1)
			}
			if c == 0 {
				continue
			}
			b.merge(bucket{n: c, sum: v * c, minv: v, maxv: v})
		}
		return b, nil
	}
	return bucket{}, missingParam(field + ".Value")
}

// finite: not NaN or infinite, and within CloudWatch's range of ±2^360.
func finite(v float64) bool {
	return !math.IsNaN(v) && math.Abs(v) <= 0x1p360
}

func (s *Service) listMetrics(in *listMetricsInput) (*listMetricsOutput, error) {
	switch in.RecentlyActive {
	case "", "PT3H":
	default:
		return nil, validationErr(in.RecentlyActive, "recentlyActive", "Member must satisfy enum value set: [PT3H]")
	}
	if len(in.Dimensions) > 10 {
		return nil, invalidParam("The collection Dimensions must not have a size greater than 10.")
	}
	skip := 0
	if in.NextToken != nil {
		n, err := parseToken("lm", *in.NextToken)
		if err != nil {
			return nil, err
		}
		skip = n
	}
	s.mu.Lock()
	s.pruneLocked()
	active := s.now().Add(-3 * time.Hour).Unix()
	var found []*series
	for _, sr := range s.series {
		if in.Namespace != "" && sr.namespace != in.Namespace ||
			in.MetricName != "" && sr.name != in.MetricName ||
			in.RecentlyActive != "" && sr.pts[len(sr.pts)-1].t < active ||
			!matchFilters(sr.dims, in.Dimensions) {
			continue
		}
		found = append(found, sr)
	}
	s.mu.Unlock()
	slices.SortFunc(found, func(a, b *series) int {
		return cmp.Compare(metricKey(a.namespace, a.name, a.dims), metricKey(b.namespace, b.name, b.dims))
	})
	if skip > len(found) {
		return nil, invalidNextToken()
	}
	found = found[skip:]
	out := &listMetricsOutput{Metrics: []metric{}}
	if len(found) > listMetricsPage {
		t := makeToken("lm", skip+listMetricsPage)
		out.NextToken = &t
		found = found[:listMetricsPage]
	}
	for _, sr := range found {
		out.Metrics = append(out.Metrics, metric{Namespace: sr.namespace, MetricName: sr.name, Dimensions: append([]dimension{}, sr.dims...)})
	}
	return out, nil
}

// matchFilters: every filter names a dimension the metric has, with the
// filter's value when it gives one.
func matchFilters(dims []dimension, filters []dimensionFilter) bool {
	for _, f := range filters {
		i := slices.IndexFunc(dims, func(d dimension) bool { return d.Name == f.Name })
		if i < 0 || f.Value != nil && dims[i].Value != *f.Value {
			return false
		}
	}
	return true
}
