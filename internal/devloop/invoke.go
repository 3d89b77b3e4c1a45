package devloop

import (
	"context"
	"encoding/base64"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambctl/lamb/emulator/httpapi"
)

// clientInvoker invokes through the local Lambda's API with the SDK and
// hands each invoke's logs (LogType Tail: the last 4 KB) to logs.
type clientInvoker struct {
	c    *lambda.Client
	logs func(function string, b []byte)
	// serial are functions invoked one at a time (the one under Delve:
	// a second environment could not listen on the debugger's port).
	serial map[string]*sync.Mutex
}

func (ci *clientInvoker) Invoke(ctx context.Context, function, qualifier string, payload []byte) (httpapi.Result, error) {
	if mu := ci.serial[function]; mu != nil {
		mu.Lock()
		defer mu.Unlock()
	}
	in := &lambda.InvokeInput{FunctionName: aws.String(function), Payload: payload}
	if ci.logs != nil {
		in.LogType = lambdatypes.LogTypeTail
	}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	out, err := ci.c.Invoke(ctx, in)
	if err != nil {
		return httpapi.Result{}, err
	}
	if ci.logs != nil && out.LogResult != nil {
		if b, err := base64.StdEncoding.DecodeString(*out.LogResult); err == nil {
			ci.logs(function, b)
		}
	}
	return httpapi.Result{Payload: out.Payload, FunctionError: aws.ToString(out.FunctionError)}, nil
}
