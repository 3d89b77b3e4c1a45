package emulator_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"net/http/httptest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambctl/lamb/emulator"
)

// The local Lambda is an http.Handler: serve it, and point the AWS SDK at
// it. (In tests, emulatortest.New does all of this in one call.)
func Example() {
	srv, err := emulator.New(emulator.Options{}) // state in memory; Options.Runtime runs code
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(srv)
	defer ts.Close()

	ctx := context.Background()
	client := lambda.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("any", "any", ""),
	}, func(o *lambda.Options) { o.BaseEndpoint = aws.String(ts.URL) })

	var pkg bytes.Buffer
	zw := zip.NewWriter(&pkg)
	w, _ := zw.Create("bootstrap")
	w.Write([]byte("#!/bin/sh\n"))
	zw.Close()

	created, err := client.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("hello"),
		Runtime:      types.RuntimeProvidedal2023,
		Handler:      aws.String("bootstrap"),
		Role:         aws.String("arn:aws:iam::123456789012:role/lambda"),
		Code:         &types.FunctionCode{ZipFile: pkg.Bytes()},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created:", created.State, aws.ToString(created.FunctionArn))

	// As on AWS, the function becomes Active asynchronously: wait for it.
	waiter := lambda.NewFunctionActiveV2Waiter(client, func(o *lambda.FunctionActiveV2WaiterOptions) { o.MinDelay = 10 * time.Millisecond })
	if err := waiter.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("hello")}, 10*time.Second); err != nil {
		log.Fatal(err)
	}
	cfg, err := client.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("hello")})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("now:", cfg.State, cfg.LastUpdateStatus)

	// Errors are AWS's, so the SDK's typed errors work.
	_, err = client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("nope")})
	var nf *types.ResourceNotFoundException
	fmt.Println("missing:", errors.As(err, &nf), aws.ToString(nf.Message))

	// The call log says what a client did: here, one mutating call.
	for _, c := range srv.Calls() {
		if c.Mutating {
			fmt.Println("mutating:", c.Op, c.Function, c.Status)
		}
	}
	// Output:
	// created: Pending arn:aws:lambda:us-east-1:123456789012:function:hello
	// now: Active Successful
	// missing: true Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope
	// mutating: CreateFunction hello 201
}
