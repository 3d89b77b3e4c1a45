package cloudwatch

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// alarm is a stored metric alarm: its DescribeAlarms shape (and tags), and
// when it was last evaluated or had its state set.
type alarm struct {
	Alarm         metricAlarm
	LastEvaluated time.Time `json:",omitzero"`
}

// Alarm states, comparison operators and missing-data treatments of
// CloudWatch's API reference (PutMetricAlarm, SetAlarmState).
var (
	stateValues      = []string{"OK", "ALARM", "INSUFFICIENT_DATA"}
	comparisons      = []string{"GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold", "LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold"}
	missingTreatment = []string{"breaching", "notBreaching", "ignore", "missing"}
)

const (
	maxAlarmNames      = 100
	maxDescribeRecords = 100
	defDescribeRecords = 50
	maxActions         = 5
)

func (s *Service) alarmArn(name string) string {
	return fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", s.opts.Region, s.opts.AccountID, name)
}

func checkAlarmName(name, field string) error {
	if name == "" {
		return missingParam(field)
	}
	if len(name) > 255 {
		return validationErr(name, field, "Member must have length less than or equal to 255")
	}
	return nil
}

func checkPutMetricAlarm(in *metricAlarm) error {
	if err := checkAlarmName(in.AlarmName, "AlarmName"); err != nil {
		return err
	}
	if in.AlarmDescription != nil && len(*in.AlarmDescription) > 1024 {
		return validationErr(*in.AlarmDescription, "alarmDescription", "Member must have length less than or equal to 1024")
	}
	for name, actions := range map[string][]string{"OKActions": in.OKActions, "AlarmActions": in.AlarmActions, "InsufficientDataActions": in.InsufficientDataActions} {
		if len(actions) > maxActions {
			return invalidParam("The collection %s must not have a size greater than %d.", name, maxActions)
		}
	}
	single := in.MetricName != nil || in.Namespace != nil || in.Statistic != "" || in.ExtendedStatistic != nil || in.Period != nil || len(in.Dimensions) > 0
	switch {
	case len(in.Metrics) > 0 && single:
		return invalidCombination("The parameters MetricName, Namespace, Statistic, ExtendedStatistic, Dimensions and Period must not be set with Metrics.")
	case len(in.Metrics) > 0:
	case in.MetricName == nil || *in.MetricName == "":
		return missingParam("MetricName")
	case in.Namespace == nil || *in.Namespace == "":
		return missingParam("Namespace")
	case in.Period == nil:
		return missingParam("Period")
	case !validPeriod(*in.Period) || *in.Period < 10:
		return invalidParam("The parameter Period must be 10, 20, 30 or a multiple of 60.")
	case in.Statistic != "" && in.ExtendedStatistic != nil:
		return invalidCombination("The parameters Statistic and ExtendedStatistic are mutually exclusive.")
	case in.Statistic == "" && in.ExtendedStatistic == nil:
		return missingParam("Statistic or ExtendedStatistic")
	case in.Statistic != "" && !slices.Contains(statistics, in.Statistic):
		return validationErr(in.Statistic, "statistic", "Member must satisfy enum value set: ["+strings.Join(statistics, ", ")+"]")
	case len(in.Dimensions) > maxDimensions:
		return invalidParam("The collection Dimensions must not have a size greater than %d.", maxDimensions)
	}
	switch {
	case in.EvaluationPeriods == nil:
		return missingParam("EvaluationPeriods")
	case *in.EvaluationPeriods < 1:
		return invalidParam("The parameter EvaluationPeriods must be greater than or equal to 1.")
	case in.DatapointsToAlarm != nil && (*in.DatapointsToAlarm < 1 || *in.DatapointsToAlarm > *in.EvaluationPeriods):
		return invalidParam("The parameter DatapointsToAlarm must be between 1 and EvaluationPeriods.")
	case in.ComparisonOperator == "":
		return missingParam("ComparisonOperator")
	case !slices.Contains(comparisons, in.ComparisonOperator):
		return validationErr(in.ComparisonOperator, "comparisonOperator", "Member must satisfy enum value set: ["+strings.Join(comparisons, ", ")+"]")
	case in.Threshold == nil && in.ThresholdMetricId == nil:
		return missingParam("Threshold")
	case in.TreatMissingData != nil && !slices.Contains(missingTreatment, *in.TreatMissingData):
		return invalidParam("The value %s for parameter TreatMissingData is invalid: it must be one of %s.", *in.TreatMissingData, strings.Join(missingTreatment, ", "))
	case len(in.Tags) > 50:
		return invalidParam("The collection Tags must not have a size greater than 50.")
	}
	return nil
}

