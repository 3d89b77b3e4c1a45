package main

import (
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	m, err := render(Request{Name: "Ada", Email: "ada@example.com", Coupon: "10%"})
	if err != nil {
		t.Fatal(err)
	}
	if m.To != "ada@example.com" || !strings.HasPrefix(m.Body, "Hello Ada,\n") || !strings.Contains(m.Body, "10% off") {
		t.Errorf("render = %+v", m)
	}
	if m, _ := render(Request{Name: "Bob", Email: "bob@example.com"}); strings.Contains(m.Body, "off") {
		t.Errorf("coupon paragraph without coupon: %q", m.Body)
	}
	if _, err := render(Request{Name: "Bob", Email: "nope"}); err == nil {
		t.Error("invalid email accepted")
	}
}
