package docs_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// tfBlockLabels is the number of labels of each top-level Terraform block.
var tfBlockLabels = map[string]int{
	"resource": 2, "data": 2, "module": 1, "variable": 1, "output": 1,
	"provider": 1, "locals": 0, "terraform": 0, "moved": 0, "import": 0,
	"check": 1, "removed": 0,
}

// parseHCL parses a block as HCL native syntax, positions in the guide.
func parseHCL(b block) (*hclsyntax.Body, hcl.Diagnostics) {
	f, diags := hclsyntax.ParseConfig([]byte(b.Text), b.File, hcl.Pos{Line: b.Line, Column: 1, Byte: 0})
	if f == nil {
		return nil, diags
	}
	body, _ := f.Body.(*hclsyntax.Body)
	return body, diags
}

// checkHCL parses a Terraform block: no diagnostics, only Terraform's
// top-level blocks, each with its number of labels.
func checkHCL(_ *testing.T, b block) result {
	r := result{kind: "hcl"}
	body, diags := parseHCL(b)
	for _, d := range diags {
		r.problems = append(r.problems, d.Error())
	}
	if body == nil || diags.HasErrors() {
		return r
	}
	for _, a := range body.Attributes {
		r.problems = append(r.problems, fmt.Sprintf("%s:%d: top-level attribute %s: a Terraform file has only blocks", b.File, a.SrcRange.Start.Line, a.Name))
	}
	for _, blk := range body.Blocks {
		n, ok := tfBlockLabels[blk.Type]
		switch {
		case !ok:
			r.problems = append(r.problems, fmt.Sprintf("%s:%d: unknown top-level block %s", b.File, blk.TypeRange.Start.Line, blk.Type))
		case len(blk.Labels) != n:
			r.problems = append(r.problems, fmt.Sprintf("%s:%d: %s block needs %d labels, has %d", b.File, blk.TypeRange.Start.Line, blk.Type, n, len(blk.Labels)))
		}
	}
	slices.Sort(r.problems)
	return r
}

// checkHCLReferences checks that every reference in the guide's Terraform
// blocks (var.x, local.x, module.x, data.t.n, t.n) names something declared
// in one of them: the guide's blocks read as one configuration. Blocks that
// do not parse are left to checkHCL.
func checkHCLReferences(blocks []block) []string {
	decls := map[string]bool{}
	var bodies []*hclsyntax.Body
	for _, b := range blocks {
		if b.Lang != "hcl" && b.Lang != "terraform" {
			continue
		}
		body, diags := parseHCL(b)
		if body == nil || diags.HasErrors() {
			continue
		}
		bodies = append(bodies, body)
		for _, blk := range body.Blocks {
			switch {
			case blk.Type == "resource" && len(blk.Labels) == 2:
				decls[blk.Labels[0]+"."+blk.Labels[1]] = true
			case blk.Type == "data" && len(blk.Labels) == 2:
				decls["data."+blk.Labels[0]+"."+blk.Labels[1]] = true
			case blk.Type == "module" && len(blk.Labels) == 1:
				decls["module."+blk.Labels[0]] = true
			case blk.Type == "variable" && len(blk.Labels) == 1:
				decls["var."+blk.Labels[0]] = true
			case blk.Type == "locals":
				for name := range blk.Body.Attributes {
					decls["local."+name] = true
				}
			}
		}
	}
	var problems []string
	for _, body := range bodies {
		hclReferences(body, nil, func(tr hcl.Traversal) {
			if p := resolveReference(tr, decls); p != "" {
				rng := tr.SourceRange()
				problems = append(problems, fmt.Sprintf("%s:%d: %s", rng.Filename, rng.Start.Line, p))
			}
		})
	}
	slices.Sort(problems)
	return slices.Compact(problems)
}

