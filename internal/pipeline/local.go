package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/lambctl/lamb/emulator"
	"github.com/lambctl/lamb/emulator/rapi"
)

// LocalOptions configure a local Lambda.
type LocalOptions struct {
	// Dir holds its state (Dir/state) and the functions' unpacked code
	// (Dir/run): Root/.lamb/local by default.
	Dir string
	// Addr is the listen address; default 127.0.0.1:0 (a free port).
	Addr string
	// Region is the region in ARNs; default us-east-1.
	Region string
	// RateLimit throttles like AWS.
	RateLimit bool
	// Delay is the time functions take to become Active and updates to
	// complete.
	Delay time.Duration
	// S3Endpoint is where Code.S3Bucket/S3Key are fetched from.
	S3Endpoint string
	// Logger receives the local Lambda's own log; nil discards it.
	Logger *slog.Logger
	// Logs receives every line the functions log (synchronous and
	// asynchronous invokes alike); it must not block.
	Logs func(emulator.LogLine)
	// OnInvoke is told of every invocation.
	OnInvoke func(emulator.InvokeRecord)
	// AllowedHosts are further Host names the local Lambda answers (a
	// proxy, a machine name when listening beyond loopback).
	AllowedHosts []string
	// NoSync writes the functions' state and code without fsync
	// (emulator.Options.NoSync): for lamb dev, whose functions a deploy
	// rebuilds from the repository.
	NoSync bool
}

// Local is a running local Lambda: the emulator and its runtime, served
// on a loopback listener. It is the one way lamb starts one, for `lamb
// local` and for --local.
type Local struct {
	Server *emulator.Server
	Runner *rapi.Runner
	// URL is the base URL of its Lambda API (http://127.0.0.1:PORT).
	URL string
	// Addr is the address it listens on.
	Addr net.Addr

	hs     *http.Server
	served chan error
	close  []func() error
}

// StartLocal starts a local Lambda over o.Dir and serves it on o.Addr.
func StartLocal(o LocalOptions) (*Local, error) {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	dir, err := filepath.Abs(o.Dir) // functions run with absolute paths
	if err != nil {
		return nil, fmt.Errorf("local lambda: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("local lambda: %w", err)
	}
	l := &Local{served: make(chan error, 1)}
	if l.Runner, err = rapi.NewRunner(rapi.RunnerOptions{WorkDir: filepath.Join(dir, "run"), Logger: o.Logger}); err != nil {
		return nil, fmt.Errorf("local lambda: %w", err)
	}
	l.close = append(l.close, l.Runner.Close)
	opts := emulator.Options{
		StateDir: filepath.Join(dir, "state"), NoSync: o.NoSync, Region: o.Region, TransitionDelay: o.Delay,
		S3Endpoint: o.S3Endpoint, Runtime: l.Runner, Logger: o.Logger,
		Logs: o.Logs, OnInvoke: o.OnInvoke, AllowedHosts: o.AllowedHosts,
	}
	if o.RateLimit {
		opts.RateLimit = emulator.DefaultRateLimit()
	}
	if l.Server, err = emulator.New(opts); err != nil {
		l.Close()
		return nil, fmt.Errorf("local lambda: %w", err)
	}
	l.close = append(l.close, l.Server.Close)
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		l.Close()
		return nil, fmt.Errorf("local lambda: %w", err)
	}
	l.Addr = ln.Addr()
	l.URL = "http://" + URLHost(ln.Addr())
	l.hs = &http.Server{Handler: l.Server, ReadHeaderTimeout: 10 * time.Second}
	go func() { l.served <- l.hs.Serve(ln) }()
	l.close = append(l.close, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := l.hs.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		return nil
	})
	return l, nil
}

// Done is closed with the server's error when it stops serving on its own.
func (l *Local) Done() <-chan error { return l.served }

// Close stops serving, then the emulator and the runtime.
func (l *Local) Close() error {
	var errs []error
	for i := len(l.close) - 1; i >= 0; i-- {
		errs = append(errs, l.close[i]())
	}
	l.close = nil
	return errors.Join(errs...)
}

// URLHost returns the host:port to put in a URL for a listener's address:
// an unspecified address (0.0.0.0, ::) becomes 127.0.0.1, which reaches
// it from this machine.
func URLHost(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	ip := tcp.IP
	if ip == nil || ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	return net.JoinHostPort(ip.String(), fmt.Sprint(tcp.Port))
}
