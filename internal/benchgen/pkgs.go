package benchgen

// pkg is a shared package of the generated repository, internal/<Name>.
type pkg struct {
	Name string
	// Deps are the other internal packages it imports.
	Deps []string
	// SDK reports whether it imports aws-sdk-go-v2.
	SDK bool
	// Src is a text/template of its source: {{.Module}} is the module path,
	// § stands for a backquote.
	Src string
}

// pkgs are the shared packages, in dependency order.
var pkgs = []pkg{
	{Name: "log", Src: srcLog},
	{Name: "ids", Src: srcIDs},
	{Name: "model", Deps: []string{"ids"}, Src: srcModel},
	{Name: "auth", Deps: []string{"log"}, Src: srcAuth},
	{Name: "httpx", Deps: []string{"log"}, Src: srcHTTPX},
	{Name: "awsx", Deps: []string{"log"}, SDK: true, Src: srcAWSX},
	{Name: "ddb", Deps: []string{"awsx", "log", "model"}, SDK: true, Src: srcDDB},
	{Name: "blob", Deps: []string{"awsx", "log"}, SDK: true, Src: srcBlob},
	{Name: "queue", Deps: []string{"awsx", "log"}, SDK: true, Src: srcQueue},
}

const srcLog = `// Package log is the JSON logger every function shares.
package log

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
)

// Version is bumped by benchgen.Touch to simulate an edit.
const Version = "log-v1"

type requestKey struct{}

var (
	once sync.Once
	root *slog.Logger
)

func level() slog.Level {
	switch strings.ToLower(os.Getenv("LOG_LEVEL")) {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// Logger returns the process logger, created on first use.
func Logger() *slog.Logger {
	once.Do(func() {
		h := slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: level()})
		root = slog.New(h).With("function", os.Getenv("AWS_LAMBDA_FUNCTION_NAME"), "lib", Version)
	})
	return root
}

// WithRequest returns ctx carrying the request ID logged by Info and Error.
func WithRequest(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestKey{}, id)
}

func attrs(ctx context.Context, args []any) []any {
	if id, ok := ctx.Value(requestKey{}).(string); ok {
		return append([]any{"request", id}, args...)
	}
	return args
}

// Info logs at info level.
func Info(ctx context.Context, msg string, args ...any) {
	Logger().InfoContext(ctx, msg, attrs(ctx, args)...)
}

// Warn logs at warn level.
func Warn(ctx context.Context, msg string, args ...any) {
	Logger().WarnContext(ctx, msg, attrs(ctx, args)...)
}

// Error logs err at error level.
func Error(ctx context.Context, msg string, err error, args ...any) {
	Logger().ErrorContext(ctx, msg, attrs(ctx, append([]any{"err", err}, args...))...)
}
`

const srcIDs = `// Package ids makes and checks the prefixed identifiers of every entity.
package ids

import (
	"crypto/sha256"
	"encoding/base32"
	"strings"
)

// Version is bumped by benchgen.Touch to simulate an edit.
const Version = "ids-v1"

var enc = base32.StdEncoding.WithPadding(base32.NoPadding)

// New derives an ID such as "ord_k3j..." from its parts.
func New(prefix string, parts ...string) string {
	h := sha256.New()
	h.Write([]byte(Version))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return prefix + "_" + strings.ToLower(enc.EncodeToString(h.Sum(nil))[:16])
}

// Valid reports whether id has the prefix and a well-formed suffix.
func Valid(prefix, id string) bool {
	rest, ok := strings.CutPrefix(id, prefix+"_")
	if !ok || len(rest) < 4 || len(rest) > 32 {
		return false
	}
	for _, r := range rest {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
`

