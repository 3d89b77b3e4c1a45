package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/lambctl/lamb/internal/failure"
	"github.com/lambctl/lamb/manifest"
)

// Exit codes shared by every command.
const (
	exitOK      = 0
	exitFailed  = 1 // an operation (build, deploy) failed
	exitUsage   = 2 // usage, manifest or input error, reported before any build or AWS call
	exitChanges = 2 // plan --detailed-exitcode: changes present
)

// proc is the process state one run of lamb uses: its streams and its
// environment. main passes the real ones; tests pass their own, so runs
// can go in parallel.
type proc struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads the environment (os.Getenv in main).
	Getenv func(string) string
	// Terminal reports that Stdin is a terminal someone can answer a
	// question on (a stage with confirm: true asks there).
	Terminal bool
}

// globalOptions are the flags every command takes, and the run's streams.
type globalOptions struct {
	Dir     string // -C
	File    string // -f, --file
	Stage   string // --stage
	Output  string // -o, --output: text|json (some commands accept more)
	Verbose bool   // -v
	Quiet   bool   // -q: errors only on stderr

	// wd is the working directory of this run: -C, else the process's.
	// lamb never changes the process's directory.
	wd string

	stdin  io.Reader
	stdout io.Writer
	// stderr is shared by the command, its progress display and
	// goroutines (the shared cache's warnings): every write is whole.
	stderr io.Writer
	getenv func(string) string
	// terminal: stdin is a terminal (see proc.Terminal).
	terminal bool
}

// applyDir makes -C the run's working directory (relative to the
// process's). Completions call it too: they run without PersistentPreRunE.
func (g *globalOptions) applyDir() error {
	wd, err := os.Getwd()
	if err != nil {
		return usageError(err)
	}
	if g.Dir != "" {
		d := g.Dir
		if !filepath.IsAbs(d) {
			d = filepath.Join(wd, d)
		}
		fi, err := os.Stat(d)
		if err != nil {
			return usageError(fmt.Errorf("-C: %w", err))
		}
		if !fi.IsDir() {
			return usageError(fmt.Errorf("-C %s: not a directory", g.Dir))
		}
		wd = filepath.Clean(d)
	}
	g.wd = wd
	return nil
}

// path returns p (a flag's path) relative to the run's working directory.
func (g *globalOptions) path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(g.wd, p)
}

// rel names an absolute path relative to the run's working directory when
// that is shorter, as the go command names files.
func (g *globalOptions) rel(p string) string { return manifest.ShortPathFrom(g.wd, p) }

// usageError marks err as bad input or configuration: exit 2.
func usageError(err error) error { return failure.Usage(err) }

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

// commands are lamb's subcommands, in help order.
var commands = []func(*globalOptions) *cobra.Command{
	newValidateCmd,
	newListCmd,
	newInitCmd,
	newFingerprintCmd,
	newAffectedCmd,
	newGraphCmd,
	newBuildCmd,
	newPlanCmd,
	newDeployCmd,
	newRollbackCmd,
	newInvokeCmd,
	newEventCmd,
	newLocalCmd,
	newDevCmd, newLogsCmd, // issue 12
	newSizeCmd, // issue 15
	newCacheCmd,
	newVersionCmd,
}

