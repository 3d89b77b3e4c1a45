package deployer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambctl/lamb/internal/fsutil"
	"github.com/lambctl/lamb/internal/lambdaspec"
)

// CloudWatchAPI is the part of the CloudWatch API a rollout's gates read.
type CloudWatchAPI interface {
	DescribeAlarms(context.Context, *cloudwatch.DescribeAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
	GetMetricData(context.Context, *cloudwatch.GetMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

var _ CloudWatchAPI = (*cloudwatch.Client)(nil)

// Rollout is how a function's new version takes the alias's traffic: smoke
// events invoked on the version first, then the traffic shifted in steps
// with gates checked after each wait.
type Rollout struct {
	// Steps are the percentages of traffic on the new version, ascending;
	// 100 is the end (added when missing).
	Steps []int
	// Interval is the wait after each step before its gates are checked.
	Interval time.Duration
	// Smoke events are invoked on the new version (qualifier = version)
	// before any traffic moves; a function error or timeout aborts.
	Smoke []SmokeEvent
	// Alarms are CloudWatch alarm names that must not be in ALARM (and
	// must exist).
	Alarms []string
	// MaxErrors is the number of errors of the new version (AWS/Lambda
	// Errors through the alias, by executed version) that aborts when
	// exceeded.
	MaxErrors int
}

// SmokeEvent is one smoke event: its name (the file, as written in the
// manifest) and payload.
type SmokeEvent struct {
	Name    string
	Payload []byte
}

// RolloutResult is what a function's rollout did.
type RolloutResult struct {
	// From is the version the alias was on ("" for a new alias); To the
	// new version.
	From string `json:"from,omitempty"`
	To   string `json:"to"`
	// Smoke counts the smoke events that passed.
	Smoke int `json:"smoke,omitempty"`
	// Steps are the steps reached, each with its gates' readings.
	Steps []RolloutStep `json:"steps,omitempty"`
	// Skipped says why traffic moved at once: "--no-rollout", "new
	// alias", "alias on $LATEST", "alias already on the version".
	Skipped string `json:"skipped,omitempty"`
	// Resumed is the percentage an interrupted rollout was found at.
	Resumed int `json:"resumed,omitempty"`
	// Gate is the gate that stopped the rollout ("smoke", "alarm",
	// "errors", "interrupted", or "api" when a call failed) and Value what
	// it read; RolledBack says the alias went back to From, weights
	// cleared.
	Gate       string `json:"gate,omitempty"`
	Value      string `json:"value,omitempty"`
	RolledBack bool   `json:"rolledBack,omitempty"`
}

// RolloutStep is one step of a rollout: the traffic percentage on the new
// version, and the gates read after the wait (Errors: the new version's
// errors so far).
type RolloutStep struct {
	Percent int  `json:"percent"`
	Errors  int  `json:"errors"`
	Passed  bool `json:"passed"`
}

// RolloutEvent reports a rollout's progress (Options.OnRollout).
type RolloutEvent struct {
	Function string
	Version  string
	// Percent is the traffic on the new version after the event.
	Percent int
	// What happened: "smoke passed", "shifted", "gates passed", "done",
	// "rolled back".
	What   string
	Detail string
}

// rolloutOf returns want's rollout: Desired.Rollout when set, else the
// manifest's (Function.Rollout) with its smoke events read from files
// relative to Options.Root (regular files, at most Lambda's 6 MB payload).
func (d *Deployer) rolloutOf(want Desired) (*Rollout, error) {
	if want.Rollout != nil || want.Function.Rollout == nil {
		return want.Rollout, nil
	}
	m := want.Function.Rollout
	ro := &Rollout{Steps: slices.Clone(m.Steps), Interval: m.Interval, Alarms: slices.Clone(m.Alarms), MaxErrors: m.MaxErrors}
	for _, name := range m.Smoke {
		if d.opts.Root == "" {
			return nil, fmt.Errorf("smoke event %s: no manifest root to read it from (Options.Root)", name)
		}
		payload, err := fsutil.ReadRegular(filepath.Join(d.opts.Root, filepath.FromSlash(name)), lambdaspec.SyncPayloadLimit)
		if err != nil {
			return nil, fmt.Errorf("smoke event %s: %w", name, err)
		}
		ro.Smoke = append(ro.Smoke, SmokeEvent{Name: name, Payload: payload})
	}
	return ro, nil
}

// Why a rollout moves the alias at once (RolloutResult.Skipped).
const (
	skipNoRollout = "--no-rollout"
	// skipLatest: Lambda splits an alias's traffic only between published
	// versions.
	skipLatest = "alias on " + latest
)

// describe is the rollout in one line, as the plan shows it; skip says
// why it moves the alias at once ("" when it does not).
func (r *Rollout) describe(skip string) string {
	if skip != "" {
		return "skipped (" + skip + "): the alias moves at once after the smoke events"
	}
	var steps []string
	for _, p := range r.Steps {
		steps = append(steps, fmt.Sprintf("%d%%", p))
	}
	if len(r.Steps) == 0 || r.Steps[len(r.Steps)-1] != 100 {
		steps = append(steps, "100%")
	}
	parts := []string{strings.Join(steps, " → ") + ", " + r.Interval.String() + " apart"}
	if len(r.Smoke) > 0 {
		names := make([]string, len(r.Smoke))
		for i, ev := range r.Smoke {
			names[i] = ev.Name
		}
		parts = append(parts, "smoke "+strings.Join(names, ", "))
	}
	if len(r.Alarms) > 0 {
		parts = append(parts, "alarms "+strings.Join(r.Alarms, ", "))
	}
	parts = append(parts, fmt.Sprintf("max_errors %d", r.MaxErrors))
	return strings.Join(parts, ", ")
}

// rollout is a function's rollout in progress.
type rollout struct {
	fp       *FunctionPlan
	spec     *Rollout
	from, to string
	res      *RolloutResult
	r        *FunctionResult
	pctx     context.Context // for API calls: no interrupt, no deadline
	resumeAt int             // the traffic percentage found on the alias
}

// waits reports whether the rollout has steps to wait through.
func (ro *rollout) waits() bool { return ro != nil }

// steps are the rollout's percentages below 100 from where it resumes.
func (ro *rollout) steps() []int {
	var out []int
	for _, p := range ro.spec.Steps {
		if p > 0 && p < 100 && p >= ro.resumeAt && (len(out) == 0 || p > out[len(out)-1]) {
			out = append(out, p)
		}
	}
	return out
}

func (d *Deployer) emit(ro *rollout, pct int, what, detail string) {
	if d.opts.OnRollout != nil {
		d.opts.OnRollout(RolloutEvent{Function: ro.fp.Name, Version: ro.to, Percent: pct, What: what, Detail: detail})
	}
	d.log.Info("rollout", "function", ro.fp.Name, "version", ro.to, "percent", pct, "event", what, "detail", detail)
}

// startRollout moves fp's alias towards version v, which was just
// published: without a rollout it points the alias at v. With one it
// invokes the smoke events on v, then either points the alias at v at once
// (a new alias, --no-rollout, or no step below 100) or returns the rollout
// whose steps runRollout waits through. A smoke failure leaves the alias on
// its version (clearing the weights of an interrupted rollout).
func (d *Deployer) startRollout(pctx context.Context, fp *FunctionPlan, v string, aliasNew bool, r *FunctionResult) (*rollout, error) {
	fn := fp.desired.Function
	spec := fp.desired.Rollout
	if spec == nil {
		return nil, d.pointAlias(pctx, fp.Name, fn.Alias, v, aliasNew)
	}
	// The rollout's calls outlive an interrupt (to roll back) and its
	// steps may take longer than WaitTimeout: no deadline but each call's.
	ro := &rollout{fp: fp, spec: spec, to: v, res: &RolloutResult{To: v}, r: r, pctx: context.WithoutCancel(pctx)}
	r.Rollout = ro.res
	var weights map[string]float64
	if !aliasNew {
		cur, err := d.lambda.GetAlias(pctx, &lambda.GetAliasInput{FunctionName: aws.String(fp.Name), Name: aws.String(fn.Alias)})
		switch {
		case isNotFound(err):
			aliasNew = true
		case err != nil:
			ro.res.Gate = "api"
			return nil, fmt.Errorf("get alias %s: %w", fn.Alias, err)
		default:
			ro.from = aws.ToString(cur.FunctionVersion)
			if cur.RoutingConfig != nil {
				weights = cur.RoutingConfig.AdditionalVersionWeights
			}
		}
	}
	ro.res.From = ro.from
	if w, ok := weights[v]; ok && ro.from != v {
		ro.resumeAt = int(math.Round(w * 100))
		ro.res.Resumed = ro.resumeAt
	}
	for _, ev := range spec.Smoke {
		if err := d.smoke(pctx, fp, v, ev); err != nil {
			ro.res.Gate, ro.res.Value = "smoke", err.Error()
			if len(weights) > 0 {
				// An interrupted rollout's weights: back to the primary.
				if rerr := d.pointAlias(pctx, fp.Name, fn.Alias, ro.from, false); rerr != nil {
					return nil, fmt.Errorf("gate smoke: %w; then clearing the alias's weights: %w", err, rerr)
				}
				ro.res.RolledBack = true
				r.Version = ro.from
				return nil, fmt.Errorf("gate smoke: %w: alias %s back on version %s alone", err, fn.Alias, ro.from)
			}
			r.Version = ro.from
			return nil, fmt.Errorf("gate smoke: %w: no traffic moved", err)
		}
		ro.res.Smoke++
		d.emit(ro, ro.resumeAt, "smoke passed", ev.Name)
	}
	switch {
	case aliasNew:
		ro.res.Skipped = "new alias"
	case ro.from == v:
		ro.res.Skipped = "alias already on the version"
	case d.opts.NoRollout:
		ro.res.Skipped = skipNoRollout
	case ro.from == latest:
		ro.res.Skipped = skipLatest
	case len(ro.steps()) == 0:
		ro.res.Skipped = "no step below 100%"
	}
	if ro.res.Skipped != "" {
		if err := d.pointAlias(pctx, fp.Name, fn.Alias, v, aliasNew); err != nil {
			ro.res.Gate = "api"
			return nil, err
		}
		d.emit(ro, 100, "done", ro.res.Skipped)
		return nil, nil
	}
	if d.opts.CloudWatch == nil {
		ro.res.Gate = "api"
		return nil, errors.New("a rollout reads its gates from CloudWatch, and there is no CloudWatch client")
	}
	// An alarm that does not exist would never fire: refuse before
	// traffic moves.
	if _, err := d.alarmGate(pctx, spec.Alarms); err != nil {
		if len(weights) > 0 {
			return nil, ro.rollback(d, "alarm", err)
		}
		ro.res.Gate, ro.res.Value = "alarm", err.Error()
		r.Version = ro.from
		return nil, fmt.Errorf("gate alarm: %w: no traffic moved", err)
	}
	return ro, nil
}

// runRollout shifts the alias step by step, waiting Interval and checking
// the gates after each step, then points it at the new version alone. A
// gate that fails, an interrupt (ctx) or a failed call rolls the alias
// back to the previous version with no weights.
func (d *Deployer) runRollout(ctx context.Context, ro *rollout) error {
	fn := ro.fp.desired.Function
	start := d.now()
	for _, pct := range ro.steps() {
		_, err := d.lambda.UpdateAlias(ro.pctx, &lambda.UpdateAliasInput{
			FunctionName:    aws.String(ro.fp.Name),
			Name:            aws.String(fn.Alias),
			FunctionVersion: aws.String(ro.from),
			RoutingConfig:   &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{ro.to: float64(pct) / 100}},
		})
		if err != nil {
			return ro.rollback(d, "api", fmt.Errorf("shift %d%%: %w", pct, err))
		}
		step := RolloutStep{Percent: pct}
		d.emit(ro, pct, "shifted", "")
		if err := d.sleep(ctx, ro.spec.Interval); err != nil {
			ro.res.Steps = append(ro.res.Steps, step)
			return ro.rollback(d, "interrupted", fmt.Errorf("at %d%%: %w", pct, context.Cause(ctx)))
		}
		if firing, err := d.alarmGate(ro.pctx, ro.spec.Alarms); err != nil {
			ro.res.Steps = append(ro.res.Steps, step)
			gate := "alarm"
			if !firing {
				gate = "api"
			}
			return ro.rollback(d, gate, fmt.Errorf("at %d%%: %w", pct, err))
		}
		n, err := d.versionErrors(ro.pctx, ro.fp.Name, fn.Alias, ro.to, start)
		step.Errors = n
		if err != nil {
			ro.res.Steps = append(ro.res.Steps, step)
			return ro.rollback(d, "api", fmt.Errorf("at %d%%: read errors: %w", pct, err))
		}
		if n > ro.spec.MaxErrors {
			ro.res.Steps = append(ro.res.Steps, step)
			return ro.rollback(d, "errors", fmt.Errorf("at %d%%: %d errors of version %s (max_errors %d)", pct, n, ro.to, ro.spec.MaxErrors))
		}
		step.Passed = true
		ro.res.Steps = append(ro.res.Steps, step)
		d.emit(ro, pct, "gates passed", fmt.Sprintf("%d errors", n))
	}
	if err := d.pointAlias(ro.pctx, ro.fp.Name, fn.Alias, ro.to, false); err != nil {
		return ro.rollback(d, "api", fmt.Errorf("shift 100%%: %w", err))
	}
	ro.res.Steps = append(ro.res.Steps, RolloutStep{Percent: 100, Passed: true})
	d.emit(ro, 100, "done", "")
	return nil
}

// rollback points the alias back at the previous version with no weights
// and returns the error that says which gate stopped the rollout.
func (ro *rollout) rollback(d *Deployer, gate string, cause error) error {
	ro.res.Gate, ro.res.Value = gate, ro.fp.red.String(cause.Error())
	alias := ro.fp.desired.Function.Alias
	if err := d.pointAlias(ro.pctx, ro.fp.Name, alias, ro.from, false); err != nil {
		return fmt.Errorf("gate %s: %w; then rolling back to version %s: %w", gate, cause, ro.from, err)
	}
	ro.res.RolledBack = true
	ro.r.Version = ro.from
	d.emit(ro, 0, "rolled back", gate)
	return fmt.Errorf("gate %s: %w: rolled back to version %s", gate, cause, ro.from)
}

// smoke invokes version v of fp with ev and fails on a function error
// (timeouts included) or a failed call.
func (d *Deployer) smoke(ctx context.Context, fp *FunctionPlan, v string, ev SmokeEvent) error {
	out, err := d.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(fp.Name), Qualifier: aws.String(v), Payload: ev.Payload})
	if err != nil {
		return fmt.Errorf("event %s: invoke version %s: %w", ev.Name, v, err)
	}
	if out.FunctionError == nil {
		return nil
	}
	var body struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}
	_ = json.Unmarshal(out.Payload, &body)
	msg := strings.TrimPrefix(strings.TrimSpace(body.ErrorType+": "+body.ErrorMessage), ": ")
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return fmt.Errorf("event %s: version %s answered a function error (%s): %s", ev.Name, v, aws.ToString(out.FunctionError), fp.red.String(msg))
}