const srcModel = `// Package model holds the records the functions exchange.
package model

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"{{.Module}}/internal/ids"
)

// Version is bumped by benchgen.Touch to simulate an edit.
const Version = "model-v1"

// Money is an amount in minor units.
type Money struct {
	Cents    int64  §json:"cents"§
	Currency string §json:"currency"§
}

func (m Money) String() string {
	sign := ""
	c := m.Cents
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d %s", sign, c/100, c%100, m.Currency)
}

// Line is one line of a record.
type Line struct {
	SKU      string §json:"sku"§
	Quantity int    §json:"quantity"§
	Price    Money  §json:"price"§
}

// Record is the generic entity stored by every domain.
type Record struct {
	ID        string            §json:"id"§
	Kind      string            §json:"kind"§
	Owner     string            §json:"owner"§
	Status    string            §json:"status"§
	Lines     []Line            §json:"lines,omitempty"§
	Total     Money             §json:"total"§
	Labels    map[string]string §json:"labels,omitempty"§
	CreatedAt time.Time         §json:"createdAt"§
	Schema    string            §json:"schema"§
}

var (
	ErrOwner = errors.New("owner is required")
	ErrLines = errors.New("at least one line is required")
)

// NewRecord returns a validated record of kind with a derived ID.
func NewRecord(kind, owner string, lines []Line, now time.Time) (Record, error) {
	r := Record{Kind: kind, Owner: strings.TrimSpace(owner), Status: "new", Lines: lines, CreatedAt: now.UTC(), Schema: Version}
	if err := r.Validate(); err != nil {
		return Record{}, err
	}
	r.ID = ids.New(kind[:3], r.Owner, now.UTC().Format(time.RFC3339Nano))
	return r, nil
}

// Validate checks r and recomputes its total.
func (r *Record) Validate() error {
	if r.Owner == "" {
		return ErrOwner
	}
	if len(r.Lines) == 0 {
		return ErrLines
	}
	total := Money{Currency: r.Lines[0].Price.Currency}
	for i, l := range r.Lines {
		if l.Quantity < 1 {
			return fmt.Errorf("line %d: quantity must be at least 1", i)
		}
		if l.Price.Currency != total.Currency {
			return fmt.Errorf("line %d: currency %s, want %s", i, l.Price.Currency, total.Currency)
		}
		total.Cents += l.Price.Cents * int64(l.Quantity)
	}
	r.Total = total
	return nil
}
`

const srcAuth = `// Package auth verifies the HMAC-signed bearer tokens of the HTTP functions.
package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"time"

	applog "{{.Module}}/internal/log"
)

// Version is bumped by benchgen.Touch to simulate an edit.
const Version = "auth-v1"

// Claims are the token's payload.
type Claims struct {
	Subject string   §json:"sub"§
	Scopes  []string §json:"scp"§
	Expiry  int64    §json:"exp"§
}

// Allows reports whether the claims grant scope.
func (c Claims) Allows(scope string) bool {
	return slices.Contains(c.Scopes, scope) || slices.Contains(c.Scopes, "*")
}

var (
	ErrMissing = errors.New("auth: missing bearer token")
	ErrInvalid = errors.New("auth: invalid token")
	ErrExpired = errors.New("auth: token expired")
)

func key() []byte {
	if k := os.Getenv("AUTH_KEY"); k != "" {
		return []byte(k)
	}
	return []byte("local-" + Version)
}

// Check verifies an Authorization header "Bearer <payload>.<mac>".
func Check(ctx context.Context, header string, now time.Time) (Claims, error) {
	tok, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || tok == "" {
		return Claims{}, ErrMissing
	}
	payload, sig, ok := strings.Cut(tok, ".")
	if !ok {
		return Claims{}, ErrInvalid
	}
	m := hmac.New(sha256.New, key())
	m.Write([]byte(payload))
	if !hmac.Equal([]byte(base64.RawURLEncoding.EncodeToString(m.Sum(nil))), []byte(sig)) {
		applog.Warn(ctx, "token signature mismatch")
		return Claims{}, ErrInvalid
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return Claims{}, ErrInvalid
	}
	var c Claims
	if err := json.Unmarshal(raw, &c); err != nil {
		return Claims{}, ErrInvalid
	}
	if now.Unix() > c.Expiry {
		return Claims{}, ErrExpired
	}
	return c, nil
}
`

