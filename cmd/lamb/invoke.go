package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/spf13/cobra"

	"github.com/lambctl/lamb/emulator/rapi"
	"github.com/lambctl/lamb/internal/devloop"
	"github.com/lambctl/lamb/internal/fsutil"
	"github.com/lambctl/lamb/internal/lambdaspec"
	"github.com/lambctl/lamb/internal/pipeline"
	"github.com/lambctl/lamb/manifest"
)

type invokeOptions struct {
	Event     string
	Qualifier string
	Tail      bool
	Debug     bool
	DebugPort int
	Env       []string
	Target    targetFlags
}

func newInvokeCmd(g *globalOptions) *cobra.Command {
	var o invokeOptions
	cmd := &cobra.Command{
		Use:   "invoke FUNCTION [--event FILE|-|JSON] [--local | --endpoint URL] [--qualifier Q]",
		Short: "Run a function once and print its answer and logs",
		Long: `invoke runs one function with an event and prints the response payload on stdout and the
function's logs, ending with the REPORT line, on stderr.

Without --local or --endpoint, the function is built for this machine and run directly in a
local Lambda runtime: no deploy needed. With --local it is invoked in the local Lambda over
.lamb/local (deploy it first with lamb deploy --local); with --endpoint, through the Lambda
API at URL (lamb local, or AWS itself).

--event takes a file, - for stdin, or inline JSON; the default event is {}.
The exit status is 1 when the function returned an error (the error payload is still printed).`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError(fmt.Errorf("invoke takes one function name, got %d arguments", len(args)))
			}
			return nil
		},
		ValidArgsFunction: g.completeFunctions,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Target.check(g); err != nil {
				return err
			}
			if err := g.checkOutput(); err != nil {
				return err
			}
			if o.Qualifier != "" && !o.Target.Local && o.Target.Endpoint == "" {
				return usageError(errors.New("--qualifier needs --local or --endpoint: a direct invoke runs the code in your checkout"))
			}
			if o.Debug && (o.Target.Local || o.Target.Endpoint != "") {
				return usageError(errors.New("--debug runs the checkout's code here under Delve: it takes no --local or --endpoint"))
			}
			if o.Debug && strings.TrimSpace(o.Event) == "-" {
				return usageError(errors.New("--debug reads stdin to let the invoke go once the debugger is attached: give --event as a file or inline JSON"))
			}
			env, err := parseEnvFlags(o.Env)
			if err != nil {
				return usageError(err)
			}
			if len(env) > 0 && (o.Target.Local || o.Target.Endpoint != "") {
				return usageError(errors.New("--env changes the environment of a run on this machine: a deployed function's environment is its configuration (lamb.yaml), not the invoke's"))
			}
			event, err := readEvent(o.Event, g.wd, cmd.InOrStdin())
			if err != nil {
				return usageError(err)
			}
			var out *invokeOutput
			if o.Debug {
				out, err = invokeDebug(cmd.Context(), g, args[0], event, env, o.DebugPort)
			} else if o.Target.Local || o.Target.Endpoint != "" {
				out, err = invokeTarget(cmd.Context(), g, &o, args[0], event)
			} else {
				out, err = invokeDirect(cmd.Context(), g, args[0], event, env)
			}
			if err != nil {
				return err
			}
			return out.write(g, o.Tail)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Event, "event", "e", "", "the event: a JSON `FILE`, - for stdin, or inline JSON (default {})")
	f.StringVar(&o.Qualifier, "qualifier", "", "invoke version or alias `Q` (with --local or --endpoint)")
	f.BoolVar(&o.Debug, "debug", false, "build without optimisations and run under Delve (headless on 127.0.0.1): attach, then press Enter to send the event; the timeout is suspended")
	f.StringArrayVar(&o.Env, "env", nil, "set `KEY=VALUE` in the function's environment for this run on this machine (repeatable)")
	f.IntVar(&o.DebugPort, "debug-port", devloop.DefaultDebugPort, "Delve's `PORT` with --debug")
	f.BoolVar(&o.Tail, "tail", true, "print the function's logs on stderr (with --endpoint: the last 4 KB, LogType Tail)")
	o.Target.registerInvoke(f)
	return cmd
}