// alarmGate fails when one of alarms is in ALARM or does not exist;
// firing says the gate read them (an error with firing false is a failed
// call).
func (d *Deployer) alarmGate(ctx context.Context, alarms []string) (firing bool, err error) {
	if len(alarms) == 0 {
		return false, nil
	}
	states := map[string]string{}
	p := cloudwatch.NewDescribeAlarmsPaginator(d.opts.CloudWatch, &cloudwatch.DescribeAlarmsInput{
		AlarmNames: alarms,
		AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return false, fmt.Errorf("describe alarms: %w", err)
		}
		for _, a := range page.MetricAlarms {
			states[aws.ToString(a.AlarmName)] = string(a.StateValue)
		}
		for _, a := range page.CompositeAlarms {
			states[aws.ToString(a.AlarmName)] = string(a.StateValue)
		}
	}
	for _, name := range alarms {
		switch st, ok := states[name]; {
		case !ok:
			return true, fmt.Errorf("alarm %s does not exist", name)
		case st == string(cwtypes.StateValueAlarm):
			return true, fmt.Errorf("alarm %s is in ALARM", name)
		}
	}
	return false, nil
}

// versionErrors sums the AWS/Lambda Errors of version through alias since
// start (the FunctionName, Resource and ExecutedVersion dimensions, one
// minute periods).
func (d *Deployer) versionErrors(ctx context.Context, name, alias, version string, start time.Time) (int, error) {
	end := d.now().Truncate(time.Minute).Add(time.Minute)
	in := &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(start.Truncate(time.Minute)),
		EndTime:   aws.Time(end),
		MetricDataQueries: []cwtypes.MetricDataQuery{{
			Id: aws.String("errors"),
			MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{
					Namespace:  aws.String("AWS/Lambda"),
					MetricName: aws.String("Errors"),
					Dimensions: []cwtypes.Dimension{
						{Name: aws.String("FunctionName"), Value: aws.String(name)},
						{Name: aws.String("Resource"), Value: aws.String(name + ":" + alias)},
						{Name: aws.String("ExecutedVersion"), Value: aws.String(version)},
					},
				},
				Period: aws.Int32(60),
				Stat:   aws.String("Sum"),
			},
		}},
	}
	total := 0.0
	p := cloudwatch.NewGetMetricDataPaginator(d.opts.CloudWatch, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, err
		}
		for _, r := range page.MetricDataResults {
			for _, v := range r.Values {
				total += v
			}
		}
	}
	return int(math.Round(total)), nil
}

