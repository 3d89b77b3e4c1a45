package emulator

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// BenchmarkGetFunction is the deployer's most frequent call, through the SDK
// over HTTP.
func BenchmarkGetFunction(b *testing.B) {
	s, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(s)
	defer func() { ts.Close(); s.Close() }()
	c := newClient(ts.URL, 1)
	ctx := context.Background()
	if _, err := c.CreateFunction(ctx, newCreateInput("fn", bootstrapZip(b, "x"))); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn")}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreatePersisted measures a create with the state persisted
// (atomic write and fsync per mutation).
func BenchmarkCreatePersisted(b *testing.B) {
	s, err := New(Options{StateDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(s)
	defer func() { ts.Close(); s.Close() }()
	c := newClient(ts.URL, 1)
	ctx := context.Background()
	zip := bootstrapZip(b, "x")
	i := 0
	for b.Loop() {
		i++
		if _, err := c.CreateFunction(ctx, newCreateInput(fmt.Sprintf("fn%d", i), zip)); err != nil {
			b.Fatal(err)
		}
	}
}