// readEvent returns the event named by spec: "" is {}, "-" reads r, text
// starting with {, [ or " is inline JSON, anything else a file. The event
// must be JSON, as Lambda requires.
func readEvent(spec, wd string, r io.Reader) ([]byte, error) {
	var b []byte
	var err error
	switch t := strings.TrimSpace(spec); {
	case t == "":
		return []byte("{}"), nil
	case t == "-":
		if b, err = io.ReadAll(io.LimitReader(r, rapi.MaxResponseBytes+1)); err != nil {
			return nil, fmt.Errorf("--event -: %w", err)
		}
		spec = "stdin"
	case strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") || strings.HasPrefix(t, `"`):
		b, spec = []byte(spec), "inline event"
	default:
		name := spec
		if !filepath.IsAbs(name) {
			name = filepath.Join(wd, name)
		}
		if b, err = fsutil.ReadRegular(name, lambdaspec.SyncPayloadLimit+1); err != nil && !errors.Is(err, fsutil.ErrTooLarge) {
			var pe *fs.PathError
			if errors.As(err, &pe) { // named as given, not as resolved
				err = pe.Err
			}
			return nil, fmt.Errorf("--event: %s: %w", spec, err)
		}
	}
	if len(b) > rapi.MaxResponseBytes {
		return nil, fmt.Errorf("--event: %s is over the 6 MB synchronous invoke limit", spec)
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("--event: %s is not valid JSON", spec)
	}
	return b, nil
}

// invokeOutput is what an invoke prints.
type invokeOutput struct {
	Function        string          `json:"function"`
	ExecutedVersion string          `json:"executedVersion,omitempty"`
	FunctionError   string          `json:"functionError,omitempty"`
	Payload         json.RawMessage `json:"payload"`
	RequestID       string          `json:"requestId,omitempty"`
	ColdStart       *bool           `json:"coldStart,omitempty"`
	DurationMS      *float64        `json:"durationMs,omitempty"`
	logs            []byte
}

func (out *invokeOutput) write(g *globalOptions, tail bool) error {
	if tail && len(out.logs) > 0 {
		g.stderr.Write(out.logs)
		if !bytes.HasSuffix(out.logs, []byte("\n")) {
			io.WriteString(g.stderr, "\n")
		}
	}
	if g.Output == "json" {
		if !json.Valid(out.Payload) {
			p, _ := json.Marshal(string(out.Payload))
			out.Payload = p
		}
		if len(out.Payload) == 0 {
			out.Payload = json.RawMessage("null")
		}
		if err := deployWriteJSON(g.stdout, out); err != nil {
			return err
		}
	} else {
		g.stdout.Write(out.Payload)
		if len(out.Payload) > 0 && !bytes.HasSuffix(out.Payload, []byte("\n")) {
			io.WriteString(g.stdout, "\n")
		}
	}
	if out.FunctionError != "" {
		return fmt.Errorf("invoke %s: the function returned an error (%s)", out.Function, out.FunctionError)
	}
	return nil
}

// invokeTarget invokes through the Lambda API: the local Lambda (--local)
// or an endpoint.
func invokeTarget(ctx context.Context, g *globalOptions, o *invokeOptions, name string, event []byte) (*invokeOutput, error) {
	m, err := g.loadManifest()
	switch {
	case err == nil:
		f, ok := m.Lookup(name)
		if !ok {
			return nil, pipeline.UnknownFunctions(m, []string{name})
		}
		name = f.Name
	case o.Target.Local:
		return nil, err // the local Lambda lives in the manifest's root
	}
	t, err := o.Target.connect(ctx, g, m)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	in := &lambda.InvokeInput{FunctionName: aws.String(name), Payload: event}
	if o.Tail {
		in.LogType = lambdatypes.LogTypeTail
	}
	if o.Qualifier != "" {
		in.Qualifier = aws.String(o.Qualifier)
	}
	res, err := t.Lambda.Invoke(ctx, in)
	if err != nil {
		var nf *lambdatypes.ResourceNotFoundException
		if o.Target.Local && o.Qualifier == "" && errors.As(err, &nf) {
			return nil, fmt.Errorf("invoke %s: not deployed to the local Lambda: run lamb deploy --local first", name)
		}
		return nil, fmt.Errorf("invoke %s: %w", name, err)
	}
	out := &invokeOutput{Function: name, Payload: res.Payload, ExecutedVersion: aws.ToString(res.ExecutedVersion), FunctionError: aws.ToString(res.FunctionError)}
	if res.LogResult != nil {
		if out.logs, err = base64.StdEncoding.DecodeString(*res.LogResult); err != nil {
			return nil, fmt.Errorf("invoke %s: log result: %w", name, err)
		}
	}
	return out, nil
}

// invokeDirect builds the function for this machine and runs it in a local
// runtime, without any Lambda API.
func invokeDirect(ctx context.Context, g *globalOptions, name string, event []byte, env map[string]string) (*invokeOutput, error) {
	sel, err := g.selectFunctions(ctx, pipeline.SelectOptions{Names: []string{name}})
	if err != nil {
		return nil, err
	}
	host, err := lambdaspec.HostArch()
	if err != nil {
		return nil, err
	}
	// Built for this machine, into .lamb/dist-host: never replaces the
	// deploy architecture's zips in .lamb/dist.
	sel.Retarget(host)
	f := sel.Functions[0]
	bo := pipeline.BuildOptions{}
	if g.Verbose {
		bo.Progress = g.stderr
	}
	arts, err := sel.Build(ctx, nil, bo)
	if err != nil {
		return nil, err
	}
	if len(arts) != 1 {
		return nil, fmt.Errorf("invoke %s: no artifact was built", f.Name)
	}
	runner, err := rapi.NewRunner(rapi.RunnerOptions{})
	if err != nil {
		return nil, err
	}
	defer runner.Close()
	region := g.runRegion(sel.Manifest)
	res, err := runner.Invoke(ctx, rapi.InvokeRequest{
		FunctionName: f.Name,
		Version:      "$LATEST",
		CodeSha256:   arts[0].CodeSha256,
		ZipPath:      arts[0].Path,
		MemoryMB:     f.Memory,
		Timeout:      time.Duration(f.Timeout) * time.Second,
		Environment:  overlayEnv(f.Environment, env),
		Region:       region,
		Payload:      event,
	})
	if err != nil {
		return nil, err
	}
	dur := float64(res.Duration.Microseconds()) / 1000
	return &invokeOutput{
		Function: f.Name, ExecutedVersion: "$LATEST", FunctionError: res.FunctionError, Payload: res.Payload,
		RequestID: res.RequestID, ColdStart: &res.ColdStart, DurationMS: &dur, logs: res.Logs,
	}, nil
}

// runRegion is the region a function run on this machine sees
// (AWS_REGION in its environment): the stage's, else this shell's.
func (g *globalOptions) runRegion(m *manifest.Manifest) string {
	if m != nil && m.Stage != nil && m.Stage.Region != "" {
		return m.Stage.Region
	}
	return g.getenv("AWS_REGION")
}

// parseEnvFlags reads --env KEY=VALUE flags: names as Lambda takes them,
// not Lambda's own reserved variables.
func parseEnvFlags(flags []string) (map[string]string, error) {
	env := map[string]string{}
	for _, kv := range flags {
		k, v, ok := strings.Cut(kv, "=")
		switch {
		case !ok || !envNameRE.MatchString(k):
			return nil, fmt.Errorf("--env %q: want KEY=VALUE with KEY of letters, digits and _ (starting with a letter)", kv)
		case slices.Contains(lambdaspec.ReservedEnv, k):
			return nil, fmt.Errorf("--env %s: reserved by Lambda", k)
		}
		env[k] = v
	}
	return env, nil
}

// envNameRE is an environment variable name Lambda accepts.
var envNameRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]*$`)

// overlayEnv returns base with over's variables set on top.
func overlayEnv(base, over map[string]string) map[string]string {
	if len(over) == 0 {
		return base
	}
	out := maps.Clone(base)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, over)
	return out
}
