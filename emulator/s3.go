package emulator

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// The server's own S3. Code over the 50 MB direct-upload limit reaches
// Lambda through S3 (lambda-api.md §4), so the local Lambda serves an
// S3-compatible endpoint (gofakes3, path-style) under S3Path on its own
// listener: a client uploads there with the real S3 client or
// `aws s3 cp`, then passes S3Bucket/S3Key to CreateFunction or
// UpdateFunctionCode, exactly as on AWS.
const (
	// S3Path is where the S3 endpoint is served: its URL is the server's
	// URL + S3Path (S3Endpoint). Clients must use path-style addressing
	// (the Go SDK's UsePathStyle; the AWS CLI does so for an IP address).
	S3Path = "/_lamb/s3"
	// DefaultS3Bucket exists from the start. Other buckets are created on
	// first use, so an artifact bucket named in a manifest works as is.
	DefaultS3Bucket = "lamb-local"
)

// S3Endpoint is the S3 endpoint of the local Lambda at baseURL
// ("http://127.0.0.1:9001" → "http://127.0.0.1:9001/_lamb/s3").
func S3Endpoint(baseURL string) string { return strings.TrimSuffix(baseURL, "/") + S3Path }

// s3Routes serves the S3 endpoint. Objects are kept in memory for the life
// of the server: Lambda copies the code at create and update, as AWS does,
// so the state directory does not need them.
func (s *Server) s3Routes(mux *http.ServeMux) {
	s.s3 = s3mem.New()
	if err := s.s3.CreateBucket(DefaultS3Bucket); err != nil {
		panic(err) // an empty in-memory backend cannot refuse
	}
	fake := gofakes3.New(s.s3, gofakes3.WithAutoBucket(true)).Server()
	h := http.StripPrefix(S3Path, fake)
	mux.Handle(S3Path+"/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e := checkContentType(r, bodyObject); e != nil {
			s.refuse(w, r, e)
			return
		}
		h.ServeHTTP(w, r)
	}))
}

// fetchS3 reads a deployment package from Options.S3Endpoint when it is
// set, else from the server's own S3.
func (s *Server) fetchS3(ctx context.Context, bucket, key, version string) ([]byte, error) {
	if s.opts.S3Endpoint != "" {
		return s.fetchRemoteS3(ctx, bucket, key, version)
	}
	var obj *gofakes3.Object
	var err error
	if version != "" {
		obj, err = s.s3.GetObjectVersion(bucket, key, gofakes3.VersionID(version), nil)
	} else {
		obj, err = s.s3.GetObject(bucket, key, nil)
	}
	if err != nil {
		code, msg := "InternalError", err.Error()
		switch {
		case gofakes3.HasErrorCode(err, gofakes3.ErrNoSuchBucket):
			code, msg = "NoSuchBucket", "The specified bucket does not exist"
		case gofakes3.HasErrorCode(err, gofakes3.ErrNoSuchKey), gofakes3.HasErrorCode(err, gofakes3.ErrNoSuchVersion):
			code, msg = "NoSuchKey", "The specified key does not exist."
		}
		return nil, invalidParam("Error occurred while GetObject. S3 Error Code: %s. S3 Error Message: %s", code, msg)
	}
	defer obj.Contents.Close()
	return readCode(obj.Contents)
}

// fetchRemoteS3 reads a deployment package from Options.S3Endpoint.
func (s *Server) fetchRemoteS3(ctx context.Context, bucket, key, version string) ([]byte, error) {
	cl := s3.New(s3.Options{
		Region:       s.opts.Region,
		BaseEndpoint: aws.String(s.opts.S3Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("lamb", "lamb", ""),
	})
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if version != "" {
		in.VersionId = aws.String(version)
	}
	out, err := cl.GetObject(ctx, in)
	if err != nil {
		code := "InternalError"
		var nsk *s3types.NoSuchKey
		var nsb *s3types.NoSuchBucket
		switch {
		case errors.As(err, &nsk):
			code = "NoSuchKey"
		case errors.As(err, &nsb):
			code = "NoSuchBucket"
		}
		return nil, invalidParam("Error occurred while GetObject. S3 Error Code: %s. S3 Error Message: %v", code, err)
	}
	defer out.Body.Close()
	return readCode(out.Body)
}

// readCode reads a package from S3, bounded as Lambda bounds it.
func readCode(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxUnzipped+1))
	if err != nil {
		return nil, invalidParam("Error occurred while GetObject: %v", err)
	}
	if len(b) > maxUnzipped {
		return nil, invalidParam("Unzipped size must be smaller than %d bytes", maxUnzipped)
	}
	return b, nil
}
