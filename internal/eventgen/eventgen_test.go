package eventgen

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// clock is the fixed time of every golden event.
var clock = time.Date(2026, 3, 12, 19, 3, 58, 390_000_000, time.UTC)

// types are the events type each kind decodes into.
var types = map[string]any{
	"apigw-http":  events.APIGatewayV2HTTPRequest{},
	"apigw-rest":  events.APIGatewayProxyRequest{},
	"sqs":         events.SQSEvent{},
	"sns":         events.SNSEvent{},
	"s3":          events.S3Event{},
	"eventbridge": events.EventBridgeEvent{},
	"schedule":    events.EventBridgeEvent{},
	"dynamodb":    events.DynamoDBEvent{},
}

// cases are the golden events: every kind with its defaults, and variants
// that exercise the options.
var cases = []struct {
	name, kind string
	opts       Options
}{
	{"apigw-http", "apigw-http", Options{}},
	{"apigw-http-route", "apigw-http", Options{Method: "POST", Path: "/orders/o-1/items?limit=10&tag=a&tag=b", Route: "POST /orders/{id}/items",
		Body: `{"sku":"book-1","qty":2}`, Headers: map[string]string{"Cookie": "session=abc; theme=dark", "X-Tenant": "acme"}}},
	{"apigw-rest", "apigw-rest", Options{}},
	{"apigw-rest-route", "apigw-rest", Options{Path: "/orders/o-1?expand=items&expand=buyer", Route: "GET /orders/{id}"}},
	{"sqs", "sqs", Options{}},
	{"sqs-body", "sqs", Options{Body: `{"orderId":"o-1"}`, Queue: "orders", Region: "eu-west-1", AccountID: "210987654321", ID: "11111111-2222-4333-8444-555555555555"}},
	{"sns", "sns", Options{}},
	{"sns-subject", "sns", Options{Body: "order shipped", Topic: "orders", Subject: "Shipped"}},
	{"s3", "s3", Options{}},
	{"s3-key", "s3", Options{Bucket: "uploads", Key: "photos/My Photo+1.jpg", Size: 2048}},
	{"s3-removed", "s3", Options{EventName: "ObjectRemoved:Delete"}},
	{"eventbridge", "eventbridge", Options{}},
	{"eventbridge-detail", "eventbridge", Options{Source: "com.example.orders", DetailType: "Order Placed", Detail: `{ "orderId": "o-1", "total": 12.5 }`}},
	{"schedule", "schedule", Options{}},
	{"dynamodb", "dynamodb", Options{}},
	{"dynamodb-modify", "dynamodb", Options{Table: "orders", EventName: "MODIFY", KeyAttributes: []string{"pk", "sk"},
		Body: `{"pk":"o-1","sk":"line#1","qty":2,"price":12.50,"gift":false,"note":null,"tags":["a","b"],"ship":{"city":"Lyon"}}`}},
}

func TestGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := tc.opts
			opts.Time = clock
			got, err := Generate(tc.kind, opts)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", tc.name+".json"), got)
		})
	}
}

// TestDecodes checks that every event decodes into its events type with
// no field left over, and that encoding the decoded value gives the same
// JSON back: nothing is lost or invented between the two.
func TestDecodes(t *testing.T) {
	t.Parallel()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := tc.opts
			opts.Time = clock
			out, err := Generate(tc.kind, opts)
			if err != nil {
				t.Fatal(err)
			}
			typ := reflect.TypeOf(types[tc.kind])
			v := reflect.New(typ)
			dec := json.NewDecoder(bytes.NewReader(out))
			dec.DisallowUnknownFields()
			if err := dec.Decode(v.Interface()); err != nil {
				t.Fatalf("decode into %s: %v", typ, err)
			}
			again, err := json.Marshal(v.Interface())
			if err != nil {
				t.Fatal(err)
			}
			var a, b any
			if err := json.Unmarshal(out, &a); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(again, &b); err != nil {
				t.Fatal(err)
			}
			if tc.kind == "apigw-http" {
				// The events type always carries an empty
				// requestContext.authentication; the event leaves it out.
				delete(b.(map[string]any)["requestContext"].(map[string]any), "authentication")
			}
			if diff := cmp.Diff(a, b); diff != "" {
				t.Errorf("decoded and encoded again (-generated +round trip):\n%s", diff)
			}
		})
	}
}

