// Command get is the GET /users/{id} handler (API Gateway HTTP API). It
// needs a valid bearer token (401 otherwise) and lets users read only
// their own profile (403 otherwise).
package main

import (
	"context"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"example.com/shop/internal/auth"
	"example.com/shop/internal/httpx"
)

// User is the profile returned.
type User struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

var users = map[string]User{
	"u-1": {ID: "u-1", Name: "Ada Lovelace", Email: "ada@example.com"},
	"u-2": {ID: "u-2", Name: "Alan Turing", Email: "alan@example.com"},
}

func handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	caller, err := auth.FromHeader(httpx.Header(req, "authorization"), auth.Secret())
	if err != nil {
		return httpx.Error(http.StatusUnauthorized, err.Error()), nil
	}
	id := req.PathParameters["id"]
	if id != caller {
		return httpx.Error(http.StatusForbidden, "forbidden"), nil
	}
	u, ok := users[id]
	if !ok {
		return httpx.Error(http.StatusNotFound, "user "+id+" not found"), nil
	}
	return httpx.JSON(http.StatusOK, u), nil
}

func main() {
	lambda.Start(handle)
}
