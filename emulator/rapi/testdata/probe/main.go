// Command probe is a Lambda function for the tests of emulator/rapi and
// emulator. Its event picks a behaviour:
// {"action":"echo"|"error"|"panic"|"sleep"|"exit"|"env"|"big"|"log"|"file","ms":N,"message":"..."};
// an event without an action is answered with the event as received
// ("event"), and "file" answers with the content of the file message names
// in the code directory (which code runs).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Action  string `json:"action"`
	Ms      int    `json:"ms"`
	Message string `json:"message"`
}

type reply struct {
	Action   string            `json:"action"`
	Message  string            `json:"message,omitempty"`
	PID      int               `json:"pid"`
	Request  string            `json:"requestId"`
	ARN      string            `json:"arn"`
	Deadline int64             `json:"deadlineMs"`
	Env      map[string]string `json:"env,omitempty"`
	Cwd      string            `json:"cwd,omitempty"`
	Big      string            `json:"big,omitempty"`
	Client   map[string]string `json:"client,omitempty"`
	Event    json.RawMessage   `json:"event,omitempty"`
}

// failingReader yields some bytes, then fails: aws-lambda-go streams it and
// reports the failure in the response's trailers.
type failingReader struct{ sent bool }

func (r *failingReader) Read(p []byte) (int, error) {
	if !r.sent {
		r.sent = true
		return copy(p, "partial"), nil
	}
	return 0, errors.New("stream broke")
}

func handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var ev event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("probe: event %q: %w", raw, err)
	}
	lc, _ := lambdacontext.FromContext(ctx)
	dl, _ := ctx.Deadline()
	fmt.Printf("probe: action=%s\n", ev.Action)
	fmt.Fprintf(os.Stderr, "probe: stderr for %s\n", lc.AwsRequestID)
	r := &reply{Action: ev.Action, Message: ev.Message, PID: os.Getpid(), Request: lc.AwsRequestID,
		ARN: lc.InvokedFunctionArn, Deadline: dl.UnixMilli(), Client: lc.ClientContext.Custom}
	switch ev.Action {
	case "":
		r.Event = raw
	case "echo":
	case "file":
		b, err := os.ReadFile(ev.Message)
		if err != nil {
			return nil, err
		}
		r.Message = string(b)
	case "error":
		return nil, errors.New(ev.Message)
	case "panic":
		panic(ev.Message)
	case "sleep":
		select {
		case <-time.After(time.Duration(ev.Ms) * time.Millisecond):
		case <-ctx.Done():
			// keep running as real functions that ignore ctx would
			time.Sleep(time.Duration(ev.Ms) * time.Millisecond)
		}
	case "exit":
		os.Exit(3)
	case "env":
		r.Env = map[string]string{}
		for _, kv := range os.Environ() {
			k, v, _ := strings.Cut(kv, "=")
			r.Env[k] = v
		}
		r.Cwd, _ = os.Getwd()
	case "rendezvous":
		// GET message (a URL of the test's): it answers once every
		// concurrent invoke has arrived.
		resp, err := http.Get(ev.Message)
		if err != nil {
			return nil, err
		}
		resp.Body.Close()
	case "streamerr":
		return &failingReader{}, nil
	case "big":
		r.Big = strings.Repeat("x", ev.Ms)
	case "log":
		for i := 0; i < ev.Ms; i++ {
			fmt.Printf("line %d %s\n", i, strings.Repeat("y", 100))
		}
	default:
		return nil, fmt.Errorf("unknown action %q", ev.Action)
	}
	return r, nil
}

func main() {
	fmt.Println("probe: init")
	switch os.Getenv("PROBE_INIT") {
	case "error":
		// Report an init failure the way runtimes do, then exit.
		req, _ := http.NewRequest(http.MethodPost, "http://"+os.Getenv("AWS_LAMBDA_RUNTIME_API")+"/2018-06-01/runtime/init/error",
			strings.NewReader(`{"errorMessage":"bad config","errorType":"Probe.InitError"}`))
		req.Header.Set("Lambda-Runtime-Function-Error-Type", "Probe.InitError")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusAccepted {
			fmt.Println("probe: init error post failed:", err)
		}
		os.Exit(1)
	case "exit":
		os.Exit(2)
	}
	lambda.Start(handle)
}