func TestDecodedValues(t *testing.T) {
	t.Parallel()
	gen := func(kind string, o Options, v any) {
		t.Helper()
		o.Time = clock
		out, err := Generate(kind, o)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(out, v); err != nil {
			t.Fatal(err)
		}
	}
	var h events.APIGatewayV2HTTPRequest
	gen("apigw-http", Options{Path: "/orders/a%2Fb", Route: "GET /orders/{id}"}, &h)
	if h.PathParameters["id"] != "a/b" || h.RouteKey != "GET /orders/{id}" || h.RequestContext.HTTP.Method != "GET" {
		t.Errorf("apigw-http: params %v route %q method %q", h.PathParameters, h.RouteKey, h.RequestContext.HTTP.Method)
	}
	var r events.APIGatewayProxyRequest
	gen("apigw-rest", Options{Method: "PUT", Path: "/users/u1/keys/k2", Route: "ANY /users/{proxy+}", Body: "x"}, &r)
	if r.PathParameters["proxy"] != "u1/keys/k2" || r.Resource != "/users/{proxy+}" || r.HTTPMethod != "PUT" || r.Body != "x" {
		t.Errorf("apigw-rest: %+v", r)
	}
	var s3 events.S3Event
	gen("s3", Options{Key: "a b/c+d.txt"}, &s3)
	if got := s3.Records[0].S3.Object; got.Key != "a+b/c%2Bd.txt" || got.URLDecodedKey != "a b/c+d.txt" {
		t.Errorf("s3 key %q decoded %q", got.Key, got.URLDecodedKey)
	}
	var d events.DynamoDBEvent
	gen("dynamodb", Options{Body: `{"id":"o-1","n":3,"l":[true]}`}, &d)
	img := d.Records[0].Change.NewImage
	if n, _ := img["n"].Integer(); img["id"].String() != "o-1" || n != 3 || !img["l"].List()[0].Boolean() {
		t.Errorf("dynamodb image %v", img)
	}
	if d.Records[0].Change.Keys["id"].String() != "o-1" {
		t.Errorf("dynamodb keys %v", d.Records[0].Change.Keys)
	}
	var e events.EventBridgeEvent
	gen("schedule", Options{Rule: "nightly"}, &e)
	if e.DetailType != "Scheduled Event" || e.Source != "aws.events" || e.Resources[0] != "arn:aws:events:us-east-1:123456789012:rule/nightly" {
		t.Errorf("schedule %+v", e)
	}
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	for _, k := range Kinds() {
		a, err := Generate(k.Name, Options{Time: clock})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Generate(k.Name, Options{Time: clock})
		c, _ := Generate(k.Name, Options{Time: clock.Add(time.Second)})
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two runs with the same options differ", k.Name)
		}
		if bytes.Equal(a, c) {
			t.Errorf("%s: a different time gives the same event", k.Name)
		}
	}
	// The default clock is now.
	out, err := Generate("schedule", Options{})
	if err != nil {
		t.Fatal(err)
	}
	var e events.EventBridgeEvent
	if err := json.Unmarshal(out, &e); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(e.Time); d < -time.Second || d > time.Minute {
		t.Errorf("default time %v is not now", e.Time)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind string
		opts Options
		want string
	}{
		{"kafka", Options{}, `unknown event kind "kafka" (want one of apigw-http, apigw-rest, sqs, sns, s3, eventbridge, schedule, dynamodb)`},
		{"apigw-http", Options{Method: "get"}, `apigw-http event: method "get" is not an upper-case HTTP method`},
		{"apigw-http", Options{Path: "orders"}, `apigw-http event: path "orders" must start with "/"`},
		{"apigw-http", Options{Route: "GET /orders/{id}", Path: "/users/1"}, `apigw-http event: route "GET /orders/{id}" does not match GET /users/1`},
		{"apigw-rest", Options{Route: "GET /a//b"}, `apigw-rest event: route key "GET /a//b": empty segment ("//") in path "/a//b"`},
		{"apigw-http", Options{Headers: map[string]string{"Bad Name": "x"}}, `apigw-http event: header name "Bad Name" is not valid`},
		{"s3", Options{EventName: "Put"}, `s3 event: event name "Put": want ObjectCreated:*, ObjectRemoved:*, ObjectRestore:* or LifecycleExpiration:* (e.g. ObjectCreated:Put)`},
		{"s3", Options{Size: -1}, `s3 event: size -1 is negative`},
		{"eventbridge", Options{Detail: `[1]`}, `eventbridge event: detail "[1]" is not a JSON object`},
		{"eventbridge", Options{Detail: `{`}, `eventbridge event: detail "{" is not a JSON object`},
		{"dynamodb", Options{Body: `[1]`}, `dynamodb event: item [1] is not a JSON object`},
		{"dynamodb", Options{Body: `{"a":1} {}`}, `dynamodb event: item {"a":1} {}: more than one JSON value`},
		{"dynamodb", Options{Body: `{"a":1}`}, `dynamodb event: key attribute "id" is not in the item {"a":1}`},
		{"dynamodb", Options{EventName: "UPSERT"}, `dynamodb event: event name "UPSERT": want INSERT, MODIFY or REMOVE`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			_, err := Generate(tt.kind, tt.opts)
			if err == nil {
				t.Fatal("no error")
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestKinds(t *testing.T) {
	t.Parallel()
	var names []string
	for _, k := range Kinds() {
		names = append(names, k.Name)
		if k.Help == "" || strings.Contains(k.Help, "\n") {
			t.Errorf("%s: help %q is not one line", k.Name, k.Help)
		}
		for _, u := range k.Uses {
			if _, ok := reflect.TypeOf(Options{}).FieldByName(u); !ok {
				t.Errorf("%s: Uses names %q, not an Options field", k.Name, u)
			}
		}
		if _, ok := types[k.Name]; !ok {
			t.Errorf("%s: no events type in the test's table", k.Name)
		}
	}
	want := []string{"apigw-http", "apigw-rest", "sqs", "sns", "s3", "eventbridge", "schedule", "dynamodb"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("kinds (-want +got):\n%s", diff)
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}
