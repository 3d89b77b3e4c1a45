// Package money handles amounts of money in minor units (cents), so sums
// and rates never suffer from floating-point rounding.
package money

import (
	"fmt"
	"strconv"
	"strings"
)

// Amount is an amount of money in minor units (cents).
type Amount int64

// Cents returns an Amount of n cents.
func Cents(n int64) Amount { return Amount(n) }

// String formats a as "12.34" (or "-0.50").
func (a Amount) String() string {
	sign := ""
	v := int64(a)
	if v < 0 {
		sign = "-"
		v = -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// Parse parses a decimal amount such as "12.34", "12.3" or "12".
func Parse(s string) (Amount, error) {
	orig := s
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || (hasFrac && (frac == "" || len(frac) > 2)) {
		return 0, fmt.Errorf("money: invalid amount %q", orig)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w < 0 {
		return 0, fmt.Errorf("money: invalid amount %q", orig)
	}
	var f int64
	if hasFrac {
		if len(frac) == 1 {
			frac += "0"
		}
		f, err = strconv.ParseInt(frac, 10, 64)
		if err != nil || f < 0 {
			return 0, fmt.Errorf("money: invalid amount %q", orig)
		}
	}
	v := w*100 + f
	if neg {
		v = -v
	}
	return Amount(v), nil
}

// ApplyRate returns a increased by rate basis points (1/100 of a percent),
// rounded half away from zero: ApplyRate(1000, 2000) is 1200 (10.00 + 20%).
func (a Amount) ApplyRate(bps int64) Amount {
	delta := int64(a) * bps
	q, r := delta/10000, delta%10000
	if r >= 5000 {
		q++
	} else if r <= -5000 {
		q--
	}
	return a + Amount(q)
}

// Sum adds amounts.
func Sum(amounts ...Amount) Amount {
	var t Amount
	for _, a := range amounts {
		t += a
	}
	return t
}
