package cloudwatch

import "time"

// The wire shapes of the operations served. Field names are CloudWatch's
// member names: the CBOR map keys of rpcv2Cbor and the element and form
// names of the query protocol (form.go and xml.go read the same tags).
// Only the members this package acts on are declared; others are ignored
// when decoding.

type dimension struct {
	Name  string `cbor:"Name"`
	Value string `cbor:"Value"`
}

type dimensionFilter struct {
	Name  string  `cbor:"Name"`
	Value *string `cbor:"Value,omitempty"`
}

type metric struct {
	Namespace  string      `cbor:"Namespace,omitempty"`
	MetricName string      `cbor:"MetricName,omitempty"`
	Dimensions []dimension `cbor:"Dimensions,omitempty"`
}

type metricStat struct {
	Metric *metric `cbor:"Metric,omitempty"`
	Period *int32  `cbor:"Period,omitempty"`
	Stat   string  `cbor:"Stat,omitempty"`
	Unit   string  `cbor:"Unit,omitempty"`
}

type metricDataQuery struct {
	Id         string      `cbor:"Id,omitempty"`
	MetricStat *metricStat `cbor:"MetricStat,omitempty"`
	Expression *string     `cbor:"Expression,omitempty"`
	Label      *string     `cbor:"Label,omitempty"`
	ReturnData *bool       `cbor:"ReturnData,omitempty"`
	Period     *int32      `cbor:"Period,omitempty"`
	AccountId  *string     `cbor:"AccountId,omitempty"`
}

type messageData struct {
	Code  string `cbor:"Code,omitempty"`
	Value string `cbor:"Value,omitempty"`
}

type getMetricDataInput struct {
	MetricDataQueries []metricDataQuery `cbor:"MetricDataQueries"`
	StartTime         *time.Time        `cbor:"StartTime"`
	EndTime           *time.Time        `cbor:"EndTime"`
	NextToken         *string           `cbor:"NextToken"`
	ScanBy            string            `cbor:"ScanBy"`
	MaxDatapoints     *int32            `cbor:"MaxDatapoints"`
}

type metricDataResult struct {
	Id         string        `cbor:"Id,omitempty"`
	Label      string        `cbor:"Label,omitempty"`
	Timestamps []time.Time   `cbor:"Timestamps"`
	Values     []float64     `cbor:"Values"`
	StatusCode string        `cbor:"StatusCode,omitempty"`
	Messages   []messageData `cbor:"Messages,omitempty"`
}

type getMetricDataOutput struct {
	MetricDataResults []metricDataResult `cbor:"MetricDataResults"`
	NextToken         *string            `cbor:"NextToken,omitempty"`
	Messages          []messageData      `cbor:"Messages,omitempty"`
}

type statisticSet struct {
	SampleCount *float64 `cbor:"SampleCount"`
	Sum         *float64 `cbor:"Sum"`
	Minimum     *float64 `cbor:"Minimum"`
	Maximum     *float64 `cbor:"Maximum"`
}

type metricDatum struct {
	MetricName        string        `cbor:"MetricName"`
	Dimensions        []dimension   `cbor:"Dimensions"`
	Timestamp         *time.Time    `cbor:"Timestamp"`
	Value             *float64      `cbor:"Value"`
	StatisticValues   *statisticSet `cbor:"StatisticValues"`
	Values            []float64     `cbor:"Values"`
	Counts            []float64     `cbor:"Counts"`
	Unit              string        `cbor:"Unit"`
	StorageResolution *int32        `cbor:"StorageResolution"`
}

type putMetricDataInput struct {
	Namespace  string        `cbor:"Namespace"`
	MetricData []metricDatum `cbor:"MetricData"`
}

type empty struct{}

type listMetricsInput struct {
	Namespace      string            `cbor:"Namespace"`
	MetricName     string            `cbor:"MetricName"`
	Dimensions     []dimensionFilter `cbor:"Dimensions"`
	NextToken      *string           `cbor:"NextToken"`
	RecentlyActive string            `cbor:"RecentlyActive"`
}

