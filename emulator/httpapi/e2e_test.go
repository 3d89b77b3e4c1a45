package httpapi

import (
	"archive/zip"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambctl/lamb/emulator/rapi"
)

// runnerInvoker runs functions with the local Lambda's runtime
// (emulator/rapi): the shape of the Invoker the emulator provides.
type runnerInvoker struct {
	r   *rapi.Runner
	zip string
}

func (ri runnerInvoker) Invoke(ctx context.Context, function, qualifier string, payload []byte) (Result, error) {
	res, err := ri.r.Invoke(ctx, rapi.InvokeRequest{
		FunctionName: function, FunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:" + function,
		Version: "$LATEST", CodeSha256: "handler", ZipPath: ri.zip, Timeout: time.Second, Payload: payload,
	})
	if err != nil {
		return Result{}, err
	}
	return Result{Payload: res.Payload, FunctionError: res.FunctionError}, nil
}

var (
	handlerOnce sync.Once
	handlerZip  string
	handlerErr  string
)

// buildHandler builds testdata/handler, an aws-lambda-go program, for this
// machine and zips it as a bootstrap, once per test binary.
func buildHandler(t *testing.T) string {
	t.Helper()
	handlerOnce.Do(func() {
		dir, err := os.MkdirTemp("", "httpapi-handler-")
		if err != nil {
			handlerErr = err.Error()
			return
		}
		bin := filepath.Join(dir, "bootstrap")
		cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", bin, "./testdata/handler")
		cmd.Env = append(os.Environ(), "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH, "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false")
		if out, err := cmd.CombinedOutput(); err != nil {
			handlerErr = "build testdata/handler: " + err.Error() + "\n" + string(out)
			return
		}
		data, err := os.ReadFile(bin)
		if err != nil {
			handlerErr = err.Error()
			return
		}
		handlerZip = filepath.Join(dir, "handler.zip")
		f, err := os.Create(handlerZip)
		if err != nil {
			handlerErr = err.Error()
			return
		}
		zw := zip.NewWriter(f)
		h := &zip.FileHeader{Name: "bootstrap", Method: zip.Store}
		h.SetMode(0o755)
		w, err := zw.CreateHeader(h)
		if err == nil {
			_, err = w.Write(data)
		}
		if err == nil {
			err = zw.Close()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			handlerErr = err.Error()
		}
	})
	if handlerErr != "" {
		t.Fatal(handlerErr)
	}
	return handlerZip
}

// TestRealHandler runs a real aws-lambda-go handler behind the front: the
// event decodes in the handler, and each kind of answer maps to HTTP.
func TestRealHandler(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a Lambda function")
	}
	t.Parallel()
	zipPath := buildHandler(t)
	runner, err := rapi.NewRunner(rapi.RunnerOptions{WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { runner.Close() })
	_, ts := serve(t, runnerInvoker{runner, zipPath}, table(t, "POST /orders/{id}", "handler", "ANY /{proxy+}", "handler"), Options{})

	t.Run("echo", func(t *testing.T) {
		req := newRequest(t, "POST", ts.URL+"/orders/o-1?x=1", strings.NewReader(`{"qty":2}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Cookie", "session=abc")
		got := do(t, req)
		if got.Status != 201 || got.Header.Get("X-Handler") != "go" || got.Header.Get("Set-Cookie") != "seen=1; Path=/" {
			t.Fatalf("status %d headers %v body %s", got.Status, got.Header, got.Body)
		}
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal([]byte(got.Body), &ev); err != nil {
			t.Fatal(err)
		}
		if ev.RouteKey != "POST /orders/{id}" || ev.PathParameters["id"] != "o-1" || ev.Body != `{"qty":2}` ||
			ev.QueryStringParameters["x"] != "1" || len(ev.Cookies) != 1 || ev.Cookies[0] != "session=abc" {
			t.Errorf("the handler decoded %+v", ev)
		}
	})
	for _, tc := range []struct {
		path, ctype, body string
		status            int
	}{
		{"/string", "application/json", `"hello"`, 200},
		{"/object", "application/json", `{"id":""}`, 200},
		{"/binary", "application/octet-stream", "\x00\x01\x02\xff", 200},
		{"/fail", "application/json", `{"message":"Internal Server Error"}`, 500},
		// The function's own timeout (1 s) is a function error.
		{"/sleep", "application/json", `{"message":"Internal Server Error"}`, 500},
	} {
		t.Run(tc.path, func(t *testing.T) {
			got := do(t, newRequest(t, "GET", ts.URL+tc.path, nil))
			if got.Status != tc.status || got.Header.Get("Content-Type") != tc.ctype || got.Body != tc.body {
				t.Errorf("got %d %q %q, want %d %q %q", got.Status, got.Header.Get("Content-Type"), got.Body, tc.status, tc.ctype, tc.body)
			}
		})
	}
	if got := do(t, newRequest(t, "GET", ts.URL+"/", nil)); got.Status != http.StatusNotFound {
		t.Errorf("GET / (no route): %d", got.Status)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if handlerZip != "" {
		os.RemoveAll(filepath.Dir(handlerZip))
	}
	os.Exit(code)
}