func newRootCmd(g *globalOptions) *cobra.Command {
	root := &cobra.Command{
		Use:           "lamb",
		Short:         "Build and deploy only the Lambda functions a change affects",
		Long:          "lamb reads a Go monorepo's package graph, works out which Lambda functions a change affects,\nbuilds them into minimal reproducible zips and deploys only those.",
		SilenceUsage:  true,
		SilenceErrors: true,
		// Any argument that is not a command is a usage error, with the
		// hint cobra would give.
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			msg := fmt.Sprintf("unknown command %q for \"lamb\"", args[0])
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(s, ", "))
			}
			return usageError(errors.New(msg))
		},
		RunE:              func(cmd *cobra.Command, args []string) error { return cmd.Help() },
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error { return g.applyDir() },
	}
	pf := root.PersistentFlags()
	pf.StringVarP(&g.Dir, "dir", "C", "", "run as if lamb was started in `DIR`")
	pf.StringVarP(&g.File, "file", "f", "", "manifest `PATH` (default: lamb.yaml, found by walking up from the working directory)")
	pf.StringVar(&g.Stage, "stage", "", "stage `NAME` from the manifest's stages")
	pf.StringVarP(&g.Output, "output", "o", "text", "output format: text|json (affected and plan also take matrix)")
	pf.BoolVarP(&g.Verbose, "verbose", "v", false, "verbose progress and timings on stderr")
	pf.BoolVarP(&g.Quiet, "quiet", "q", false, "print only errors on stderr (no progress)")
	root.SetIn(g.stdin)
	root.SetOut(g.stdout)
	root.SetErr(g.stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError(flagHint(c, err)) })
	for _, f := range commands {
		root.AddCommand(f(g))
	}
	registerCompletions(root, g)
	typedArgs(root)
	return root
}

// typedArgs makes every command's argument errors usage errors: cobra's
// own validators return untyped errors.
func typedArgs(c *cobra.Command) {
	if c.Args != nil {
		args := c.Args
		c.Args = func(cmd *cobra.Command, a []string) error { return usageError(args(cmd, a)) }
	}
	for _, sub := range c.Commands() {
		typedArgs(sub)
	}
}

// flagHint adds to an unknown-flag error on the root command the command
// that has the flag (lamb --local deploy → lamb deploy --local).
func flagHint(c *cobra.Command, err error) error {
	if c.HasParent() {
		return err
	}
	msg := err.Error()
	name, ok := strings.CutPrefix(msg, "unknown flag: --")
	if !ok {
		return err
	}
	var owners []string
	for _, sub := range c.Commands() {
		if sub.Flags().Lookup(name) != nil {
			owners = append(owners, sub.Name())
		}
	}
	if len(owners) == 0 {
		return err
	}
	return fmt.Errorf("%s: --%s is a flag of %s: put it after the command (lamb %s --%s ...)", msg, name, strings.Join(owners, ", "), owners[0], name)
}

// run executes lamb with args and returns the process exit code. Every
// failure is printed on its own line starting with "lamb: " (manifest
// problems compiler style, file:line:col: message), continuation lines
// indented; the exit code comes from the error's type.
func run(ctx context.Context, args []string, p proc) int {
	if p.Getenv == nil {
		p.Getenv = func(string) string { return "" }
	}
	if p.Stdin == nil {
		p.Stdin = strings.NewReader("")
	}
	g := &globalOptions{stdin: p.Stdin, stdout: p.Stdout, stderr: &lockedWriter{w: p.Stderr}, getenv: p.Getenv, terminal: p.Terminal}
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
	printErrors(g.stderr, err)
	// In GitHub Actions, manifest problems also become annotations at
	// their lines (ci.go).
	annotateManifestErrors(g, err)
	switch {
	case failure.IsUsage(err):
		return exitUsage
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return 130 // interrupted, as a shell reports SIGINT
	}
	return exitFailed
}

// printErrors writes err to w: manifest problems one a line as
// file:line:col: message, everything else one failure a line after
// "lamb: ".
func printErrors(w io.Writer, err error) {
	var b strings.Builder
	for _, e := range failure.Flatten(err) {
		var merrs manifest.Errors
		if errors.As(e, &merrs) {
			b.WriteString(merrs.Error())
			b.WriteByte('\n')
			continue
		}
		for _, l := range failure.Lines("lamb: ", e) {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	io.WriteString(w, b.String())
}

// lockedWriter makes each Write whole when several goroutines (the
// progress display, the shared cache's warnings, the deployer's log)
// write to one stream. run wraps stderr in one once.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
