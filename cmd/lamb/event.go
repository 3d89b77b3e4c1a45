package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambctl/lamb/internal/eventgen"
)

type eventOptions struct {
	o          eventgen.Options
	headers    []string
	keys       string
	timeString string
}

func newEventCmd(g *globalOptions) *cobra.Command {
	var o eventOptions
	var kinds strings.Builder
	for _, k := range eventgen.Kinds() {
		fmt.Fprintf(&kinds, "  %-12s %s\n", k.Name, k.Help)
	}
	cmd := &cobra.Command{
		Use:   "event KIND [flags]",
		Short: "Print a ready event for a function: API Gateway, SQS, SNS, S3, EventBridge, schedule, DynamoDB",
		Long: `event prints an event of KIND as the AWS service sends it, built from the aws-lambda-go
events types, so it is what the handlers decode. Pipe it into lamb invoke:

  lamb event apigw-http --method POST --path /orders --body '{"items":[]}' | lamb invoke orders-create --event -

Kinds:
` + kinds.String(),
		Args: cobra.ExactArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			var out []cobra.Completion
			for _, k := range eventgen.Kinds() {
				out = append(out, cobra.CompletionWithDesc(k.Name, k.Help))
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.checkOutput("text", "json"); err != nil {
				return err
			}
			if o.timeString != "" {
				t, err := time.Parse(time.RFC3339, o.timeString)
				if err != nil {
					return usageError(fmt.Errorf("--time %q: want RFC 3339, e.g. 2026-11-29T10:00:00Z", o.timeString))
				}
				o.o.Time = t
			}
			for _, h := range o.headers {
				k, v, ok := strings.Cut(h, ":")
				if !ok || strings.TrimSpace(k) == "" {
					return usageError(fmt.Errorf("--header %q: want NAME:VALUE", h))
				}
				if o.o.Headers == nil {
					o.o.Headers = map[string]string{}
				}
				o.o.Headers[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
			if o.keys != "" {
				o.o.KeyAttributes = strings.Split(o.keys, ",")
			}
			b, err := eventgen.Generate(args[0], o.o)
			if err != nil {
				return usageError(err)
			}
			_, err = g.stdout.Write(b)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.o.Method, "method", "", "HTTP `METHOD` (apigw-http, apigw-rest; default GET, or POST with --body)")
	f.StringVar(&o.o.Path, "path", "", "request `PATH` with an optional ?query (default /)")
	f.StringVar(&o.o.Route, "route", "", "the matched route `KEY`, e.g. \"GET /orders/{id}\": gives routeKey and pathParameters")
	f.StringArrayVar(&o.headers, "header", nil, "request header `NAME:VALUE` (repeatable)")
	f.StringVar(&o.o.Body, "body", "", "HTTP body, SQS body, SNS message, or the DynamoDB item as a JSON object")
	f.StringVar(&o.o.Queue, "queue", "", "SQS queue `NAME` (default my-queue)")
	f.StringVar(&o.o.Topic, "topic", "", "SNS topic `NAME` (default my-topic)")
	f.StringVar(&o.o.Subject, "subject", "", "SNS subject")
	f.StringVar(&o.o.Bucket, "bucket", "", "S3 bucket (default my-bucket)")
	f.StringVar(&o.o.Key, "key", "", "S3 object key (default example/hello.txt)")
	f.Int64Var(&o.o.Size, "size", 0, "S3 object size in bytes (default 1024)")
	f.StringVar(&o.o.EventName, "event-name", "", "S3 event (default ObjectCreated:Put) or DynamoDB event (INSERT|MODIFY|REMOVE)")
	f.StringVar(&o.o.Source, "source", "", "EventBridge source (default com.example.app)")
	f.StringVar(&o.o.DetailType, "detail-type", "", "EventBridge detail-type (default \"Example Event\")")
	f.StringVar(&o.o.Detail, "detail", "", "EventBridge detail, a JSON object (default {})")
	f.StringVar(&o.o.Rule, "rule", "", "schedule rule `NAME` (default my-schedule)")
	f.StringVar(&o.o.Table, "table", "", "DynamoDB table (default my-table)")
	f.StringVar(&o.keys, "keys", "", "DynamoDB key attribute names, comma-separated (default id)")
	f.StringVar(&o.timeString, "time", "", "event time, RFC 3339 (default now)")
	f.StringVar(&o.o.ID, "id", "", "the event's identifier (request id, message id; default derived from the other inputs)")
	f.StringVar(&o.o.Region, "region", "", "`REGION` in ARNs (default us-east-1)")
	f.StringVar(&o.o.AccountID, "account", "", "account `ID` in ARNs (default 123456789012)")
	return cmd
}
