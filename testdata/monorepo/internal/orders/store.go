package orders

import (
	"sort"
	"sync"
	"time"
)

// Store is an in-memory order store. The sample has no database: every
// cold start begins with the orders of Seed.
type Store struct {
	mu     sync.Mutex
	orders map[string]Order
}

// NewStore returns a store holding orders.
func NewStore(orders ...Order) *Store {
	s := &Store{orders: make(map[string]Order)}
	for _, o := range orders {
		s.orders[o.ID] = o
	}
	return s
}

// Get returns the order with id.
func (s *Store) Get(id string) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	return o, ok
}

// Put stores o, replacing any order with the same ID.
func (s *Store) Put(o Order) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.orders[o.ID] = o
}

// List returns all orders sorted by ID.
func (s *Store) List() []Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Order, 0, len(s.orders))
	for _, o := range s.orders {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Seed returns the sample orders every store starts with: ord_1001 (paid)
// and ord_1002 (shipped).
func Seed() []Order {
	t := time.Date(2026, 1, 15, 9, 30, 0, 0, time.UTC)
	return []Order{
		{ID: "ord_1001", Customer: "u-1", Items: []Item{{SKU: "tea-earl-grey", Quantity: 2, PriceCents: 450}}, TotalCents: 900, Status: "paid", CreatedAt: t},
		{ID: "ord_1002", Customer: "u-2", Items: []Item{{SKU: "mug-white", Quantity: 1, PriceCents: 1200}, {SKU: "tea-green", Quantity: 3, PriceCents: 390}}, TotalCents: 2370, Status: "shipped", CreatedAt: t.Add(time.Hour)},
	}
}
