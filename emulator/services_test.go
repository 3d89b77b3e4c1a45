package emulator_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	awssm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/emulator"
	"github.com/lambctl/lamb/emulator/awsjson/awstest"
	"github.com/lambctl/lamb/emulator/emulatortest"
)

// clients are real SDK clients of every service the local Lambda serves,
// all on its one endpoint (Kit.AWSConfig's BaseEndpoint).
type clients struct {
	ssm     *awsssm.Client
	secrets *awssm.Client
	sts     *awssts.Client
	logs    *cloudwatchlogs.Client
	cw      *awscw.Client
}

func newClients(cfg aws.Config) clients {
	return clients{
		ssm: awsssm.NewFromConfig(cfg), secrets: awssm.NewFromConfig(cfg), sts: awssts.NewFromConfig(cfg),
		logs: cloudwatchlogs.NewFromConfig(cfg), cw: awscw.NewFromConfig(cfg),
	}
}

// TestNeighboursOnOneEndpoint: the SDK clients of Parameter Store, Secrets
// Manager, STS, CloudWatch Logs and CloudWatch reach their services at the
// Lambda client's endpoint, with the server's region and account, and
// their typed errors; the Lambda API is unchanged beside them.
func TestNeighboursOnOneEndpoint(t *testing.T) {
	t.Parallel()
	k := emulatortest.New(t, emulatortest.WithOptions(emulator.Options{Region: "eu-west-1", AccountID: "210987654321"}))
	c := newClients(k.AWSConfig)
	ctx := context.Background()

	if _, err := c.ssm.PutParameter(ctx, &awsssm.PutParameterInput{Name: aws.String("/prod/db/url"), Value: aws.String("postgres://db"), Type: ssmtypes.ParameterTypeSecureString}); err != nil {
		t.Fatal(err)
	}
	p, err := c.ssm.GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String("/prod/db/url"), WithDecryption: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(p.Parameter.ARN), "arn:aws:ssm:eu-west-1:210987654321:parameter/prod/db/url"; got != want || aws.ToString(p.Parameter.Value) != "postgres://db" {
		t.Errorf("GetParameter: ARN %s (want %s)", got, want)
	}
	var pnf *ssmtypes.ParameterNotFound
	if _, err := c.ssm.GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String("/nope")}); !errors.As(err, &pnf) {
		t.Errorf("GetParameter of a missing name: %v, want ParameterNotFound", err)
	}

	if _, err := c.secrets.CreateSecret(ctx, &awssm.CreateSecretInput{Name: aws.String("prod/db"), SecretString: aws.String(`{"password":"pw"}`)}); err != nil {
		t.Fatal(err)
	}
	sv, err := c.secrets.GetSecretValue(ctx, &awssm.GetSecretValueInput{SecretId: aws.String("prod/db")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(aws.ToString(sv.ARN), "arn:aws:secretsmanager:eu-west-1:210987654321:secret:prod/db-") || aws.ToString(sv.SecretString) != `{"password":"pw"}` {
		t.Errorf("GetSecretValue: ARN %s", aws.ToString(sv.ARN))
	}
	var rnf *smtypes.ResourceNotFoundException
	if _, err := c.secrets.GetSecretValue(ctx, &awssm.GetSecretValueInput{SecretId: aws.String("nope")}); !errors.As(err, &rnf) {
		t.Errorf("GetSecretValue of a missing secret: %v, want ResourceNotFoundException", err)
	}

	id, err := c.sts.GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"210987654321", "arn:aws:iam::210987654321:root"}, []string{aws.ToString(id.Account), aws.ToString(id.Arn)}); diff != "" {
		t.Errorf("GetCallerIdentity (-want +got):\n%s", diff)
	}

	var lnf *logstypes.ResourceNotFoundException
	if _, err := c.logs.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/aws/lambda/nope")}); !errors.As(err, &lnf) {
		t.Errorf("FilterLogEvents of a missing group: %v, want ResourceNotFoundException", err)
	}

	if _, err := c.cw.PutMetricAlarm(ctx, gateAlarm("gate")); err != nil {
		t.Fatal(err)
	}
	alarms, err := c.cw.DescribeAlarms(ctx, &awscw.DescribeAlarmsInput{AlarmNames: []string{"gate"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(alarms.MetricAlarms) != 1 || aws.ToString(alarms.MetricAlarms[0].AlarmArn) != "arn:aws:cloudwatch:eu-west-1:210987654321:alarm:gate" {
		t.Errorf("DescribeAlarms: %+v", alarms.MetricAlarms)
	}
	var cnf *cwtypes.ResourceNotFound
	if _, err := c.cw.SetAlarmState(ctx, &awscw.SetAlarmStateInput{AlarmName: aws.String("nope"), StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("x")}); !errors.As(err, &cnf) {
		t.Errorf("SetAlarmState of a missing alarm: %v, want ResourceNotFound", err)
	}

	if _, err := k.Lambda.ListFunctions(ctx, &lambda.ListFunctionsInput{}); err != nil {
		t.Errorf("ListFunctions beside the neighbours: %v", err)
	}
	// The neighbours' calls are not Lambda's: the call log has ListFunctions only.
	var ops []string
	for _, call := range k.Server.Calls() {
		ops = append(ops, call.Op)
	}
	if diff := cmp.Diff([]string{"ListFunctions"}, ops); diff != "" {
		t.Errorf("call log (-want +got):\n%s", diff)
	}
}

func gateAlarm(name string) *awscw.PutMetricAlarmInput {
	return &awscw.PutMetricAlarmInput{
		AlarmName: aws.String(name), Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Errors"),
		Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1),
		Threshold: aws.Float64(0), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
	}
}

// TestNeighboursAWSCLI: the AWS CLI v2.9 reaches every neighbour at the
// Lambda endpoint — JSON 1.1 for Parameter Store, Secrets Manager and
// Logs, the query protocol for STS and CloudWatch.
func TestNeighboursAWSCLI(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs the AWS CLI")
	}
	k := emulatortest.New(t)
	ctx := context.Background()
	c := newClients(k.AWSConfig)
	if _, err := c.cw.PutMetricAlarm(ctx, gateAlarm("gate")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ssm.PutParameter(ctx, &awsssm.PutParameterInput{Name: aws.String("/app/url"), Value: aws.String("postgres://cli"), Type: ssmtypes.ParameterTypeSecureString}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.secrets.CreateSecret(ctx, &awssm.CreateSecretInput{Name: aws.String("app/db"), SecretString: aws.String("s3cret")}); err != nil {
		t.Fatal(err)
	}
	// One run per service (a run costs a second or more).
	for _, tt := range []struct {
		args []string
		want string // in stdout
	}{
		{[]string{"ssm", "get-parameter", "--name", "/app/url", "--with-decryption"}, `"Value": "postgres://cli"`},
		{[]string{"secretsmanager", "get-secret-value", "--secret-id", "app/db"}, `"SecretString": "s3cret"`},
		{[]string{"sts", "get-caller-identity"}, `"Account": "123456789012"`},
		{[]string{"logs", "describe-log-groups"}, `"logGroups": []`},
		{[]string{"cloudwatch", "set-alarm-state", "--alarm-name", "gate", "--state-value", "ALARM", "--state-reason", "cli"}, ``},
	} {
		out, stderr, err := awstest.CLI(t, k.URL, tt.args...)
		if err != nil || !strings.Contains(string(out), tt.want) {
			t.Errorf("aws %s: %v\n%s%s", strings.Join(tt.args, " "), err, out, stderr)
		}
	}
	alarms, err := c.cw.DescribeAlarms(ctx, &awscw.DescribeAlarmsInput{AlarmNames: []string{"gate"}})
	if err != nil {
		t.Fatal(err)
	}
	if s := alarms.MetricAlarms[0].StateValue; s != cwtypes.StateValueAlarm {
		t.Errorf("alarm state %s after the CLI's set-alarm-state (query protocol), want ALARM", s)
	}
}

// TestNeighboursPolicy: the request policy covers the neighbours. Each
// accepts exactly its protocol's body type, and a page can neither send
// them a "simple" cross-site request (text/plain, or a form, which the
// query protocol's type is: refused by Origin or Sec-Fetch-Site, and by the
// missing signature for a browser that sends neither) nor reach them by
// DNS rebinding.
func TestNeighboursPolicy(t *testing.T) {
	t.Parallel()
	k := emulatortest.New(t)
	ctx := context.Background()
	c := newClients(k.AWSConfig)
	if _, err := c.cw.PutMetricAlarm(ctx, gateAlarm("gate")); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(k.URL)
	port := u.Port()
	const (
		amzJSON = "application/x-amz-json-1.1"
		form    = "application/x-www-form-urlencoded"
		sig     = "AWS4-HMAC-SHA256 Credential=x/20250602/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=00"
		evil    = "https://evil.example"
	)
	put := func(name string) string { return `{"Name":"` + name + `","Value":"v","Type":"String"}` }
	alarm := func(state string) string {
		return "Action=SetAlarmState&Version=2010-08-01&AlarmName=gate&StateValue=" + state + "&StateReason=evil"
	}
	const whoami = "Action=GetCallerIdentity&Version=2011-06-15"
	tests := []struct {
		name   string
		method string
		path   string
		host   string
		header map[string]string
		body   string
		status int
	}{
		// AWS JSON 1.1 (Parameter Store; Secrets Manager and Logs alike).
		{name: "json 1.1", header: map[string]string{"X-Amz-Target": "AmazonSSM.PutParameter", "Content-Type": amzJSON}, body: put("/ok"), status: 200},
		{name: "json 1.1 as text/plain", header: map[string]string{"X-Amz-Target": "AmazonSSM.PutParameter", "Content-Type": "text/plain"}, body: put("/evil1"), status: 415},
		{name: "json 1.1 as application/json", header: map[string]string{"X-Amz-Target": "AmazonSSM.PutParameter", "Content-Type": "application/json"}, body: put("/evil2"), status: 415},
		{name: "json 1.1 without a type", header: map[string]string{"X-Amz-Target": "AmazonSSM.PutParameter"}, body: put("/evil3"), status: 415},
		{name: "json 1.1 from another origin", header: map[string]string{"X-Amz-Target": "AmazonSSM.PutParameter", "Content-Type": amzJSON, "Origin": evil}, body: put("/evil4"), status: 403},
		{name: "json 1.1 cross-site fetch", header: map[string]string{"X-Amz-Target": "AmazonSSM.PutParameter", "Content-Type": amzJSON, "Sec-Fetch-Site": "cross-site"}, body: put("/evil5"), status: 403},
		{name: "json 1.1 DNS rebinding", host: "rebind.attacker.example:" + port, header: map[string]string{"X-Amz-Target": "AmazonSSM.PutParameter", "Content-Type": amzJSON}, body: put("/evil6"), status: 403},
		{name: "secret read by DNS rebinding", host: "rebind.attacker.example:" + port, header: map[string]string{"X-Amz-Target": "secretsmanager.GetSecretValue", "Content-Type": amzJSON}, body: `{"SecretId":"x"}`, status: 403},
		{name: "logs as text/plain", header: map[string]string{"X-Amz-Target": "Logs_20140328.DescribeLogGroups", "Content-Type": "text/plain"}, body: `{}`, status: 415},
		{name: "unknown service", header: map[string]string{"X-Amz-Target": "DynamoDB_20120810.GetItem", "Content-Type": amzJSON}, body: `{}`, status: 400},
		// rpcv2Cbor (CloudWatch from the Go SDK).
		{name: "cbor as json", path: "/service/GraniteServiceVersion20100801/operation/DescribeAlarms",
			header: map[string]string{"Smithy-Protocol": "rpc-v2-cbor", "Content-Type": "application/json"}, body: `{}`, status: 415},
		{name: "cbor from another origin", path: "/service/GraniteServiceVersion20100801/operation/DescribeAlarms",
			header: map[string]string{"Smithy-Protocol": "rpc-v2-cbor", "Content-Type": "application/cbor", "Origin": evil}, body: "\xa0", status: 403},
		{name: "cbor", path: "/service/GraniteServiceVersion20100801/operation/DescribeAlarms",
			header: map[string]string{"Smithy-Protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"}, body: "\xa0", status: 200},
		{name: "cbor without type or body", path: "/service/GraniteServiceVersion20100801/operation/DescribeAlarms",
			header: map[string]string{"Smithy-Protocol": "rpc-v2-cbor"}, status: 200},
		// The query protocol (STS; CloudWatch from the AWS CLI): a form.
		{name: "signed query", header: map[string]string{"Content-Type": form + "; charset=utf-8", "Authorization": sig}, body: alarm("OK"), status: 200},
		{name: "cross-site form post", header: map[string]string{"Content-Type": form, "Origin": evil, "Sec-Fetch-Site": "cross-site"}, body: alarm("ALARM"), status: 403},
		{name: "form post from a null origin", header: map[string]string{"Content-Type": form, "Origin": "null"}, body: alarm("ALARM"), status: 403},
		{name: "form post with fetch metadata only", header: map[string]string{"Content-Type": form, "Sec-Fetch-Site": "cross-site"}, body: alarm("ALARM"), status: 403},
		{name: "unsigned form post (old browser)", header: map[string]string{"Content-Type": form}, body: alarm("ALARM"), status: 403},
		{name: "form post with basic auth", header: map[string]string{"Content-Type": form, "Authorization": "Basic eDp4"}, body: alarm("ALARM"), status: 403},
		{name: "query as GET", method: "GET", path: "/?" + alarm("ALARM"), header: map[string]string{"Authorization": sig}, status: 415},
		{name: "query as text/plain", header: map[string]string{"Content-Type": "text/plain", "Authorization": sig}, body: alarm("ALARM"), status: 404},
		{name: "query without a type", header: map[string]string{"Authorization": sig}, body: whoami, status: 415},
		{name: "sts", header: map[string]string{"Content-Type": form, "Authorization": strings.Replace(sig, "monitoring", "sts", 1)}, body: whoami, status: 200},
		{name: "sts cross-site", header: map[string]string{"Content-Type": form, "Origin": evil}, body: whoami, status: 403},
		{name: "sts by DNS rebinding", host: "rebind.attacker.example:" + port, header: map[string]string{"Content-Type": form, "Authorization": sig}, body: whoami, status: 403},
		// The Lambda API still refuses forms.
		{name: "lambda create as a signed form", path: "/2015-03-31/functions", header: map[string]string{"Content-Type": form, "Authorization": sig}, body: whoami, status: 415},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method, path := tt.method, tt.path
			if method == "" {
				method = "POST"
			}
			if path == "" {
				path = "/"
			}
			status, body := rawCall(t, k, method, path, tt.host, tt.header, tt.body)
			if status != tt.status {
				t.Errorf("status %d, want %d (%s)", status, tt.status, body)
			}
			if status >= 400 && (strings.Contains(body, "attacker") || strings.Contains(body, "evil")) {
				t.Errorf("refusal echoes the request: %s", body)
			}
		})
	}
	// Nothing a refused request asked for happened.
	got, err := c.ssm.GetParametersByPath(ctx, &awsssm.GetParametersByPathInput{Path: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range got.Parameters {
		names = append(names, aws.ToString(p.Name))
	}
	if diff := cmp.Diff([]string{"/ok"}, names); diff != "" {
		t.Errorf("parameters (-want +got):\n%s", diff)
	}
	alarms, err := c.cw.DescribeAlarms(ctx, &awscw.DescribeAlarmsInput{AlarmNames: []string{"gate"}})
	if err != nil {
		t.Fatal(err)
	}
	if s := alarms.MetricAlarms[0].StateValue; s != cwtypes.StateValueOk {
		t.Errorf("alarm state %s, want OK (set by the signed call only)", s)
	}
}

// TestNeighboursRefusalInTheirProtocol: a refused call is answered in the
// protocol it came in, so that each SDK client reports the reason as an
// API error with the policy's code.
func TestNeighboursRefusalInTheirProtocol(t *testing.T) {
	t.Parallel()
	k := emulatortest.New(t)
	cfg := k.AWSConfig.Copy()
	cfg.APIOptions = append(cfg.APIOptions, smithyhttp.AddHeaderValue("Origin", "https://evil.example"))
	c := newClients(cfg)
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"ssm (json 1.1)": func() error {
			_, err := c.ssm.GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String("/x")})
			return err
		},
		"sts (query)": func() error {
			_, err := c.sts.GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
			return err
		},
		"cloudwatch (cbor)": func() error {
			_, err := c.cw.DescribeAlarms(ctx, &awscw.DescribeAlarmsInput{})
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := call()
			var ae smithy.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("not an API error: %v", err)
			}
			if ae.ErrorCode() != "AccessDeniedException" || !strings.Contains(ae.ErrorMessage(), "another origin") {
				t.Errorf("error %s: %s", ae.ErrorCode(), ae.ErrorMessage())
			}
		})
	}
}
