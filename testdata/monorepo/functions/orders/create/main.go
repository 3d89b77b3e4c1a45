// Command create is the POST /orders handler (API Gateway HTTP API): it
// validates the JSON body and answers 201 with the new order, 400 on a bad
// body and 401 on a bad bearer token. Requests without a token are placed
// by the "anonymous" customer.
package main

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"example.com/shop/internal/auth"
	"example.com/shop/internal/httpx"
	"example.com/shop/internal/orders"
	plog "example.com/shop/internal/platform/log"
)

type handler struct {
	log    *slog.Logger
	secret string
	table  string
	now    func() time.Time
}

func (h *handler) handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	customer, err := auth.FromHeader(httpx.Header(req, "authorization"), h.secret)
	switch {
	case errors.Is(err, auth.ErrMissing):
		customer = auth.Anonymous
	case err != nil:
		return httpx.Error(http.StatusUnauthorized, err.Error()), nil
	}
	body := []byte(req.Body)
	if req.IsBase64Encoded {
		if body, err = base64.StdEncoding.DecodeString(req.Body); err != nil {
			return httpx.Error(http.StatusBadRequest, "invalid base64 body"), nil
		}
	}
	in, err := orders.ParseCreate(body)
	if err != nil {
		return httpx.Error(http.StatusBadRequest, err.Error()), nil
	}
	o := orders.New(in, customer, h.now())
	h.log.InfoContext(ctx, "order created", "order", o.ID, "customer", customer, "totalCents", o.TotalCents, "table", h.table)
	return httpx.JSON(http.StatusCreated, o), nil
}

func main() {
	h := &handler{log: plog.FromEnv(), secret: auth.Secret(), table: os.Getenv("TABLE"), now: time.Now}
	lambda.Start(h.handle)
}
