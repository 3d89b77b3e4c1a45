package benchgen

// kind is a shape of function; functions cycle through kinds.
type kind struct {
	Suffix string
	// Imports are the internal packages main imports directly.
	Imports []string
	// SDK reports whether the function depends on aws-sdk-go-v2.
	SDK bool
	Src string
}

// kinds cycle; stores, ingests and workers use the AWS SDK, so half of
// every six functions do.
var kinds = []kind{
	{Suffix: "api", Imports: []string{"auth", "httpx", "log", "model"}, Src: srcAPI},
	{Suffix: "store", Imports: []string{"auth", "ddb", "httpx", "log", "model"}, SDK: true, Src: srcStore},
	{Suffix: "ingest", Imports: []string{"blob", "log", "model"}, SDK: true, Src: srcIngest},
	{Suffix: "worker", Imports: []string{"log", "model", "queue"}, SDK: true, Src: srcWorker},
	{Suffix: "cron", Imports: []string{"log"}, Src: srcCron},
	{Suffix: "stream", Imports: []string{"log", "model"}, Src: srcStream},
}

var domains = []struct{ Name, Entity string }{
	{"orders", "Order"}, {"users", "User"}, {"payments", "Payment"}, {"stock", "Stock"},
	{"invoices", "Invoice"}, {"shipments", "Shipment"}, {"products", "Product"}, {"reviews", "Review"},
	{"carts", "Cart"}, {"coupons", "Coupon"}, {"refunds", "Refund"}, {"alerts", "Alert"},
}

const srcAPI = `// Command {{.Name}} serves GET /{{.Domain}} and GET /{{.Domain}}/{id}.
package main

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"{{.Module}}/internal/auth"
	"{{.Module}}/internal/httpx"
	applog "{{.Module}}/internal/log"
	"{{.Module}}/internal/model"
)

// Version is bumped by benchgen.Touch to simulate an edit.
const Version = "{{.Name}}-v1"

const maxPage = {{.PageSize}}

func pageSize(q map[string]string) (int, error) {
	s, ok := q["limit"]
	if !ok {
		return maxPage, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxPage {
		return 0, errors.New("limit must be 1..{{.PageSize}}")
	}
	return n, nil
}

func handler(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	ctx = applog.WithRequest(ctx, req.RequestContext.RequestID)
	claims, err := auth.Check(ctx, httpx.Header(req, "authorization"), time.Now())
	if err != nil {
		return httpx.Fail(ctx, http.StatusUnauthorized, err), nil
	}
	if !claims.Allows("{{.Domain}}:read") {
		return httpx.Fail(ctx, http.StatusForbidden, errors.New("missing scope {{.Domain}}:read")), nil
	}
	n, err := pageSize(req.QueryStringParameters)
	if err != nil {
		return httpx.Fail(ctx, http.StatusBadRequest, err), nil
	}
	var page []model.Record
	for i := range n {
		r, err := model.NewRecord("{{.Domain}}", claims.Subject, []model.Line{{"{{"}}SKU: "{{.Entity}}-" + strconv.Itoa(i), Quantity: 1, Price: model.Money{Cents: int64(100 * (i + 1)), Currency: "EUR"}{{"}}"}}, time.Unix(int64(i), 0))
		if err != nil {
			return httpx.Fail(ctx, http.StatusInternalServerError, err), nil
		}
		page = append(page, r)
	}
	applog.Info(ctx, "listed {{.Domain}}", "count", len(page), "version", Version)
	return httpx.JSON(http.StatusOK, map[string]any{"items": page, "schema": model.Version}), nil
}

func main() {
	lambda.Start(handler)
}
`

