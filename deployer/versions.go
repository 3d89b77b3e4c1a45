package deployer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/go-multierror"

	"github.com/lambctl/lamb/internal/failure"
	"github.com/lambctl/lamb/manifest"
)

// versions lists the published versions of a function (not $LATEST),
// oldest first.
func (d *Deployer) versions(ctx context.Context, name string) ([]types.FunctionConfiguration, error) {
	var vs []types.FunctionConfiguration
	p := lambda.NewListVersionsByFunctionPaginator(d.lambda, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, v := range page.Versions {
			if _, err := strconv.Atoi(aws.ToString(v.Version)); err == nil {
				vs = append(vs, v)
			}
		}
	}
	slices.SortFunc(vs, func(a, b types.FunctionConfiguration) int {
		return cmp.Compare(versionNum(a.Version), versionNum(b.Version))
	})
	return vs, nil
}

func versionNum(v *string) int {
	n, _ := strconv.Atoi(aws.ToString(v))
	return n
}

// prune deletes the published versions of name older than the newest keep
// that no alias references, and returns how many it deleted.
func (d *Deployer) prune(ctx context.Context, name string, keep int) (int, error) {
	vs, err := d.versions(ctx, name)
	if err != nil || len(vs) <= keep {
		return 0, err
	}
	referenced := map[string]bool{}
	p := lambda.NewListAliasesPaginator(d.lambda, &lambda.ListAliasesInput{FunctionName: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, err
		}
		for _, a := range page.Aliases {
			referenced[aws.ToString(a.FunctionVersion)] = true
			if a.RoutingConfig != nil {
				for v := range a.RoutingConfig.AdditionalVersionWeights {
					referenced[v] = true
				}
			}
		}
	}
	var merr *multierror.Error
	n := 0
	for _, v := range vs[:len(vs)-keep] {
		ver := aws.ToString(v.Version)
		if referenced[ver] {
			continue
		}
		_, err := d.lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(name), Qualifier: aws.String(ver)})
		if err != nil {
			merr = failure.Append(merr, fmt.Errorf("version %s: %w", ver, err))
			continue
		}
		n++
	}
	return n, merr.ErrorOrNil()
}

// Rollback is the outcome of rolling one function's alias back.
type Rollback struct {
	Name  string `json:"name"`
	Alias string `json:"alias"`
	From  string `json:"from"`
	To    string `json:"to"`
	// Split describes the weights cleared ("alias live is split: 90%
	// version 4, 10% version 5"), "" when the alias was not split.
	Split string `json:"split,omitempty"`
}

// Rollback moves fn's alias to version to, or when to is empty to the
// previous version: the highest published version below the one the alias
// points to — or, when the alias is split between versions (a rollout in
// progress or interrupted), its primary version. The alias is left with no
// weights. The next deploy moves it forward again if the repository still
// wants the newer code.
func (d *Deployer) Rollback(ctx context.Context, fn manifest.Function, to string) (Rollback, error) {
	rb := Rollback{Name: fn.Name, Alias: fn.Alias}
	fail := func(err error) (Rollback, error) {
		return rb, failWith(redactorOf(fn), fn.Name, "rollback", err)
	}
	if fn.Alias == "" {
		return fail(errors.New("the function has no alias"))
	}
	cur, err := d.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(fn.Name), Name: aws.String(fn.Alias)})
	if err != nil {
		return fail(err)
	}
	rb.From = aws.ToString(cur.FunctionVersion)
	rb.Split = splitAlias(fn.Alias, cur)
	vs, err := d.versions(ctx, fn.Name)
	if err != nil {
		return fail(err)
	}
	if to == "" && rb.Split != "" {
		to = rb.From
	}
	if to == "" {
		from, err := strconv.Atoi(rb.From)
		if err != nil {
			return fail(fmt.Errorf("alias %s points to %s, not a published version", fn.Alias, rb.From))
		}
		for _, v := range vs {
			if n := versionNum(v.Version); n < from {
				to = aws.ToString(v.Version)
			}
		}
		if to == "" {
			return fail(fmt.Errorf("alias %s points to version %s and there is no earlier version", fn.Alias, rb.From))
		}
	} else if !slices.ContainsFunc(vs, func(v types.FunctionConfiguration) bool { return aws.ToString(v.Version) == to }) {
		return fail(fmt.Errorf("version %s does not exist", to))
	}
	rb.To = to
	if to == rb.From && rb.Split == "" {
		return rb, nil
	}
	_, err = d.lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{
		FunctionName:    aws.String(fn.Name),
		Name:            aws.String(fn.Alias),
		FunctionVersion: aws.String(to),
		RevisionId:      cur.RevisionId,
		RoutingConfig:   &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{}},
	})
	if err != nil {
		return fail(err)
	}
	return rb, nil
}
