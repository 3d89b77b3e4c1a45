package eventgen

import (
	"bytes"
	"crypto/md5"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambctl/lamb/emulator/httpapi"
	"github.com/lambctl/lamb/internal/route"
)

// The address generated HTTP requests come from (RFC 5737 documentation
// range) and their user agent.
const (
	sourceIP  = "192.0.2.10"
	userAgent = "lamb-event"
)

// httpRequest is the request the HTTP kinds describe.
type httpRequest struct {
	method   string
	url      *url.URL
	header   http.Header
	body     string
	key      route.Key
	params   map[string]string
	hasRoute bool
}

func newHTTPRequest(o Options) (httpRequest, error) {
	method := o.Method
	if method == "" {
		method = "GET"
		if o.Body != "" {
			method = "POST"
		}
	}
	if method != strings.ToUpper(method) || !validToken(method) {
		return httpRequest{}, fmt.Errorf("method %q is not an upper-case HTTP method", method)
	}
	path := or(o.Path, "/")
	if !strings.HasPrefix(path, "/") {
		return httpRequest{}, fmt.Errorf("path %q must start with \"/\"", path)
	}
	u, err := url.ParseRequestURI(path)
	if err != nil {
		return httpRequest{}, fmt.Errorf("path %q: %w", path, err)
	}
	req := httpRequest{method: method, url: u, header: http.Header{}, body: o.Body}
	req.header.Set("Accept", "*/*")
	req.header.Set("User-Agent", userAgent)
	if o.Body != "" {
		ct := "text/plain; charset=utf-8"
		if json.Valid([]byte(o.Body)) {
			ct = "application/json"
		}
		req.header.Set("Content-Type", ct)
	}
	for _, k := range slices.Sorted(maps.Keys(o.Headers)) {
		if !validToken(k) {
			return httpRequest{}, fmt.Errorf("header name %q is not valid", k)
		}
		req.header.Set(k, o.Headers[k])
	}
	if o.Route != "" {
		k, err := route.Parse(o.Route)
		if err != nil {
			return httpRequest{}, err
		}
		var t route.Table
		if err := t.Add(k, "event"); err != nil {
			return httpRequest{}, err
		}
		_, _, params, ok := t.Match(method, u.EscapedPath())
		if !ok {
			return httpRequest{}, fmt.Errorf("route %q does not match %s %s", o.Route, method, u.EscapedPath())
		}
		req.key, req.params, req.hasRoute = k, params, true
	}
	return req, nil
}

// validToken reports whether s is an HTTP token (a method or header name).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}

func httpAPI(o Options) (any, error) {
	req, err := newHTTPRequest(o)
	if err != nil {
		return nil, err
	}
	sd := newSeed("apigw-http", o, req.method, req.url.String(), o.Route, req.body)
	host := httpapi.DefaultAPIID + ".execute-api." + o.Region + ".amazonaws.com"
	r, err := http.NewRequest(req.method, "https://"+host+req.url.RequestURI(), strings.NewReader(req.body))
	if err != nil {
		return nil, err
	}
	r.Header = req.header
	r.RemoteAddr = sourceIP + ":49152"
	r.TLS = &tls.ConnectionState{}
	routeKey := route.Default
	if req.hasRoute {
		routeKey = req.key.String()
	}
	body, _ := io.ReadAll(r.Body)
	ev := httpapi.NewEvent(r, body, httpapi.EventInfo{
		RouteKey: routeKey, PathParameters: req.params,
		AccountID: o.AccountID, APIID: httpapi.DefaultAPIID,
		RequestID: or(o.ID, base64.StdEncoding.EncodeToString(sd.bytes("request", 11))),
		TraceID:   fmt.Sprintf("Root=1-%08x-%s", o.Time.Unix(), sd.hex("trace", 24)),
		Time:      o.Time,
	})
	b, err := httpapi.MarshalEvent(ev)
	return json.RawMessage(b), err
}

