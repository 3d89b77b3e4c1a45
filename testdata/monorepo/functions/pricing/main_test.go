package main

import (
	"testing"
)

func TestQuote(t *testing.T) {
	t.Setenv("LAMBDA_TASK_ROOT", "../..") // the repository root holds config/rates.json
	rates, path, err := loadRates()
	if err != nil {
		t.Fatal(err)
	}
	h := &handler{rates: rates, path: path}
	tests := []struct {
		req   Request
		gross string
		err   bool
	}{
		{Request{Net: "10.00", Region: "eu"}, "12.00", false},
		{Request{Net: "9.99", Region: "ch"}, "10.80", false},
		{Request{Net: "10.00"}, "12.00", false}, // defaultRegion eu
		{Request{Net: "abc"}, "", true},
		{Request{Net: "1", Region: "mars"}, "", true},
	}
	for _, tt := range tests {
		q, err := h.quote(tt.req)
		if (err != nil) != tt.err || q.Gross != tt.gross {
			t.Errorf("quote(%+v) = %+v, %v; want gross %q, error %v", tt.req, q, err, tt.gross, tt.err)
		}
	}
}
