// Command probe is a diagnostics function for testing lamb's local Lambda
// and deployments. Its event is
//
//	{"action": "echo"|"error"|"panic"|"sleep"|"exit"|"env", "ms": N, "message": "..."}
//
// and the actions are:
//   - echo returns the event unchanged;
//   - error returns a *ProbeError (errorType "ProbeError") with message;
//   - panic panics with message;
//   - sleep sleeps ms milliseconds (or until the deadline), then answers;
//   - exit exits the process with status 3;
//   - env returns the Lambda environment variables listed in envVars.
//
// Every invoke logs one line to stdout and one to stderr; the process logs
// "probe: init" to stderr at start, so cold starts are visible.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Request is the probe's event.
type Request struct {
	Action  string `json:"action"`
	MS      int    `json:"ms,omitempty"`
	Message string `json:"message,omitempty"`
}

// ProbeError is the error returned by the "error" action.
type ProbeError struct {
	Message string
}

func (e *ProbeError) Error() string { return e.Message }

// envVars are the variables the "env" action returns. LOG_LEVEL comes from
// the manifest (defaults, overridden by the prod stage).
var envVars = []string{
	"AWS_LAMBDA_FUNCTION_NAME",
	"AWS_LAMBDA_FUNCTION_VERSION",
	"AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
	"AWS_REGION",
	"_HANDLER",
	"LOG_LEVEL",
}

func handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var req Request
	if err := json.Unmarshal(raw, &req); err != nil {
		return nil, &ProbeError{Message: "probe: invalid event: " + err.Error()}
	}
	reqID := ""
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		reqID = lc.AwsRequestID
	}
	fmt.Fprintf(os.Stdout, "probe: stdout action=%s request=%s\n", req.Action, reqID)
	fmt.Fprintf(os.Stderr, "probe: stderr action=%s request=%s\n", req.Action, reqID)

	msg := req.Message
	if msg == "" {
		msg = "probe " + req.Action
	}
	switch req.Action {
	case "echo":
		return raw, nil
	case "error":
		return nil, &ProbeError{Message: msg}
	case "panic":
		panic(msg)
	case "sleep":
		t := time.NewTimer(time.Duration(req.MS) * time.Millisecond)
		defer t.Stop()
		select {
		case <-t.C:
			return map[string]any{"slept": req.MS}, nil
		case <-ctx.Done():
			return nil, &ProbeError{Message: "probe: sleep interrupted: " + ctx.Err().Error()}
		}
	case "exit":
		os.Exit(3)
		return nil, nil
	case "env":
		env := make(map[string]string, len(envVars))
		for _, k := range envVars {
			env[k] = os.Getenv(k)
		}
		return env, nil
	default:
		return nil, &ProbeError{Message: fmt.Sprintf("probe: unknown action %q", req.Action)}
	}
}

func main() {
	fmt.Fprintln(os.Stderr, "probe: init")
	lambda.Start(handle)
}
