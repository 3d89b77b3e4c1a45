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
