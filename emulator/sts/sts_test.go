package sts

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	"github.com/lambctl/lamb/emulator/awsjson"
	"github.com/lambctl/lamb/emulator/awsjson/awstest"
)

// serve puts the service in front of a fallback that echoes what reached
// it, as the local Lambda mounts it.
func serve(t *testing.T, s *Service) (*awssts.Client, string) {
	t.Helper()
	fallback := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusTeapot)
		w.Write(b)
	})
	srv := httptest.NewServer(awsjson.Dispatch(fallback, s))
	t.Cleanup(srv.Close)
	c := awssts.NewFromConfig(awstest.Config(), func(o *awssts.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.RetryMaxAttempts = 1
	})
	return c, srv.URL
}

func TestGetCallerIdentity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts Options
		want []string
	}{
		{"defaults", Options{}, []string{"123456789012", "arn:aws:iam::123456789012:root", "123456789012"}},
		{"account", Options{AccountID: "000000000000"}, []string{"000000000000", "arn:aws:iam::000000000000:root", "000000000000"}},
		{"all", Options{AccountID: "111122223333", Arn: "arn:aws:iam::111122223333:user/dev", UserID: "AIDAEXAMPLE"},
			[]string{"111122223333", "arn:aws:iam::111122223333:user/dev", "AIDAEXAMPLE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := serve(t, New(tt.opts))
			out, err := c.GetCallerIdentity(context.Background(), &awssts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatal(err)
			}
			got := []string{aws.ToString(out.Account), aws.ToString(out.Arn), aws.ToString(out.UserId)}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestOtherActions(t *testing.T) {
	t.Parallel()
	c, _ := serve(t, New(Options{}))
	_, err := c.AssumeRole(context.Background(), &awssts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/r"), RoleSessionName: aws.String("s")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidAction" || !strings.Contains(ae.ErrorMessage(), "GetCallerIdentity only") {
		t.Errorf("AssumeRole: %v", err)
	}
}

func TestMatch(t *testing.T) {
	t.Parallel()
	_, url := serve(t, New(Options{}))
	tests := []struct {
		name, method, path, ctype, target, body string
		wantSTS                                 bool
	}{
		{"sts", "POST", "/", "application/x-www-form-urlencoded; charset=utf-8", "", "Action=GetCallerIdentity&Version=2011-06-15", true},
		{"no version", "POST", "/", "application/x-www-form-urlencoded", "", "Action=GetCallerIdentity", true},
		{"query string", "GET", "/?Action=GetCallerIdentity&Version=2011-06-15", "", "", "", true},
		{"cloudwatch query", "POST", "/", "application/x-www-form-urlencoded", "", "Action=GetMetricData&Version=2010-08-01", false},
		{"json target", "POST", "/", "application/x-amz-json-1.1", "AmazonSSM.GetParameter", "Action=GetCallerIdentity&Version=2011-06-15", false},
		{"lambda path", "POST", "/2015-03-31/functions", "application/x-www-form-urlencoded", "", "Action=GetCallerIdentity&Version=2011-06-15", false},
		{"json body", "POST", "/", "application/json", "", `{"Action":"GetCallerIdentity"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequest(tt.method, url+tt.path, strings.NewReader(tt.body))
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			if tt.target != "" {
				req.Header.Set("X-Amz-Target", tt.target)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if tt.wantSTS {
				if resp.StatusCode != 200 || !strings.Contains(string(b), "<Account>123456789012</Account>") || resp.Header.Get("Content-Type") != "text/xml" {
					t.Errorf("STS answered %d %s", resp.StatusCode, b)
				}
				return
			}
			// The fallback got the body intact.
			if resp.StatusCode != http.StatusTeapot || string(b) != tt.body {
				t.Errorf("fallback answered %d %q, want the body %q", resp.StatusCode, b, tt.body)
			}
		})
	}
}

func TestAWSCLI(t *testing.T) {
	t.Parallel()
	_, url := serve(t, New(Options{AccountID: "000000000000"}))
	stdout, stderr, err := awstest.CLI(t, url, "sts", "get-caller-identity")
	if err != nil {
		t.Fatalf("aws sts get-caller-identity: %v\n%s", err, stderr)
	}
	var got map[string]string
	if err := json.Unmarshal(stdout, &got); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	want := map[string]string{"Account": "000000000000", "Arn": "arn:aws:iam::000000000000:root", "UserId": "000000000000"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
