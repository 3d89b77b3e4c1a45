package emulator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"
	"github.com/lambctl/lamb/emulator"
	"github.com/lambctl/lamb/emulator/emulatortest"
)

// rawCall sends one request to the harness's server the way a browser or
// a script would, and returns the status and body.
func rawCall(t *testing.T, k *emulatortest.Kit, method, path, host string, header map[string]string, body string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, k.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func createBody(t *testing.T, name string) string {
	t.Helper()
	b, _ := json.Marshal(map[string]any{
		"FunctionName": name, "Runtime": "provided.al2023", "Role": testRole, "Handler": "bootstrap",
		"Code":        map[string]any{"ZipFile": bootstrapZip(t, "#!/bin/sh\necho pwned\n")},
		"Environment": map[string]any{"Variables": map[string]string{"SECRET": "hunter2"}},
	})
	return string(b)
}

// TestBrowserRequestsRefused: a web page must not be able to deploy, run or
// read functions through the local Lambda — neither with a "simple"
// cross-site request (no CORS preflight) nor through DNS rebinding.
func TestBrowserRequestsRefused(t *testing.T) {
	t.Parallel()
	k := emulatortest.New(t)
	u, _ := url.Parse(k.URL)
	port := u.Port()
	ctx := context.Background()
	in := newCreateInput("fn", bootstrapZip(t, "x"))
	in.Environment = &types.Environment{Variables: map[string]string{"SECRET": "hunter2"}}
	if _, err := k.Lambda.CreateFunction(ctx, in); err != nil {
		t.Fatal(err)
	}
	k.WaitActive(t, "fn")

	tests := []struct {
		name         string
		method, path string
		host         string
		header       map[string]string
		body         string
		status       int
	}{
		{name: "simple cross-site create (text/plain)", method: "POST", path: "/2015-03-31/functions",
			header: map[string]string{"Content-Type": "text/plain", "Origin": "https://evil.example"}, body: createBody(t, "evil1"), status: 403},
		{name: "text/plain create without Origin (old browser)", method: "POST", path: "/2015-03-31/functions",
			header: map[string]string{"Content-Type": "text/plain;charset=UTF-8"}, body: createBody(t, "evil2"), status: 415},
		{name: "form create", method: "POST", path: "/2015-03-31/functions",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, body: createBody(t, "evil3"), status: 415},
		{name: "multipart create", method: "POST", path: "/2015-03-31/functions",
			header: map[string]string{"Content-Type": "multipart/form-data; boundary=x"}, body: createBody(t, "evil4"), status: 415},
		{name: "no-cors blob create (no Content-Type)", method: "POST", path: "/2015-03-31/functions",
			header: map[string]string{"Origin": "https://evil.example"}, body: createBody(t, "evil5"), status: 403},
		{name: "JSON create from another origin", method: "POST", path: "/2015-03-31/functions",
			header: map[string]string{"Content-Type": "application/json", "Origin": "https://evil.example"}, body: createBody(t, "evil6"), status: 403},
		{name: "null origin", method: "POST", path: "/2015-03-31/functions",
			header: map[string]string{"Content-Type": "application/json", "Origin": "null"}, body: createBody(t, "evil7"), status: 403},
		{name: "cross-site fetch metadata", method: "POST", path: "/2015-03-31/functions",
			header: map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"}, body: createBody(t, "evil8"), status: 403},
		{name: "simple cross-site invoke", method: "POST", path: "/2015-03-31/functions/fn/invocations",
			header: map[string]string{"Content-Type": "text/plain", "Origin": "https://evil.example"}, body: `{}`, status: 403},
		{name: "text/plain invoke", method: "POST", path: "/2015-03-31/functions/fn/invocations",
			header: map[string]string{"Content-Type": "text/plain"}, body: `{}`, status: 415},
		{name: "no-cors invoke", method: "POST", path: "/2015-03-31/functions/fn/invocations",
			header: map[string]string{"Origin": "http://localhost:" + port + ".evil.example"}, status: 403},
		{name: "DNS rebinding GET", method: "GET", path: "/2015-03-31/functions/fn", host: "rebind.attacker.example", status: 403},
		{name: "DNS rebinding GET with port", method: "GET", path: "/2015-03-31/functions/fn", host: "rebind.attacker.example:" + port, status: 403},
		{name: "DNS rebinding info", method: "GET", path: "/_lamb/info", host: "rebind.attacker.example:" + port, status: 403},
		{name: "DNS rebinding code download", method: "GET", path: "/_lamb/calls", host: "rebind.attacker.example:" + port, status: 403},
		{name: "loopback name, other port", method: "GET", path: "/2015-03-31/functions/fn", host: "localhost:1", status: 403},
		{name: "faults as a form", method: "POST", path: "/_lamb/faults",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, body: `{"op":"GetFunction","status":500}`, status: 415},
		{name: "localhost", method: "GET", path: "/2015-03-31/functions/fn", host: "localhost:" + port, status: 200},
		{name: "LOCALHOST", method: "GET", path: "/2015-03-31/functions/fn", host: "LOCALHOST:" + port, status: 200},
		{name: "127.0.0.1", method: "GET", path: "/2015-03-31/functions/fn", status: 200},
		{name: "own origin", method: "GET", path: "/2015-03-31/functions/fn",
			header: map[string]string{"Origin": "http://127.0.0.1:" + port, "Sec-Fetch-Site": "same-origin"}, status: 200},
		{name: "JSON create", method: "POST", path: "/2015-03-31/functions",
			header: map[string]string{"Content-Type": "application/json"}, body: createBody(t, "ok1"), status: 201},
		{name: "JSON create with charset", method: "POST", path: "/2015-03-31/functions",
			header: map[string]string{"Content-Type": "Application/JSON; charset=utf-8"}, body: createBody(t, "ok2"), status: 201},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := rawCall(t, k, tt.method, tt.path, tt.host, tt.header, tt.body)
			if status != tt.status {
				t.Errorf("status %d, want %d (%s)", status, tt.status, body)
			}
			if status >= 400 && (strings.Contains(body, "hunter2") || strings.Contains(body, "attacker") || strings.Contains(body, "evil")) {
				t.Errorf("refusal echoes the request: %s", body)
			}
		})
	}
	// Nothing the refused requests asked for happened.
	out, err := k.Lambda.ListFunctions(ctx, &lambda.ListFunctionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range out.Functions {
		names = append(names, aws.ToString(f.FunctionName))
	}
	if diff := cmp.Diff([]string{"fn", "ok1", "ok2"}, names); diff != "" {
		t.Errorf("functions (-want +got):\n%s", diff)
	}
	for _, c := range k.Server.Calls() {
		if c.Op == "Invoke" {
			t.Errorf("a refused invoke reached the function: %+v", c)
		}
	}
}

// TestCodeLocationHost: GetFunction's Code.Location names the address the
// client used, which the server has checked, never an arbitrary Host.
func TestCodeLocationHost(t *testing.T) {
	t.Parallel()
	k := emulatortest.New(t)
	u, _ := url.Parse(k.URL)
	create(t, k, "fn", bootstrapZip(t, "x"))
	for _, host := range []string{u.Host, "localhost:" + u.Port()} {
		status, body := rawCall(t, k, "GET", "/2015-03-31/functions/fn", host, nil, "")
		var out struct{ Code struct{ Location string } }
		if err := json.Unmarshal([]byte(body), &out); err != nil || status != 200 {
			t.Fatalf("GetFunction via %s: %d %s", host, status, body)
		}
		if !strings.HasPrefix(out.Code.Location, "http://"+host+"/_lamb/code/") {
			t.Errorf("Code.Location %q via %s", out.Code.Location, host)
		}
		resp, err := http.Get(strings.Replace(out.Code.Location, host, u.Host, 1))
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("download code: %v", err)
		}
		resp.Body.Close()
	}
}

