package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambctl/lamb/emulator"
	"github.com/lambctl/lamb/emulator/httpapi"
	"github.com/lambctl/lamb/internal/devloop"
	"github.com/lambctl/lamb/internal/pipeline"
	"github.com/lambctl/lamb/manifest"
)

type localOptions struct {
	Addr       string
	AddrFile   string
	State      string
	RateLimit  bool
	Delay      time.Duration
	Region     string
	S3Endpoint string
	HTTPAddr   string
	HTTPFile   string
	AllowHosts []string
}

func newLocalCmd(g *globalOptions) *cobra.Command {
	var o localOptions
	cmd := &cobra.Command{
		Use:   "local",
		Short: "Serve a local Lambda API (the AWS CLI and SDKs work against it)",
		Long: `local serves the Lambda control-plane API and runs functions on this machine:
create, update, publish, aliases, tags and invoke behave as on AWS, with AWS's
states, limits and errors. State persists in --state (shared with deploy --local
and invoke --local, which cannot run while local holds it: use --endpoint then).

The same endpoint serves the local Parameter Store, Secrets Manager, STS, CloudWatch
Logs (every invoke's log lines) and CloudWatch metrics and alarms, for the SDKs and the
AWS CLI. Function logs are printed as they come, each line after the function's name.

With a lamb.yaml, the functions' HTTP routes and function URLs (http: in the manifest) are
served on --http-addr as API Gateway (HTTP API, payload 2.0) would: a function with an
alias through its alias, else $LATEST. Deploy to it with lamb deploy --endpoint.

It listens on 127.0.0.1 by default and answers only requests addressed to it (no other
Host, no web page's Origin). A non-loopback --addr exposes it to the network without any
authentication.`,
		Example: `  lamb local
  aws --endpoint-url http://127.0.0.1:9001 lambda list-functions
  lamb deploy --endpoint http://127.0.0.1:9001`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runLocal(cmd.Context(), g, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.Addr, "addr", "127.0.0.1:9001", "listen on `HOST:PORT` (port 0 picks a free one)")
	f.StringVar(&o.AddrFile, "addr-file", "", "write the bound address to `PATH` once listening")
	f.StringVar(&o.State, "state", "", "state `DIR` (default .lamb/local next to lamb.yaml, else in the working directory)")
	f.BoolVar(&o.RateLimit, "rate-limit", true, "throttle like AWS: 15 requests/s shared, GetFunction 100/s")
	f.DurationVar(&o.Delay, "delay", 0, "time functions take to become Active and updates to complete")
	f.StringVar(&o.Region, "region", "us-east-1", "`REGION` in ARNs")
	f.StringVar(&o.S3Endpoint, "s3-endpoint", "", "fetch Code.S3Bucket/S3Key from this S3 `URL` (path-style; default: its own S3 endpoint)")
	f.StringVar(&o.HTTPAddr, "http-addr", "127.0.0.1:0", "serve the manifest's HTTP routes on `HOST:PORT` (port 0 picks a free one)")
	f.StringVar(&o.HTTPFile, "http-addr-file", "", "write the HTTP routes' bound address to `PATH` once listening")
	f.StringSliceVar(&o.AllowHosts, "allow-host", nil, "also answer requests for Host `NAME` (a proxy, or this machine's name with a non-loopback --addr)")
	return cmd
}

// localDir is where lamb local keeps its state by default: .lamb/local next
// to the manifest, as deploy --local does.
func localDir(g *globalOptions) string {
	if g.File != "" {
		return filepath.Join(filepath.Dir(g.path(g.File)), ".lamb", "local")
	}
	if p, err := manifest.Find(g.wd); err == nil {
		return filepath.Join(filepath.Dir(p), ".lamb", "local")
	}
	return filepath.Join(g.wd, ".lamb", "local")
}

func runLocal(ctx context.Context, g *globalOptions, o localOptions) error {
	if o.Delay < 0 {
		return usageError(fmt.Errorf("--delay %v: must not be negative", o.Delay))
	}
	if _, _, err := net.SplitHostPort(o.Addr); err != nil {
		return usageError(fmt.Errorf("--addr %q: %w", o.Addr, err))
	}
	dir := g.path(o.State)
	if dir == "" {
		dir = localDir(g)
	}
	level := slog.LevelWarn
	if g.Verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: level}))
	if _, _, err := net.SplitHostPort(o.HTTPAddr); err != nil {
		return usageError(fmt.Errorf("--http-addr %q: %w", o.HTTPAddr, err))
	}
	// A manifest, when there is one, gives the HTTP routes; lamb local
	// serves the Lambda API without one.
	var m *manifest.Manifest
	if g.File != "" || manifestNear(g) {
		var err error
		if m, err = g.loadManifest(); err != nil {
			return err
		}
	}
	out := devloop.NewPrinter(g.stderr, devloop.IsTerminal(g.stderr.(*lockedWriter).w, g.getenv))
	var logs func(emulator.LogLine)
	if !g.Quiet {
		logs = out.LogLine
		if m != nil {
			out.SetFunctions(manifest.Names(m.Functions))
		}
	}
	l, err := pipeline.StartLocal(pipeline.LocalOptions{
		Dir: dir, Addr: o.Addr, Region: o.Region, RateLimit: o.RateLimit, Delay: o.Delay,
		S3Endpoint: o.S3Endpoint, Logger: log, Logs: logs, AllowedHosts: o.AllowHosts,
	})
	if err != nil {
		return err
	}
	defer l.Close()
	fmt.Fprintf(g.stderr, "lamb local: Lambda API on %s (state %s)\n", l.URL, g.rel(dir))
	if ip := l.Addr.(*net.TCPAddr).IP; !ip.IsLoopback() {
		fmt.Fprintf(g.stderr, "lamb local: warning: %s is not a loopback address: anyone who can reach it can deploy and run code\n", l.Addr)
	}
	fmt.Fprintf(g.stderr, "  aws --endpoint-url %s lambda list-functions\n", l.URL)
	fmt.Fprintf(g.stderr, "  export AWS_ENDPOINT_URL_LAMBDA=%s   # SDKs and AWS CLI >= 2.13\n", l.URL)
	fmt.Fprintf(g.stderr, "  lamb deploy --endpoint %s\n", l.URL)
	fmt.Fprintf(g.stderr, "  export AWS_ENDPOINT_URL=%s   # also Parameter Store, Secrets Manager, STS, CloudWatch and its Logs\n", l.URL)
	if m != nil {
		front, err := pipeline.NewHTTPFront(l.Server, m.Functions, true, httpapi.Options{Logger: log})
		if err != nil {
			return err
		}
		hln, err := net.Listen("tcp", o.HTTPAddr)
		if err != nil {
			return fmt.Errorf("local: --http-addr: %w", err)
		}
		hs := &http.Server{Handler: front, ReadHeaderTimeout: 10 * time.Second}
		go hs.Serve(hln)
		defer hs.Close()
		httpURL := "http://" + pipeline.URLHost(hln.Addr())
		for _, r := range front.Routes().Routes() {
			fmt.Fprintf(g.stderr, "  %-24s %s → %s\n", r.Key, httpURL, r.Target)
		}
		for _, f := range m.Functions {
			if f.HTTP.URL != nil {
				fmt.Fprintf(g.stderr, "  function URL %s%s → %s\n", httpURL, pipeline.FunctionURLPath(f.Name), f.Name)
			}
		}
		if o.HTTPFile != "" {
			if err := writeAddrFile(g.path(o.HTTPFile), []byte(hln.Addr().String()+"\n")); err != nil {
				return fmt.Errorf("local: --http-addr-file: %w", err)
			}
		}
	}
	if o.AddrFile != "" {
		if err := writeAddrFile(g.path(o.AddrFile), []byte(l.Addr.String()+"\n")); err != nil {
			return fmt.Errorf("local: --addr-file: %w", err)
		}
	}
	select {
	case err := <-l.Done():
		return fmt.Errorf("local: %w", err)
	case <-ctx.Done():
	}
	fmt.Fprintln(g.stderr, "lamb local: shutting down")
	return l.Close()
}

// writeAddrFile writes b to path so readers never see a partial file.
func writeAddrFile(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// manifestNear reports whether a lamb.yaml is in the run's working
// directory or above it.
func manifestNear(g *globalOptions) bool {
	_, err := manifest.Find(g.wd)
	return err == nil
}
