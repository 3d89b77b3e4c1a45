// Package eventgen prints ready-made Lambda events, as `sam local
// generate-event` does, for `lamb event`. Every event is built from the
// aws-lambda-go events type its handler decodes, so what it prints is what
// a Go handler reads; the HTTP API event is built by the same code that
// the local HTTP front (emulator/httpapi) uses for real requests.
//
// The output is deterministic: identifiers are derived from the options
// (kind, time, names, body), so the same options give the same bytes.
// Options.Time defaults to now; pass a fixed time for a fixed event.
package eventgen

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Options are the inputs of Generate. Each kind reads the fields its Kind
// lists in Uses and ignores the others; empty fields take the defaults
// documented on them.
type Options struct {
	// Time of the event; zero means now.
	Time time.Time
	// Region, default us-east-1; AccountID, default 123456789012.
	Region    string
	AccountID string
	// ID replaces the event's generated identifier (request id, message
	// id, event id).
	ID string

	// Method is the HTTP method of apigw-http and apigw-rest; default GET,
	// or POST when there is a Body.
	Method string
	// Path is the request path, with an optional ?query; default "/".
	Path string
	// Route is the matched route key ("GET /orders/{id}"): it gives the
	// routeKey (REST: the resource) and the pathParameters. Default: the
	// $default route (REST: the path itself).
	Route string
	// Headers are extra request headers.
	Headers map[string]string

	// Body is the HTTP request body, the SQS message body, the SNS message
	// or, for dynamodb, the item as a JSON object.
	Body string

	// Queue names the SQS queue; default my-queue.
	Queue string
	// Topic names the SNS topic, default my-topic; Subject is the SNS
	// subject.
	Topic   string
	Subject string
	// Bucket and Key name the S3 object; default my-bucket and
	// example/hello.txt. Size is its size, default 1024.
	Bucket string
	Key    string
	Size   int64
	// EventName is the S3 event (default ObjectCreated:Put) or the
	// DynamoDB stream event (INSERT, MODIFY or REMOVE; default INSERT).
	EventName string
	// Source, DetailType and Detail make an EventBridge event; default
	// com.example.app, "Example Event" and {}. Detail must be a JSON
	// object.
	Source     string
	DetailType string
	Detail     string
	// Rule names the schedule's EventBridge rule; default my-schedule.
	Rule string
	// Table names the DynamoDB table, default my-table; KeyAttributes are
	// the item's key attribute names, default id.
	Table         string
	KeyAttributes []string
}

// Kind is one kind of event Generate prints.
type Kind struct {
	Name string
	// Help is one line for `lamb event --help`.
	Help string
	// Uses names the Options fields the kind reads, besides Time, Region,
	// AccountID and ID.
	Uses []string

	gen func(Options) (any, error)
}

var kinds = []Kind{
	{"apigw-http", "API Gateway HTTP API or function URL request, payload format 2.0 (events.APIGatewayV2HTTPRequest)",
		[]string{"Method", "Path", "Route", "Headers", "Body"}, httpAPI},
	{"apigw-rest", "API Gateway REST API proxy request, payload format 1.0 (events.APIGatewayProxyRequest)",
		[]string{"Method", "Path", "Route", "Headers", "Body"}, restAPI},
	{"sqs", "SQS message, a batch of one (events.SQSEvent)", []string{"Body", "Queue"}, sqs},
	{"sns", "SNS notification (events.SNSEvent)", []string{"Body", "Topic", "Subject"}, sns},
	{"s3", "S3 object notification (events.S3Event)", []string{"Bucket", "Key", "Size", "EventName"}, s3},
	{"eventbridge", "EventBridge event (events.EventBridgeEvent)", []string{"Source", "DetailType", "Detail"}, eventBridge},
	{"schedule", "EventBridge scheduled event, as a schedule rule sends it (events.EventBridgeEvent)", []string{"Rule"}, schedule},
	{"dynamodb", "DynamoDB stream record (events.DynamoDBEvent)", []string{"Table", "Body", "KeyAttributes", "EventName"}, dynamoDB},
}

// Kinds lists the kinds, in the order `lamb event --help` shows them.
func Kinds() []Kind {
	return slices.Clone(kinds)
}

// Generate prints an event of the named kind as indented JSON ending in a
// newline.
func Generate(kind string, opts Options) ([]byte, error) {
	i := slices.IndexFunc(kinds, func(k Kind) bool { return k.Name == kind })
	if i < 0 {
		var names []string
		for _, k := range kinds {
			names = append(names, k.Name)
		}
		return nil, fmt.Errorf("unknown event kind %q (want one of %s)", kind, strings.Join(names, ", "))
	}
	if opts.Time.IsZero() {
		opts.Time = time.Now()
	}
	opts.Time = opts.Time.UTC()
	opts.Region = or(opts.Region, "us-east-1")
	opts.AccountID = or(opts.AccountID, "123456789012")
	ev, err := kinds[i].gen(opts)
	if err != nil {
		return nil, fmt.Errorf("%s event: %w", kind, err)
	}
	var raw []byte
	if b, ok := ev.(json.RawMessage); ok {
		raw = b
	} else {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(ev); err != nil {
			return nil, fmt.Errorf("%s event: %w", kind, err)
		}
		raw = buf.Bytes()
	}
	var out bytes.Buffer
	if err := json.Indent(&out, bytes.TrimSpace(raw), "", "  "); err != nil {
		return nil, fmt.Errorf("%s event: %w", kind, err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// seed derives identifiers from everything that makes an event.
type seed []byte

func newSeed(kind string, o Options, parts ...string) seed {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s", kind, o.Time.Format(time.RFC3339Nano), o.Region, o.AccountID)
	for _, p := range parts {
		fmt.Fprintf(h, "\x00%s", p)
	}
	return h.Sum(nil)
}

// hex returns n hex digits derived from the seed and label.
func (s seed) hex(label string, n int) string {
	var out string
	for i := 0; len(out) < n; i++ {
		h := sha256.Sum256(fmt.Appendf(append([]byte(nil), s...), "\x00%s\x00%d", label, i))
		out += hex.EncodeToString(h[:])
	}
	return out[:n]
}

// bytes returns n bytes derived from the seed and label.
func (s seed) bytes(label string, n int) []byte {
	b, _ := hex.DecodeString(s.hex(label, 2*n))
	return b
}

// digits returns n decimal digits derived from the seed and label.
func (s seed) digits(label string, n int) string {
	b := []byte(s.hex(label, n))
	for i, c := range b {
		b[i] = '0' + byte(strings.IndexByte("0123456789abcdef", c)%10)
	}
	return string(b)
}

// uuid returns a version-4-shaped UUID derived from the seed and label.
func (s seed) uuid(label string) string {
	x := s.hex(label, 32)
	return x[0:8] + "-" + x[8:12] + "-4" + x[13:16] + "-a" + x[17:20] + "-" + x[20:32]
}
