package cloudwatch

import (
	"net/url"
	"reflect"
	"slices"
	"testing"
	"time"
)

var fuzzNow = time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)

// seedInputs are valid requests of every operation.
func seedInputs() map[string]any {
	t := fuzzNow.Add(-time.Minute)
	period := int32(60)
	v := 1.5
	return map[string]any{
		"GetMetricData": &getMetricDataInput{StartTime: &t, EndTime: &fuzzNow, MetricDataQueries: []metricDataQuery{{Id: "m",
			MetricStat: &metricStat{Metric: &metric{Namespace: "AWS/Lambda", MetricName: "Errors", Dimensions: []dimension{{"FunctionName", "f"}}}, Period: &period, Stat: "Sum"}}}},
		"PutMetricData":  &putMetricDataInput{Namespace: "app", MetricData: []metricDatum{{MetricName: "n", Value: &v, Timestamp: &t}, {MetricName: "n", Values: []float64{1, 2}, Counts: []float64{1, 3}}}},
		"ListMetrics":    &listMetricsInput{Namespace: "app", Dimensions: []dimensionFilter{{Name: "a"}}},
		"PutMetricAlarm": &metricAlarm{AlarmName: "a", MetricName: ptr("Errors"), Namespace: ptr("AWS/Lambda"), Statistic: "Sum", Period: &period, EvaluationPeriods: &period, Threshold: &v, ComparisonOperator: "GreaterThanThreshold"},
		"DescribeAlarms": &describeAlarmsInput{AlarmNames: []string{"a"}, StateValue: "ALARM"},
		"SetAlarmState":  &setAlarmStateInput{AlarmName: "a", StateValue: "ALARM", StateReason: "r", StateReasonData: ptr("{}")},
		"DeleteAlarms":   &deleteAlarmsInput{AlarmNames: []string{"a"}},
	}
}

// decodedSize counts the list elements and string bytes of a decoded
// input. Each element has its own head byte and each string byte is a
// byte of input, so both are bounded by the input's length: what decoding
// allocates is proportional to what was sent.
func decodedSize(v reflect.Value) (elems, strBytes int) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return decodedSize(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			e, s := decodedSize(v.Field(i))
			elems, strBytes = elems+e, strBytes+s
		}
	case reflect.Slice:
		elems = v.Len()
		for i := range v.Len() {
			e, s := decodedSize(v.Index(i))
			elems, strBytes = elems+e, strBytes+s
		}
	case reflect.String:
		strBytes = v.Len()
	}
	return elems, strBytes
}

func opNames() []string {
	var names []string
	for n := range operations {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// FuzzDecodeCBOR: any body, decoded as any operation's input and run,
// answers without panicking, and decodes to no more than it holds.
func FuzzDecodeCBOR(f *testing.F) {
	for _, in := range seedInputs() {
		b, err := encMode.Marshal(in)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{"", "\xa0", "\xbf\xff", "\x80", "\xa1\x69StartTime\xc1\xfb\x41\xda\x00\x00\x00\x00\x00\x00",
		"\xa1\x71MetricDataQueries\x9a\x00\x01\x00\x00", "\xa1\x6aMetricData\x9f\xa0\xff"} {
		f.Add([]byte(s))
	}
	names := opNames()
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := New(Options{Now: func() time.Time { return fuzzNow }, MaxBuckets: 1 << 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			o := operations[name]
			in, err := decodeCBOR(o, body)
			if err != nil {
				continue
			}
			if e, sb := decodedSize(reflect.ValueOf(in)); e > len(body) || sb > len(body) {
				t.Fatalf("%s: %d bytes decoded to %d elements and %d string bytes", name, len(body), e, sb)
			}
			if _, err := o.run(s, in); err != nil {
				if _, ok := err.(*apiError); !ok {
					t.Fatalf("%s: error %T %v is not an API error", name, err, err)
				}
			}
		}
	})
}

// FuzzDecodeForm does the same for query-protocol forms.
func FuzzDecodeForm(f *testing.F) {
	for _, s := range []string{
		"Action=DescribeAlarms&Version=2010-08-01&AlarmNames.member.1=a&MaxRecords=3",
		"MetricDataQueries.member.1.Id=m&MetricDataQueries.member.1.MetricStat.Metric.Namespace=AWS%2FLambda&MetricDataQueries.member.1.MetricStat.Metric.MetricName=Errors&MetricDataQueries.member.1.MetricStat.Period=60&MetricDataQueries.member.1.MetricStat.Stat=Sum&StartTime=2025-06-02T11:00:00Z&EndTime=2025-06-02T12:00:00Z",
		"Namespace=app&MetricData.member.1.MetricName=n&MetricData.member.1.Values.member.1=1&MetricData.member.1.Counts.member.1=2",
		"AlarmName=a&StateValue=OK&StateReason=r&StateReasonData=%7B%7D",
		"AlarmNames=&AlarmNames.member.2=x",
	} {
		f.Add(s)
	}
	names := opNames()
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		s, err := New(Options{Now: func() time.Time { return fuzzNow }, MaxBuckets: 1 << 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			o := operations[name]
			in := o.newInput()
			if err := decodeForm(form, in); err != nil {
				if _, ok := err.(*apiError); !ok {
					t.Fatalf("%s: error %T %v is not an API error", name, err, err)
				}
				continue
			}
			if e, sb := decodedSize(reflect.ValueOf(in)); e > len(body) || sb > len(body) {
				t.Fatalf("%s: %d bytes decoded to %d elements and %d string bytes", name, len(body), e, sb)
			}
			if _, err := o.run(s, in); err != nil {
				if _, ok := err.(*apiError); !ok {
					t.Fatalf("%s: error %T %v is not an API error", name, err, err)
				}
			}
		}
	})
}
