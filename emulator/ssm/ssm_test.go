package ssm

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	"github.com/lambctl/lamb/emulator/awsjson/awstest"
	"github.com/lambctl/lamb/emulator/awsjson/statefile"
)

var t0 = time.Date(2025, 3, 4, 5, 6, 7, 890e6, time.UTC)

// start serves a Service over a real listener and returns a client for it.
func start(t *testing.T, opts Options) (*Service, *awsssm.Client, string) {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	s.now = func() time.Time { return t0 }
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c := awsssm.NewFromConfig(awstest.Config(), func(o *awsssm.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.RetryMaxAttempts = 1
	})
	return s, c, srv.URL
}

func put(t *testing.T, c *awsssm.Client, name, value string, typ types.ParameterType) int64 {
	t.Helper()
	out, err := c.PutParameter(context.Background(), &awsssm.PutParameterInput{Name: aws.String(name), Value: aws.String(value), Type: typ, Overwrite: aws.Bool(true)})
	if err != nil {
		t.Fatalf("PutParameter %s: %v", name, err)
	}
	return out.Version
}

func TestGetPutDelete(t *testing.T) {
	t.Parallel()
	_, c, _ := start(t, Options{})
	ctx := context.Background()

	out, err := c.PutParameter(ctx, &awsssm.PutParameterInput{Name: aws.String("/app/db/url"), Value: aws.String("postgres://db"), Type: types.ParameterTypeString})
	if err != nil {
		t.Fatal(err)
	}
	if out.Version != 1 || out.Tier != types.ParameterTierStandard {
		t.Errorf("PutParameter = version %d tier %s", out.Version, out.Tier)
	}
	got, err := c.GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String("/app/db/url")})
	if err != nil {
		t.Fatal(err)
	}
	want := types.Parameter{
		ARN: aws.String("arn:aws:ssm:us-east-1:123456789012:parameter/app/db/url"), DataType: aws.String("text"),
		LastModifiedDate: aws.Time(t0), Name: aws.String("/app/db/url"), Type: types.ParameterTypeString,
		Value: aws.String("postgres://db"), Version: 1,
	}
	if diff := cmp.Diff(want, *got.Parameter, cmpParam); diff != "" {
		t.Errorf("GetParameter (-want +got):\n%s", diff)
	}

	_, err = c.PutParameter(ctx, &awsssm.PutParameterInput{Name: aws.String("/app/db/url"), Value: aws.String("x"), Type: types.ParameterTypeString})
	var exists *types.ParameterAlreadyExists
	if !errors.As(err, &exists) || !strings.Contains(err.Error(), "set the overwrite option") {
		t.Errorf("PutParameter without Overwrite: %v, want ParameterAlreadyExists", err)
	}
	// Overwrite keeps the type when none is given, and counts versions.
	out, err = c.PutParameter(ctx, &awsssm.PutParameterInput{Name: aws.String("/app/db/url"), Value: aws.String("postgres://db2"), Overwrite: aws.Bool(true)})
	if err != nil || out.Version != 2 {
		t.Fatalf("PutParameter Overwrite = %+v, %v", out, err)
	}
	// A version selector and an ARN name the parameter too.
	for _, name := range []string{"/app/db/url:1", "arn:aws:ssm:us-east-1:123456789012:parameter/app/db/url:1"} {
		got, err = c.GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String(name)})
		if err != nil {
			t.Fatalf("GetParameter %s: %v", name, err)
		}
		if v := aws.ToString(got.Parameter.Value); v != "postgres://db" || aws.ToString(got.Parameter.Selector) != ":1" || aws.ToString(got.Parameter.Name) != "/app/db/url" {
			t.Errorf("GetParameter %s = %s %s %s", name, v, aws.ToString(got.Parameter.Selector), aws.ToString(got.Parameter.Name))
		}
	}
	_, err = c.GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String("/app/db/url:9")})
	var vnf *types.ParameterVersionNotFound
	if !errors.As(err, &vnf) {
		t.Errorf("GetParameter of a missing version: %v", err)
	}

	if _, err := c.DeleteParameter(ctx, &awsssm.DeleteParameterInput{Name: aws.String("/app/db/url")}); err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func() error{
		"GetParameter": func() error {
			_, err := c.GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String("/app/db/url")})
			return err
		},
		"DeleteParameter": func() error {
			_, err := c.DeleteParameter(ctx, &awsssm.DeleteParameterInput{Name: aws.String("/app/db/url")})
			return err
		},
	} {
		var nf *types.ParameterNotFound
		if err := call(); !errors.As(err, &nf) {
			t.Errorf("%s of a deleted parameter: %v, want *types.ParameterNotFound", name, err)
		}
	}
}

