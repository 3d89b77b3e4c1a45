// Command get is the GET /orders/{id} handler (API Gateway HTTP API): 200
// with the order, 400 for a malformed id, 404 for an unknown one. The
// store holds the sample orders ord_1001 and ord_1002.
package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"example.com/shop/internal/httpx"
	"example.com/shop/internal/orders"
	plog "example.com/shop/internal/platform/log"
)

type handler struct {
	log   *slog.Logger
	store *orders.Store
}

func (h *handler) handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	id := req.PathParameters["id"]
	if !orders.ValidID(id) {
		return httpx.Error(http.StatusBadRequest, "invalid order id"), nil
	}
	o, ok := h.store.Get(id)
	if !ok {
		h.log.InfoContext(ctx, "order not found", "order", id)
		return httpx.Error(http.StatusNotFound, "order "+id+" not found"), nil
	}
	return httpx.JSON(http.StatusOK, o), nil
}

func main() {
	h := &handler{log: plog.FromEnv(), store: orders.NewStore(orders.Seed()...)}
	lambda.Start(h.handle)
}
