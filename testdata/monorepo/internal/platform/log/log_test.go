package log

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"
)

func TestParseLevel(t *testing.T) {
	tests := map[string]slog.Level{
		"":      slog.LevelInfo,
		"info":  slog.LevelInfo,
		"DEBUG": slog.LevelDebug,
		"warn":  slog.LevelWarn,
		"error": slog.LevelError,
		"bogus": slog.LevelInfo,
	}
	for in, want := range tests {
		if got := ParseLevel(in); got != want {
			t.Errorf("ParseLevel(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestNewFiltersAndTags(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf, "warn", "orders-create")
	l.Info("dropped")
	l.Warn("kept", "order", "ord_1")
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("want exactly one JSON line, got %q: %v", buf.String(), err)
	}
	if rec["msg"] != "kept" || rec["function"] != "orders-create" || rec["order"] != "ord_1" {
		t.Errorf("unexpected record %v", rec)
	}
}
