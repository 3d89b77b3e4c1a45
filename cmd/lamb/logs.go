package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/spf13/cobra"

	"github.com/lambctl/lamb/internal/pipeline"
	"github.com/lambctl/lamb/manifest"
)

type logsOptions struct {
	Since    string
	Follow   bool
	Filter   string
	Local    bool
	Endpoint string
	// Poll is the first interval of --follow's polling (hidden; tests
	// shorten it). Empty polls back off to 8 times it.
	Poll time.Duration
}

func newLogsCmd(g *globalOptions) *cobra.Command {
	var o logsOptions
	cmd := &cobra.Command{
		Use:   "logs FUNCTION [--since 10m] [--follow] [--filter PATTERN] [--local | --endpoint URL]",
		Short: "Print a function's logs (CloudWatch Logs, or the local Lambda's)",
		Long: `logs prints the log events of a function's log group, /aws/lambda/<name>, one a line:
the time (UTC), the request id of the invoke that wrote it (- outside invokes) and the
message. --follow keeps polling for new events until interrupted.

--filter takes a CloudWatch Logs filter pattern: terms ("ERROR"), quoted phrases,
?alternatives and -exclusions. --since is a duration before now (10m, 2h) or an
RFC 3339 time.

With --local it reads the logs of the local Lambda in .lamb/local; with --endpoint,
those of the CloudWatch Logs API at URL (a lamb local serves its functions' logs
there); otherwise AWS's, with the SDK's usual configuration.`,
		Example: `  lamb logs orders-get --since 1h
  lamb logs orders-get --follow --filter ERROR
  lamb logs orders-get --endpoint http://127.0.0.1:9001`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError(fmt.Errorf("logs takes one function name, got %d arguments", len(args)))
			}
			return nil
		},
		ValidArgsFunction: g.completeFunctions,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLogs(cmd.Context(), g, args[0], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Since, "since", "10m", "print events from `WHEN` on: a duration before now (10m, 2h) or an RFC 3339 time")
	f.BoolVarP(&o.Follow, "follow", "F", false, "keep printing new events until interrupted")
	f.StringVar(&o.Filter, "filter", "", "CloudWatch Logs filter `PATTERN`")
	f.BoolVar(&o.Local, "local", false, "read the local Lambda's logs (.lamb/local) instead of AWS's")
	f.StringVar(&o.Endpoint, "endpoint", "", "send CloudWatch Logs calls to `URL` (a lamb local) instead of AWS")
	f.DurationVar(&o.Poll, "poll", time.Second, "--follow's polling interval")
	f.MarkHidden("poll")
	return cmd
}

// parseSince reads --since: a duration before now, or an RFC 3339 time.
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("--since %s: must not be negative", s)
		}
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--since %q: want a duration (10m, 2h) or an RFC 3339 time (2026-01-02T15:04:05Z)", s)
}

func runLogs(ctx context.Context, g *globalOptions, name string, o logsOptions) error {
	topts := pipeline.TargetOptions{Local: o.Local, Endpoint: o.Endpoint, Getenv: g.getenv}
	if err := topts.Check(); err != nil {
		return err
	}
	since, err := parseSince(o.Since, time.Now())
	if err != nil {
		return usageError(err)
	}
	if o.Poll <= 0 {
		return usageError(fmt.Errorf("--poll %v: must be positive", o.Poll))
	}
	m, merr := g.loadManifest()
	switch {
	case merr == nil:
		f, ok := m.Lookup(name)
		if !ok {
			return pipeline.UnknownFunctions(m, []string{name})
		}
		name = f.Name
	case o.Local:
		return merr // the local Lambda lives in the manifest's root
	case o.Endpoint == "":
		// AWS without a manifest: the name is the function's as it is.
		m = nil
	}
	client, closeFn, err := logsClient(ctx, g, m, topts)
	if err != nil {
		return err
	}
	defer closeFn()
	return followLogs(ctx, client, g.stdout, "/aws/lambda/"+name, since, o)
}

// logsClient returns a CloudWatch Logs client for the target: the local
// Lambda (started here, over .lamb/local), an endpoint, or AWS — connected
// as every command connects (--profile, --region, the stage's region).
func logsClient(ctx context.Context, g *globalOptions, m *manifest.Manifest, o pipeline.TargetOptions) (*cloudwatchlogs.Client, func(), error) {
	t, err := pipeline.Connect(ctx, m, o)
	if err != nil {
		return nil, nil, err
	}
	return t.Logs, func() { t.Close() }, nil
}

