package orders

import (
	"encoding/json"
	"fmt"
)

// Event is a message on the orders queue.
type Event struct {
	OrderID string `json:"orderId"`
	Type    string `json:"type"` // created, paid, shipped or cancelled
}

var eventTypes = map[string]bool{"created": true, "paid": true, "shipped": true, "cancelled": true}

// ParseEvent decodes and validates a queue message body.
func ParseEvent(body string) (Event, error) {
	var e Event
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		return Event{}, fmt.Errorf("invalid event JSON: %w", err)
	}
	if !ValidID(e.OrderID) {
		return Event{}, fmt.Errorf("invalid orderId %q", e.OrderID)
	}
	if !eventTypes[e.Type] {
		return Event{}, fmt.Errorf("unknown event type %q", e.Type)
	}
	return e, nil
}
