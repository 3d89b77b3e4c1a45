package main

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/lambctl/lamb/internal/pipeline"
	"github.com/lambctl/lamb/manifest"
)

// targetFlags are --local and --endpoint: where lamb deploys and invokes.
type targetFlags struct {
	Local    bool
	Endpoint string
	Profile  string
	Region   string
}

// registerAWS adds --profile and --region: the SDK's configuration chain
// stays the default.
func (o *targetFlags) registerAWS(fs *pflag.FlagSet) {
	fs.StringVar(&o.Profile, "profile", "", "AWS shared config `PROFILE` (default: AWS_PROFILE, else the default profile)")
	fs.StringVar(&o.Region, "region", "", "AWS `REGION` (default: the stage's region, AWS_REGION, the profile's)")
}

// registerInvoke adds --local and --endpoint for lamb invoke, whose
// default is neither AWS nor a local Lambda but a direct run.
func (o *targetFlags) registerInvoke(fs *pflag.FlagSet) {
	fs.BoolVar(&o.Local, "local", false, "invoke the function deployed to the local Lambda in .lamb/local (lamb deploy --local) instead of running the checkout's code directly")
	fs.StringVar(&o.Endpoint, "endpoint", "", "invoke through the Lambda API at `URL` (a lamb local, or AWS) instead of running the checkout's code directly")
	o.registerAWS(fs)
}

// register adds --local and --endpoint to fs.
func (o *targetFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&o.Local, "local", false, "use the local Lambda in .lamb/local instead of AWS (functions are built for this machine's architecture)")
	fs.StringVar(&o.Endpoint, "endpoint", "", "send Lambda API calls to `URL` (an emulator) instead of AWS; a lamb local there runs functions built for its machine's architecture")
	o.registerAWS(fs)
}

func (o *targetFlags) options(g *globalOptions) pipeline.TargetOptions {
	return pipeline.TargetOptions{Local: o.Local, Endpoint: o.Endpoint, Profile: o.Profile, Region: o.Region, Getenv: g.getenv}
}

// check validates the flags: a usage error, before any build or AWS call.
func (o *targetFlags) check(g *globalOptions) error { return o.options(g).Check() }

// connect connects to the target, saying so when --endpoint is a lamb
// local (functions are then built for its architecture).
func (o *targetFlags) connect(ctx context.Context, g *globalOptions, m *manifest.Manifest) (*pipeline.Target, error) {
	t, err := pipeline.Connect(ctx, m, o.options(g))
	if err != nil {
		return nil, err
	}
	if info := t.Emulator; info != nil && !g.Quiet {
		fmt.Fprintf(g.stderr, "lamb: %s is a lamb local Lambda (%s): functions are built for its architecture, %s\n", o.Endpoint, info.Version, info.HostArch)
	}
	return t, nil
}
