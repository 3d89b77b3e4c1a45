// Command probe is a Lambda function for emulator/rapi's tests. Its event
// picks a behaviour: {"action":"echo"|"error"|"panic"|"sleep"|"exit"|"env"|"big"|"log","ms":N,"message":"..."}.
package main

import (
	"context"
	"errors"
	"fmt"
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
}

func handle(ctx context.Context, ev event) (*reply, error) {
	lc, _ := lambdacontext.FromContext(ctx)
	dl, _ := ctx.Deadline()
	fmt.Printf("probe: action=%s\n", ev.Action)
	fmt.Fprintf(os.Stderr, "probe: stderr for %s\n", lc.AwsRequestID)
	r := &reply{Action: ev.Action, Message: ev.Message, PID: os.Getpid(), Request: lc.AwsRequestID,
		ARN: lc.InvokedFunctionArn, Deadline: dl.UnixMilli(), Client: lc.ClientContext.Custom}
	switch ev.Action {
	case "echo":
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
	lambda.Start(handle)
}
