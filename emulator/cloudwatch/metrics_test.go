package cloudwatch_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/lambctl/lamb/emulator/cloudwatch"
)

func TestInvokeDimensions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		qualifier string
		alias     bool
		executed  string
		want      cloudwatch.Dimensions
	}{
		{"unqualified", "", false, "$LATEST", cloudwatch.Dimensions{FunctionName: "orders"}},
		{"alias", "live", true, "7", cloudwatch.Dimensions{FunctionName: "orders", Resource: "orders:live", ExecutedVersion: "7"}},
		{"version", "7", false, "7", cloudwatch.Dimensions{FunctionName: "orders", Resource: "orders:7"}},
		{"latest", "$LATEST", false, "$LATEST", cloudwatch.Dimensions{FunctionName: "orders", Resource: "orders:$LATEST"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := cloudwatch.InvokeDimensions("orders", tc.qualifier, tc.alias, tc.executed)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("InvokeDimensions (-want +got):\n%s", diff)
			}
		})
	}
}

// recordCanary records a canary's invokes: through alias live to versions
// 1 and 2, a smoke invoke of version 2 directly, an unqualified invoke,
// another function, a throttle, and an error of version 2 before t0.
func recordCanary(svc *cloudwatch.Service) {
	live := func(v string) cloudwatch.Dimensions { return cloudwatch.InvokeDimensions("orders", "live", true, v) }
	ms := time.Millisecond
	svc.Record(t0.Add(-10*time.Minute), live("2"), 1, 1, 0, 9*ms)
	svc.Record(t0.Add(10*time.Second), live("1"), 1, 0, 0, 10*ms)
	svc.Record(t0.Add(20*time.Second), live("1"), 1, 0, 0, 30*ms)
	svc.Record(t0.Add(30*time.Second), live("1"), 1, 1, 0, 20*ms)
	svc.Record(t0.Add(50*time.Second), cloudwatch.InvokeDimensions("orders", "2", false, "2"), 1, 1, 0, 5*ms)
	svc.Record(t0.Add(65*time.Second), live("2"), 1, 1, 0, 40*ms)
	svc.Record(t0.Add(100*time.Second), live("2"), 1, 1, 0, 50*ms)
	svc.Record(t0.Add(110*time.Second), live("2"), 0, 0, 1, 0)
	svc.Record(t0.Add(120*time.Second), cloudwatch.InvokeDimensions("orders", "", false, "$LATEST"), 1, 0, 0, 15*ms)
	svc.Record(t0.Add(130*time.Second), cloudwatch.InvokeDimensions("users", "live", true, "1"), 1, 1, 0, 15*ms)
	svc.Record(t0.Add(140*time.Second), cloudwatch.Dimensions{}, 1, 1, 0, ms) // no function: dropped
}

