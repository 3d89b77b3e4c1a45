package orders

import (
	"strings"
	"testing"
	"time"
)

func TestParseCreate(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantErr string
	}{
		{"valid", `{"items":[{"sku":"tea","quantity":2,"priceCents":450}]}`, ""},
		{"not json", `{`, "invalid JSON body"},
		{"unknown field", `{"items":[],"colour":"red"}`, "unknown field"},
		{"no items", `{"items":[]}`, "at least one item"},
		{"no sku", `{"items":[{"quantity":1}]}`, "items[0].sku"},
		{"zero quantity", `{"items":[{"sku":"a","quantity":0}]}`, "items[0].quantity"},
		{"trailing", `{"items":[{"sku":"a","quantity":1}]} {}`, "trailing data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCreate([]byte(tt.body))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestNew(t *testing.T) {
	req := CreateRequest{Items: []Item{{SKU: "a", Quantity: 2, PriceCents: 450}, {SKU: "b", Quantity: 1, PriceCents: 100}}}
	now := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	o := New(req, "u-1", now)
	if o.TotalCents != 1000 || o.Status != "pending" || o.Customer != "u-1" {
		t.Errorf("New() = %+v", o)
	}
	if !ValidID(o.ID) {
		t.Errorf("ID %q is not valid", o.ID)
	}
	if again := New(req, "u-1", now); again.ID != o.ID {
		t.Errorf("ID not deterministic: %q vs %q", o.ID, again.ID)
	}
}

func TestParseEvent(t *testing.T) {
	if _, err := ParseEvent(`{"orderId":"ord_1001","type":"paid"}`); err != nil {
		t.Errorf("valid event: %v", err)
	}
	for _, bad := range []string{`nope`, `{"orderId":"x","type":"paid"}`, `{"orderId":"ord_1001","type":"lost"}`} {
		if _, err := ParseEvent(bad); err == nil {
			t.Errorf("ParseEvent(%q) = nil error", bad)
		}
	}
}

func TestStore(t *testing.T) {
	s := NewStore(Seed()...)
	if _, ok := s.Get("ord_1001"); !ok {
		t.Fatal("seed order ord_1001 missing")
	}
	s.Put(Order{ID: "ord_0001"})
	if got := s.List(); len(got) != 3 || got[0].ID != "ord_0001" {
		t.Errorf("List() = %v", got)
	}
}
