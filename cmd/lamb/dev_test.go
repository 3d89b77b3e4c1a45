package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// sample copies the sample monorepo (its order and user functions have
// HTTP routes).
func sample(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "repo")
	copyTree(t, filepath.Join("..", "..", "testdata", "monorepo"), root)
	return root
}

// poll calls f until it reports done, failing after the deadline.
func poll(t *testing.T, what string, limit time.Duration, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(20 * time.Millisecond) // polling with a deadline
	}
}

func httpDo(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestDev runs lamb dev on a copy of the sample: routes over HTTP, an
// edit of a handler answered with the new code, a broken build that keeps
// the last good code, a shared package that reloads exactly its
// importers, and a change of lamb.yaml.
func TestDev(t *testing.T) {
	if testing.Short() {
		t.Skip("builds functions")
	}
	t.Parallel()
	root := sample(t)
	addrFile := filepath.Join(t.TempDir(), "http-addr")
	stderr := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"-C", root, "dev", "orders-create", "orders-get", "users-get", "--http-addr-file", addrFile},
			proc{Stdout: io.Discard, Stderr: stderr, Getenv: os.Getenv})
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 && code != 130 {
			t.Errorf("lamb dev exited %d", code)
		}
		if t.Failed() {
			t.Logf("stderr:\n%s", stderr.String())
		}
	}()
	var base string
	poll(t, "--http-addr-file", 5*time.Minute, func() bool {
		b, err := os.ReadFile(addrFile)
		base = "http://" + strings.TrimSpace(string(b))
		return err == nil
	})
	for _, re := range []string{
		`(?m)^lamb dev: serving orders-create, orders-get, users-get in `,
		`(?m)^lamb dev: HTTP on http://127\.0\.0\.1:\d+$`,
		`(?m)^  POST /orders +→ orders-create$`,
		`(?m)^  GET /orders/\{id\} +→ orders-get$`,
		`(?m)^lamb dev: watching for changes`,
	} {
		if !regexp.MustCompile(re).MatchString(stderr.String()) {
			t.Errorf("stderr does not match %s:\n%s", re, stderr.String())
		}
	}
	code, body := httpDo(t, "POST", base+"/orders", `{"items":[{"sku":"A1","quantity":2,"priceCents":500}]}`)
	if code != 201 || !strings.Contains(body, `"totalCents":1000`) {
		t.Fatalf("POST /orders = %d %s", code, body)
	}
	if code, body = httpDo(t, "GET", base+"/orders/ord_1001", ""); code != 200 || !strings.Contains(body, `"id":"ord_1001"`) {
		t.Fatalf("GET /orders/ord_1001 = %d %s", code, body)
	}
	if code, body = httpDo(t, "GET", base+"/orders", ""); code != 404 || body != `{"message":"Not Found"}` {
		t.Errorf("GET /orders (no route) = %d %s, want API Gateway's 404", code, body)
	}
	if !regexp.MustCompile(`(?m)^orders-create +\| REPORT RequestId: `).MatchString(stderr.String()) {
		t.Errorf("no REPORT line of orders-create:\n%s", stderr.String())
	}

	// Edit the handler; poll until the new answer comes.
	handler := filepath.Join(root, "functions", "orders", "get", "main.go")
	replaceIn(t, handler, `"order "+id+" not found"`, `"no such order: "+id`)
	poll(t, "the edited handler's answer", 5*time.Minute, func() bool {
		_, body := httpDo(t, "GET", base+"/orders/ord_9999", "")
		return strings.Contains(body, "no such order: ord_9999")
	})

	// Break the build: the compiler's message, and the old code serves.
	replaceIn(t, handler, `return httpx.JSON(http.StatusOK, o), nil`, `return httpx.JSON(http.StatusOK, o), notDefined`)
	poll(t, "the compiler's message", 5*time.Minute, func() bool {
		return strings.Contains(stderr.String(), "undefined: notDefined")
	})
	if !strings.Contains(stderr.String(), "lamb dev: orders-get failed, still serving the last good code:") {
		t.Errorf("no failure line:\n%s", stderr.String())
	}
	if _, body := httpDo(t, "GET", base+"/orders/ord_9999", ""); !strings.Contains(body, "no such order: ord_9999") {
		t.Errorf("with a broken build: %s", body)
	}
	replaceIn(t, handler, `notDefined`, `nil`)

	// A shared package: exactly its importers, with the reason.
	store := filepath.Join(root, "internal", "orders", "store.go")
	b, err := os.ReadFile(store)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(store, append(b, "\nvar _ = 1\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	poll(t, "the shared package's reload", 5*time.Minute, func() bool {
		return regexp.MustCompile(`(?m)^lamb dev: reloaded orders-create, orders-get \(internal/orders: store\.go changed.*\) in `).MatchString(stderr.String())
	})
	if strings.Contains(stderr.String(), "reloaded users-get") {
		t.Errorf("users-get reloaded for a package it does not import:\n%s", stderr.String())
	}

	// lamb.yaml: a new route, served once the manifest is reloaded.
	replaceIn(t, filepath.Join(root, "lamb.yaml"), `routes: ["GET /orders/{id}"]`, `routes: ["GET /orders/{id}", "GET /orders"]`)
	poll(t, "the new route", 5*time.Minute, func() bool {
		_, body := httpDo(t, "GET", base+"/orders", "")
		return strings.Contains(body, "invalid order id")
	})
	poll(t, "the manifest's reload line", time.Minute, func() bool { // printed once the routes serve
		return strings.Contains(stderr.String(), "lamb dev: lamb.yaml changed: routes reloaded, no function changed, in ")
	})
	// A setting: the function's configuration changes, its code does not.
	replaceIn(t, filepath.Join(root, "lamb.yaml"), "    package: ./functions/orders/get\n", "    package: ./functions/orders/get\n    memory: 512\n")
	poll(t, "the memory setting", 5*time.Minute, func() bool {
		return regexp.MustCompile(`(?m)^lamb dev: lamb\.yaml changed: reloaded orders-get \(memory 128 → 512\) in `).MatchString(stderr.String())
	})
	httpDo(t, "GET", base+"/orders/ord_1001", "")
	poll(t, "a REPORT line with 512 MB", time.Minute, func() bool {
		return regexp.MustCompile(`(?m)^orders-get +\| REPORT .*Memory Size: 512 MB`).MatchString(stderr.String())
	})
}

func replaceIn(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}