func TestLambdaMetrics(t *testing.T) {
	t.Parallel()
	h := newHarness(t, cloudwatch.Options{})
	recordCanary(h.svc)
	h.clk.Add(5 * time.Minute)
	ctx := context.Background()

	// The dimension sets Lambda publishes.
	var sets []string
	p := cw.NewListMetricsPaginator(h.c, &cw.ListMetricsInput{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Errors"),
		Dimensions: []types.DimensionFilter{{Name: aws.String("FunctionName"), Value: aws.String("orders")}}})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Metrics {
			var kv []string
			for _, d := range m.Dimensions {
				kv = append(kv, *d.Name+"="+*d.Value)
			}
			sets = append(sets, strings.Join(kv, ","))
		}
	}
	slices.Sort(sets)
	want := []string{
		"ExecutedVersion=1,FunctionName=orders,Resource=orders:live",
		"ExecutedVersion=2,FunctionName=orders,Resource=orders:live",
		"FunctionName=orders",
		"FunctionName=orders,Resource=orders:2",
		"FunctionName=orders,Resource=orders:live",
	}
	if diff := cmp.Diff(want, sets); diff != "" {
		t.Errorf("Errors dimension sets of orders (-want +got):\n%s", diff)
	}

	// One 5-minute period from t0: the window leaves out the error before t0.
	fn := []string{"FunctionName", "orders"}
	live := append(fn, "Resource", "orders:live")
	v1 := append(live[:4:4], "ExecutedVersion", "1")
	v2 := append(live[:4:4], "ExecutedVersion", "2")
	queries := []struct {
		id, name, stat string
		dims           []string
		want           float64
	}{
		{"errors_v2", "Errors", "Sum", v2, 2},
		{"errors_v1", "Errors", "Sum", v1, 1},
		{"rate_v1", "Errors", "Average", v1, 1.0 / 3},
		{"invocations_live", "Invocations", "Sum", live, 5},
		{"invocations_v2", "Invocations", "SampleCount", v2, 2},
		{"errors_fn", "Errors", "Sum", fn, 4},
		{"errors_all", "Errors", "Sum", nil, 5},
		{"smoke", "Errors", "Sum", []string{"FunctionName", "orders", "Resource", "orders:2"}, 1},
		{"throttles", "Throttles", "Sum", fn, 1},
		{"duration_max", "Duration", "Maximum", v1, 30},
		{"duration_min", "Duration", "Minimum", live, 10},
		// Dimension order does not matter; a subset is another metric.
		{"reordered", "Errors", "Sum", []string{"ExecutedVersion", "2", "Resource", "orders:live", "FunctionName", "orders"}, 2},
	}
	in := &cw.GetMetricDataInput{StartTime: aws.Time(t0), EndTime: aws.Time(t0.Add(5 * time.Minute))}
	for _, q := range queries {
		in.MetricDataQueries = append(in.MetricDataQueries, statQuery(q.id, "AWS/Lambda", q.name, q.stat, 300, dims(q.dims...)))
	}
	in.MetricDataQueries = append(in.MetricDataQueries, statQuery("subset", "AWS/Lambda", "Errors", "Sum", 300, dims("Resource", "orders:live")))
	out, err := h.c.GetMetricData(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.MetricDataResults) != len(queries)+1 {
		t.Fatalf("%d results, want %d", len(out.MetricDataResults), len(queries)+1)
	}
	for i, q := range queries {
		t.Run(q.id, func(t *testing.T) {
			r := out.MetricDataResults[i]
			want := series{Timestamps: []time.Time{t0}, Values: []float64{q.want}}
			if diff := cmp.Diff(want, resultSeries(r), cmpopts.EquateApprox(0, 1e-9)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if *r.Id != q.id || *r.Label != q.name || r.StatusCode != types.StatusCodeComplete {
				t.Errorf("Id, Label, StatusCode = %s, %s, %s", *r.Id, *r.Label, r.StatusCode)
			}
		})
	}
	if r := out.MetricDataResults[len(queries)]; len(r.Values) != 0 || r.Values == nil || r.Timestamps == nil {
		t.Errorf("subset of dimensions: Values %v, Timestamps %v, want empty lists", r.Values, r.Timestamps)
	}

	// Per minute, newest first (the default ScanBy).
	out, err = h.c.GetMetricData(ctx, &cw.GetMetricDataInput{StartTime: aws.Time(t0.Add(-15 * time.Minute)), EndTime: aws.Time(t0.Add(5 * time.Minute)),
		MetricDataQueries: []types.MetricDataQuery{statQuery("m", "AWS/Lambda", "Errors", "Sum", 60, dims(fn...))}})
	if err != nil {
		t.Fatal(err)
	}
	wantMinutes := series{
		Timestamps: []time.Time{t0.Add(2 * time.Minute), t0.Add(time.Minute), t0, t0.Add(-10 * time.Minute)},
		Values:     []float64{0, 2, 2, 1},
	}
	if diff := cmp.Diff(wantMinutes, resultSeries(out.MetricDataResults[0])); diff != "" {
		t.Errorf("Errors of orders per minute (-want +got):\n%s", diff)
	}
}

