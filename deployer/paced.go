package deployer

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"
)

// NewRetryer returns the retryer lamb configures on its Lambda and S3
// clients: throttling (429), 5xx and dropped connections are retried up to
// 10 attempts with jittered exponential backoff capped at 10 s. The SDK's
// retry-token quota is disabled: a deploy that fans out must not give up
// on a throttling storm because other goroutines were throttled too. The
// client-side limiter keeps the deployer under the quota in the first place.
func NewRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 10
		o.MaxBackoff = 10 * time.Second
		o.RateLimiter = ratelimit.None
		o.Backoff = backoff{base: 100 * time.Millisecond, max: 10 * time.Second}
	})
}

// backoff is "full jitter" exponential backoff: a random delay in
// [d/2, d) where d = base·2^(attempt-1), capped at max.
type backoff struct{ base, max time.Duration }

func (b backoff) BackoffDelay(attempt int, _ error) (time.Duration, error) {
	d := b.base
	for i := 1; i < attempt && d < b.max; i++ {
		d *= 2
	}
	d = min(d, b.max)
	return d/2 + rand.N(d/2+1), nil
}

// paced wraps a LambdaAPI so that every attempt of every call (retries
// included) first waits on a client-side limiter: GetFunction on its own
// (read) limiter, every other operation on the shared write limiter.
type paced struct {
	api         LambdaAPI
	write, read func(*lambda.Options)
}

var _ LambdaAPI = (*paced)(nil)

func newPaced(api LambdaAPI, writeRate, readRate float64) *paced {
	return &paced{api: api, write: limitOption(writeRate), read: limitOption(readRate)}
}

// limitOption returns a client option adding a finalize middleware, after
// the retry middleware so it runs once per attempt, that waits on a limiter
// allowing r requests per second (no burst). r < 0 means no limit.
func limitOption(r float64) func(*lambda.Options) {
	if r < 0 {
		return func(*lambda.Options) {}
	}
	lim := rate.NewLimiter(rate.Limit(r), 1)
	mw := middleware.FinalizeMiddlewareFunc("lambLimiter", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
		if err := lim.Wait(ctx); err != nil {
			return middleware.FinalizeOutput{}, middleware.Metadata{}, err
		}
		return next.HandleFinalize(ctx, in)
	})
	return func(o *lambda.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			if err := s.Finalize.Insert(mw, "Retry", middleware.After); err != nil {
				return s.Finalize.Add(mw, middleware.After)
			}
			return nil
		})
	}
}

func (p *paced) GetFunction(ctx context.Context, in *lambda.GetFunctionInput, o ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error) {
	return p.api.GetFunction(ctx, in, with(o, p.read)...)
}

func (p *paced) CreateFunction(ctx context.Context, in *lambda.CreateFunctionInput, o ...func(*lambda.Options)) (*lambda.CreateFunctionOutput, error) {
	return p.api.CreateFunction(ctx, in, with(o, p.write)...)
}

func (p *paced) UpdateFunctionCode(ctx context.Context, in *lambda.UpdateFunctionCodeInput, o ...func(*lambda.Options)) (*lambda.UpdateFunctionCodeOutput, error) {
	return p.api.UpdateFunctionCode(ctx, in, with(o, p.write)...)
}

func (p *paced) UpdateFunctionConfiguration(ctx context.Context, in *lambda.UpdateFunctionConfigurationInput, o ...func(*lambda.Options)) (*lambda.UpdateFunctionConfigurationOutput, error) {
	return p.api.UpdateFunctionConfiguration(ctx, in, with(o, p.write)...)
}

func (p *paced) PublishVersion(ctx context.Context, in *lambda.PublishVersionInput, o ...func(*lambda.Options)) (*lambda.PublishVersionOutput, error) {
	return p.api.PublishVersion(ctx, in, with(o, p.write)...)
}

func (p *paced) GetAlias(ctx context.Context, in *lambda.GetAliasInput, o ...func(*lambda.Options)) (*lambda.GetAliasOutput, error) {
	return p.api.GetAlias(ctx, in, with(o, p.write)...)
}

func (p *paced) CreateAlias(ctx context.Context, in *lambda.CreateAliasInput, o ...func(*lambda.Options)) (*lambda.CreateAliasOutput, error) {
	return p.api.CreateAlias(ctx, in, with(o, p.write)...)
}

func (p *paced) UpdateAlias(ctx context.Context, in *lambda.UpdateAliasInput, o ...func(*lambda.Options)) (*lambda.UpdateAliasOutput, error) {
	return p.api.UpdateAlias(ctx, in, with(o, p.write)...)
}

func (p *paced) ListAliases(ctx context.Context, in *lambda.ListAliasesInput, o ...func(*lambda.Options)) (*lambda.ListAliasesOutput, error) {
	return p.api.ListAliases(ctx, in, with(o, p.write)...)
}

func (p *paced) ListVersionsByFunction(ctx context.Context, in *lambda.ListVersionsByFunctionInput, o ...func(*lambda.Options)) (*lambda.ListVersionsByFunctionOutput, error) {
	return p.api.ListVersionsByFunction(ctx, in, with(o, p.write)...)
}

func (p *paced) TagResource(ctx context.Context, in *lambda.TagResourceInput, o ...func(*lambda.Options)) (*lambda.TagResourceOutput, error) {
	return p.api.TagResource(ctx, in, with(o, p.write)...)
}

func (p *paced) DeleteFunction(ctx context.Context, in *lambda.DeleteFunctionInput, o ...func(*lambda.Options)) (*lambda.DeleteFunctionOutput, error) {
	return p.api.DeleteFunction(ctx, in, with(o, p.write)...)
}

func (p *paced) ListFunctions(ctx context.Context, in *lambda.ListFunctionsInput, o ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error) {
	return p.api.ListFunctions(ctx, in, with(o, p.write)...)
}

func (p *paced) ListTags(ctx context.Context, in *lambda.ListTagsInput, o ...func(*lambda.Options)) (*lambda.ListTagsOutput, error) {
	return p.api.ListTags(ctx, in, with(o, p.write)...)
}

func (p *paced) UntagResource(ctx context.Context, in *lambda.UntagResourceInput, o ...func(*lambda.Options)) (*lambda.UntagResourceOutput, error) {
	return p.api.UntagResource(ctx, in, with(o, p.write)...)
}

// Invoke is not a control-plane call: it is not paced.
func (p *paced) Invoke(ctx context.Context, in *lambda.InvokeInput, o ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	return p.api.Invoke(ctx, in, o...)
}

// with returns o followed by f without touching o's backing array, which
// belongs to the caller and may be shared between goroutines.
func with(o []func(*lambda.Options), f func(*lambda.Options)) []func(*lambda.Options) {
	return append(o[:len(o):len(o)], f)
}
