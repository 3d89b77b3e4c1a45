package deployer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lambctl/lamb/deployer"
	"github.com/lambctl/lamb/emulator"
	"github.com/lambctl/lamb/internal/redact"
)

// escapedSecret holds every character JSON, HTML, URL and Markdown escape.
const escapedSecret = `sk_live_<>&"quote'\back`

// compactJSON is the compact JSON of v as AWS writes it (no HTML escaping).
func compactJSON(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSuffix(b.String(), "\n")
}

// awsEnvEcho makes the local Lambda answer the 4 KB environment error the
// way AWS does: the message ends with "String measured: " and the
// variables as JSON (the emulator leaves them out).
func awsEnvEcho(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		out := rec.Body.Bytes()
		const marker = "String measured: "
		if rec.Code == http.StatusBadRequest && bytes.Contains(out, []byte(marker)) {
			var in struct {
				Environment struct{ Variables map[string]string }
			}
			var answer map[string]any
			if json.Unmarshal(body, &in) == nil && json.Unmarshal(out, &answer) == nil {
				msg, _ := answer["message"].(string)
				if i := strings.Index(msg, marker); i >= 0 {
					answer["message"] = msg[:i] + marker + compactJSON(in.Environment.Variables)
					out, _ = json.Marshal(answer)
				}
			}
		}
		for k, v := range rec.Header() {
			if k != "Content-Length" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(out)
	})
}

// leaks returns the forms of secret found in s.
func leaks(s, secret string) []string {
	var found []string
	for _, f := range redact.Forms(secret) {
		if strings.Contains(s, f) {
			found = append(found, f)
		}
	}
	if strings.Contains(s, "sk_live") {
		found = append(found, "sk_live")
	}
	return found
}

// outputs renders everything a deploy returns: the error, the result as
// text and as JSON.
func outputs(t *testing.T, res *deployer.Result, err error) map[string]string {
	t.Helper()
	out := map[string]string{}
	if err != nil {
		out["error"] = err.Error()
	}
	if res != nil {
		var text strings.Builder
		if werr := res.WriteText(&text); werr != nil {
			t.Fatal(werr)
		}
		out["result text"] = text.String()
		js, jerr := json.Marshal(res)
		if jerr != nil {
			t.Fatal(jerr)
		}
		out["result json"] = string(js)
	}
	return out
}

// TestSecretNeverEchoed deploys a function whose environment is over 4 KB
// and holds a value with every escaped character: Lambda's error echoes
// the variables as JSON; no form of the value may reach anything the
// deployer returns, and a short value (TABLE=orders) must not garble the
// function's name (orders-create) (issue 11, items 3 and 6).
func TestSecretNeverEchoed(t *testing.T) {
	t.Parallel()
	e := newTestEnvHandler(t, emulator.Options{}, awsEnvEcho)
	ctx := context.Background()
	w := &world{arts: map[string]deployer.Artifact{}}
	f := fn("orders-create")
	f.Environment = map[string]string{"TABLE": "orders", "SECRET": escapedSecret, "PADDING": strings.Repeat("p", 4100)}
	w.desired = []deployer.Desired{{Function: f, Fingerprint: "f1"}}
	w.arts["orders-create"] = e.artifact(t, "orders-create", "f1")

	_, res, err := e.deploy(ctx, t, w, testOptions(e))
	if err == nil {
		t.Fatal("deploy of a 4 KB environment succeeded")
	}
	for name, s := range outputs(t, res, err) {
		if l := leaks(s, escapedSecret); len(l) > 0 {
			t.Errorf("%s shows the secret as %q:\n%s", name, l, s)
		}
		if strings.Contains(s, "(hidden)-create") {
			t.Errorf("%s garbles the function name:\n%s", name, s)
		}
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "orders-create: create: ") || !strings.Contains(msg, "exceeded the 4KB limit") {
		t.Errorf("error %q, want orders-create's create error naming the 4 KB limit", msg)
	}

	// A plan whose read fails with an error quoting the variables.
	echo := "AccessDenied: " + compactJSON(f.Environment) + " for orders-create"
	e.srv.Inject(emulator.Fault{Op: "GetFunction", Function: "orders-create", Status: 403, Message: echo})
	plan, res, err := e.deploy(ctx, t, w, testOptions(e))
	if err == nil {
		t.Fatal("deploy with a failing GetFunction succeeded")
	}
	all := outputs(t, res, err)
	maps.Copy(all, planOutputs(t, plan))
	for name, s := range all {
		if l := leaks(s, escapedSecret); len(l) > 0 {
			t.Errorf("after a failed read, %s shows the secret as %q:\n%s", name, l, s)
		}
		if !strings.Contains(s, "for orders-create") {
			t.Errorf("after a failed read, %s lost the function name:\n%s", name, s)
		}
	}
}

// TestRedactKeepsNames checks that values equal to or inside the
// function's name, alias or role are not hidden there.
func TestRedactKeepsNames(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, emulator.Options{})
	ctx := context.Background()
	w := &world{arts: map[string]deployer.Artifact{}}
	f := fn("orders-create")
	f.Role = "not-a-role-orders"
	f.Environment = map[string]string{"TABLE": "orders", "ROLE": "role"}
	w.desired = []deployer.Desired{{Function: f, Fingerprint: "f1"}}
	w.arts["orders-create"] = e.artifact(t, "orders-create", "f1")
	_, _, err := e.deploy(ctx, t, w, testOptions(e))
	if err == nil {
		t.Fatal("deploy with an invalid role succeeded")
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "orders-create: create: ") || !strings.Contains(msg, "not-a-role-orders") {
		t.Errorf("error %q garbles the function name or the role", msg)
	}
}

// planOutputs renders a plan as text and as JSON.
func planOutputs(t *testing.T, plan *deployer.Plan) map[string]string {
	t.Helper()
	var text strings.Builder
	if err := plan.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"plan text": text.String(), "plan json": string(js)}
}

// TestRedactKeepsARNs hides a value that is also part of the function's
// ARN (its region) everywhere but in the ARN.
func TestRedactKeepsARNs(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, emulator.Options{})
	ctx := context.Background()
	w := e.world(t, map[string]string{"a": "fa1"})
	w.desired[0].Function.Environment = map[string]string{"REGION": "us-east-1"}
	if _, _, err := e.deploy(ctx, t, w, testOptions(e)); err != nil {
		t.Fatal(err)
	}
	e.srv.Inject(emulator.Fault{Op: "UpdateFunctionCode", Function: "a", Status: 403,
		Message: "not allowed on arn:aws:lambda:us-east-1:123456789012:function:a in us-east-1"})
	w.set(t, e, "a", "fa2")
	_, _, err := e.deploy(ctx, t, w, testOptions(e))
	if err == nil || !strings.HasSuffix(err.Error(), "not allowed on arn:aws:lambda:us-east-1:123456789012:function:a in (hidden)") {
		t.Errorf("error %v", err)
	}
}