func restAPI(o Options) (any, error) {
	req, err := newHTTPRequest(o)
	if err != nil {
		return nil, err
	}
	sd := newSeed("apigw-rest", o, req.method, req.url.String(), o.Route, req.body)
	const stage = "prod"
	apiID := sd.hex("api", 10)
	host := apiID + ".execute-api." + o.Region + ".amazonaws.com"
	resource := req.url.Path
	if req.hasRoute && !req.key.IsDefault() {
		resource = req.key.Path()
	}
	req.header.Set("Host", host)
	req.header.Set("X-Amzn-Trace-Id", fmt.Sprintf("Root=1-%08x-%s", o.Time.Unix(), sd.hex("trace", 24)))
	req.header.Set("X-Forwarded-For", sourceIP)
	req.header.Set("X-Forwarded-Port", "443")
	req.header.Set("X-Forwarded-Proto", "https")
	ev := events.APIGatewayProxyRequest{
		Resource:          resource,
		Path:              req.url.Path,
		HTTPMethod:        req.method,
		Headers:           map[string]string{},
		MultiValueHeaders: map[string][]string{},
		PathParameters:    req.params,
		Body:              req.body,
		RequestContext: events.APIGatewayProxyRequestContext{
			AccountID:         o.AccountID,
			ResourceID:        sd.hex("resource", 6),
			Stage:             stage,
			DomainName:        host,
			DomainPrefix:      apiID,
			RequestID:         or(o.ID, sd.uuid("request")),
			ExtendedRequestID: base64.StdEncoding.EncodeToString(sd.bytes("extended", 11)),
			Protocol:          "HTTP/1.1",
			Identity:          events.APIGatewayRequestIdentity{SourceIP: sourceIP, UserAgent: userAgent},
			ResourcePath:      resource,
			Path:              "/" + stage + req.url.Path,
			HTTPMethod:        req.method,
			RequestTime:       o.Time.Format("02/Jan/2006:15:04:05 -0700"),
			RequestTimeEpoch:  o.Time.UnixMilli(),
			APIID:             apiID,
		},
	}
	for k, v := range req.header {
		ev.Headers[k] = v[len(v)-1]
		ev.MultiValueHeaders[k] = v
	}
	if q := req.url.Query(); len(q) > 0 {
		ev.QueryStringParameters = map[string]string{}
		ev.MultiValueQueryStringParameters = map[string][]string{}
		for k, v := range q {
			ev.QueryStringParameters[k] = v[len(v)-1]
			ev.MultiValueQueryStringParameters[k] = v
		}
	}
	return ev, nil
}

func sqs(o Options) (any, error) {
	body := or(o.Body, "Hello from SQS!")
	queue := or(o.Queue, "my-queue")
	sd := newSeed("sqs", o, queue, body)
	sum := md5.Sum([]byte(body))
	ms := strconv.FormatInt(o.Time.UnixMilli(), 10)
	return events.SQSEvent{Records: []events.SQSMessage{{
		MessageId:     or(o.ID, sd.uuid("message")),
		ReceiptHandle: "AQEB" + base64.StdEncoding.EncodeToString(sd.bytes("receipt", 72)),
		Body:          body,
		Md5OfBody:     hex.EncodeToString(sum[:]),
		Attributes: map[string]string{
			"ApproximateReceiveCount":          "1",
			"SentTimestamp":                    ms,
			"SenderId":                         "AIDAIENQZJOLO23YVJ4VO",
			"ApproximateFirstReceiveTimestamp": ms,
		},
		MessageAttributes: map[string]events.SQSMessageAttribute{},
		EventSourceARN:    "arn:aws:sqs:" + o.Region + ":" + o.AccountID + ":" + queue,
		EventSource:       "aws:sqs",
		AWSRegion:         o.Region,
	}}}, nil
}