var cmpParam = cmp.AllowUnexported(types.Parameter{})

func TestSecureString(t *testing.T) {
	t.Parallel()
	_, c, _ := start(t, Options{})
	ctx := context.Background()
	const secret = "hunter2-very-secret"
	put(t, c, "/app/password", secret, types.ParameterTypeSecureString)

	plain, err := c.GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String("/app/password"), WithDecryption: aws.Bool(true)})
	if err != nil || aws.ToString(plain.Parameter.Value) != secret {
		t.Fatalf("GetParameter WithDecryption = %v, %v", plain, err)
	}
	var standIns []string
	for range 2 {
		enc, err := c.GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String("/app/password")})
		if err != nil {
			t.Fatal(err)
		}
		standIns = append(standIns, aws.ToString(enc.Parameter.Value))
	}
	if standIns[0] == "" || strings.Contains(standIns[0], secret) || standIns[0] != standIns[1] {
		t.Errorf("stand-ins %q: want one opaque value, not the secret", standIns)
	}
	// GetParameters and GetParametersByPath hide it the same way.
	many, err := c.GetParameters(ctx, &awsssm.GetParametersInput{Names: []string{"/app/password", "/app/missing"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(many.Parameters) != 1 || aws.ToString(many.Parameters[0].Value) != standIns[0] {
		t.Errorf("GetParameters = %+v", many.Parameters)
	}
	if diff := cmp.Diff([]string{"/app/missing"}, many.InvalidParameters); diff != "" {
		t.Errorf("InvalidParameters (-want +got):\n%s", diff)
	}
	byPath, err := c.GetParametersByPath(ctx, &awsssm.GetParametersByPathInput{Path: aws.String("/app")})
	if err != nil || len(byPath.Parameters) != 1 || aws.ToString(byPath.Parameters[0].Value) != standIns[0] {
		t.Errorf("GetParametersByPath = %+v, %v", byPath, err)
	}
	// A new version gets a new stand-in.
	put(t, c, "/app/password", secret, types.ParameterTypeSecureString)
	enc, _ := c.GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String("/app/password")})
	if aws.ToString(enc.Parameter.Value) == standIns[0] {
		t.Error("the stand-in did not change with the version")
	}
}

func TestGetParametersByPathPaging(t *testing.T) {
	t.Parallel()
	_, c, _ := start(t, Options{})
	ctx := context.Background()
	for _, n := range []string{"/a/1", "/a/2", "/a/3", "/a/b/4", "/a/b/c/5", "/ab/6", "/z", "top"} {
		put(t, c, n, "v", types.ParameterTypeString)
	}
	tests := []struct {
		path      string
		recursive bool
		want      []string
	}{
		{"/a", false, []string{"/a/1", "/a/2", "/a/3"}},
		{"/a/", true, []string{"/a/1", "/a/2", "/a/3", "/a/b/4", "/a/b/c/5"}},
		{"/a/b", true, []string{"/a/b/4", "/a/b/c/5"}},
		{"/", false, []string{"/z"}},
		{"/", true, []string{"/a/1", "/a/2", "/a/3", "/a/b/4", "/a/b/c/5", "/ab/6", "/z"}},
		{"/nothing", true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			var got []string
			pages := 0
			p := awsssm.NewGetParametersByPathPaginator(c, &awsssm.GetParametersByPathInput{
				Path: aws.String(tt.path), Recursive: aws.Bool(tt.recursive), MaxResults: aws.Int32(2)})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				pages++
				if len(page.Parameters) > 2 {
					t.Errorf("page of %d > MaxResults", len(page.Parameters))
				}
				for _, prm := range page.Parameters {
					got = append(got, aws.ToString(prm.Name))
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("names (-want +got):\n%s", diff)
			}
			if want := max(1, (len(tt.want)+1)/2); pages != want {
				t.Errorf("%d pages, want %d", pages, want)
			}
		})
	}
	_, err := c.GetParametersByPath(ctx, &awsssm.GetParametersByPathInput{Path: aws.String("/a"), NextToken: aws.String("!!")})
	var bad *types.InvalidNextToken
	if !errors.As(err, &bad) {
		t.Errorf("bad NextToken: %v", err)
	}
}

