package pipeline

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/lambctl/lamb/emulator/httpapi"
	"github.com/lambctl/lamb/internal/route"
	"github.com/lambctl/lamb/manifest"
)

// HTTPFront is the HTTP side of a local Lambda (lamb local, lamb dev): the
// manifest's routes (http.routes, API Gateway HTTP API style) and function
// URLs (http.url, served under FunctionURLPath), in front of an invoker.
// Update swaps them when the manifest changes; requests in flight finish
// on what they started with.
type HTTPFront struct {
	inv     httpapi.Invoker
	opts    httpapi.Options
	alias   bool
	front   *httpapi.Server
	handler atomic.Pointer[http.ServeMux]
	mu      sync.Mutex // serializes Update
}

// FunctionURLPath is where the function URL of function is served on the
// front's address: every request under it goes to the function, the path
// after it as rawPath.
func FunctionURLPath(function string) string { return "/_lamb/url/" + function + "/" }

// NewHTTPFront serves fns' routes and function URLs with inv. With alias,
// a function that has an alias is invoked through it (deployed code, as
// an API Gateway integration on the alias would), else $LATEST.
func NewHTTPFront(inv httpapi.Invoker, fns []manifest.Function, alias bool, o httpapi.Options) (*HTTPFront, error) {
	h := &HTTPFront{inv: inv, opts: o, alias: alias}
	h.front = httpapi.New(inv, &route.Table{}, o)
	if err := h.Update(fns); err != nil {
		return nil, err
	}
	return h, nil
}

// Update serves the routes and function URLs of fns from now on.
func (h *HTTPFront) Update(fns []manifest.Function) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	table, err := manifest.RouteTable(fns)
	if err != nil {
		return err
	}
	target := map[string]string{}
	for _, f := range fns {
		target[f.Name] = f.Name
		if h.alias && f.Alias != "" {
			target[f.Name] = f.Name + ":" + f.Alias
		}
	}
	qualified := &route.Table{}
	for _, r := range table.Routes() {
		if err := qualified.Add(r.Key, target[r.Target]); err != nil {
			return err
		}
	}
	h.front.SetRoutes(qualified)
	mux := http.NewServeMux()
	mux.Handle("/", h.front)
	for _, f := range fns {
		if f.HTTP.URL == nil {
			continue
		}
		p := FunctionURLPath(f.Name)
		mux.Handle(p, http.StripPrefix(strings.TrimSuffix(p, "/"), httpapi.NewFunctionURL(h.inv, target[f.Name], h.opts)))
	}
	h.handler.Store(mux)
	return nil
}

// Routes is the route table served.
func (h *HTTPFront) Routes() *route.Table { return h.front.Routes() }

func (h *HTTPFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.handler.Load().ServeHTTP(w, r)
}
