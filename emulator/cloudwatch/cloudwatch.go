// Package cloudwatch is the local Lambda's CloudWatch: the subset of the
// CloudWatch API that rollout gates read, served in both protocols clients
// speak (rpcv2Cbor for aws-sdk-go-v2, query for the AWS CLI v2.9).
//
// Metrics: GetMetricData, PutMetricData and ListMetrics over an in-memory
// store bounded by a retention window; the local Lambda feeds it the
// AWS/Lambda metrics of each invoke through Record. Alarms: PutMetricAlarm,
// DescribeAlarms, SetAlarmState and DeleteAlarms, persisted in a state
// directory when one is given. See docs/cloudwatch.md.
package cloudwatch

import (
	"fmt"
	"sync"
	"time"

	"github.com/lambctl/lamb/emulator/awsjson"
	"github.com/lambctl/lamb/emulator/awsjson/statefile"
)

// Options configure a Service.
type Options struct {
	// StateDir keeps the alarms in StateDir/cloudwatch-alarms.json across
	// restarts; "" keeps them in memory. Metrics are always in memory.
	StateDir string
	// Region defaults to us-east-1; AccountID to 123456789012. They make
	// the alarms' ARNs.
	Region    string
	AccountID string
	// Now is the clock; default time.Now. Tests inject one to move time
	// without sleeping.
	Now func() time.Time
	// Retention is how far back metric data is kept; default 3 hours.
	Retention time.Duration
	// MaxBuckets bounds the statistic sets held (one per metric per
	// minute, or per second for high-resolution data); default 1<<19
	// (about 25 MB). Over it, the oldest eighth is dropped.
	MaxBuckets int
	// MaxAlarms bounds the number of alarms; default 10000. PutMetricAlarm
	// over it answers LimitExceeded.
	MaxAlarms int
	// EvaluateAlarms makes DescribeAlarms evaluate metric alarms against
	// the stored metrics first (see docs/cloudwatch.md). Off, alarm states
	// change only by SetAlarmState, which is what tests usually want.
	EvaluateAlarms bool
}

// Service is the local CloudWatch. It is an http.Handler (ServeHTTP) for
// the requests Match reports, and the sink of the local Lambda's invoke
// metrics (Record). It is safe for concurrent use.
type Service struct {
	opts Options
	file statefile.File // the alarms

	mu      sync.Mutex
	series  map[string]*series
	buckets int
	alarms  map[string]*alarm
}

const alarmsFile = "cloudwatch-alarms.json"

// New returns a Service. With a StateDir, it loads the alarms an earlier
// Service saved there.
func New(opts Options) (*Service, error) {
	awsjson.Defaults(&opts.Region, &opts.AccountID)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Retention <= 0 {
		opts.Retention = 3 * time.Hour
	}
	if opts.MaxBuckets <= 0 {
		opts.MaxBuckets = 1 << 19
	}
	if opts.MaxAlarms <= 0 {
		opts.MaxAlarms = 10000
	}
	s := &Service{opts: opts, file: statefile.At(opts.StateDir, alarmsFile), series: map[string]*series{}, alarms: map[string]*alarm{}}
	var saved []*alarm
	if _, err := s.file.Load(&saved); err != nil {
		return nil, fmt.Errorf("cloudwatch: load alarms: %w", err)
	}
	for _, a := range saved {
		if a != nil {
			s.alarms[a.Alarm.AlarmName] = a
		}
	}
	return s, nil
}

func (s *Service) now() time.Time { return s.opts.Now() }

// Namespace is the namespace of Lambda's metrics.
const Namespace = "AWS/Lambda"

// Dimensions name what one invoke ran: the function, the resource invoked
// ("name:alias" or "name:version"; "" for an unqualified invoke) and the
// version that ran when the resource is an alias ("" otherwise).
// InvokeDimensions derives them as Lambda does.
type Dimensions struct {
	FunctionName    string
	Resource        string
	ExecutedVersion string
}

// InvokeDimensions is the Dimensions Lambda publishes an invoke under:
// function is the bare function name, qualifier the qualifier the caller
// gave ("" when none), alias whether that qualifier is an alias, and
// executedVersion the version that ran ("$LATEST" or a number).
//
// Resource is "function:qualifier" for a qualified invoke (an alias, a
// version or an explicit $LATEST) and "" for an unqualified one;
// ExecutedVersion is set only for an invoke through an alias, the one case
// in which Lambda documents the dimension.
func InvokeDimensions(function, qualifier string, alias bool, executedVersion string) Dimensions {
	d := Dimensions{FunctionName: function}
	if qualifier != "" {
		d.Resource = function + ":" + qualifier
		if alias {
			d.ExecutedVersion = executedVersion
		}
	}
	return d
}

// sets are the dimension sets Lambda publishes d's metrics under: across
// all functions (none), {FunctionName}, {FunctionName, Resource} and
// {FunctionName, Resource, ExecutedVersion}, the last two when d has them.
func (d Dimensions) sets() [][]dimension {
	fn := dimension{"FunctionName", d.FunctionName}
	out := [][]dimension{{}, {fn}}
	if d.Resource != "" {
		res := dimension{"Resource", d.Resource}
		out = append(out, []dimension{fn, res})
		if d.ExecutedVersion != "" {
			out = append(out, []dimension{fn, res, {"ExecutedVersion", d.ExecutedVersion}})
		}
	}
	return out
}

// Record adds one invoke's AWS/Lambda metrics at ts, under each of d's
// dimension sets, at standard (1-minute) resolution as Lambda publishes
// them: Invocations (invocations) and Errors (errors, 0 included, so that
// Average is the error rate) and Duration (milliseconds) when invocations
// > 0, and Throttles (throttles) when throttles > 0. The local Lambda calls
// it once per invoke: invocations 1, errors 1 for a function error or a
// timeout, else 0; or throttles 1 for a throttled request, which is not an
// invocation. A Record without a FunctionName, or older than the retention
// window, is dropped.
func (s *Service) Record(ts time.Time, d Dimensions, invocations, errors, throttles int, duration time.Duration) {
	if d.FunctionName == "" {
		return
	}
	type datum struct {
		name, unit string
		v          float64
	}
	var data []datum
	if invocations > 0 {
		data = append(data,
			datum{"Invocations", "Count", float64(invocations)},
			datum{"Errors", "Count", float64(errors)},
			datum{"Duration", "Milliseconds", float64(duration) / float64(time.Millisecond)})
	} else if errors > 0 {
		data = append(data, datum{"Errors", "Count", float64(errors)})
	}
	if throttles > 0 {
		data = append(data, datum{"Throttles", "Count", float64(throttles)})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, dims := range d.sets() {
		for _, m := range data {
			s.addLocked(Namespace, m.name, dims, m.unit, ts, 60, valueSet(m.v))
		}
	}
}
