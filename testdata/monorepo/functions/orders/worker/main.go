// Command worker consumes the orders queue (SQS). Each message body is an
// orders.Event; messages that do not parse are reported as batch item
// failures so SQS retries only them (ReportBatchItemFailures).
package main

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"example.com/shop/internal/orders"
	plog "example.com/shop/internal/platform/log"
)

type handler struct {
	log *slog.Logger
}

func (h *handler) handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, m := range ev.Records {
		e, err := orders.ParseEvent(m.Body)
		if err != nil {
			h.log.WarnContext(ctx, "bad message", "messageId", m.MessageId, "err", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
			continue
		}
		h.log.InfoContext(ctx, "order event", "messageId", m.MessageId, "order", e.OrderID, "type", e.Type)
	}
	// A nil slice would marshal as null; the Lambda console and SQS both accept
	// an empty list, which reads better in tests.
	if resp.BatchItemFailures == nil {
		resp.BatchItemFailures = []events.SQSBatchItemFailure{}
	}
	return resp, nil
}

func main() {
	h := &handler{log: plog.FromEnv()}
	lambda.Start(h.handle)
}
