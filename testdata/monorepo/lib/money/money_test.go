package money

import "testing"

func TestString(t *testing.T) {
	tests := []struct {
		in   Amount
		want string
	}{
		{0, "0.00"},
		{5, "0.05"},
		{1234, "12.34"},
		{-50, "-0.50"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("Amount(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    Amount
		wantErr bool
	}{
		{"12.34", 1234, false},
		{"12.3", 1230, false},
		{"12", 1200, false},
		{"-0.50", -50, false},
		{"", 0, true},
		{"1.234", 0, true},
		{"1.", 0, true},
		{"abc", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Parse(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("Parse(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestApplyRateAndSum(t *testing.T) {
	if got := Cents(1000).ApplyRate(2000); got != 1200 {
		t.Errorf("ApplyRate(1000, 2000) = %d, want 1200", got)
	}
	if got := Cents(999).ApplyRate(700); got != 1069 { // 9.99 + 7% = 9.99 + 0.6993, rounded to 0.70
		t.Errorf("ApplyRate(999, 700) = %d, want 1069", got)
	}
	if got := Sum(Cents(1), Cents(2), Cents(3)); got != 6 {
		t.Errorf("Sum = %d, want 6", got)
	}
}
