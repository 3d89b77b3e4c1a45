package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
)

// answer is the HTTP response a function's answer maps to.
type answer struct {
	status int
	header http.Header
	body   []byte
	// notes are things API Gateway ignores that the developer may not
	// expect it to ("multiValueHeaders is not part of format 2.0").
	notes []string
}

// parseAnswer maps a function's successful answer to an HTTP response as
// API Gateway does with payload format 2.0:
//
//   - a JSON object with a statusCode is a response: statusCode (an
//     integer, 200–599), headers (strings), cookies (each a Set-Cookie
//     header), body (a string, base64-decoded when isBase64Encoded);
//     without a content-type header a non-empty body is
//     text/plain; charset=utf-8;
//   - any other JSON (an object without statusCode, a string, a number,
//     an array, true, false, null) is a 200 application/json response
//     whose body is the answer, byte for byte: a string answer keeps its
//     quotes;
//   - anything else is an error (API Gateway answers 500).
func parseAnswer(payload []byte) (answer, error) {
	trimmed := bytes.TrimSpace(payload)
	if !json.Valid(trimmed) {
		return answer{}, errors.New("it is not JSON")
	}
	var fields map[string]json.RawMessage
	if trimmed[0] == '{' {
		if err := json.Unmarshal(trimmed, &fields); err != nil {
			return answer{}, err
		}
	}
	if _, ok := fields["statusCode"]; !ok {
		return answer{
			status: http.StatusOK,
			header: http.Header{"Content-Type": {"application/json"}, "Content-Length": {strconv.Itoa(len(payload))}},
			body:   payload,
		}, nil
	}
	return structured(fields)
}

func structured(fields map[string]json.RawMessage) (answer, error) {
	var a answer
	field := func(name string, v any) error {
		raw, ok := fields[name]
		if !ok || string(raw) == "null" {
			return nil
		}
		if err := json.Unmarshal(raw, v); err != nil {
			return fmt.Errorf("%s is %s, want %s", name, raw, want(name))
		}
		return nil
	}
	// A number, not a string holding one.
	code, err := strconv.Atoi(string(fields["statusCode"]))
	if err != nil || code < 200 || code > 599 {
		return a, fmt.Errorf("statusCode is %s, want %s", fields["statusCode"], want("statusCode"))
	}
	var (
		headers map[string]string
		multi   map[string][]string
		cookies []string
		body    string
		isB64   bool
	)
	for _, err := range []error{
		field("headers", &headers),
		field("multiValueHeaders", &multi),
		field("cookies", &cookies),
		field("body", &body),
		field("isBase64Encoded", &isB64),
	} {
		if err != nil {
			return a, err
		}
	}
	a.status = code
	a.body = []byte(body)
	if isB64 {
		if a.body, err = base64.StdEncoding.DecodeString(body); err != nil {
			return answer{}, fmt.Errorf("isBase64Encoded is true but body is not base64: %v", err)
		}
	}
	if len(multi) > 0 {
		a.notes = append(a.notes, "the answer's multiValueHeaders is ignored: payload format 2.0 has none (use headers, values joined with commas, and cookies)")
	}
	a.header = http.Header{}
	// Sorted, so that two spellings of one header resolve the same way
	// every time.
	for _, k := range slices.Sorted(maps.Keys(headers)) {
		a.header.Set(k, headers[k])
	}
	for _, c := range cookies {
		a.header.Add("Set-Cookie", c)
	}
	// The front frames the body itself.
	for _, k := range []string{"Content-Length", "Transfer-Encoding", "Connection"} {
		a.header.Del(k)
	}
	if a.header.Get("Content-Type") == "" && len(a.body) > 0 {
		a.header.Set("Content-Type", "text/plain; charset=utf-8")
	}
	a.header.Set("Content-Length", strconv.Itoa(len(a.body)))
	return a, nil
}

func want(field string) string {
	switch field {
	case "statusCode":
		return "an integer status from 200 to 599"
	case "headers":
		return "an object of strings"
	case "multiValueHeaders":
		return "an object of string arrays"
	case "cookies":
		return "an array of strings"
	case "body":
		return "a string"
	case "isBase64Encoded":
		return "a boolean"
	}
	return "something else"
}
