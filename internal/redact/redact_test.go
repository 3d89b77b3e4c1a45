package redact

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/lambctl/lamb/internal/ghactions"
)

const secret = `sk_live_<>&"quote'\back`

func TestEveryEncodingIsHidden(t *testing.T) {
	r := New(secret)
	jsonOf := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	echoes := map[string]string{
		"raw":  "value " + secret + " end",
		"json": jsonOf(map[string]string{"KEY": secret}),
		"json no html": func() string {
			var b strings.Builder
			e := json.NewEncoder(&b)
			e.SetEscapeHTML(false)
			e.Encode(map[string]string{"K": secret})
			return b.String()
		}(),
		"json in json":  jsonOf(map[string]string{"message": jsonOf(map[string]string{"KEY": secret})}),
		"go quoted":     strconv.Quote(secret),
		"url query":     "https://x/?v=" + url.QueryEscape(secret),
		"url path":      "https://x/" + url.PathEscape(secret),
		"html":          "<td>" + html.EscapeString(secret) + "</td>",
		"markdown cell": "| " + ghactions.Cell(secret) + " |",
	}
	for name, s := range echoes {
		t.Run(name, func(t *testing.T) {
			got := r.String(s)
			for _, f := range Forms(secret) {
				if strings.Contains(got, f) {
					t.Errorf("%q still holds the form %q", got, f)
				}
			}
			if strings.Contains(got, "sk_live") {
				t.Errorf("%q still holds part of the secret", got)
			}
			if !strings.Contains(got, Hidden) {
				t.Errorf("%q: nothing hidden", got)
			}
		})
	}
}

func TestKeepWords(t *testing.T) {
	r := New("orders", "abc") // abc: too short to hide
	r.Keep("orders-create", "orders-get")
	tests := []struct{ in, want string }{
		{"orders-create: update code: failed", "orders-create: update code: failed"},
		{`environment {"TABLE":"orders"} of orders-get`, `environment {"TABLE":"(hidden)"} of orders-get`},
		{"abc orders", "abc (hidden)"},
		{"ordersorders", "(hidden)"},
	}
	for _, tt := range tests {
		if got := r.String(tt.in); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestError(t *testing.T) {
	base := errors.New("boom")
	err := fmt.Errorf("env %s: %w", secret, base)
	got := New(secret).Error(err)
	if strings.Contains(got.Error(), "sk_live") || !errors.Is(got, base) {
		t.Errorf("Error() = %v (is base: %v)", got, errors.Is(got, base))
	}
	if New().Error(err) != err || (*Redactor)(nil).String("x") != "x" {
		t.Error("an empty redactor changed its input")
	}
}

func FuzzString(f *testing.F) {
	f.Add(secret, "prefix "+secret+" suffix", "kept")
	f.Fuzz(func(t *testing.T, v, s, keep string) {
		r := New(v)
		r.Keep(keep)
		got := r.String(s)
		if len(v) >= MinLen && !strings.Contains(keep, v) && strings.Contains(got, v) && !strings.Contains(Hidden, v) {
			// v may only survive inside a kept word or inside Hidden itself.
			if !strings.Contains(strings.ReplaceAll(got, keep, ""), v) {
				return
			}
			t.Errorf("String(%q) with %q = %q", s, v, got)
		}
	})
}
