package emulator_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambctl/lamb/emulator"
	"github.com/lambctl/lamb/emulator/emulatortest"
)

// BenchmarkGetFunction is the deployer's most frequent call, through the SDK
// over HTTP.
func BenchmarkGetFunction(b *testing.B) {
	k := emulatortest.New(b)
	ctx := context.Background()
	if _, err := k.Lambda.CreateFunction(ctx, newCreateInput("fn", bootstrapZip(b, "x"))); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := k.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn")}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreatePersisted measures a create with the state persisted
// (atomic write and fsync per mutation).
func BenchmarkCreatePersisted(b *testing.B) {
	k := emulatortest.New(b, emulatortest.WithOptions(emulator.Options{StateDir: b.TempDir()}))
	ctx := context.Background()
	zip := bootstrapZip(b, "x")
	i := 0
	for b.Loop() {
		i++
		if _, err := k.Lambda.CreateFunction(ctx, newCreateInput(fmt.Sprintf("fn%d", i), zip)); err != nil {
			b.Fatal(err)
		}
	}
}
