package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"example.com/shop/internal/auth"
)

func load(t *testing.T, name string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	b, err := os.ReadFile("../../../events/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var req events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &req); err != nil {
		t.Fatal(err)
	}
	return req
}

func TestHandle(t *testing.T) {
	var logs bytes.Buffer
	h := &handler{log: slog.New(slog.NewJSONHandler(&logs, nil)), secret: auth.DevSecret, table: "orders",
		now: func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }}
	tests := []struct {
		event  string
		header string
		status int
	}{
		{"orders-create.json", "", 201},
		{"orders-create-bad.json", "", 400},
		{"orders-create.json", "Bearer " + auth.Sign("u-1", auth.DevSecret), 201},
		{"orders-create.json", "Bearer u-1.forged", 401},
	}
	for _, tt := range tests {
		req := load(t, tt.event)
		if tt.header != "" {
			req.Headers["authorization"] = tt.header
		}
		resp, err := h.handle(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != tt.status {
			t.Errorf("%s with %q: status %d, want %d (%s)", tt.event, tt.header, resp.StatusCode, tt.status, resp.Body)
		}
	}
	if !bytes.Contains(logs.Bytes(), []byte(`"table":"orders"`)) {
		t.Errorf("no creation log line: %s", logs.String())
	}
}
