package deployer

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/manifest"
)

func TestConfigChanges(t *testing.T) {
	live := &types.FunctionConfiguration{
		Runtime:     types.RuntimeProvidedal2023,
		Handler:     aws.String("bootstrap"),
		MemorySize:  aws.Int32(128),
		Timeout:     aws.Int32(10),
		Role:        aws.String("arn:aws:iam::1:role/a"),
		Environment: &types.EnvironmentResponse{Variables: map[string]string{"KEEP": "1", "GONE": "secret-old", "CHANGED": "old"}},
	}
	base := manifest.Function{
		Runtime: "provided.al2023", Memory: 128, Timeout: 10, Role: "arn:aws:iam::1:role/a",
		Environment: map[string]string{"KEEP": "1", "GONE": "secret-old", "CHANGED": "old"},
	}
	tests := []struct {
		name string
		edit func(*manifest.Function)
		show bool
		want []Change
	}{
		{name: "same", edit: func(*manifest.Function) {}},
		{name: "zero values are not managed", edit: func(f *manifest.Function) { f.Memory, f.Timeout, f.Runtime, f.Role = 0, 0, "", "" }},
		{
			name: "scalars",
			edit: func(f *manifest.Function) {
				f.Memory, f.Timeout, f.Runtime, f.Role = 256, 30, "provided.al2", "arn:aws:iam::1:role/b"
			},
			want: []Change{
				{Field: "runtime", From: "provided.al2023", To: "provided.al2"},
				{Field: "memory", From: "128", To: "256"},
				{Field: "timeout", From: "10", To: "30"},
				{Field: "role", From: "arn:aws:iam::1:role/a", To: "arn:aws:iam::1:role/b"},
			},
		},
		{
			name: "environment hidden",
			edit: func(f *manifest.Function) {
				f.Environment = map[string]string{"KEEP": "1", "CHANGED": "new", "ADDED": "secret-new"}
			},
			want: []Change{
				{Field: "environment.ADDED", From: "", To: hidden},
				{Field: "environment.CHANGED", From: hidden, To: hidden + " (changed)"},
				{Field: "environment.GONE", From: hidden, To: ""},
			},
		},
		{
			name: "environment shown",
			show: true,
			edit: func(f *manifest.Function) {
				f.Environment = map[string]string{"KEEP": "1", "CHANGED": "new", "ADDED": "secret-new"}
			},
			want: []Change{
				{Field: "environment.ADDED", From: "", To: "secret-new"},
				{Field: "environment.CHANGED", From: "old", To: "new"},
				{Field: "environment.GONE", From: "secret-old", To: ""},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn := base
			fn.Environment = map[string]string{}
			for k, v := range base.Environment {
				fn.Environment[k] = v
			}
			tt.edit(&fn)
			got := configChanges(fn, live, tt.show)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("configChanges (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVersionDiff(t *testing.T) {
	base := func() *types.FunctionConfiguration {
		return &types.FunctionConfiguration{
			Version: aws.String("3"), FunctionArn: aws.String("arn:aws:lambda:us-east-1:1:function:f:3"), RevisionId: aws.String("r1"),
			LastModified: aws.String("2024-01-01T00:00:00.000+0000"), CodeSha256: aws.String("abc"), CodeSize: 10, Description: aws.String("v3"),
			Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), MemorySize: aws.Int32(128), Timeout: aws.Int32(10),
			Role:          aws.String("arn:aws:iam::1:role/a"),
			Environment:   &types.EnvironmentResponse{Variables: map[string]string{"A": "1"}},
			Architectures: []types.Architecture{types.ArchitectureArm64},
			Layers:        []types.Layer{{Arn: aws.String("arn:aws:lambda:us-east-1:1:layer:l:1")}},
			VpcConfig:     &types.VpcConfigResponse{SubnetIds: []string{"s1", "s2"}, SecurityGroupIds: []string{"g1"}},
			State:         types.StateActive, LastUpdateStatus: types.LastUpdateStatusSuccessful,
			RuntimeVersionConfig: &types.RuntimeVersionConfig{RuntimeVersionArn: aws.String("arn:rv:1")},
			SnapStart:            &types.SnapStartResponse{ApplyOn: types.SnapStartApplyOnNone, OptimizationStatus: types.SnapStartOptimizationStatusOff},
		}
	}
	tests := []struct {
		name string
		edit func(*types.FunctionConfiguration)
		want []string
	}{
		{name: "same", edit: func(*types.FunctionConfiguration) {}},
		{
			name: "what differs between versions by nature or by AWS's doing",
			edit: func(c *types.FunctionConfiguration) {
				c.Version, c.FunctionArn, c.RevisionId, c.LastModified = aws.String("$LATEST"), aws.String("arn:aws:lambda:us-east-1:1:function:f"), aws.String("r2"), aws.String("2024-02-01T00:00:00.000+0000")
				c.CodeSha256, c.CodeSize, c.Description = aws.String("def"), 11, aws.String("")
				c.State, c.LastUpdateStatus = types.StatePending, types.LastUpdateStatusInProgress
				c.RuntimeVersionConfig = &types.RuntimeVersionConfig{RuntimeVersionArn: aws.String("arn:rv:2")}
				c.SnapStart.OptimizationStatus = types.SnapStartOptimizationStatusOn
				c.VpcConfig.SubnetIds = []string{"s2", "s1"} // order does not matter
			},
		},
		{
			name: "scalars",
			edit: func(c *types.FunctionConfiguration) {
				c.Runtime, c.Handler, c.MemorySize, c.Timeout, c.Role = types.RuntimeProvidedal2, aws.String("main"), aws.Int32(1024), aws.Int32(30), aws.String("arn:aws:iam::1:role/b")
			},
			want: []string{"runtime", "handler", "memory", "timeout", "role"},
		},
		{
			name: "environment, architecture, layers, vpc",
			edit: func(c *types.FunctionConfiguration) {
				c.Environment = nil
				c.Architectures = nil // x86_64
				c.Layers = append(c.Layers, types.Layer{Arn: aws.String("arn:aws:lambda:us-east-1:1:layer:m:1")})
				c.VpcConfig = nil
			},
			want: []string{"environment", "architecture", "layers", "vpc"},
		},
		{
			name: "the rest",
			edit: func(c *types.FunctionConfiguration) {
				c.EphemeralStorage = &types.EphemeralStorage{Size: aws.Int32(1024)}
				c.TracingConfig = &types.TracingConfigResponse{Mode: types.TracingModeActive}
				c.DeadLetterConfig = &types.DeadLetterConfig{TargetArn: aws.String("arn:aws:sqs:us-east-1:1:dlq")}
				c.KMSKeyArn = aws.String("arn:aws:kms:us-east-1:1:key/k")
				c.FileSystemConfigs = []types.FileSystemConfig{{Arn: aws.String("arn:efs"), LocalMountPath: aws.String("/mnt/x")}}
				c.LoggingConfig = &types.LoggingConfig{LogFormat: types.LogFormatJson}
				c.SnapStart.ApplyOn = types.SnapStartApplyOnPublishedVersions
			},
			want: []string{"ephemeral storage", "tracing", "dead letter queue", "kms key", "file systems", "logging", "snapstart"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := base()
			tt.edit(b)
			if diff := cmp.Diff(tt.want, versionDiff(base(), b)); diff != "" {
				t.Errorf("versionDiff (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTagChanges(t *testing.T) {
	live := map[string]string{"team": "core", TagFingerprint: "x", "other": "kept"}
	got := tagChanges(map[string]string{"team": "payments", "cost": "7"}, live)
	want := []Change{{Field: "tags.cost", From: "", To: "7"}, {Field: "tags.team", From: "core", To: "payments"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tagChanges (-want +got):\n%s", diff)
	}
	if got := tagChanges(map[string]string{"team": "core"}, live); got != nil {
		t.Errorf("tagChanges of equal tags = %v, want none", got)
	}
}

func TestLabel(t *testing.T) {
	tests := []struct {
		p    FunctionPlan
		want string
	}{
		{FunctionPlan{Action: ActionCreate, Code: true}, "create"},
		{FunctionPlan{Action: ActionNoChange}, "no change"},
		{FunctionPlan{Action: ActionUpdate, Code: true}, "update code"},
		{FunctionPlan{Action: ActionUpdate, Config: []Change{{Field: "memory"}}}, "update config"},
		{FunctionPlan{Action: ActionUpdate, Code: true, Config: []Change{{Field: "memory"}}}, "update code + config"},
		{FunctionPlan{Action: ActionUpdate, publish: true}, "update alias"},
		{FunctionPlan{Action: ActionCreateElsewhere}, "create elsewhere"},
		{FunctionPlan{Action: ActionAdopt, Code: true}, "adopt"},
		{FunctionPlan{Action: ActionOrphan}, "orphan"},
		{FunctionPlan{Action: ActionFailed}, "failed"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.p.Label(); got != tt.want {
				t.Errorf("Label() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	b := backoff{base: 100 * time.Millisecond, max: time.Second}
	for attempt, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 9: time.Second} {
		for range 20 {
			d, err := b.BackoffDelay(attempt, errors.New("x"))
			if err != nil || d < want/2 || d > want {
				t.Fatalf("BackoffDelay(%d) = %v, %v; want in [%v, %v]", attempt, d, err, want/2, want)
			}
		}
	}
}

func TestS3Key(t *testing.T) {
	got := S3Key([]byte{0xab, 0x01})
	if got != "lamb/ab01.zip" {
		t.Errorf("S3Key = %q", got)
	}
}

func TestFailureHidesSecrets(t *testing.T) {
	env := map[string]string{"SECRET": "hunter2", "TOKEN": "hunter2-long", "N": "1", "TABLE": "orders"}
	red := redactorOf(manifest.Function{Name: "orders-create", Environment: env})
	tests := []struct{ err, want string }{
		{
			err:  "exceeded the 4KB limit. String measured: {\"SECRET\":\"hunter2\",\"TOKEN\":\"hunter2-long\",\"N\":\"1\"}\nmore",
			want: "orders-create: update configuration: exceeded the 4KB limit. String measured: (the variables, not shown)\n    more",
		},
		{
			err:  "String measured: {\"SECRET\":\"hun", // cut short
			want: `orders-create: update configuration: String measured: (the variables, not shown)`,
		},
		{
			err:  "value hunter2-long of orders-create in orders: \"hunter2\"",
			want: `orders-create: update configuration: value (hidden) of orders-create in (hidden): "(hidden)"`,
		},
	}
	for _, tt := range tests {
		e := failWith(red, "orders-create", "update configuration", errors.New(tt.err))
		if got := e.Error(); got != tt.want {
			t.Errorf("Error() =\n%s\nwant\n%s", got, tt.want)
		}
	}
}
