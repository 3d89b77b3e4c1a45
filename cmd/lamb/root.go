package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/lambctl/lamb/manifest"
	"github.com/spf13/cobra"
)

// Exit codes shared by every command.
const (
	exitOK      = 0
	exitFailed  = 1 // an operation (build, deploy) failed
	exitUsage   = 2 // usage, manifest or input error, reported before any build or AWS call
	exitChanges = 2 // plan --detailed-exitcode: changes present
)

// globalOptions are the flags every command takes.
type globalOptions struct {
	Dir     string // -C
	File    string // -f, --file
	Stage   string // --stage
	Output  string // -o, --output: text|json (some commands accept more)
	Verbose bool   // -v
	Quiet   bool   // -q: errors only on stderr

	stdout io.Writer
	stderr io.Writer
}

// exitError carries an exit code through cobra's error return.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError marks err as bad input or configuration: exit 2.
func usageError(err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: exitUsage, err: err}
}

// checkOutput returns a usage error unless -o is one of formats (text and
// json when none are given). Commands call it first in RunE.
func (g *globalOptions) checkOutput(formats ...string) error {
	if len(formats) == 0 {
		formats = []string{"text", "json"}
	}
	if slices.Contains(formats, g.Output) {
		return nil
	}
	return usageError(fmt.Errorf("unknown output format %q (want %s)", g.Output, strings.Join(formats, "|")))
}

// silentExit exits with code without printing anything more.
type silentExit int

func (s silentExit) Error() string { return fmt.Sprintf("exit %d", int(s)) }

// commands holds the constructors of the subcommands; each command's file
// registers itself from init, so adding a command touches one file.
var commands []func(*globalOptions) *cobra.Command

func registerCommand(f func(*globalOptions) *cobra.Command) { commands = append(commands, f) }

func newRootCmd(g *globalOptions) *cobra.Command {
	root := &cobra.Command{
		Use:           "lamb",
		Short:         "Build and deploy only the Lambda functions a change affects",
		Long:          "lamb reads a Go monorepo's package graph, works out which Lambda functions a change affects,\nbuilds them into minimal reproducible zips and deploys only those.",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if g.Dir != "" {
				if err := os.Chdir(g.Dir); err != nil {
					return usageError(fmt.Errorf("-C: %w", err))
				}
			}
			return nil
		},
	}
	pf := root.PersistentFlags()
	pf.StringVarP(&g.Dir, "dir", "C", "", "run as if lamb was started in `DIR`")
	pf.StringVarP(&g.File, "file", "f", "", "manifest `PATH` (default: lamb.yaml, found by walking up from the working directory)")
	pf.StringVar(&g.Stage, "stage", "", "stage `NAME` from the manifest's stages")
	pf.StringVarP(&g.Output, "output", "o", "text", "output format: text|json (affected and plan also take matrix)")
	pf.BoolVarP(&g.Verbose, "verbose", "v", false, "verbose progress and timings on stderr")
	pf.BoolVarP(&g.Quiet, "quiet", "q", false, "print only errors on stderr (no progress)")
	root.SetOut(g.stdout)
	root.SetErr(g.stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError(err) })
	for _, f := range commands {
		root.AddCommand(f(g))
	}
	registerCompletions(root, g)
	return root
}

// run executes lamb with args and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	g := &globalOptions{stdout: stdout, stderr: stderr}
	root := newRootCmd(g)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var s silentExit
	if errors.As(err, &s) {
		return int(s)
	}
	var merrs manifest.Errors
	if errors.As(err, &merrs) {
		// One problem a line, compiler style: lamb.yaml:12:5: message.
		fmt.Fprintln(stderr, merrs.Error())
	} else {
		fmt.Fprintf(stderr, "lamb: %v\n", err)
	}
	// In GitHub Actions, manifest problems also become annotations at
	// their lines (ci.go).
	annotateManifestErrors(stderr, err)
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	if isCobraUsageError(err) {
		return exitUsage
	}
	return exitFailed
}
