package cloudwatch_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/lambctl/lamb/emulator/cloudwatch"
)

// t0 is a minute-aligned instant the tests' clocks start at.
var t0 = time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)

// clock is a test clock: time moves only when a test says.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type harness struct {
	svc *cloudwatch.Service
	c   *cw.Client
	clk *clock
	url string
}

// newHarness serves a Service (its clock at t0 unless opts has one) behind
// an httptest server that answers only what Match accepts, with a real
// SDK client pointed at it.
func newHarness(t *testing.T, opts cloudwatch.Options) *harness {
	t.Helper()
	clk := &clock{t: t0}
	if opts.Now == nil {
		opts.Now = clk.Now
	}
	svc, err := cloudwatch.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(matchOnly(svc))
	t.Cleanup(ts.Close)
	return &harness{svc: svc, c: newClient(ts.URL), clk: clk, url: ts.URL}
}

// matchOnly mounts svc the way the local Lambda does: on the requests
// Match accepts, everything else 404.
func matchOnly(svc http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !cloudwatch.Match(r) {
			http.Error(w, "not CloudWatch", http.StatusNotFound)
			return
		}
		svc.ServeHTTP(w, r)
	})
}

func newClient(url string) *cw.Client {
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("x", "x", ""),
	}
	return cw.NewFromConfig(cfg, func(o *cw.Options) {
		o.BaseEndpoint = aws.String(url)
		o.RetryMaxAttempts = 1
	})
}

func dims(kv ...string) []types.Dimension {
	var d []types.Dimension
	for i := 0; i+1 < len(kv); i += 2 {
		d = append(d, types.Dimension{Name: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return d
}

// statQuery is a GetMetricData query of one metric.
func statQuery(id, namespace, name, stat string, period int32, d []types.Dimension) types.MetricDataQuery {
	return types.MetricDataQuery{
		Id: aws.String(id),
		MetricStat: &types.MetricStat{
			Metric: &types.Metric{Namespace: aws.String(namespace), MetricName: aws.String(name), Dimensions: d},
			Period: aws.Int32(period),
			Stat:   aws.String(stat),
		},
	}
}

// series is a GetMetricData result as comparable values.
type series struct {
	Timestamps []time.Time
	Values     []float64
}

func resultSeries(r types.MetricDataResult) series {
	s := series{Timestamps: []time.Time{}, Values: append([]float64{}, r.Values...)}
	for _, t := range r.Timestamps {
		s.Timestamps = append(s.Timestamps, t.UTC())
	}
	return s
}
