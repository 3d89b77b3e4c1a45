package deployer

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// STSAPI is the part of the STS API the deployer uses: who the
// credentials belong to.
type STSAPI interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

var _ STSAPI = (*sts.Client)(nil)

// ErrWrongAccount is what CheckAccount's error wraps when the credentials
// belong to another account than the stage's.
var ErrWrongAccount = errors.New("wrong AWS account")

// CheckAccount checks, once per Deployer, that the credentials belong to
// Options.Account (the stage's account) with STS GetCallerIdentity. It is
// nil when no account is set. Plan and Deploy call it before anything
// else and refuse every function when it fails; a caller can call it
// first to stop before building.
func (d *Deployer) CheckAccount(ctx context.Context) error {
	if d.opts.Account == "" {
		return nil
	}
	d.accountOnce.Do(func() { d.accountErr = d.checkAccount(ctx) })
	return d.accountErr
}

func (d *Deployer) checkAccount(ctx context.Context) error {
	stage := "the stage"
	if d.opts.Stage != "" {
		stage = "stage " + d.opts.Stage
	}
	if d.opts.STS == nil {
		return fmt.Errorf("%s must deploy to AWS account %s, and there is no STS client to check the credentials' account", stage, d.opts.Account)
	}
	out, err := d.opts.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return fmt.Errorf("check the AWS account of %s (%s): sts get-caller-identity: %w", stage, d.opts.Account, err)
	}
	if got := aws.ToString(out.Account); got != d.opts.Account {
		return fmt.Errorf("%w: the credentials are for account %s (%s), but %s deploys to account %s: use credentials for %s (AWS_PROFILE, --profile)",
			ErrWrongAccount, got, aws.ToString(out.Arn), stage, d.opts.Account, d.opts.Account)
	}
	return nil
}

// failAll is a plan in which every desired function failed with err.
func failAll(desired []Desired, err error) *Plan {
	plan := &Plan{Functions: []FunctionPlan{}}
	for _, want := range desired {
		plan.Fail(want.Function.Name, failWith(redactorOf(want.Function), want.Function.Name, "check account", err))
	}
	return plan
}