// TestAllowedHosts: a server reached through another name (a LAN address,
// a proxy) accepts the names it is told about.
func TestAllowedHosts(t *testing.T) {
	t.Parallel()
	k := emulatortest.New(t, emulatortest.WithOptions(emulator.Options{AllowedHosts: []string{"devbox.lan", "proxy.lan:8443"}}))
	u, _ := url.Parse(k.URL)
	for host, want := range map[string]int{
		"devbox.lan:" + u.Port(): 200, "devbox.lan": 200, "DEVBOX.LAN:" + u.Port(): 200,
		"proxy.lan:8443": 200, "proxy.lan:" + u.Port(): 403, "other.lan:" + u.Port(): 403,
	} {
		if status, body := rawCall(t, k, "GET", "/2015-03-31/functions/", host, nil, ""); status != want {
			t.Errorf("Host %s: %d, want %d (%s)", host, status, want, body)
		}
	}
}

// TestServeHTTPWithoutConnection: a handler called in-process (no network
// connection) accepts loopback names only.
func TestServeHTTPWithoutConnection(t *testing.T) {
	t.Parallel()
	s, err := emulator.New(emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for host, want := range map[string]int{"localhost": 200, "127.0.0.1:9001": 200, "[::1]:80": 200, "example.com": 403} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/2015-03-31/functions/", nil)
		r.Host = host
		s.ServeHTTP(w, r)
		if w.Code != want {
			t.Errorf("Host %s: %d, want %d", host, w.Code, want)
		}
	}
}

