package deployer_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lambctl/lamb/deployer"
	"github.com/lambctl/lamb/emulator"
)

// BenchmarkDeploy100 deploys 100 new functions (small zips) to the emulator
// with AWS's rate limits on (15 requests/s shared, 100/s GetFunction) and
// transitions that take 500 ms, with lamb's default options (15 req/s
// limiter, default concurrency, the SDK waiters' 1 s poll). It reports the
// total time against the floor the quota sets: shared-quota calls ÷ 15 s.
//
//	go test ./deployer -run '^$' -bench Deploy100 -benchtime 1x
func BenchmarkDeploy100(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		e := newTestEnv(b, emulator.Options{RateLimit: emulator.DefaultRateLimit(), TransitionDelay: 500 * time.Millisecond})
		fps := map[string]string{}
		for i := range 100 {
			fps[fmt.Sprintf("fn-%03d", i)] = "fp1"
		}
		w := e.world(b, fps)
		opts := deployer.Options{Lambda: e.client}
		b.StartTimer()
		start := time.Now()
		_, res, err := e.deploy(context.Background(), b, w, opts)
		elapsed := time.Since(start)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if res.Created != 100 {
			b.Fatalf("summary %s", res.Summary())
		}
		shared, gets, throttled := 0, 0, 0
		for _, c := range e.srv.Calls() {
			switch {
			case c.Status == 429:
				throttled++
			case c.Op == "GetFunction":
				gets++
			default:
				shared++
			}
		}
		floor := time.Duration(float64(shared) / deployer.DefaultRate * float64(time.Second))
		b.ReportMetric(elapsed.Seconds(), "s/deploy")
		b.ReportMetric(float64(shared), "calls")
		b.ReportMetric(float64(gets), "getfunction")
		b.ReportMetric(float64(throttled), "throttled")
		b.ReportMetric(elapsed.Seconds()/floor.Seconds(), "x-floor")
		b.Logf("100 functions: %v; %d shared-quota calls (floor %v), %d GetFunction, %d throttled: %.2f× the floor",
			elapsed.Round(time.Millisecond), shared, floor.Round(time.Millisecond), gets, throttled, elapsed.Seconds()/floor.Seconds())
		b.StartTimer()
	}
}
