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
	b, err := os.ReadFile("../../../events/nightly.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.CloudWatchEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	h := &handler{log: slog.New(slog.NewTextHandler(io.Discard, nil)), store: orders.NewStore(orders.Seed()...)}
	r, err := h.handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if r.Date != "2026-01-16" || r.Orders != 2 || r.Total != "32.70" || r.ByStatus["shipped"] != "23.70" {
		t.Errorf("report = %+v", r)
	}
}
