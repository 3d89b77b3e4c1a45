package main

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestHandle(t *testing.T) {
	t.Setenv("LOG_LEVEL", "warn")
	ctx := context.Background()

	echo := json.RawMessage(`{"action":"echo","message":"hi"}`)
	if got, err := handle(ctx, echo); err != nil || string(got.(json.RawMessage)) != string(echo) {
		t.Errorf("echo = %s, %v", got, err)
	}

	var pe *ProbeError
	if _, err := handle(ctx, json.RawMessage(`{"action":"error","message":"boom"}`)); !errors.As(err, &pe) || pe.Message != "boom" {
		t.Errorf("error action: %v", err)
	}

	got, err := handle(ctx, json.RawMessage(`{"action":"env"}`))
	if env, ok := got.(map[string]string); err != nil || !ok || env["LOG_LEVEL"] != "warn" || len(env) != len(envVars) {
		t.Errorf("env action = %v, %v", got, err)
	}

	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if _, err := handle(short, json.RawMessage(`{"action":"sleep","ms":60000}`)); !errors.As(err, &pe) {
		t.Errorf("sleep past the deadline: %v, want a ProbeError", err)
	}

	defer func() {
		if r := recover(); r != "aaah" {
			t.Errorf("panic action recovered %v, want aaah", r)
		}
	}()
	handle(ctx, json.RawMessage(`{"action":"panic","message":"aaah"}`))
}