func sns(o Options) (any, error) {
	msg := or(o.Body, "Hello from SNS!")
	topic := "arn:aws:sns:" + o.Region + ":" + o.AccountID + ":" + or(o.Topic, "my-topic")
	sd := newSeed("sns", o, topic, o.Subject, msg)
	return events.SNSEvent{Records: []events.SNSEventRecord{{
		EventVersion:         "1.0",
		EventSubscriptionArn: topic + ":" + sd.uuid("subscription"),
		EventSource:          "aws:sns",
		SNS: events.SNSEntity{
			Signature:         "EXAMPLE",
			MessageID:         or(o.ID, sd.uuid("message")),
			Type:              "Notification",
			TopicArn:          topic,
			MessageAttributes: map[string]any{},
			SignatureVersion:  "1",
			Timestamp:         o.Time,
			SigningCertURL:    "EXAMPLE",
			Message:           msg,
			UnsubscribeURL:    "EXAMPLE",
			Subject:           o.Subject,
		},
	}}}, nil
}

// s3Key encodes an object key as S3 notifications do: form-encoded
// (spaces become "+"), with "/" left alone.
func s3Key(key string) string {
	return strings.ReplaceAll(url.QueryEscape(key), "%2F", "/")
}

func s3(o Options) (any, error) {
	bucket := or(o.Bucket, "my-bucket")
	key := or(o.Key, "example/hello.txt")
	name := or(o.EventName, "ObjectCreated:Put")
	if !strings.HasPrefix(name, "ObjectCreated:") && !strings.HasPrefix(name, "ObjectRemoved:") &&
		!strings.HasPrefix(name, "ObjectRestore:") && !strings.HasPrefix(name, "LifecycleExpiration:") {
		return nil, fmt.Errorf("event name %q: want ObjectCreated:*, ObjectRemoved:*, ObjectRestore:* or LifecycleExpiration:* (e.g. ObjectCreated:Put)", name)
	}
	size := o.Size
	if size == 0 {
		size = 1024
	}
	if size < 0 {
		return nil, fmt.Errorf("size %d is negative", size)
	}
	sd := newSeed("s3", o, bucket, key, name, strconv.FormatInt(size, 10))
	rec := events.S3EventRecord{
		EventVersion:      "2.1",
		EventSource:       "aws:s3",
		AWSRegion:         o.Region,
		EventTime:         o.Time,
		EventName:         name,
		PrincipalID:       events.S3UserIdentity{PrincipalID: "EXAMPLE"},
		RequestParameters: events.S3RequestParameters{SourceIPAddress: sourceIP},
		ResponseElements: map[string]string{
			"x-amz-request-id": strings.ToUpper(or(o.ID, sd.hex("request", 16))),
			"x-amz-id-2":       base64.StdEncoding.EncodeToString(sd.bytes("id2", 48)),
		},
		S3: events.S3Entity{
			SchemaVersion:   "1.0",
			ConfigurationID: "lamb-event",
			Bucket: events.S3Bucket{
				Name:          bucket,
				OwnerIdentity: events.S3UserIdentity{PrincipalID: "EXAMPLE"},
				Arn:           "arn:aws:s3:::" + bucket,
			},
			Object: events.S3Object{
				Key:           s3Key(key),
				Size:          size,
				URLDecodedKey: key,
				ETag:          sd.hex("etag", 32),
				Sequencer:     strings.ToUpper(sd.hex("sequencer", 18)),
			},
		},
	}
	if strings.HasPrefix(name, "ObjectRemoved:") {
		rec.S3.Object.Size, rec.S3.Object.ETag = 0, ""
	}
	return events.S3Event{Records: []events.S3EventRecord{rec}}, nil
}

func eventBridge(o Options) (any, error) {
	detail := or(o.Detail, "{}")
	if !json.Valid([]byte(detail)) || !strings.HasPrefix(strings.TrimSpace(detail), "{") {
		return nil, fmt.Errorf("detail %q is not a JSON object", detail)
	}
	source := or(o.Source, "com.example.app")
	detailType := or(o.DetailType, "Example Event")
	sd := newSeed("eventbridge", o, source, detailType, detail)
	var compact bytes.Buffer
	json.Compact(&compact, []byte(detail))
	return events.EventBridgeEvent{
		Version:    "0",
		ID:         or(o.ID, sd.uuid("event")),
		DetailType: detailType,
		Source:     source,
		AccountID:  o.AccountID,
		Time:       o.Time.Truncate(1e9),
		Region:     o.Region,
		Resources:  []string{},
		Detail:     compact.Bytes(),
	}, nil
}

