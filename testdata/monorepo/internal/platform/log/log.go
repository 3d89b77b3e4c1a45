// Package log is a tiny structured logger over log/slog that writes JSON
// lines, the format CloudWatch Logs Insights parses without configuration.
package log

import (
	"io"
	"log/slog"
	"os"
	"strings"
)

// ParseLevel maps LOG_LEVEL values (debug, info, warn, error; any case) to a
// slog level. Unknown or empty values mean info.
func ParseLevel(s string) slog.Level {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug
	case "warn", "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}

// New returns a JSON logger writing to w at the given level, tagged with
// the function name.
func New(w io.Writer, level, function string) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: ParseLevel(level)})
	l := slog.New(h)
	if function != "" {
		l = l.With("function", function)
	}
	return l
}

// FromEnv returns a logger writing to stdout, with the level from LOG_LEVEL
// and the function name from AWS_LAMBDA_FUNCTION_NAME.
func FromEnv() *slog.Logger {
	return New(os.Stdout, os.Getenv("LOG_LEVEL"), os.Getenv("AWS_LAMBDA_FUNCTION_NAME"))
}
