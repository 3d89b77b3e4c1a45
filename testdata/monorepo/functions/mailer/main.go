// Command mailer renders the welcome e-mail from an embedded template.
// Event: {"name": "Ada", "email": "ada@example.com", "coupon": "10%"}
// (coupon optional). It returns the rendered message; sending is left to
// the mail provider.
package main

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"text/template"

	"github.com/aws/aws-lambda-go/lambda"
)

//go:embed templates/welcome.txt
var welcomeText string

var welcome = template.Must(template.New("welcome").Parse(welcomeText))

// Request is the mailer's event.
type Request struct {
	Name   string `json:"name"`
	Email  string `json:"email"`
	Coupon string `json:"coupon,omitempty"`
}

// Message is the rendered e-mail.
type Message struct {
	To      string `json:"to"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

func render(req Request) (Message, error) {
	if !strings.Contains(req.Email, "@") {
		return Message{}, fmt.Errorf("mailer: invalid email %q", req.Email)
	}
	if req.Name == "" {
		return Message{}, errors.New("mailer: name is required")
	}
	var b bytes.Buffer
	if err := welcome.Execute(&b, req); err != nil {
		return Message{}, fmt.Errorf("mailer: render: %w", err)
	}
	return Message{To: req.Email, Subject: "Welcome to the shop, " + req.Name, Body: b.String()}, nil
}

func handle(ctx context.Context, req Request) (Message, error) {
	return render(req)
}

func main() {
	lambda.Start(handle)
}
