// Command handler is an aws-lambda-go HTTP API handler for httpapi's
// end-to-end test: the request path picks what it answers.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(_ context.Context, req events.APIGatewayV2HTTPRequest) (any, error) {
	switch req.RawPath {
	case "/fail":
		return nil, errors.New("no such order")
	case "/string":
		return "hello", nil
	case "/object":
		return map[string]string{"id": req.PathParameters["id"]}, nil
	case "/binary":
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, IsBase64Encoded: true,
			Headers: map[string]string{"Content-Type": "application/octet-stream"},
			Body:    base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 255})}, nil
	case "/sleep":
		time.Sleep(10 * time.Second)
	}
	// Echo: the event as the handler decoded it.
	b, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: 201, Body: string(b),
		Headers: map[string]string{"Content-Type": "application/json", "X-Handler": "go"},
		Cookies: []string{"seen=1; Path=/"}}, nil
}

func main() { lambda.Start(handle) }
