package main

import (
	"bufio"
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/lambctl/lamb/emulator/rapi"
	"github.com/lambctl/lamb/internal/devloop"
	"github.com/lambctl/lamb/internal/pipeline"
)

// debugInvokeTimeout is a debugged invoke's timeout: long enough to sit
// at breakpoints for a working day (the timeout is suspended in effect).
const debugInvokeTimeout = 12 * time.Hour

// invokeDebug is lamb invoke --debug FUNCTION: it builds the function for
// this machine without optimisations, runs its bootstrap under Delve
// (headless on 127.0.0.1:port) in a local runtime, and holds the event
// until the developer has attached and pressed Enter (a line on stdin, or
// its end). The invoke's timeout is suspended (debugInvokeTimeout).
//
// lamb invoke calls it for --debug in place of invokeDirect.
func invokeDebug(ctx context.Context, g *globalOptions, name string, event []byte, env map[string]string, port int) (*invokeOutput, error) {
	dlv, err := devloop.FindDlv("")
	if err != nil {
		return nil, usageError(err)
	}
	if err := devloop.CheckPort(port); err != nil {
		return nil, usageError(err)
	}
	sel, err := g.selectFunctions(ctx, pipeline.SelectOptions{Names: []string{name}})
	if err != nil {
		return nil, err
	}
	f := sel.Functions[0]
	dir := filepath.Join(sel.Manifest.Root, ".lamb", "debug")
	gate, err := devloop.NewGate(dir)
	if err != nil {
		return nil, err
	}
	defer gate.Close()
	fmt.Fprintf(g.stderr, "lamb: building %s for the debugger\n", f.Name)
	pkg, err := devloop.BuildDebug(ctx, sel.Manifest.Root, f, devloop.DebugBuild{Dlv: dlv, Port: port, OutDir: dir, Gate: gate})
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", f.Name, err)
	}
	runner, err := rapi.NewRunner(rapi.RunnerOptions{})
	if err != nil {
		return nil, err
	}
	defer runner.Close()
	region := g.runRegion(sel.Manifest)
	type result struct {
		res *rapi.InvokeResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := runner.Invoke(ctx, rapi.InvokeRequest{
			FunctionName: f.Name,
			Version:      "$LATEST",
			CodeSha256:   pkg.CodeSha256,
			ZipPath:      pkg.Path,
			MemoryMB:     f.Memory,
			Timeout:      debugInvokeTimeout,
			Environment:  overlayEnv(f.Environment, env),
			Region:       region,
			Payload:      event,
		})
		done <- result{res, err}
	}()
	var r result
	select {
	case <-gate.Held(): // initialised under Delve, the event waits
		fmt.Fprintf(g.stderr, "lamb: %s runs under Delve on 127.0.0.1:%d: attach (dlv connect 127.0.0.1:%d, or your editor: docs/dev.md),\n"+
			"      set breakpoints, then press Enter here to send the event\n", f.Name, port, port)
		go func() {
			bufio.NewReader(g.stdin).ReadString('\n') // a line, or the end of stdin
			gate.Release()
		}()
		r = <-done
	case r = <-done: // it did not get as far as its first event
	}
	res, err := r.res, r.err
	if err != nil {
		return nil, err
	}
	dur := float64(res.Duration.Microseconds()) / 1000
	return &invokeOutput{
		Function: f.Name, ExecutedVersion: "$LATEST", FunctionError: res.FunctionError, Payload: res.Payload,
		RequestID: res.RequestID, ColdStart: &res.ColdStart, DurationMS: &dur, logs: res.Logs,
	}, nil
}