const srcHTTPX = `// Package httpx reads API Gateway HTTP API requests and builds responses.
package httpx

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	applog "{{.Module}}/internal/log"
)

// Version is bumped by benchgen.Touch to simulate an edit.
const Version = "httpx-v1"

// Response is an HTTP API (payload 2.0) response.
type Response = events.APIGatewayV2HTTPResponse

// JSON encodes v as the body of a response with status.
func JSON(status int, v any) Response {
	b, err := json.Marshal(v)
	if err != nil {
		return Response{StatusCode: http.StatusInternalServerError, Body: §{"error":"encoding failed"}§}
	}
	return Response{
		StatusCode: status,
		Headers:    map[string]string{"content-type": "application/json", "x-lib": Version},
		Body:       string(b),
	}
}

// Fail answers {"error": err} with status, logging server errors.
func Fail(ctx context.Context, status int, err error) Response {
	if status >= 500 {
		applog.Error(ctx, "request failed", err, "status", status)
	}
	return JSON(status, map[string]string{"error": err.Error()})
}

// Header returns a request header, matched case-insensitively.
func Header(req events.APIGatewayV2HTTPRequest, name string) string {
	for k, v := range req.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// Decode decodes the (possibly base64) JSON body into v.
func Decode(req events.APIGatewayV2HTTPRequest, v any) error {
	body := []byte(req.Body)
	if req.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(req.Body)
		if err != nil {
			return err
		}
		body = b
	}
	return json.Unmarshal(body, v)
}
`

const srcAWSX = `// Package awsx loads the AWS SDK configuration once per cold start.
package awsx

import (
	"context"
	"os"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"

	applog "{{.Module}}/internal/log"
)

// Version is bumped by benchgen.Touch to simulate an edit.
const Version = "awsx-v1"

var (
	once sync.Once
	cfg  aws.Config
	err  error
)

// Config returns the shared configuration.
func Config(ctx context.Context) (aws.Config, error) {
	once.Do(func() {
		region := os.Getenv("AWS_REGION")
		if region == "" {
			region = "us-east-1"
		}
		cfg, err = config.LoadDefaultConfig(ctx,
			config.WithRegion(region),
			config.WithAppID("benchrepo/"+Version),
			config.WithRetryer(func() aws.Retryer {
				return retry.AddWithMaxAttempts(retry.NewStandard(), 4)
			}),
		)
		if err != nil {
			applog.Error(ctx, "load aws config", err)
		}
	})
	return cfg, err
}
`

const srcDDB = `// Package ddb stores records in one DynamoDB table.
package ddb

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"{{.Module}}/internal/awsx"
	applog "{{.Module}}/internal/log"
	"{{.Module}}/internal/model"
)

// Version is bumped by benchgen.Touch to simulate an edit.
const Version = "ddb-v1"

// Table is a DynamoDB table of records.
type Table struct {
	client *dynamodb.Client
	name   string
}

// Open returns the table named by TABLE_NAME.
func Open(ctx context.Context) (*Table, error) {
	cfg, err := awsx.Config(ctx)
	if err != nil {
		return nil, err
	}
	return &Table{client: dynamodb.NewFromConfig(cfg), name: os.Getenv("TABLE_NAME")}, nil
}

// Put writes r unless a record with its ID exists.
func (t *Table) Put(ctx context.Context, r model.Record) error {
	doc, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = t.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(t.name),
		Item: map[string]types.AttributeValue{
			"id":     &types.AttributeValueMemberS{Value: r.ID},
			"kind":   &types.AttributeValueMemberS{Value: r.Kind},
			"owner":  &types.AttributeValueMemberS{Value: r.Owner},
			"total":  &types.AttributeValueMemberN{Value: strconv.FormatInt(r.Total.Cents, 10)},
			"doc":    &types.AttributeValueMemberS{Value: string(doc)},
			"schema": &types.AttributeValueMemberS{Value: Version},
		},
		ConditionExpression: aws.String("attribute_not_exists(id)"),
	})
	if err != nil {
		applog.Error(ctx, "put record", err, "id", r.ID)
		return fmt.Errorf("put %s: %w", r.ID, err)
	}
	return nil
}

// Get reads the record with id; nil when there is none.
func (t *Table) Get(ctx context.Context, id string) (*model.Record, error) {
	out, err := t.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(t.name),
		Key:            map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: id}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", id, err)
	}
	if out.Item == nil {
		return nil, nil
	}
	doc, ok := out.Item["doc"].(*types.AttributeValueMemberS)
	if !ok {
		return nil, fmt.Errorf("get %s: no doc attribute", id)
	}
	var r model.Record
	if err := json.Unmarshal([]byte(doc.Value), &r); err != nil {
		return nil, fmt.Errorf("get %s: %w", id, err)
	}
	return &r, nil
}
`

