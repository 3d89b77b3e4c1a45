// Command gen writes a benchmark monorepo of N Lambda functions (see
// internal/benchgen):
//
//	go run ./bench/gen -out DIR -n 24
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/lambctl/lamb/internal/benchgen"
)

func main() {
	out := flag.String("out", "", "output directory (must not exist or be empty)")
	n := flag.Int("n", 24, "number of functions")
	tidy := flag.Bool("tidy", true, "run go mod tidy in the generated repository (needs the module proxy or cache)")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: gen -out DIR [-n N] [-tidy=false]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var opts []benchgen.Option
	if !*tidy {
		opts = append(opts, benchgen.WithoutTidy())
	}
	if err := benchgen.GenerateContext(ctx, *out, *n, opts...); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "gen: %d functions in %s\n", *n, *out)
}
