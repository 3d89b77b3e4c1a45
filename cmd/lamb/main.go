// Command lamb builds and deploys the AWS Lambda functions of a Go monorepo:
// only the ones a change affects, as minimal reproducible zips.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"
)

func main() { os.Exit(runProcess(os.Args[1:])) }

// runProcess runs lamb as this process: its streams, its environment, and
// a context that SIGINT and SIGTERM cancel.
func runProcess(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, args, proc{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Terminal: term.IsTerminal(int(os.Stdin.Fd()))})
}