const srcStore = `// Command {{.Name}} creates {{.Domain}} records in DynamoDB (POST) and reads them (GET).
package main

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"{{.Module}}/internal/auth"
	"{{.Module}}/internal/ddb"
	"{{.Module}}/internal/httpx"
	applog "{{.Module}}/internal/log"
	"{{.Module}}/internal/model"
)

// Version is bumped by benchgen.Touch to simulate an edit.
const Version = "{{.Name}}-v1"

type create{{.Entity}} struct {
	Lines  []model.Line      §json:"lines"§
	Labels map[string]string §json:"labels,omitempty"§
}

var table *ddb.Table

func post(ctx context.Context, claims auth.Claims, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	if !claims.Allows("{{.Domain}}:write") {
		return httpx.Fail(ctx, http.StatusForbidden, errors.New("missing scope {{.Domain}}:write"))
	}
	var in create{{.Entity}}
	if err := httpx.Decode(req, &in); err != nil {
		return httpx.Fail(ctx, http.StatusBadRequest, err)
	}
	r, err := model.NewRecord("{{.Domain}}", claims.Subject, in.Lines, time.Now())
	if err != nil {
		return httpx.Fail(ctx, http.StatusBadRequest, err)
	}
	r.Labels = in.Labels
	if err := table.Put(ctx, r); err != nil {
		return httpx.Fail(ctx, http.StatusBadGateway, err)
	}
	applog.Info(ctx, "created {{.Entity}}", "id", r.ID, "version", Version)
	return httpx.JSON(http.StatusCreated, r)
}

func get(ctx context.Context, claims auth.Claims, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	r, err := table.Get(ctx, req.PathParameters["id"])
	switch {
	case err != nil:
		return httpx.Fail(ctx, http.StatusBadGateway, err)
	case r == nil || r.Owner != claims.Subject:
		return httpx.Fail(ctx, http.StatusNotFound, errors.New("{{.Entity}} not found"))
	}
	return httpx.JSON(http.StatusOK, r)
}

func handler(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	ctx = applog.WithRequest(ctx, req.RequestContext.RequestID)
	claims, err := auth.Check(ctx, httpx.Header(req, "authorization"), time.Now())
	if err != nil {
		return httpx.Fail(ctx, http.StatusUnauthorized, err), nil
	}
	switch req.RequestContext.HTTP.Method {
	case http.MethodPost:
		return post(ctx, claims, req), nil
	case http.MethodGet:
		return get(ctx, claims, req), nil
	}
	return httpx.Fail(ctx, http.StatusMethodNotAllowed, errors.New(req.RequestContext.HTTP.Method+" not allowed")), nil
}

func main() {
	var err error
	if table, err = ddb.Open(context.Background()); err != nil {
		panic(err)
	}
	lambda.Start(handler)
}
`

const srcIngest = `// Command {{.Name}} normalises {{.Domain}} CSV files dropped into S3 into JSON records.
package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"{{.Module}}/internal/blob"
	applog "{{.Module}}/internal/log"
	"{{.Module}}/internal/model"
)

// Version is bumped by benchgen.Touch to simulate an edit.
const Version = "{{.Name}}-v1"

const maxObject = {{.MaxObject}} << 20

var store *blob.Store

// parse reads "owner,sku,quantity,cents" rows.
func parse(b []byte, now time.Time) ([]model.Record, error) {
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		return nil, err
	}
	var out []model.Record
	for i, row := range rows {
		if i == 0 && strings.EqualFold(row[0], "owner") {
			continue
		}
		if len(row) != 4 {
			return nil, fmt.Errorf("row %d: want 4 fields, got %d", i+1, len(row))
		}
		q, err := strconv.Atoi(row[2])
		if err != nil {
			return nil, fmt.Errorf("row %d: quantity: %w", i+1, err)
		}
		c, err := strconv.ParseInt(row[3], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("row %d: cents: %w", i+1, err)
		}
		r, err := model.NewRecord("{{.Domain}}", row[0], []model.Line{{"{{"}}SKU: row[1], Quantity: q, Price: model.Money{Cents: c, Currency: "EUR"}{{"}}"}}, now)
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", i+1, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func handler(ctx context.Context, ev events.S3Event) error {
	for _, rec := range ev.Records {
		bucket, key := rec.S3.Bucket.Name, rec.S3.Object.URLDecodedKey
		b, err := store.Read(ctx, bucket, key, maxObject)
		if err != nil {
			return err
		}
		recs, err := parse(b, rec.EventTime)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		out, err := json.Marshal(recs)
		if err != nil {
			return err
		}
		dst := "normalised/{{.Domain}}/" + strings.TrimSuffix(path.Base(key), path.Ext(key)) + ".json"
		if err := store.Write(ctx, dst, "application/json", out); err != nil {
			return err
		}
		applog.Info(ctx, "ingested", "key", key, "records", len(recs), "version", Version)
	}
	return nil
}

func main() {
	var err error
	if store, err = blob.Open(context.Background()); err != nil {
		panic(err)
	}
	lambda.Start(handler)
}
`