func TestGetMetricData(t *testing.T) {
	t.Parallel()
	h := newHarness(t, cloudwatch.Options{})
	ctx := context.Background()
	api := dims("svc", "api")
	put := func(d ...types.MetricDatum) {
		t.Helper()
		if _, err := h.c.PutMetricData(ctx, &cw.PutMetricDataInput{Namespace: aws.String("app"), MetricData: d}); err != nil {
			t.Fatal(err)
		}
	}
	datum := func(name string, at time.Duration) types.MetricDatum {
		return types.MetricDatum{MetricName: aws.String(name), Dimensions: api, Timestamp: aws.Time(t0.Add(at)), Unit: types.StandardUnitMilliseconds}
	}
	d1, d2, d3, d4 := datum("latency", 5*time.Second), datum("latency", 50*time.Second), datum("latency", 70*time.Second), datum("latency", 120*time.Second)
	d1.Value, d2.Value = aws.Float64(10), aws.Float64(20)
	d3.Values, d3.Counts = []float64{1, 2, 3}, []float64{1, 1, 2}
	d4.StatisticValues = &types.StatisticSet{SampleCount: aws.Float64(2), Sum: aws.Float64(10), Minimum: aws.Float64(4), Maximum: aws.Float64(6)}
	put(d1, d2, d3, d4)
	var hires []types.MetricDatum
	for _, s := range []int{3, 7, 12} {
		d := datum("hires", time.Duration(s)*time.Second)
		d.Value, d.StorageResolution = aws.Float64(float64(s)), aws.Int32(1)
		hires = append(hires, d)
	}
	d := datum("lores", 12*time.Second)
	d.Value = aws.Float64(1)
	put(append(hires, d)...)
	h.clk.Add(5 * time.Minute)

	minutes := []time.Time{t0, t0.Add(time.Minute), t0.Add(2 * time.Minute)}
	for _, tc := range []struct {
		name  string
		start time.Duration
		q     types.MetricDataQuery
		want  series
	}{
		{"sum", 0, statQuery("m", "app", "latency", "Sum", 60, api), series{minutes, []float64{30, 9, 10}}},
		{"average", 0, statQuery("m", "app", "latency", "Average", 60, api), series{minutes, []float64{15, 2.25, 5}}},
		{"minimum", 0, statQuery("m", "app", "latency", "Minimum", 60, api), series{minutes, []float64{10, 1, 4}}},
		{"maximum", 0, statQuery("m", "app", "latency", "Maximum", 60, api), series{minutes, []float64{20, 3, 6}}},
		{"sample count", 0, statQuery("m", "app", "latency", "SampleCount", 60, api), series{minutes, []float64{2, 4, 2}}},
		{"start rounded down to the minute", 30 * time.Second, statQuery("m", "app", "latency", "Sum", 120, api),
			series{[]time.Time{t0, t0.Add(2 * time.Minute)}, []float64{39, 10}}},
		{"high resolution", 0, statQuery("m", "app", "hires", "Sum", 5, api),
			series{[]time.Time{t0, t0.Add(5 * time.Second), t0.Add(10 * time.Second)}, []float64{3, 7, 12}}},
		{"standard resolution at a short period", 0, statQuery("m", "app", "lores", "Sum", 10, api), series{[]time.Time{t0}, []float64{1}}},
		{"unit matches", 0, func() types.MetricDataQuery {
			q := statQuery("m", "app", "lores", "Sum", 60, api)
			q.MetricStat.Unit = types.StandardUnitMilliseconds
			return q
		}(), series{[]time.Time{t0}, []float64{1}}},
		{"unit differs", 0, func() types.MetricDataQuery {
			q := statQuery("m", "app", "lores", "Sum", 60, api)
			q.MetricStat.Unit = types.StandardUnitSeconds
			return q
		}(), series{[]time.Time{}, []float64{}}},
		{"other dimensions", 0, statQuery("m", "app", "latency", "Sum", 60, dims("svc", "web")), series{[]time.Time{}, []float64{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, err := h.c.GetMetricData(ctx, &cw.GetMetricDataInput{
				StartTime: aws.Time(t0.Add(tc.start)), EndTime: aws.Time(t0.Add(5 * time.Minute)),
				ScanBy: types.ScanByTimestampAscending, MetricDataQueries: []types.MetricDataQuery{tc.q},
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, resultSeries(out.MetricDataResults[0])); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}

	// Labels, ReturnData, and an end time that is exclusive.
	hidden := statQuery("hidden", "app", "latency", "Sum", 60, api)
	hidden.ReturnData = aws.Bool(false)
	labelled := statQuery("labelled", "app", "latency", "Sum", 60, api)
	labelled.Label = aws.String("p50 of api")
	out, err := h.c.GetMetricData(ctx, &cw.GetMetricDataInput{StartTime: aws.Time(t0), EndTime: aws.Time(t0.Add(2 * time.Minute)),
		MetricDataQueries: []types.MetricDataQuery{hidden, labelled}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.MetricDataResults) != 1 || *out.MetricDataResults[0].Label != "p50 of api" {
		t.Fatalf("results %+v, want only labelled", out.MetricDataResults)
	}
	if diff := cmp.Diff(series{[]time.Time{t0.Add(time.Minute), t0}, []float64{9, 30}}, resultSeries(out.MetricDataResults[0])); diff != "" {
		t.Errorf("labelled (-want +got):\n%s", diff)
	}
}

func TestGetMetricDataPaging(t *testing.T) {
	t.Parallel()
	h := newHarness(t, cloudwatch.Options{})
	ctx := context.Background()
	live := cloudwatch.InvokeDimensions("orders", "live", true, "3")
	for i := range 5 {
		h.svc.Record(t0.Add(time.Duration(i)*time.Minute), live, 1, i%2, 0, time.Millisecond)
	}
	h.clk.Add(10 * time.Minute)
	v3 := dims("FunctionName", "orders", "Resource", "orders:live", "ExecutedVersion", "3")
	in := &cw.GetMetricDataInput{StartTime: aws.Time(t0), EndTime: aws.Time(t0.Add(10 * time.Minute)), MaxDatapoints: aws.Int32(3),
		MetricDataQueries: []types.MetricDataQuery{
			statQuery("errors", "AWS/Lambda", "Errors", "Sum", 60, v3),
			statQuery("invocations", "AWS/Lambda", "Invocations", "Sum", 60, v3),
		}}
	got := map[string]series{}
	var statuses []string
	p := cw.NewGetMetricDataPaginator(h.c, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range out.MetricDataResults {
			s := resultSeries(r)
			g := got[*r.Id]
			g.Timestamps = append(g.Timestamps, s.Timestamps...)
			g.Values = append(g.Values, s.Values...)
			got[*r.Id] = g
			n += len(r.Values)
			statuses = append(statuses, *r.Id+":"+string(r.StatusCode))
		}
		if n > 3 {
			t.Errorf("page with %d datapoints, MaxDatapoints 3", n)
		}
	}
	var minutes []time.Time
	for i := 4; i >= 0; i-- {
		minutes = append(minutes, t0.Add(time.Duration(i)*time.Minute))
	}
	want := map[string]series{
		"errors":      {minutes, []float64{0, 1, 0, 1, 0}},
		"invocations": {minutes, []float64{1, 1, 1, 1, 1}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paged results (-want +got):\n%s", diff)
	}
	wantStatuses := []string{
		"errors:PartialData", "invocations:PartialData",
		"errors:Complete", "invocations:PartialData",
		"errors:Complete", "invocations:PartialData",
		"errors:Complete", "invocations:Complete",
	}
	if diff := cmp.Diff(wantStatuses, statuses); diff != "" {
		t.Errorf("statuses per page (-want +got):\n%s", diff)
	}
}

func TestListMetrics(t *testing.T) {
	t.Parallel()
	h := newHarness(t, cloudwatch.Options{Retention: 5 * time.Hour})
	ctx := context.Background()
	var data []types.MetricDatum
	for i := range 600 {
		data = append(data, types.MetricDatum{MetricName: aws.String("jobs"), Dimensions: dims("queue", fmt.Sprintf("q%03d", i)), Value: aws.Float64(1)})
	}
	if _, err := h.c.PutMetricData(ctx, &cw.PutMetricDataInput{Namespace: aws.String("batch"), MetricData: data}); err != nil {
		t.Fatal(err)
	}
	h.clk.Add(4 * time.Hour)
	if _, err := h.c.PutMetricData(ctx, &cw.PutMetricDataInput{Namespace: aws.String("batch"), MetricData: []types.MetricDatum{
		{MetricName: aws.String("jobs"), Dimensions: dims("queue", "fresh"), Value: aws.Float64(1)},
	}}); err != nil {
		t.Fatal(err)
	}
	list := func(in *cw.ListMetricsInput) (names []string, pages int) {
		t.Helper()
		p := cw.NewListMetricsPaginator(h.c, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, m := range out.Metrics {
				names = append(names, *m.Dimensions[0].Value)
			}
		}
		return names, pages
	}
	all, pages := list(&cw.ListMetricsInput{Namespace: aws.String("batch")})
	if len(all) != 601 || pages != 2 || all[0] != "fresh" || all[1] != "q000" || all[600] != "q599" {
		t.Errorf("ListMetrics: %d metrics in %d pages, first %q, want 601 in 2", len(all), pages, all[0])
	}
	recent, _ := list(&cw.ListMetricsInput{Namespace: aws.String("batch"), RecentlyActive: types.RecentlyActivePt3h})
	if diff := cmp.Diff([]string{"fresh"}, recent); diff != "" {
		t.Errorf("RecentlyActive (-want +got):\n%s", diff)
	}
	one, _ := list(&cw.ListMetricsInput{Dimensions: []types.DimensionFilter{{Name: aws.String("queue"), Value: aws.String("q042")}}})
	if diff := cmp.Diff([]string{"q042"}, one); diff != "" {
		t.Errorf("dimension filter (-want +got):\n%s", diff)
	}
	none, _ := list(&cw.ListMetricsInput{Namespace: aws.String("other")})
	if len(none) != 0 {
		t.Errorf("other namespace: %v", none)
	}
}

// TestRetention checks the memory bounds: data older than the retention
// window is gone, and over MaxBuckets the oldest data goes first.
func TestRetention(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fn := dims("FunctionName", "orders")
	query := func(h *harness) series {
		t.Helper()
		out, err := h.c.GetMetricData(ctx, &cw.GetMetricDataInput{StartTime: aws.Time(t0.Add(-time.Hour)), EndTime: aws.Time(h.clk.Now().Add(time.Hour)),
			ScanBy: types.ScanByTimestampAscending, MetricDataQueries: []types.MetricDataQuery{statQuery("m", "AWS/Lambda", "Invocations", "Sum", 60, fn)}})
		if err != nil {
			t.Fatal(err)
		}
		return resultSeries(out.MetricDataResults[0])
	}
	t.Run("window", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, cloudwatch.Options{Retention: 10 * time.Minute})
		d := cloudwatch.InvokeDimensions("orders", "", false, "$LATEST")
		h.svc.Record(t0, d, 1, 0, 0, time.Millisecond)
		h.svc.Record(t0.Add(-11*time.Minute), d, 1, 0, 0, time.Millisecond) // already expired
		h.clk.Add(5 * time.Minute)
		h.svc.Record(h.clk.Now(), d, 1, 0, 0, time.Millisecond)
		if diff := cmp.Diff(series{[]time.Time{t0, t0.Add(5 * time.Minute)}, []float64{1, 1}}, query(h)); diff != "" {
			t.Errorf("within the window (-want +got):\n%s", diff)
		}
		h.clk.Add(6 * time.Minute)
		if diff := cmp.Diff(series{[]time.Time{t0.Add(5 * time.Minute)}, []float64{1}}, query(h)); diff != "" {
			t.Errorf("11 minutes on (-want +got):\n%s", diff)
		}
	})
	t.Run("max buckets", func(t *testing.T) {
		t.Parallel()
		// Each invoke fills 6 buckets (3 metrics, 2 dimension sets).
		h := newHarness(t, cloudwatch.Options{MaxBuckets: 60})
		d := cloudwatch.InvokeDimensions("orders", "", false, "$LATEST")
		for i := range 40 {
			h.svc.Record(t0.Add(time.Duration(i)*time.Minute), d, 1, 0, 0, time.Millisecond)
		}
		h.clk.Add(40 * time.Minute)
		got := query(h)
		if n := len(got.Timestamps); n == 0 || n > 10 {
			t.Fatalf("%d minutes kept, want 1 to 10", n)
		}
		if last := got.Timestamps[len(got.Timestamps)-1]; !last.Equal(t0.Add(39 * time.Minute)) {
			t.Errorf("newest minute kept %v, want %v", last, t0.Add(39*time.Minute))
		}
	})
}

// TestPutMetricDataGzip: the SDK gzips PutMetricData bodies over 10 KB.
func TestPutMetricDataGzip(t *testing.T) {
	t.Parallel()
	svc, err := cloudwatch.New(cloudwatch.Options{Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var encodings []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		encodings = append(encodings, r.Header.Get("Content-Encoding"))
		mu.Unlock()
		matchOnly(svc).ServeHTTP(w, r)
	}))
	defer ts.Close()
	c := newClient(ts.URL)
	ctx := context.Background()
	var data []types.MetricDatum
	for i := range 1000 {
		data = append(data, types.MetricDatum{MetricName: aws.String("bytes"), Dimensions: dims("shard", fmt.Sprint(i%10)), Value: aws.Float64(float64(i)), Timestamp: aws.Time(t0)})
	}
	if _, err := c.PutMetricData(ctx, &cw.PutMetricDataInput{Namespace: aws.String("big"), MetricData: data}); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetMetricData(ctx, &cw.GetMetricDataInput{StartTime: aws.Time(t0), EndTime: aws.Time(t0.Add(time.Minute)),
		MetricDataQueries: []types.MetricDataQuery{statQuery("m", "big", "bytes", "SampleCount", 60, dims("shard", "3"))}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(series{[]time.Time{t0}, []float64{100}}, resultSeries(out.MetricDataResults[0])); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if encodings[0] != "gzip" {
		t.Errorf("PutMetricData Content-Encoding %q, want gzip (the test does not cover compression)", encodings[0])
	}
}

// TestConcurrentRecord: invokes record while clients read.
func TestConcurrentRecord(t *testing.T) {
	t.Parallel()
	h := newHarness(t, cloudwatch.Options{})
	ctx := context.Background()
	live := cloudwatch.InvokeDimensions("orders", "live", true, "1")
	q := &cw.GetMetricDataInput{StartTime: aws.Time(t0), EndTime: aws.Time(t0.Add(time.Hour)),
		MetricDataQueries: []types.MetricDataQuery{statQuery("m", "AWS/Lambda", "Invocations", "Sum", 3600, dims("FunctionName", "orders"))}}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range 100 {
				h.svc.Record(t0.Add(time.Duration(w*100+i)*time.Second), live, 1, i%2, 0, time.Millisecond)
			}
		}()
		go func() {
			defer wg.Done()
			for range 5 {
				if _, err := h.c.GetMetricData(ctx, q); err != nil {
					t.Error(err)
				}
				if _, err := h.c.ListMetrics(ctx, &cw.ListMetricsInput{}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	out, err := h.c.GetMetricData(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(series{[]time.Time{t0}, []float64{400}}, resultSeries(out.MetricDataResults[0])); diff != "" {
		t.Errorf("invocations after concurrent records (-want +got):\n%s", diff)
	}
}