func TestPutParameterValidation(t *testing.T) {
	t.Parallel()
	_, c, _ := start(t, Options{})
	ctx := context.Background()
	const secret = "s3cr3t-value"
	long := strings.Repeat("x", MaxStandardValue+1)
	tests := []struct {
		name string
		in   awsssm.PutParameterInput
		code string
	}{
		{"aws prefix", awsssm.PutParameterInput{Name: aws.String("/AWS/x"), Type: "String"}, "ValidationException"},
		{"ssm prefix", awsssm.PutParameterInput{Name: aws.String("ssmthing"), Type: "String"}, "ValidationException"},
		{"relative path", awsssm.PutParameterInput{Name: aws.String("a/b"), Type: "String"}, "ValidationException"},
		{"bad character", awsssm.PutParameterInput{Name: aws.String("/a b"), Type: "String"}, "ValidationException"},
		{"trailing slash", awsssm.PutParameterInput{Name: aws.String("/a/"), Type: "String"}, "ValidationException"},
		{"too long", awsssm.PutParameterInput{Name: aws.String("/" + strings.Repeat("n", MaxNameLength-len("arn:aws:ssm:us-east-1:123456789012:parameter/")+1)), Type: "String"}, "ValidationException"},
		{"too deep", awsssm.PutParameterInput{Name: aws.String(strings.Repeat("/a", 16)), Type: "String"}, "HierarchyLevelLimitExceededException"},
		{"no type", awsssm.PutParameterInput{Name: aws.String("/new")}, "ValidationException"},
		{"bad type", awsssm.PutParameterInput{Name: aws.String("/new"), Type: "Blob"}, "ValidationException"},
		{"too long for standard", awsssm.PutParameterInput{Name: aws.String("/big"), Type: "String", Value: aws.String(long)}, "ValidationException"},
		{"pattern", awsssm.PutParameterInput{Name: aws.String("/p"), Type: "SecureString", AllowedPattern: aws.String("[0-9]+")}, "ParameterPatternMismatchException"},
		{"tags and overwrite", awsssm.PutParameterInput{Name: aws.String("/t"), Type: "String", Overwrite: aws.Bool(true), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}, "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := tt.in
			if in.Value == nil {
				in.Value = aws.String(secret)
			}
			_, err := c.PutParameter(ctx, &in)
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tt.code {
				t.Fatalf("err = %v, want %s", err, tt.code)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "xxxxxxxx") {
				t.Errorf("the error quotes the value: %v", err)
			}
		})
	}
	// The longest name, and spaces around a name, which AWS removes.
	longest := "/" + strings.Repeat("n", MaxNameLength-len("arn:aws:ssm:us-east-1:123456789012:parameter/"))
	for _, name := range []string{longest, "  /spaced "} {
		if _, err := c.PutParameter(ctx, &awsssm.PutParameterInput{Name: aws.String(name), Type: "String", Value: aws.String("v")}); err != nil {
			t.Errorf("PutParameter %q: %v", name, err)
		}
	}
	if _, err := c.GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String("/spaced")}); err != nil {
		t.Errorf("GetParameter of a name put with spaces: %v", err)
	}
	// Advanced tier takes up to 8 KB; Intelligent-Tiering picks it.
	for _, tier := range []types.ParameterTier{types.ParameterTierAdvanced, types.ParameterTierIntelligentTiering} {
		out, err := c.PutParameter(ctx, &awsssm.PutParameterInput{Name: aws.String("/big/" + string(tier)), Type: "String", Value: aws.String(long), Tier: tier})
		if err != nil || out.Tier != types.ParameterTierAdvanced {
			t.Errorf("PutParameter tier %s = %+v, %v", tier, out, err)
		}
	}
}

