package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"example.com/shop/internal/orders"
)

func TestHandle(t *testing.T) {
	b, err := os.ReadFile("../../../events/orders-get.json")
	if err != nil {
		t.Fatal(err)
	}
	var req events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &req); err != nil {
		t.Fatal(err)
	}
	h := &handler{log: slog.New(slog.NewTextHandler(io.Discard, nil)), store: orders.NewStore(orders.Seed()...)}
	for id, want := range map[string]int{"ord_1001": 200, "ord_9999": 404, "bad id": 400} {
		req.PathParameters["id"] = id
		resp, err := h.handle(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != want {
			t.Errorf("GET /orders/%s: status %d, want %d", id, resp.StatusCode, want)
		}
	}
}
