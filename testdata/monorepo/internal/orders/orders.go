// Package orders is the order domain: creating and validating orders,
// the events the order queue carries, and a small in-memory store.
package orders

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Item is one line of an order.
type Item struct {
	SKU        string `json:"sku"`
	Quantity   int    `json:"quantity"`
	PriceCents int64  `json:"priceCents"`
}

// CreateRequest is the body of POST /orders.
type CreateRequest struct {
	Items []Item `json:"items"`
	Note  string `json:"note,omitempty"`
}

// Order is a stored order.
type Order struct {
	ID         string    `json:"id"`
	Customer   string    `json:"customer"`
	Items      []Item    `json:"items"`
	TotalCents int64     `json:"totalCents"`
	Status     string    `json:"status"`
	Note       string    `json:"note,omitempty"`
	CreatedAt  time.Time `json:"createdAt"`
}

// MaxItems is the largest number of lines in one order.
const MaxItems = 50

var idPattern = regexp.MustCompile(`^ord_[0-9a-z]{4,32}$`)

// ValidID reports whether id looks like an order ID ("ord_" + 4..32 of [0-9a-z]).
func ValidID(id string) bool { return idPattern.MatchString(id) }

// ParseCreate decodes and validates a CreateRequest; unknown fields are errors.
func ParseCreate(body []byte) (CreateRequest, error) {
	var req CreateRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return CreateRequest{}, fmt.Errorf("invalid JSON body: %w", err)
	}
	if dec.More() {
		return CreateRequest{}, errors.New("invalid JSON body: trailing data")
	}
	if len(req.Items) == 0 {
		return CreateRequest{}, errors.New("items: at least one item is required")
	}
	if len(req.Items) > MaxItems {
		return CreateRequest{}, fmt.Errorf("items: at most %d items are allowed", MaxItems)
	}
	for i, it := range req.Items {
		switch {
		case it.SKU == "":
			return CreateRequest{}, fmt.Errorf("items[%d].sku: required", i)
		case it.Quantity < 1 || it.Quantity > 1000:
			return CreateRequest{}, fmt.Errorf("items[%d].quantity: must be 1..1000", i)
		case it.PriceCents < 0:
			return CreateRequest{}, fmt.Errorf("items[%d].priceCents: must not be negative", i)
		}
	}
	return req, nil
}

// New creates a pending order for customer at now. Its ID is derived from
// the content and time, so the same request at the same instant gives the
// same ID.
func New(req CreateRequest, customer string, now time.Time) Order {
	var total int64
	for _, it := range req.Items {
		total += int64(it.Quantity) * it.PriceCents
	}
	now = now.UTC().Truncate(time.Millisecond)
	b, _ := json.Marshal(struct {
		C string
		R CreateRequest
		T time.Time
	}{customer, req, now})
	sum := sha256.Sum256(b)
	return Order{
		ID:         "ord_" + hex.EncodeToString(sum[:])[:12],
		Customer:   customer,
		Items:      req.Items,
		TotalCents: total,
		Status:     "pending",
		Note:       req.Note,
		CreatedAt:  now,
	}
}
