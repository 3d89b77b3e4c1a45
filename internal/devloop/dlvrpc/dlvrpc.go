// Package dlvrpc is a minimal client of Delve's JSON-RPC API (API version
// 2, service/rpc2): connect, halt, create a breakpoint, continue. It is
// what lamb's debugger tests drive Delve with, over net/rpc/jsonrpc,
// without depending on Delve's module.
package dlvrpc

import (
	"fmt"
	"net"
	"net/rpc"
	"net/rpc/jsonrpc"
	"time"
)

// Breakpoint is api.Breakpoint, the fields used here.
type Breakpoint struct {
	ID           int    `json:"id"`
	File         string `json:"file"`
	Line         int    `json:"line"`
	FunctionName string `json:"functionName,omitempty"`
}

// Function is api.Function, the fields used here.
type Function struct {
	Name string `json:"name"`
}

// Thread is api.Thread, the fields used here.
type Thread struct {
	File       string      `json:"file"`
	Line       int         `json:"line"`
	Function   *Function   `json:"function,omitempty"`
	Breakpoint *Breakpoint `json:"breakPoint,omitempty"`
}

// State is api.DebuggerState, the fields used here.
type State struct {
	Running       bool    `json:"Running"`
	CurrentThread *Thread `json:"currentThread,omitempty"`
	Exited        bool    `json:"exited"`
}

type command struct {
	Name string `json:"name"`
}

type commandOut struct{ State State }

type createBreakpointIn struct {
	Breakpoint Breakpoint
	LocExpr    string
}

type createBreakpointOut struct{ Breakpoint Breakpoint }

// Client is a connection to a headless Delve.
type Client struct{ c *rpc.Client }

// Dial connects to Delve at addr, retrying until it listens or wait
// passes.
func Dial(addr string, wait time.Duration) (*Client, error) {
	deadline := time.Now().Add(wait)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return &Client{c: jsonrpc.NewClient(conn)}, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("delve at %s: %w", addr, err)
		}
		time.Sleep(50 * time.Millisecond) // waiting for Delve to listen, with a deadline
	}
}

// Halt stops the running target.
func (c *Client) Halt() (State, error) {
	var out commandOut
	err := c.c.Call("RPCServer.Command", command{Name: "halt"}, &out)
	return out.State, err
}

// Break sets a breakpoint at a location expression (main.go:30,
// main.(*handler).handle).
func (c *Client) Break(loc string) (Breakpoint, error) {
	var out createBreakpointOut
	err := c.c.Call("RPCServer.CreateBreakpoint", createBreakpointIn{LocExpr: loc}, &out)
	return out.Breakpoint, err
}

// Continue resumes the target; the call ends at the next stop (a
// breakpoint, a halt, the target's exit), with the state then.
func (c *Client) Continue() <-chan Stop {
	ch := make(chan Stop, 1)
	var out commandOut
	call := c.c.Go("RPCServer.Command", command{Name: "continue"}, &out, nil)
	go func() {
		<-call.Done
		ch <- Stop{State: out.State, Err: call.Error}
	}()
	return ch
}

// Stop is where a Continue ended.
type Stop struct {
	State State
	Err   error
}

// Close closes the connection; the target goes on (--accept-multiclient).
func (c *Client) Close() error { return c.c.Close() }