// TestAWSCLI drives the local Lambda with the AWS CLI v2 (the Debian
// package .ci/run installs): every operation that sends a body, and a read
// and a delete, are accepted. (One CLI run costs a second or more: the rest
// of the API is covered through the SDK.)
func TestAWSCLI(t *testing.T) {
	t.Parallel()
	cli := "/usr/bin/aws"
	if _, err := os.Stat(cli); err != nil {
		t.Skip("no AWS CLI at /usr/bin/aws (.ci/run installs it)")
	}
	if testing.Short() {
		t.Skip("runs the AWS CLI a dozen times")
	}
	k := emulatortest.New(t)
	dir := t.TempDir()
	zipPath := filepath.Join(dir, "fn.zip")
	if err := os.WriteFile(zipPath, bootstrapZip(t, "x"), 0o644); err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:lambda:us-east-1:123456789012:function:fn"
	run := func(endpoint string, args ...string) (string, error) {
		cmd := exec.Command(cli, append([]string{"--endpoint-url", endpoint, "--region", "us-east-1", "--output", "json"}, args...)...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=x", "AWS_PAGER=", "HOME="+dir,
			"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_MAX_ATTEMPTS=1")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	aws := func(args ...string) (string, error) { return run(k.URL, append([]string{"lambda"}, args...)...) }
	out := filepath.Join(dir, "out.json")
	for _, args := range [][]string{
		{"create-function", "--function-name", "fn", "--runtime", "provided.al2023", "--role", testRole, "--handler", "bootstrap", "--zip-file", "fileb://" + zipPath},
		{"update-function-code", "--function-name", "fn", "--zip-file", "fileb://" + zipPath},
		{"update-function-configuration", "--function-name", "fn", "--memory-size", "256"},
		{"publish-version", "--function-name", "fn"},
		{"create-alias", "--function-name", "fn", "--name", "live", "--function-version", "1"},
		{"update-alias", "--function-name", "fn", "--name", "live", "--description", "d"},
		{"tag-resource", "--resource", arn, "--tags", "team=core"},
		{"get-function", "--function-name", "fn"},
		{"untag-resource", "--resource", arn, "--tag-keys", "team"},
		{"invoke", "--function-name", "fn", "--invocation-type", "DryRun", out},
		// Large code: through the server's own S3, as on AWS.
		{"s3", "cp", zipPath, "s3://" + emulator.DefaultS3Bucket + "/fn.zip"},
		{"create-function", "--function-name", "from-s3", "--runtime", "provided.al2023", "--role", testRole, "--handler", "bootstrap",
			"--code", "S3Bucket=" + emulator.DefaultS3Bucket + ",S3Key=fn.zip"},
	} {
		if strings.HasPrefix(args[0], "update-function") || args[0] == "publish-version" {
			// The previous update's transition (0 s here) has to end first.
			k.WaitUpdated(t, "fn")
		}
		o, err := aws(args...)
		if args[0] == "s3" {
			o, err = run(k.S3Endpoint, args...)
		}
		if err != nil {
			t.Errorf("aws %s: %v\n%s", strings.Join(args, " "), err, o)
		}
	}
	// A real invoke reaches the (absent) runtime: a ServiceException, not a
	// refusal — with no payload, and with one.
	for _, args := range [][]string{
		{"invoke", "--function-name", "fn", out},
		{"invoke", "--function-name", "fn", "--payload", `{"a":1}`, "--cli-binary-format", "raw-in-base64-out", out},
	} {
		if o, _ := aws(args...); !strings.Contains(o, "ServiceException") || !strings.Contains(o, "no runtime") {
			t.Errorf("aws lambda %s: %s", strings.Join(args, " "), o)
		}
	}
	var failed []string
	for _, c := range k.Server.Calls() {
		if c.Status >= 400 && c.Op != "Invoke" {
			failed = append(failed, fmt.Sprintf("%s %d", c.Op, c.Status))
		}
	}
	if len(failed) > 0 {
		t.Errorf("failed calls: %v", failed)
	}
}

// TestContentTypePolicy: each operation accepts exactly the body types the
// AWS clients send (recorded from aws-sdk-go-v2 and the AWS CLI v2.9).
func TestContentTypePolicy(t *testing.T) {
	t.Parallel()
	k := emulatortest.New(t)
	create(t, k, "fn", bootstrapZip(t, "x"))
	tests := []struct {
		method, path, ct, body string
		refused                bool
	}{
		{"PUT", "/2015-03-31/functions/fn/configuration", "application/json", `{"Description":"x"}`, false},
		{"PUT", "/2015-03-31/functions/fn/configuration", "", `{"Description":"x"}`, true},
		{"PUT", "/2015-03-31/functions/fn/configuration", "application/octet-stream", `{"Description":"x"}`, true},
		{"POST", "/2015-03-31/functions/fn/versions", "text/plain", `{}`, true},
		{"POST", "/2015-03-31/functions/fn/aliases", "text/plain", `{"Name":"a","FunctionVersion":"$LATEST"}`, true},
		{"POST", "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Afn", "text/plain", `{"Tags":{"a":"b"}}`, true},
		{"PUT", "/2015-03-31/functions/fn/code", "multipart/form-data; boundary=b", `{}`, true},
		// Invoke: the SDK sends application/octet-stream, the CLI no type at all.
		{"POST", "/2015-03-31/functions/fn/invocations", "", `{}`, false},
		{"POST", "/2015-03-31/functions/fn/invocations", "application/octet-stream", `{}`, false},
		{"POST", "/2015-03-31/functions/fn/invocations", "application/json", `{}`, false},
		{"POST", "/2015-03-31/functions/fn/invocations", "text/plain", `{}`, true},
		{"POST", "/2015-03-31/functions/fn/invocations", "application/x-www-form-urlencoded", ``, true},
		// Reads and deletes carry no body; their type is not looked at.
		{"GET", "/2015-03-31/functions/fn", "", "", false},
		{"DELETE", "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Afn?tagKeys=a", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path+" "+tt.ct, func(t *testing.T) {
			hdr := map[string]string{"X-Amz-Invocation-Type": "DryRun"}
			if tt.ct != "" {
				hdr["Content-Type"] = tt.ct
			}
			status, body := rawCall(t, k, tt.method, tt.path, "", hdr, tt.body)
			if got := status == http.StatusUnsupportedMediaType; got != tt.refused {
				t.Errorf("status %d (%s), refused want %v", status, body, tt.refused)
			}
		})
	}
}