// logsAPI is the part of CloudWatch Logs lamb logs calls.
type logsAPI interface {
	FilterLogEvents(context.Context, *cloudwatchlogs.FilterLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
}

// followLogs prints the group's events from since on, and with o.Follow
// keeps polling (backing off while nothing comes) until ctx is done.
// Events are de-duplicated by id: each poll starts at the newest
// timestamp seen, which the last page may share with events not seen.
func followLogs(ctx context.Context, c logsAPI, w io.Writer, group string, since time.Time, o logsOptions) error {
	p := &logPrinter{w: w, reqs: map[string]string{}}
	seen := map[string]int64{} // event id → timestamp
	start := since.UnixMilli()
	interval := o.Poll
	for {
		n, newest, err := pollLogs(ctx, c, p, group, start, o.Filter, seen)
		if err != nil {
			var nf *logstypes.ResourceNotFoundException
			if errors.As(err, &nf) {
				if !o.Follow {
					return fmt.Errorf("logs: %s: no such log group (has the function run yet?)", group)
				}
			} else if ctx.Err() != nil {
				return nil
			} else {
				return fmt.Errorf("logs: %s: %w", group, err)
			}
		}
		if !o.Follow {
			return nil
		}
		if newest > 0 {
			start = newest
			for id, ts := range seen {
				if ts < newest {
					delete(seen, id) // the next poll starts at newest
				}
			}
		}
		if n > 0 {
			interval = o.Poll
		} else {
			interval = min(interval*2, 8*o.Poll)
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// pollLogs prints the events from start on that are not in seen, every
// page of them, and returns how many it printed and the newest timestamp.
func pollLogs(ctx context.Context, c logsAPI, p *logPrinter, group string, start int64, filter string, seen map[string]int64) (int, int64, error) {
	in := &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(group), StartTime: aws.Int64(start)}
	if filter != "" {
		in.FilterPattern = aws.String(filter)
	}
	n, newest := 0, int64(0)
	for {
		out, err := c.FilterLogEvents(ctx, in)
		if err != nil {
			return n, newest, err
		}
		for _, ev := range out.Events {
			id := aws.ToString(ev.EventId)
			ts := aws.ToInt64(ev.Timestamp)
			newest = max(newest, ts)
			if _, dup := seen[id]; dup && id != "" {
				continue
			}
			seen[id] = ts
			p.print(ev)
			n++
		}
		if out.NextToken == nil || aws.ToString(out.NextToken) == aws.ToString(in.NextToken) {
			return n, newest, nil
		}
		in.NextToken = out.NextToken
	}
}

// logPrinter prints events with their time and request id. Lambda's own
// lines name the request (START, END, REPORT RequestId: ...); the lines a
// function writes between START and END of one stream belong to that
// request, and JSON lines may carry a requestId field.
type logPrinter struct {
	w    io.Writer
	reqs map[string]string // log stream → the request running in it
}

func (p *logPrinter) print(ev logstypes.FilteredLogEvent) {
	msg := strings.TrimRight(aws.ToString(ev.Message), "\n")
	stream := aws.ToString(ev.LogStreamName)
	req := p.reqs[stream]
	for _, pre := range []string{"START RequestId: ", "END RequestId: ", "REPORT RequestId: "} {
		if rest, ok := strings.CutPrefix(msg, pre); ok {
			id, _, _ := strings.Cut(rest, " ")
			id, _, _ = strings.Cut(id, "\t")
			req = id
			if pre == "START RequestId: " {
				p.reqs[stream] = id
			} else if pre == "END RequestId: " {
				delete(p.reqs, stream)
			}
		}
	}
	if strings.HasPrefix(msg, "{") {
		var j struct {
			RequestID string `json:"requestId"`
		}
		if json.Unmarshal([]byte(msg), &j) == nil && j.RequestID != "" {
			req = j.RequestID
		}
	}
	if req == "" {
		req = "-"
	}
	t := time.UnixMilli(aws.ToInt64(ev.Timestamp)).UTC().Format("2006-01-02T15:04:05.000Z")
	fmt.Fprintf(p.w, "%s %s %s\n", t, req, msg)
}