func TestPersistence(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, c, _ := start(t, Options{StateDir: dir})
	put(t, c, "/keep/a", "1", types.ParameterTypeString)
	put(t, c, "/keep/s", "secret-1", types.ParameterTypeSecureString)
	put(t, c, "/keep/s", "secret-2", types.ParameterTypeSecureString)

	fi, err := os.Stat(filepath.Join(dir, StateFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600", fi.Mode().Perm())
	}

	_, c2, _ := start(t, Options{StateDir: dir})
	got, err := c2.GetParameter(context.Background(), &awsssm.GetParameterInput{Name: aws.String("/keep/s"), WithDecryption: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.Parameter.Value) != "secret-2" || got.Parameter.Version != 2 {
		t.Errorf("after restart: %s v%d", aws.ToString(got.Parameter.Value), got.Parameter.Version)
	}

	// No file of the state directory holds a value in clear (issue 13).
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		if strings.Contains(string(b), "secret-") {
			t.Errorf("%s holds a value in clear", e.Name())
		}
	}
	// A replaced key does not open them, and says so without a value.
	os.Remove(filepath.Join(dir, statefile.KeyFile))
	_, err = New(Options{StateDir: dir})
	if !errors.Is(err, statefile.ErrWrongKey) || strings.Contains(err.Error(), "secret-") {
		t.Errorf("New with another key: %v", err)
	}
}

func TestSaveFailureLeavesStateUnchanged(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "state")
	_, c, _ := start(t, Options{StateDir: dir})
	put(t, c, "/x", "1", types.ParameterTypeString)
	// The state directory becomes a file: saving fails.
	os.RemoveAll(dir)
	os.WriteFile(dir, nil, 0o600)
	_, err := c.PutParameter(context.Background(), &awsssm.PutParameterInput{Name: aws.String("/x"), Value: aws.String("2"), Overwrite: aws.Bool(true)})
	var ise *types.InternalServerError
	if !errors.As(err, &ise) {
		t.Fatalf("PutParameter with a broken state dir: %v", err)
	}
	if strings.Contains(err.Error(), dir) {
		t.Errorf("the error names local files: %v", err)
	}
	got, err := c.GetParameter(context.Background(), &awsssm.GetParameterInput{Name: aws.String("/x")})
	if err != nil || aws.ToString(got.Parameter.Value) != "1" || got.Parameter.Version != 1 {
		t.Errorf("after a failed save: %+v, %v", got, err)
	}
}

func TestAWSCLI(t *testing.T) {
	t.Parallel()
	_, c, url := start(t, Options{})
	put(t, c, "/cli/secret", "cli-secret-value", types.ParameterTypeSecureString)

	stdout, stderr, err := awstest.CLI(t, url, "ssm", "get-parameter", "--name", "/cli/secret", "--with-decryption")
	if err != nil {
		t.Fatalf("aws ssm get-parameter: %v\n%s", err, stderr)
	}
	var out struct {
		Parameter struct{ Name, Type, Value, ARN string }
	}
	if err := json.Unmarshal(stdout, &out); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	want := struct{ Name, Type, Value, ARN string }{"/cli/secret", "SecureString", "cli-secret-value", "arn:aws:ssm:us-east-1:123456789012:parameter/cli/secret"}
	if diff := cmp.Diff(want, out.Parameter); diff != "" {
		t.Errorf("aws ssm get-parameter (-want +got):\n%s", diff)
	}

	if _, stderr, err := awstest.CLI(t, url, "ssm", "put-parameter", "--name", "/cli/plain", "--value", "v1", "--type", "String"); err != nil {
		t.Fatalf("aws ssm put-parameter: %v\n%s", err, stderr)
	}
	stdout, stderr, err = awstest.CLI(t, url, "ssm", "get-parameters-by-path", "--path", "/cli", "--max-items", "5")
	if err != nil {
		t.Fatalf("aws ssm get-parameters-by-path: %v\n%s", err, stderr)
	}
	if strings.Contains(string(stdout), "cli-secret-value") || !strings.Contains(string(stdout), `"/cli/plain"`) {
		t.Errorf("get-parameters-by-path without decryption: %s", stdout)
	}

	_, stderr, err = awstest.CLI(t, url, "ssm", "get-parameter", "--name", "/cli/missing")
	if err == nil || !strings.Contains(string(stderr), "An error occurred (ParameterNotFound) when calling the GetParameter operation") {
		t.Errorf("aws ssm get-parameter of a missing name: %v\n%s", err, stderr)
	}
}