// hclReferences calls fn for each traversal of the variables of body's
// expressions, nested blocks included. Attribute names in
// lifecycle.ignore_changes, a variable's type and provider references are
// not references to declarations; a dynamic block's iterator is local to
// its content.
func hclReferences(body *hclsyntax.Body, local []string, fn func(hcl.Traversal)) {
	for name, a := range body.Attributes {
		if name == "provider" || name == "providers" {
			continue
		}
		for _, tr := range a.Expr.Variables() {
			if !slices.Contains(local, tr.RootName()) {
				fn(tr)
			}
		}
	}
	for _, blk := range body.Blocks {
		switch blk.Type {
		case "lifecycle":
			hclReferences(without(blk.Body, "ignore_changes"), local, fn)
		case "variable":
			hclReferences(without(blk.Body, "type"), local, fn) // a type constraint, not an expression
		case "dynamic":
			if len(blk.Labels) == 1 {
				hclReferences(blk.Body, append(slices.Clip(local), blk.Labels[0]), fn)
			}
		default:
			hclReferences(blk.Body, local, fn)
		}
	}
}

// without returns body without the attribute name.
func without(body *hclsyntax.Body, name string) *hclsyntax.Body {
	inner := *body
	inner.Attributes = hclsyntax.Attributes{}
	for n, a := range body.Attributes {
		if n != name {
			inner.Attributes[n] = a
		}
	}
	return &inner
}

// resolveReference returns "" when tr names a declaration, else why not.
func resolveReference(tr hcl.Traversal, decls map[string]bool) string {
	root := tr.RootName()
	switch root {
	case "each", "count", "self", "path", "terraform":
		return ""
	}
	var names []string
	for _, step := range tr[1:] {
		a, ok := step.(hcl.TraverseAttr)
		if !ok {
			break
		}
		names = append(names, a.Name)
	}
	want := 1
	if root == "data" {
		want = 2
	}
	if len(names) < want {
		return fmt.Sprintf("%s is not a reference to a declaration (a resource type, var, local, module or data)", root)
	}
	key := root + "." + strings.Join(names[:want], ".")
	if !decls[key] {
		return fmt.Sprintf("%s is referenced but not declared in any block of the guide", key)
	}
	return ""
}

// TestHCLReferences: the guide's Terraform blocks read as one
// configuration; what is not declared in any of them is reported.
func TestHCLReferences(t *testing.T) {
	t.Parallel()
	decl := "variable \"stage\" {\n  type = string\n}\n\nlocals {\n  fns = { a = 1 }\n}\n\nresource \"aws_iam_role\" \"r\" {\n  name = var.stage\n}\n"
	tests := []struct {
		name string
		use  string
		want []string
	}{
		{
			name: "declared in another block",
			use:  "resource \"aws_lambda_function\" \"f\" {\n  for_each = local.fns\n  role     = aws_iam_role.r.arn\n  name     = \"${var.stage}-${each.key}\"\n  tags     = { for k, v in local.fns : k => v }\n  lifecycle {\n    ignore_changes = [filename, source_code_hash]\n  }\n}\n",
		},
		{
			name: "dynamic block iterator",
			use:  "resource \"aws_x\" \"y\" {\n  dynamic \"rule\" {\n    for_each = local.fns\n    content {\n      name = rule.key\n    }\n  }\n}\n",
		},
		{
			name: "undeclared",
			use:  "resource \"aws_lambda_function\" \"f\" {\n  role   = aws_iam_role.rr.arn\n  name   = var.stag\n  x      = local.fn\n  y      = module.m.out\n  z      = data.aws_caller_identity.me.account_id\n  lifecycle {\n    replace_triggered_by = [aws_s3_object.o]\n  }\n}\n",
			want: []string{
				"u.md:21: aws_iam_role.rr is referenced but not declared in any block of the guide",
				"u.md:22: var.stag is referenced but not declared in any block of the guide",
				"u.md:23: local.fn is referenced but not declared in any block of the guide",
				"u.md:24: module.m is referenced but not declared in any block of the guide",
				"u.md:25: data.aws_caller_identity.me is referenced but not declared in any block of the guide",
				"u.md:27: aws_s3_object.o is referenced but not declared in any block of the guide",
			},
		},
		{
			name: "bare name",
			use:  "resource \"aws_x\" \"y\" {\n  a = filename\n}\n",
			want: []string{"u.md:21: filename is not a reference to a declaration (a resource type, var, local, module or data)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			blocks := []block{
				{File: "u.md", Line: 1, Lang: "hcl", Text: decl},
				{File: "u.md", Line: 20, Lang: "terraform", Text: tt.use},
				{File: "u.md", Line: 40, Lang: "yaml", Text: "not: hcl\n"},
			}
			if diff := cmp.Diff(tt.want, checkHCLReferences(blocks)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}