const srcWorker = `// Command {{.Name}} validates {{.Domain}} messages and forwards the good ones.
package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	applog "{{.Module}}/internal/log"
	"{{.Module}}/internal/model"
	"{{.Module}}/internal/queue"
)

// Version is bumped by benchgen.Touch to simulate an edit.
const Version = "{{.Name}}-v1"

var sender *queue.Sender

func check(m events.SQSMessage) (string, error) {
	var r model.Record
	if err := json.Unmarshal([]byte(m.Body), &r); err != nil {
		return "", fmt.Errorf("message %s: %w", m.MessageId, err)
	}
	if err := r.Validate(); err != nil {
		return "", fmt.Errorf("message %s: %w", m.MessageId, err)
	}
	r.Status = "checked"
	b, err := json.Marshal(r)
	return string(b), err
}

func handler(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	var good []string
	for _, m := range ev.Records {
		body, err := check(m)
		if err != nil {
			applog.Warn(ctx, "bad message", "err", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
			continue
		}
		good = append(good, body)
	}
	failed, err := sender.Send(ctx, good)
	if err != nil {
		return resp, err
	}
	applog.Info(ctx, "forwarded", "ok", len(good)-failed, "failed", failed, "version", Version)
	return resp, nil
}

func main() {
	var err error
	if sender, err = queue.Open(context.Background()); err != nil {
		panic(err)
	}
	lambda.Start(handler)
}
`

const srcCron = `// Command {{.Name}} runs the scheduled housekeeping of {{.Domain}}.
package main

import (
	"context"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	applog "{{.Module}}/internal/log"
)

// Version is bumped by benchgen.Touch to simulate an edit.
const Version = "{{.Name}}-v1"

type result struct {
	Cutoff string §json:"cutoff"§
	Days   int    §json:"days"§
}

func retentionDays() int {
	if d, err := strconv.Atoi(os.Getenv("RETENTION_DAYS")); err == nil && d > 0 {
		return d
	}
	return {{.Retention}}
}

func handler(ctx context.Context, ev events.EventBridgeEvent) (result, error) {
	days := retentionDays()
	cutoff := ev.Time.AddDate(0, 0, -days).Truncate(24 * time.Hour)
	applog.Info(ctx, "housekeeping", "rule", ev.Resources, "cutoff", cutoff, "version", Version)
	return result{Cutoff: cutoff.Format(time.DateOnly), Days: days}, nil
}

func main() {
	lambda.Start(handler)
}
`

const srcStream = `// Command {{.Name}} projects the {{.Domain}} table's DynamoDB stream.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	applog "{{.Module}}/internal/log"
	"{{.Module}}/internal/model"
)

// Version is bumped by benchgen.Touch to simulate an edit.
const Version = "{{.Name}}-v1"

func project(rec events.DynamoDBEventRecord) (*model.Record, error) {
	doc, ok := rec.Change.NewImage["doc"]
	if !ok || doc.DataType() != events.DataTypeString {
		return nil, nil
	}
	var r model.Record
	if err := json.Unmarshal([]byte(doc.String()), &r); err != nil {
		return nil, err
	}
	return &r, r.Validate()
}

func handler(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var resp events.DynamoDBEventResponse
	totals := map[string]int64{}
	for _, rec := range ev.Records {
		r, err := project(rec)
		if err != nil {
			applog.Warn(ctx, "bad stream record", "event", rec.EventID, "err", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: rec.Change.SequenceNumber})
			continue
		}
		if r != nil {
			totals[r.Owner] += r.Total.Cents
		}
	}
	applog.Info(ctx, "projected", "owners", len(totals), "schema", model.Version, "version", Version)
	return resp, nil
}

func main() {
	lambda.Start(handler)
}
`