// sleep waits d or until ctx ends.
func (d *Deployer) sleep(ctx context.Context, wait time.Duration) error {
	if d.opts.Sleep != nil {
		return d.opts.Sleep(ctx, wait)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (d *Deployer) now() time.Time {
	if d.opts.Now != nil {
		return d.opts.Now()
	}
	return time.Now()
}

// splitAlias describes an alias whose traffic is split between versions,
// "" when it is not: "alias live is split: 90% version 4, 10% version 5".
func splitAlias(alias string, a *lambda.GetAliasOutput) string {
	if a == nil || a.RoutingConfig == nil || len(a.RoutingConfig.AdditionalVersionWeights) == 0 {
		return ""
	}
	primary := 1.0
	var parts []string
	versions := make([]string, 0, len(a.RoutingConfig.AdditionalVersionWeights))
	for v := range a.RoutingConfig.AdditionalVersionWeights {
		versions = append(versions, v)
	}
	slices.SortFunc(versions, func(x, y string) int { return versionNum(&x) - versionNum(&y) })
	for _, v := range versions {
		w := a.RoutingConfig.AdditionalVersionWeights[v]
		primary -= w
		parts = append(parts, fmt.Sprintf("%s%% version %s", strconv.FormatFloat(w*100, 'f', -1, 64), v))
	}
	head := fmt.Sprintf("%s%% version %s", strconv.FormatFloat(math.Round(primary*10000)/100, 'f', -1, 64), aws.ToString(a.FunctionVersion))
	return fmt.Sprintf("alias %s is split: %s, %s", alias, head, strings.Join(parts, ", "))
}
