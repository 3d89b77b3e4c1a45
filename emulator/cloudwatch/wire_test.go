package cloudwatch_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/emulator/cloudwatch"
)

func sigv4(service string) string {
	return "AWS4-HMAC-SHA256 Credential=x/20250602/us-east-1/" + service + "/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
}

func TestMatch(t *testing.T) {
	t.Parallel()
	const form = "application/x-www-form-urlencoded; charset=utf-8"
	for _, tc := range []struct {
		name    string
		method  string
		path    string
		headers map[string]string
		body    string
		want    bool
	}{
		{"sdk cbor", "POST", "/service/GraniteServiceVersion20100801/operation/GetMetricData",
			map[string]string{"Smithy-Protocol": "rpc-v2-cbor", "Content-Type": "application/cbor", "Authorization": sigv4("monitoring")}, "\xa0", true},
		{"cbor under a base path", "POST", "/cw/service/GraniteServiceVersion20100801/operation/DescribeAlarms",
			map[string]string{"Smithy-Protocol": "rpc-v2-cbor"}, "", true},
		{"cbor of another service", "POST", "/service/OtherService/operation/GetMetricData",
			map[string]string{"Smithy-Protocol": "rpc-v2-cbor"}, "", false},
		{"cbor path without the header", "POST", "/service/GraniteServiceVersion20100801/operation/GetMetricData", nil, "", false},
		{"cli query", "POST", "/", map[string]string{"Content-Type": form, "Authorization": sigv4("monitoring")},
			"Action=DescribeAlarms&Version=2010-08-01", true},
		{"unsigned query", "POST", "/", map[string]string{"Content-Type": form}, "Action=DescribeAlarms&Version=2010-08-01", true},
		{"sts query", "POST", "/", map[string]string{"Content-Type": form, "Authorization": sigv4("sts")},
			"Action=GetCallerIdentity&Version=2011-06-15", false},
		{"unsigned sts query", "POST", "/", map[string]string{"Content-Type": form}, "Action=GetCallerIdentity&Version=2011-06-15", false},
		{"ssm json", "POST", "/", map[string]string{"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AmazonSSM.GetParameter",
			"Authorization": sigv4("ssm")}, `{"Name":"x"}`, false},
		{"lambda rest", "GET", "/2015-03-31/functions/orders", map[string]string{"Authorization": sigv4("lambda")}, "", false},
		{"lambda invoke", "POST", "/2015-03-31/functions/orders/invocations", map[string]string{"Authorization": sigv4("lambda")}, "{}", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			if got := cloudwatch.Match(r); got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
			// Whatever Match read, the body is still there for the handler.
			b, err := io.ReadAll(r.Body)
			if err != nil || string(b) != tc.body {
				t.Errorf("body after Match = %q, %v; want %q", b, err, tc.body)
			}
		})
	}
}

// TestWire checks what the SDK tests cannot see: the raw answers.
func TestWire(t *testing.T) {
	t.Parallel()
	svc, err := cloudwatch.New(cloudwatch.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("cbor error", func(t *testing.T) {
		t.Parallel()
		body, _ := cbor.Marshal(map[string]any{"AlarmName": "missing", "StateValue": "OK", "StateReason": "x"})
		r := httptest.NewRequest("POST", "/service/GraniteServiceVersion20100801/operation/SetAlarmState", bytes.NewReader(body))
		r.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
		r.Header.Set("Content-Type", "application/cbor")
		w := httptest.NewRecorder()
		svc.ServeHTTP(w, r)
		var got map[string]string
		if err := cbor.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"__type": "com.amazonaws.cloudwatch#ResourceNotFound", "message": "Alarm missing not found"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("body (-want +got):\n%s", diff)
		}
		head := []string{w.Header().Get("Smithy-Protocol"), w.Header().Get("Content-Type"), w.Header().Get("X-Amzn-Query-Error")}
		if diff := cmp.Diff([]string{"rpc-v2-cbor", "application/cbor", "ResourceNotFound;Sender"}, head); diff != "" {
			t.Errorf("headers (-want +got):\n%s", diff)
		}
		if w.Code != http.StatusNotFound || w.Header().Get("X-Amzn-Requestid") == "" {
			t.Errorf("status %d, request id %q", w.Code, w.Header().Get("X-Amzn-Requestid"))
		}
	})
	for _, tc := range []struct {
		name   string
		path   string
		header map[string]string
		body   string
		status int
		want   string
	}{
		{"cbor unknown operation", "/service/GraniteServiceVersion20100801/operation/PutDashboard",
			map[string]string{"Smithy-Protocol": "rpc-v2-cbor"}, "", 400, "UnknownOperationException"},
		{"cbor garbage", "/service/GraniteServiceVersion20100801/operation/DescribeAlarms",
			map[string]string{"Smithy-Protocol": "rpc-v2-cbor"}, "\xff\x00", 400, "SerializationException"},
		{"gzip garbage", "/service/GraniteServiceVersion20100801/operation/PutMetricData",
			map[string]string{"Smithy-Protocol": "rpc-v2-cbor", "Content-Encoding": "gzip"}, "not gzip", 400, "SerializationException"},
		{"query error", "/", map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			"Action=SetAlarmState&Version=2010-08-01&AlarmName=missing&StateValue=OK&StateReason=x", 404,
			`<ErrorResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><Error><Type>Sender</Type><Code>ResourceNotFound</Code><Message>Alarm missing not found</Message></Error><RequestId>`},
		{"query unknown action", "/", map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			"Action=PutDashboard&Version=2010-08-01", 400, "<Code>InvalidAction</Code>"},
		{"query bad number", "/", map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			"Action=DescribeAlarms&Version=2010-08-01&MaxRecords=many", 400, "<Code>InvalidParameterValue</Code>"},
		{"query empty list", "/", map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			"Action=DescribeAlarms&Version=2010-08-01&AlarmNames=", 200,
			`<DescribeAlarmsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><DescribeAlarmsResult><MetricAlarms/><CompositeAlarms/></DescribeAlarmsResult><ResponseMetadata><RequestId>`},
		{"query key too long to be a member", "/", map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			"Action=DescribeAlarms&Version=2010-08-01&" + strings.Repeat("AlarmNames.", 50000) + "=x", 200, "<MetricAlarms/>"},
		{"query unit output", "/", map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			"Action=PutMetricData&Version=2010-08-01&Namespace=app&MetricData.member.1.MetricName=n&MetricData.member.1.Value=1", 200,
			`<PutMetricDataResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><ResponseMetadata><RequestId>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("POST", tc.path, strings.NewReader(tc.body))
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			svc.ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Errorf("status %d, want %d", w.Code, tc.status)
			}
			got := w.Body.String()
			if tc.header["Smithy-Protocol"] != "" {
				var m map[string]string
				if err := cbor.Unmarshal(w.Body.Bytes(), &m); err != nil {
					t.Fatal(err)
				}
				got = strings.TrimPrefix(m["__type"], "com.amazonaws.cloudwatch#")
			}
			if !strings.Contains(got, tc.want) {
				t.Errorf("answer %q does not contain %q", got, tc.want)
			}
		})
	}
}