func schedule(o Options) (any, error) {
	rule := or(o.Rule, "my-schedule")
	sd := newSeed("schedule", o, rule)
	return events.EventBridgeEvent{
		Version:    "0",
		ID:         or(o.ID, sd.uuid("event")),
		DetailType: "Scheduled Event",
		Source:     "aws.events",
		AccountID:  o.AccountID,
		Time:       o.Time.Truncate(1e9),
		Region:     o.Region,
		Resources:  []string{"arn:aws:events:" + o.Region + ":" + o.AccountID + ":rule/" + rule},
		Detail:     json.RawMessage("{}"),
	}, nil
}

func dynamoDB(o Options) (any, error) {
	table := or(o.Table, "my-table")
	itemJSON := or(o.Body, `{"id":"1","message":"hello"}`)
	item, err := attributes(itemJSON)
	if err != nil {
		return nil, err
	}
	keyNames := o.KeyAttributes
	if len(keyNames) == 0 {
		keyNames = []string{"id"}
	}
	keys := map[string]events.DynamoDBAttributeValue{}
	for _, k := range keyNames {
		v, ok := item[k]
		if !ok {
			return nil, fmt.Errorf("key attribute %q is not in the item %s", k, itemJSON)
		}
		keys[k] = v
	}
	name := or(o.EventName, "INSERT")
	sd := newSeed("dynamodb", o, table, itemJSON, strings.Join(keyNames, ","), name)
	change := events.DynamoDBStreamRecord{
		ApproximateCreationDateTime: events.SecondsEpochTime{Time: o.Time.Truncate(1e9)},
		Keys:                        keys,
		SequenceNumber:              "1" + sd.digits("sequence", 20),
		SizeBytes:                   int64(len(itemJSON)),
		StreamViewType:              "NEW_AND_OLD_IMAGES",
	}
	switch name {
	case "INSERT":
		change.NewImage = item
	case "MODIFY":
		change.NewImage, change.OldImage = item, item
	case "REMOVE":
		change.OldImage = item
	default:
		return nil, fmt.Errorf("event name %q: want INSERT, MODIFY or REMOVE", name)
	}
	return events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{{
		AWSRegion:      o.Region,
		Change:         change,
		EventID:        or(o.ID, sd.hex("event", 32)),
		EventName:      name,
		EventSource:    "aws:dynamodb",
		EventVersion:   "1.1",
		EventSourceArn: "arn:aws:dynamodb:" + o.Region + ":" + o.AccountID + ":table/" + table + "/stream/" + o.Time.Format("2006-01-02T15:04:05.000"),
	}}}, nil
}

// attributes converts a JSON object to DynamoDB attribute values: strings
// are S, numbers N, booleans BOOL, null NULL, arrays L and objects M.
func attributes(s string) (map[string]events.DynamoDBAttributeValue, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("item %s: %w", s, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("item %s: more than one JSON value", s)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("item %s is not a JSON object", s)
	}
	av, err := attribute(m)
	if err != nil {
		return nil, fmt.Errorf("item %s: %w", s, err)
	}
	return av.Map(), nil
}

func attribute(v any) (events.DynamoDBAttributeValue, error) {
	switch x := v.(type) {
	case nil:
		return events.NewNullAttribute(), nil
	case bool:
		return events.NewBooleanAttribute(x), nil
	case string:
		return events.NewStringAttribute(x), nil
	case json.Number:
		return events.NewNumberAttribute(x.String()), nil
	case []any:
		l := make([]events.DynamoDBAttributeValue, len(x))
		for i, e := range x {
			a, err := attribute(e)
			if err != nil {
				return a, err
			}
			l[i] = a
		}
		return events.NewListAttribute(l), nil
	case map[string]any:
		m := make(map[string]events.DynamoDBAttributeValue, len(x))
		for k, e := range x {
			a, err := attribute(e)
			if err != nil {
				return a, err
			}
			m[k] = a
		}
		return events.NewMapAttribute(m), nil
	}
	return events.DynamoDBAttributeValue{}, errors.New("unsupported JSON value")
}
