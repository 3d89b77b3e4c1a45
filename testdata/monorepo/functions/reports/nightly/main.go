// Command nightly is a scheduled job (EventBridge/CloudWatch Events rule):
// it totals the orders of the store by status and logs the report.
package main

import (
	"context"
	"log/slog"
	"time"

	"example.com/money"
	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"example.com/shop/internal/orders"
	plog "example.com/shop/internal/platform/log"
)

// Report is the job's result.
type Report struct {
	Date     string            `json:"date"`
	Orders   int               `json:"orders"`
	Total    string            `json:"total"`
	ByStatus map[string]string `json:"byStatus"`
}

type handler struct {
	log   *slog.Logger
	store *orders.Store
}

func (h *handler) handle(ctx context.Context, ev events.CloudWatchEvent) (Report, error) {
	at := ev.Time
	if at.IsZero() {
		at = time.Now()
	}
	r := Report{Date: at.UTC().Format(time.DateOnly), ByStatus: map[string]string{}}
	byStatus := map[string]money.Amount{}
	var all []money.Amount
	for _, o := range h.store.List() {
		a := money.Cents(o.TotalCents)
		all = append(all, a)
		byStatus[o.Status] = money.Sum(byStatus[o.Status], a)
		r.Orders++
	}
	r.Total = money.Sum(all...).String()
	for s, a := range byStatus {
		r.ByStatus[s] = a.String()
	}
	h.log.InfoContext(ctx, "nightly report", "date", r.Date, "orders", r.Orders, "total", r.Total, "rule", ev.Resources)
	return r, nil
}

func main() {
	h := &handler{log: plog.FromEnv(), store: orders.NewStore(orders.Seed()...)}
	lambda.Start(h.handle)
}