type listMetricsOutput struct {
	Metrics   []metric `cbor:"Metrics"`
	NextToken *string  `cbor:"NextToken,omitempty"`
}

type tag struct {
	Key   string `cbor:"Key"`
	Value string `cbor:"Value"`
}

// metricAlarm is both PutMetricAlarm's input (less the state members) and
// DescribeAlarms' MetricAlarm.
type metricAlarm struct {
	AlarmName                          string            `cbor:"AlarmName,omitempty"`
	AlarmArn                           string            `cbor:"AlarmArn,omitempty"`
	AlarmDescription                   *string           `cbor:"AlarmDescription,omitempty"`
	AlarmConfigurationUpdatedTimestamp *time.Time        `cbor:"AlarmConfigurationUpdatedTimestamp,omitempty"`
	ActionsEnabled                     *bool             `cbor:"ActionsEnabled,omitempty"`
	OKActions                          []string          `cbor:"OKActions"`
	AlarmActions                       []string          `cbor:"AlarmActions"`
	InsufficientDataActions            []string          `cbor:"InsufficientDataActions"`
	StateValue                         string            `cbor:"StateValue,omitempty"`
	StateReason                        string            `cbor:"StateReason,omitempty"`
	StateReasonData                    *string           `cbor:"StateReasonData,omitempty"`
	StateUpdatedTimestamp              *time.Time        `cbor:"StateUpdatedTimestamp,omitempty"`
	StateTransitionedTimestamp         *time.Time        `cbor:"StateTransitionedTimestamp,omitempty"`
	MetricName                         *string           `cbor:"MetricName,omitempty"`
	Namespace                          *string           `cbor:"Namespace,omitempty"`
	Statistic                          string            `cbor:"Statistic,omitempty"`
	ExtendedStatistic                  *string           `cbor:"ExtendedStatistic,omitempty"`
	Dimensions                         []dimension       `cbor:"Dimensions"`
	Period                             *int32            `cbor:"Period,omitempty"`
	Unit                               string            `cbor:"Unit,omitempty"`
	EvaluationPeriods                  *int32            `cbor:"EvaluationPeriods,omitempty"`
	DatapointsToAlarm                  *int32            `cbor:"DatapointsToAlarm,omitempty"`
	Threshold                          *float64          `cbor:"Threshold,omitempty"`
	ComparisonOperator                 string            `cbor:"ComparisonOperator,omitempty"`
	TreatMissingData                   *string           `cbor:"TreatMissingData,omitempty"`
	EvaluateLowSampleCountPercentile   *string           `cbor:"EvaluateLowSampleCountPercentile,omitempty"`
	Metrics                            []metricDataQuery `cbor:"Metrics,omitempty"`
	ThresholdMetricId                  *string           `cbor:"ThresholdMetricId,omitempty"`
	// Tags is input only: DescribeAlarms does not answer tags (the stored
	// copy keeps them; answers clear them).
	Tags []tag `cbor:"Tags,omitempty" json:",omitempty"`
}

type describeAlarmsInput struct {
	AlarmNames      []string `cbor:"AlarmNames"`
	AlarmNamePrefix *string  `cbor:"AlarmNamePrefix"`
	AlarmTypes      []string `cbor:"AlarmTypes"`
	StateValue      string   `cbor:"StateValue"`
	ActionPrefix    *string  `cbor:"ActionPrefix"`
	MaxRecords      *int32   `cbor:"MaxRecords"`
	NextToken       *string  `cbor:"NextToken"`
}

type describeAlarmsOutput struct {
	MetricAlarms    []metricAlarm `cbor:"MetricAlarms"`
	CompositeAlarms []struct{}    `cbor:"CompositeAlarms"`
	NextToken       *string       `cbor:"NextToken,omitempty"`
}

type setAlarmStateInput struct {
	AlarmName       string  `cbor:"AlarmName"`
	StateValue      string  `cbor:"StateValue"`
	StateReason     string  `cbor:"StateReason"`
	StateReasonData *string `cbor:"StateReasonData"`
}

type deleteAlarmsInput struct {
	AlarmNames []string `cbor:"AlarmNames"`
}
