package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lambctl/lamb/internal/devloop"
	"github.com/lambctl/lamb/internal/pipeline"
)

type devOptions struct {
	Addr         string
	HTTPAddr     string
	HTTPAddrFile string
	Debug        string
	DebugPort    int
}

func newDevCmd(g *globalOptions) *cobra.Command {
	var o devOptions
	cmd := &cobra.Command{
		Use:   "dev [FUNCTION...] [--http-addr HOST:PORT] [--debug FUNCTION]",
		Short: "Serve functions over HTTP and reload exactly the ones an edit affects",
		Long: `dev runs the local Lambda and an HTTP front for the functions' routes (API Gateway
HTTP API style), and watches the repository. On every change it works out which
functions the change affects from their fingerprints, rebuilds only those for this
machine and swaps their code in: requests in flight finish on the old code, the next
ones run the new. One line per reload says which functions, why and how long it took.
A compile error is printed and the last good code keeps serving. A change of lamb.yaml
reloads it (routes, environment, memory...), or says why it cannot.

The functions' logs (their output, START, END and REPORT) are printed on stderr, each
line after the function's name.

--debug FUNCTION builds that function without optimisations and runs it under Delve
(dlv, headless on 127.0.0.1:--debug-port): attach with dlv connect, or your editor.
Its timeout is Lambda's longest (900 s) and the HTTP front waits as long as it runs.

Both servers listen on 127.0.0.1 by default; anyone who can reach them can run the
functions.`,
		Example: `  lamb dev
  lamb dev orders-get orders-create --http-addr 127.0.0.1:8080
  curl -X POST localhost:8080/orders -d '{"items":[{"sku":"A1","quantity":1,"priceCents":500}]}'
  lamb dev --debug orders-get`,
		ValidArgsFunction: g.completeFunctions,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDev(cmd.Context(), g, args, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.HTTPAddr, "http-addr", "127.0.0.1:0", "serve the functions' HTTP routes on `HOST:PORT` (port 0 picks a free one)")
	f.StringVar(&o.HTTPAddrFile, "http-addr-file", "", "write the HTTP front's bound address to `PATH` once listening")
	f.StringVar(&o.Addr, "addr", "127.0.0.1:0", "serve the local Lambda API on `HOST:PORT`")
	f.StringVar(&o.Debug, "debug", "", "run `FUNCTION` under Delve (headless, on 127.0.0.1:--debug-port)")
	f.IntVar(&o.DebugPort, "debug-port", devloop.DefaultDebugPort, "Delve's `PORT` on 127.0.0.1 with --debug")
	return cmd
}

func runDev(ctx context.Context, g *globalOptions, names []string, o devOptions) error {
	for _, a := range []struct{ flag, v string }{{"--http-addr", o.HTTPAddr}, {"--addr", o.Addr}} {
		if _, _, err := net.SplitHostPort(a.v); err != nil {
			return usageError(fmt.Errorf("%s %q: %w", a.flag, a.v, err))
		}
	}
	if o.DebugPort <= 0 || o.DebugPort > 65535 {
		return usageError(fmt.Errorf("--debug-port %d: want 1 to 65535", o.DebugPort))
	}
	level := slog.LevelWarn
	if g.Verbose {
		level = slog.LevelDebug
	}
	var term io.Writer = g.stderr
	if lw, ok := g.stderr.(*lockedWriter); ok {
		term = lw.w
	}
	devloop.CollectLess() // the process is lamb dev's
	l, err := devloop.Start(ctx, devloop.Options{
		Load:      g.loadManifest,
		Names:     names,
		Addr:      o.Addr,
		HTTPAddr:  o.HTTPAddr,
		Debug:     o.Debug,
		DebugPort: o.DebugPort,
		Out:       g.stderr,
		Color:     devloop.IsTerminal(term, g.getenv),
		Display:   g.rel,
		Verbose:   g.Verbose,
		Logger:    slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		return err
	}
	defer l.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "lamb dev: HTTP on %s\n", l.HTTPURL())
	routes := l.Routes().Routes()
	width := 0
	for _, r := range routes {
		width = max(width, len(r.Key.String()))
	}
	for _, r := range routes {
		fmt.Fprintf(&b, "  %-*s → %s\n", width, r.Key, r.Target)
	}
	for _, fn := range l.URLs() {
		fmt.Fprintf(&b, "  function URL %s%s → %s\n", l.HTTPURL(), pipeline.FunctionURLPath(fn), fn)
	}
	if len(routes) == 0 && len(l.URLs()) == 0 {
		b.WriteString("  (no routes: give functions http.routes in lamb.yaml)\n")
	}
	fmt.Fprintf(&b, "lamb dev: Lambda API on %s (aws --endpoint-url %s lambda invoke ...)\n", l.LambdaURL(), l.LambdaURL())
	if ip := l.HTTPAddr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		fmt.Fprintf(&b, "lamb dev: warning: %s is not a loopback address: anyone who can reach it can run the functions\n", l.HTTPAddr())
	}
	b.WriteString("lamb dev: watching for changes (Ctrl-C to stop)\n")
	io.WriteString(g.stderr, b.String())
	if o.HTTPAddrFile != "" {
		if err := writeAddrFile(g.path(o.HTTPAddrFile), []byte(l.HTTPAddr().String()+"\n")); err != nil {
			return fmt.Errorf("dev: --http-addr-file: %w", err)
		}
	}
	if err := l.Run(ctx); err != nil {
		return fmt.Errorf("dev: %w", err)
	}
	io.WriteString(g.stderr, "lamb dev: shutting down\n")
	return l.Close()
}
