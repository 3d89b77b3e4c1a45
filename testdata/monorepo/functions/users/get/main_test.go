package main

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func TestHandle(t *testing.T) {
	t.Setenv("AUTH_SECRET", "") // the event's token is signed with auth.DevSecret
	b, err := os.ReadFile("../../../events/users-get.json")
	if err != nil {
		t.Fatal(err)
	}
	var req events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &req); err != nil {
		t.Fatal(err)
	}
	resp, _ := handle(context.Background(), req)
	if resp.StatusCode != 200 || resp.Body != `{"id":"u-1","name":"Ada Lovelace","email":"ada@example.com"}` {
		t.Errorf("own profile: %d %s", resp.StatusCode, resp.Body)
	}
	req.PathParameters["id"] = "u-2"
	if resp, _ := handle(context.Background(), req); resp.StatusCode != 403 {
		t.Errorf("other profile: status %d, want 403", resp.StatusCode)
	}
	delete(req.Headers, "authorization")
	if resp, _ := handle(context.Background(), req); resp.StatusCode != 401 {
		t.Errorf("no token: status %d, want 401", resp.StatusCode)
	}
}
