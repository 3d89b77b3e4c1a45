package httpx

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func TestJSON(t *testing.T) {
	r := JSON(201, map[string]int{"n": 1})
	if r.StatusCode != 201 || r.Body != `{"n":1}` || r.Headers["content-type"] != "application/json" {
		t.Errorf("JSON() = %+v", r)
	}
}

func TestError(t *testing.T) {
	r := Error(400, `bad "body"`)
	if r.StatusCode != 400 || r.Body != `{"error":"bad \"body\""}` {
		t.Errorf("Error() = %+v", r)
	}
}

func TestHeader(t *testing.T) {
	req := events.APIGatewayV2HTTPRequest{Headers: map[string]string{"Authorization": "Bearer x"}}
	if got := Header(req, "authorization"); got != "Bearer x" {
		t.Errorf("Header = %q, want %q", got, "Bearer x")
	}
	if got := Header(req, "x-missing"); got != "" {
		t.Errorf("Header(missing) = %q, want empty", got)
	}
}