const srcBlob = `// Package blob reads and writes S3 objects.
package blob

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"{{.Module}}/internal/awsx"
	applog "{{.Module}}/internal/log"
)

// Version is bumped by benchgen.Touch to simulate an edit.
const Version = "blob-v1"

// Store is an S3 client with the output bucket.
type Store struct {
	client *s3.Client
	out    string
}

// Open returns a store writing to OUTPUT_BUCKET.
func Open(ctx context.Context) (*Store, error) {
	cfg, err := awsx.Config(ctx)
	if err != nil {
		return nil, err
	}
	return &Store{client: s3.NewFromConfig(cfg), out: os.Getenv("OUTPUT_BUCKET")}, nil
}

// Read returns at most max bytes of bucket/key.
func (s *Store) Read(ctx context.Context, bucket, key string, max int64) ([]byte, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("get s3://%s/%s: %w", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(io.LimitReader(out.Body, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("s3://%s/%s is larger than %d bytes", bucket, key, max)
	}
	return b, nil
}

// Write stores body under key in the output bucket.
func (s *Store) Write(ctx context.Context, key, contentType string, body []byte) error {
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:      aws.String(s.out),
		Key:         aws.String(key),
		Body:        bytes.NewReader(body),
		ContentType: aws.String(contentType),
		Metadata:    map[string]string{"writer": Version},
	})
	if err != nil {
		applog.Error(ctx, "put object", err, "key", key)
		return fmt.Errorf("put s3://%s/%s: %w", s.out, key, err)
	}
	return nil
}
`

const srcQueue = `// Package queue sends messages to SQS in batches of ten.
package queue

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"{{.Module}}/internal/awsx"
	applog "{{.Module}}/internal/log"
)

// Version is bumped by benchgen.Touch to simulate an edit.
const Version = "queue-v1"

// Sender sends to the queue at QUEUE_URL.
type Sender struct {
	client *sqs.Client
	url    string
}

// Open returns a sender.
func Open(ctx context.Context) (*Sender, error) {
	cfg, err := awsx.Config(ctx)
	if err != nil {
		return nil, err
	}
	return &Sender{client: sqs.NewFromConfig(cfg), url: os.Getenv("QUEUE_URL")}, nil
}

// Send sends bodies and returns how many SQS rejected.
func (s *Sender) Send(ctx context.Context, bodies []string) (int, error) {
	failed := 0
	for start := 0; start < len(bodies); start += 10 {
		end := min(start+10, len(bodies))
		var entries []types.SendMessageBatchRequestEntry
		for i, b := range bodies[start:end] {
			entries = append(entries, types.SendMessageBatchRequestEntry{
				Id:          aws.String(strconv.Itoa(start + i)),
				MessageBody: aws.String(b),
			})
		}
		out, err := s.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(s.url), Entries: entries})
		if err != nil {
			return failed, fmt.Errorf("send batch at %d: %w", start, err)
		}
		for _, f := range out.Failed {
			applog.Warn(ctx, "message rejected", "id", aws.ToString(f.Id), "code", aws.ToString(f.Code))
			failed++
		}
	}
	return failed, nil
}
`
