package deployer

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/hashicorp/go-multierror"
	"golang.org/x/sync/errgroup"

	"github.com/lambctl/lamb/internal/failure"
)

// owner is the TagProject value this deployer writes, "" without a
// project.
func (d *Deployer) owner() string {
	switch {
	case d.opts.Project == "":
		return ""
	case d.opts.Stage != "":
		return d.opts.Project + "/" + d.opts.Stage
	}
	return d.opts.Project
}

// orphans lists the live functions tagged with this project and stage that
// the manifest does not have (Options.ManifestFunctions), as plans with
// ActionOrphan. It reads the tags of every function not in the manifest;
// a function whose tags cannot be read is reported in the error and left
// out (it is not known to be lamb's).
func (d *Deployer) orphans(ctx context.Context) ([]FunctionPlan, error) {
	owner := d.owner()
	if owner == "" || d.opts.ManifestFunctions == nil {
		return nil, nil
	}
	known := make(map[string]bool, len(d.opts.ManifestFunctions))
	for _, n := range d.opts.ManifestFunctions {
		known[n] = true
	}
	type candidate struct{ name, arn string }
	var cands []candidate
	pages := lambda.NewListFunctionsPaginator(d.lambda, &lambda.ListFunctionsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("look for orphans: list functions: %w", err)
		}
		for _, f := range page.Functions {
			if name := aws.ToString(f.FunctionName); !known[name] {
				cands = append(cands, candidate{name, aws.ToString(f.FunctionArn)})
			}
		}
	}
	found := make([]*FunctionPlan, len(cands))
	errs := make([]error, len(cands))
	var g errgroup.Group
	g.SetLimit(max(d.opts.Concurrency, 8))
	for i, c := range cands {
		g.Go(func() error {
			out, err := d.lambda.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(c.arn)})
			if isNotFound(err) { // deleted meanwhile
				return nil
			}
			if err != nil {
				errs[i] = failure.New(c.name, "look for orphans: list tags", err)
				return nil
			}
			if out.Tags[TagProject] == owner {
				found[i] = &FunctionPlan{
					Name: c.name, Action: ActionOrphan, Config: []Change{}, Reasons: []string{d.orphanReason(owner)},
				}
			}
			return nil
		})
	}
	_ = g.Wait()
	var plans []FunctionPlan
	for _, p := range found {
		if p != nil {
			plans = append(plans, *p)
		}
	}
	var merr *multierror.Error
	merr = failure.Append(merr, errs...)
	return plans, merr.ErrorOrNil()
}

func (d *Deployer) orphanReason(owner string) string {
	if d.opts.Prune {
		return fmt.Sprintf("not in the manifest (%s=%s): deleted with its versions and aliases (--prune)", TagProject, owner)
	}
	return fmt.Sprintf("not in the manifest (%s=%s): lamb deploy --prune deletes it", TagProject, owner)
}

// deleteOrphan deletes an orphan (with its versions and aliases) after
// reading its tag once more: a function that lost the tag meanwhile is
// left alone. A function already gone counts as deleted.
func (d *Deployer) deleteOrphan(ctx context.Context, fp *FunctionPlan, r *FunctionResult) []error {
	owner := d.owner()
	live, err := d.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fp.Name)})
	if isNotFound(err) {
		r.Outcome = Deleted
		return nil
	}
	if err != nil {
		return []error{fp.fail("delete orphan", err)}
	}
	if got := live.Tags[TagProject]; owner == "" || got != owner {
		return []error{fp.fail("delete orphan", fmt.Errorf("its %s tag is now %q, not %q: left alone", TagProject, got, owner))}
	}
	_, err = d.lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(fp.Name)})
	if err != nil && !isNotFound(err) {
		return []error{fp.fail("delete orphan", err)}
	}
	r.Outcome = Deleted
	d.log.Info("deleted orphan", "function", fp.Name)
	return nil
}

// insertSorted merges extra into plans, both sorted by name.
func insertSorted(plans, extra []FunctionPlan) []FunctionPlan {
	out := append(plans, extra...)
	slices.SortStableFunc(out, func(a, b FunctionPlan) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return out
}