func (s *Service) putMetricAlarm(in *metricAlarm) (*empty, error) {
	if err := checkPutMetricAlarm(in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now().UTC()
	old := s.alarms[in.AlarmName]
	if old == nil && len(s.alarms) >= s.opts.MaxAlarms {
		return nil, limitExceeded("The maximum number of alarms (%d) has been reached.", s.opts.MaxAlarms)
	}
	a := &alarm{Alarm: *in}
	m := &a.Alarm
	m.AlarmArn = s.alarmArn(m.AlarmName)
	m.AlarmConfigurationUpdatedTimestamp = &now
	if m.ActionsEnabled == nil {
		m.ActionsEnabled = ptr(true)
	}
	m.Dimensions = sortedDims(m.Dimensions)
	if old != nil {
		// An update overwrites the configuration and keeps the state.
		o := &old.Alarm
		m.StateValue, m.StateReason, m.StateReasonData = o.StateValue, o.StateReason, o.StateReasonData
		m.StateUpdatedTimestamp, m.StateTransitionedTimestamp = o.StateUpdatedTimestamp, o.StateTransitionedTimestamp
		a.LastEvaluated = old.LastEvaluated
	} else {
		m.StateValue, m.StateReason, m.StateReasonData = "INSUFFICIENT_DATA", "Unchecked: Initial alarm creation", nil
		m.StateUpdatedTimestamp, m.StateTransitionedTimestamp = &now, &now
	}
	s.alarms[m.AlarmName] = a
	return &empty{}, s.saveLocked()
}

func ptr[T any](v T) *T { return &v }

func (s *Service) describeAlarms(in *describeAlarmsInput) (*describeAlarmsOutput, error) {
	switch {
	case len(in.AlarmNames) > maxAlarmNames:
		return nil, invalidParam("The collection AlarmNames must not have a size greater than %d.", maxAlarmNames)
	case len(in.AlarmNames) > 0 && in.AlarmNamePrefix != nil:
		return nil, invalidCombination("AlarmNames and AlarmNamePrefix cannot be specified together.")
	case in.StateValue != "" && !slices.Contains(stateValues, in.StateValue):
		return nil, validationErr(in.StateValue, "stateValue", "Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]")
	case in.MaxRecords != nil && (*in.MaxRecords < 1 || *in.MaxRecords > maxDescribeRecords):
		return nil, invalidParam("The parameter MaxRecords must be between 1 and %d.", maxDescribeRecords)
	}
	metricAlarms := len(in.AlarmTypes) == 0
	for _, t := range in.AlarmTypes {
		switch t {
		case "MetricAlarm":
			metricAlarms = true
		case "CompositeAlarm":
		default:
			return nil, validationErr(t, "alarmTypes", "Member must satisfy enum value set: [CompositeAlarm, MetricAlarm]")
		}
	}
	limit := defDescribeRecords
	if in.MaxRecords != nil {
		limit = int(*in.MaxRecords)
	}
	skip := 0
	if in.NextToken != nil {
		n, err := parseToken("da", *in.NextToken)
		if err != nil {
			return nil, err
		}
		skip = n
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.evaluateAllLocked(); err != nil {
		return nil, err
	}
	var found []metricAlarm
	for _, a := range s.alarms {
		m := a.Alarm
		if !metricAlarms ||
			len(in.AlarmNames) > 0 && !slices.Contains(in.AlarmNames, m.AlarmName) ||
			in.AlarmNamePrefix != nil && !strings.HasPrefix(m.AlarmName, *in.AlarmNamePrefix) ||
			in.StateValue != "" && m.StateValue != in.StateValue ||
			in.ActionPrefix != nil && !hasActionPrefix(&m, *in.ActionPrefix) {
			continue
		}
		found = append(found, answerAlarm(m))
	}
	slices.SortFunc(found, func(a, b metricAlarm) int { return cmp.Compare(a.AlarmName, b.AlarmName) })
	if skip > len(found) {
		return nil, invalidNextToken()
	}
	found = found[skip:]
	out := &describeAlarmsOutput{MetricAlarms: []metricAlarm{}, CompositeAlarms: []struct{}{}}
	if len(found) > limit {
		t := makeToken("da", skip+limit)
		out.NextToken = &t
		found = found[:limit]
	}
	out.MetricAlarms = append(out.MetricAlarms, found...)
	return out, nil
}

func hasActionPrefix(m *metricAlarm, prefix string) bool {
	for _, l := range [][]string{m.OKActions, m.AlarmActions, m.InsufficientDataActions} {
		for _, a := range l {
			if strings.HasPrefix(a, prefix) {
				return true
			}
		}
	}
	return false
}

// answerAlarm is m as DescribeAlarms answers it: lists present (empty
// rather than absent) and no tags.
func answerAlarm(m metricAlarm) metricAlarm {
	m.Tags = nil
	for _, l := range []*[]string{&m.OKActions, &m.AlarmActions, &m.InsufficientDataActions} {
		if *l == nil {
			*l = []string{}
		}
	}
	if m.Dimensions == nil {
		m.Dimensions = []dimension{}
	}
	return m
}

func (s *Service) setAlarmState(in *setAlarmStateInput) (*empty, error) {
	if err := checkAlarmName(in.AlarmName, "AlarmName"); err != nil {
		return nil, err
	}
	switch {
	case in.StateValue == "":
		return nil, missingParam("StateValue")
	case !slices.Contains(stateValues, in.StateValue):
		return nil, validationErr(in.StateValue, "stateValue", "Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]")
	case in.StateReason == "":
		return nil, missingParam("StateReason")
	case len(in.StateReason) > 1023:
		return nil, validationErr(in.StateReason, "stateReason", "Member must have length less than or equal to 1023")
	}
	if d := in.StateReasonData; d != nil {
		if len(*d) > 4000 {
			return nil, validationErr(*d, "stateReasonData", "Member must have length less than or equal to 4000")
		}
		if !json.Valid([]byte(*d)) {
			return nil, invalidFormat("The parameter StateReasonData must be valid JSON.")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.alarms[in.AlarmName]
	if a == nil {
		return nil, notFound("Alarm %s not found", in.AlarmName)
	}
	now := s.now()
	s.setStateLocked(a, now, in.StateValue, in.StateReason, in.StateReasonData)
	return &empty{}, s.saveLocked()
}

// setStateLocked sets a's state. The state then holds until the alarm's
// next evaluation, a period later.
func (s *Service) setStateLocked(a *alarm, now time.Time, value, reason string, data *string) {
	m := &a.Alarm
	t := now.UTC()
	if m.StateValue != value {
		m.StateTransitionedTimestamp = &t
	}
	m.StateValue, m.StateReason, m.StateReasonData, m.StateUpdatedTimestamp = value, reason, data, &t
	a.LastEvaluated = now
}

func (s *Service) deleteAlarms(in *deleteAlarmsInput) (*empty, error) {
	switch {
	case len(in.AlarmNames) == 0:
		return nil, missingParam("AlarmNames")
	case len(in.AlarmNames) > maxAlarmNames:
		return nil, invalidParam("The collection AlarmNames must not have a size greater than %d.", maxAlarmNames)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// One missing name fails the call and deletes nothing.
	for _, n := range in.AlarmNames {
		if s.alarms[n] == nil {
			return nil, notFound("Alarm %s not found", n)
		}
	}
	for _, n := range in.AlarmNames {
		delete(s.alarms, n)
	}
	return &empty{}, s.saveLocked()
}

// evaluateAllLocked evaluates every metric alarm due when
// Options.EvaluateAlarms is on, and saves the alarms if a state changed.
func (s *Service) evaluateAllLocked() error {
	if !s.opts.EvaluateAlarms {
		return nil
	}
	s.pruneLocked()
	now := s.now()
	changed := false
	for _, a := range s.alarms {
		changed = s.evaluateLocked(a, now) || changed
	}
	if changed {
		return s.saveLocked()
	}
	return nil
}

// evaluateLocked evaluates a single-metric alarm with a static threshold,
// at most once a period (a state set by SetAlarmState or by an evaluation
// holds for one period): the alarm's statistic over its last
// EvaluationPeriods complete periods (aligned to the period), ALARM when
// at least DatapointsToAlarm of them breach, missing periods treated as
// TreatMissingData says. It reports whether the state changed.
func (s *Service) evaluateLocked(a *alarm, now time.Time) bool {
	m := &a.Alarm
	if m.MetricName == nil || m.Namespace == nil || m.Period == nil || m.EvaluationPeriods == nil ||
		m.Threshold == nil || m.Statistic == "" || breaches(m.ComparisonOperator, 0, 0) == nil {
		return false
	}
	period := int64(*m.Period)
	if !a.LastEvaluated.IsZero() && now.Sub(a.LastEvaluated) < time.Duration(period)*time.Second {
		return false
	}
	a.LastEvaluated = now
	n := int64(*m.EvaluationPeriods)
	need := n
	if m.DatapointsToAlarm != nil {
		need = int64(*m.DatapointsToAlarm)
	}
	end := now.Unix() - mod(now.Unix(), period)
	from := time.Unix(end-n*period, 0)
	key := metricKey(*m.Namespace, *m.MetricName, sortedDims(m.Dimensions))
	_, sets := s.aggregateLocked(key, m.Unit, from, time.Unix(end, 0), period)
	treat := "missing"
	if m.TreatMissingData != nil {
		treat = *m.TreatMissingData
	}
	breaching := int64(0)
	for _, b := range sets {
		if *breaches(m.ComparisonOperator, statValue(m.Statistic, b), *m.Threshold) {
			breaching++
		}
	}
	missing := n - int64(len(sets))
	if treat == "breaching" {
		breaching += missing
	}
	var value, reason string
	switch {
	case len(sets) == 0 && treat == "ignore":
		return false
	case len(sets) == 0 && treat == "missing":
		value, reason = "INSUFFICIENT_DATA", fmt.Sprintf("Insufficient Data: %d datapoints were unknown.", n)
	case breaching >= need:
		value, reason = "ALARM", fmt.Sprintf("Threshold Crossed: %d out of the last %d datapoints were %s the threshold (%g).",
			breaching, n, comparisonWords(m.ComparisonOperator), *m.Threshold)
	default:
		value, reason = "OK", fmt.Sprintf("Threshold Crossed: %d out of the last %d datapoints were %s the threshold (%g) (minimum %d for ALARM).",
			breaching, n, comparisonWords(m.ComparisonOperator), *m.Threshold, need)
	}
	if value == m.StateValue {
		return false
	}
	s.setStateLocked(a, now, value, reason, nil)
	return true
}

// breaches reports whether v breaches threshold under op; nil for the
// anomaly-detection operators, which are not evaluated.
func breaches(op string, v, threshold float64) *bool {
	var b bool
	switch op {
	case "GreaterThanOrEqualToThreshold":
		b = v >= threshold
	case "GreaterThanThreshold":
		b = v > threshold
	case "LessThanThreshold":
		b = v < threshold
	case "LessThanOrEqualToThreshold":
		b = v <= threshold
	default:
		return nil
	}
	return &b
}

func comparisonWords(op string) string {
	return map[string]string{
		"GreaterThanOrEqualToThreshold": "greater than or equal to",
		"GreaterThanThreshold":          "greater than",
		"LessThanThreshold":             "less than",
		"LessThanOrEqualToThreshold":    "less than or equal to",
	}[op]
}

// saveLocked persists the alarms when there is a StateDir.
func (s *Service) saveLocked() error {
	if !s.file.Persistent() {
		return nil
	}
	list := make([]*alarm, 0, len(s.alarms))
	for _, a := range s.alarms {
		list = append(list, a)
	}
	slices.SortFunc(list, func(a, b *alarm) int { return cmp.Compare(a.Alarm.AlarmName, b.Alarm.AlarmName) })
	if err := s.file.Save(list); err != nil {
		return internalErr("cloudwatch: save alarms: %v", err)
	}
	return nil
}
