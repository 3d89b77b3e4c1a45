package docs_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/lambctl/lamb/internal/sample"
	"github.com/lambctl/lamb/manifest"
)

// YAML blocks say what they are: a lamb.yaml snippet starts with the line
// "# lamb.yaml", a GitHub Actions workflow with "# .github/workflows/...";
// a CloudFormation or SAM template has a top-level Resources key.
const (
	lambMarker     = "# lamb.yaml"
	workflowMarker = "# .github/workflows/"
)

// checkYAML parses a YAML block with goccy/go-yaml and checks it as what it
// is. Any other YAML fails: its kind would go unchecked.
func checkYAML(t *testing.T, b block) result {
	first, _, _ := strings.Cut(b.Text, "\n")
	first = strings.TrimSpace(first)
	if first == lambMarker {
		return checkLambYAML(t, b)
	}
	root, problems := parseYAML(b)
	if len(problems) > 0 {
		return result{kind: "yaml", problems: problems}
	}
	switch {
	case strings.HasPrefix(first, workflowMarker):
		return result{kind: "workflow", problems: checkWorkflow(b, root)}
	case root.Kind == yMap && root.get("Resources") != nil:
		return result{kind: "cloudformation", problems: checkCloudFormation(b, root)}
	}
	return result{kind: "yaml", problems: []string{fmt.Sprintf("%s: cannot tell which kind of YAML this is: start a lamb.yaml snippet with %q, a workflow with %q, or give a template its Resources", b.at(0), lambMarker, workflowMarker+"NAME.yml")}}
}

// yKind is the kind of a YAML node.
type yKind int

const (
	yScalar yKind = iota
	yMap
	ySeq
	yNull
)

// ynode is a YAML node with what the checks need: CloudFormation's short
// tags (!Ref, !GetAtt, ...) are kept, which decoding into Go values loses.
type ynode struct {
	Kind  yKind
	Tag   string // "!Ref", or "" when untagged
	Value string // scalar value
	Keys  []string
	Vals  []*ynode
	Items []*ynode
	Line  int // line in the guide
}

// get returns the value of key in a mapping, nil if absent.
func (n *ynode) get(key string) *ynode {
	if n == nil || n.Kind != yMap {
		return nil
	}
	if i := slices.Index(n.Keys, key); i >= 0 {
		return n.Vals[i]
	}
	return nil
}

// parseYAML parses a block as one YAML document.
func parseYAML(b block) (*ynode, []string) {
	f, err := parser.ParseBytes([]byte(b.Text), 0)
	if err != nil {
		return nil, []string{fmt.Sprintf("%s: YAML: %s", b.at(yamlErrorLine(err)), firstLine(err.Error()))}
	}
	if len(f.Docs) != 1 {
		return nil, []string{fmt.Sprintf("%s: %d YAML documents, want one", b.at(0), len(f.Docs))}
	}
	var problems []string
	root := convertYAML(b, f.Docs[0].Body, &problems)
	return root, problems
}

var yamlLineRE = regexp.MustCompile(`^\[(\d+):\d+\]`)

// yamlErrorLine is the line goccy/go-yaml reports an error at, 0 if none.
func yamlErrorLine(err error) int {
	var n int
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		fmt.Sscan(m[1], &n)
	}
	return n
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func convertYAML(b block, n ast.Node, problems *[]string) *ynode {
	if n == nil {
		return &ynode{Kind: yNull}
	}
	line := 0
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		line = b.Line + tk.Position.Line - 1
	}
	switch n := n.(type) {
	case *ast.CommentGroupNode, *ast.NullNode:
		return &ynode{Kind: yNull, Line: line}
	case *ast.TagNode:
		v := convertYAML(b, n.Value, problems)
		v.Tag = n.Start.Value
		return v
	case *ast.AnchorNode:
		return convertYAML(b, n.Value, problems)
	case *ast.MappingValueNode:
		m := &ynode{Kind: yMap, Line: line}
		addPair(b, m, n, problems)
		return m
	case *ast.MappingNode:
		m := &ynode{Kind: yMap, Line: line}
		for _, kv := range n.Values {
			addPair(b, m, kv, problems)
		}
		return m
	case *ast.SequenceNode:
		s := &ynode{Kind: ySeq, Line: line}
		for _, it := range n.Values {
			s.Items = append(s.Items, convertYAML(b, it, problems))
		}
		return s
	case *ast.StringNode:
		return &ynode{Kind: yScalar, Value: n.Value, Line: line}
	case *ast.LiteralNode:
		return &ynode{Kind: yScalar, Value: n.Value.Value, Line: line}
	}
	return &ynode{Kind: yScalar, Value: n.GetToken().Value, Line: line}
}

func addPair(b block, m *ynode, kv *ast.MappingValueNode, problems *[]string) {
	k := convertYAML(b, kv.Key, problems)
	if slices.Contains(m.Keys, k.Value) {
		*problems = append(*problems, fmt.Sprintf("%s:%d: duplicate key %s", b.File, k.Line, k.Value))
	}
	m.Keys = append(m.Keys, k.Value)
	m.Vals = append(m.Vals, convertYAML(b, kv.Value, problems))
}

// issue13Keys are the manifest keys of issue 13, which the manifest may not
// know yet while it is being implemented: a snippet using one is skipped
// then, not failed.
var issue13Keys = []string{"manage", "project", "account", "confirm"}

// checkLambYAML loads a lamb.yaml snippet with the manifest package, in a
// copy of the sample monorepo (its packages are the snippets' packages),
// with no stage and with each of the snippet's stages.
func checkLambYAML(t *testing.T, b block) result {
	r := result{kind: "lamb.yaml"}
	root, problems := parseYAML(b)
	if len(problems) > 0 {
		r.problems = problems
		return r
	}
	dir := t.TempDir()
	if err := copyMonorepo(dir); err != nil {
		t.Fatalf("copy the sample monorepo: %v", err)
	}
	path := filepath.Join(dir, manifest.FileName)
	if err := os.WriteFile(path, []byte(b.Text), 0o644); err != nil {
		t.Fatal(err)
	}
	stages := []string{""}
	if s := root.get("stages"); s != nil {
		stages = append(stages, s.Keys...)
	}
	for _, stage := range stages {
		m, err := manifest.Load(path, manifest.LoadOptions{Stage: stage})
		var errs manifest.Errors
		switch {
		case errors.As(err, &errs):
			for _, e := range errs {
				for _, k := range issue13Keys {
					if strings.Contains(e.Msg, fmt.Sprintf("unknown field %q", k)) {
						r.skip = fmt.Sprintf("the manifest does not know %q yet (issue 13): %s", k, e.Msg)
						return r
					}
				}
				r.problems = append(r.problems, fmt.Sprintf("%s: stage %q: %s", b.at(e.Pos.Line), stage, e.Msg))
			}
		case err != nil:
			r.problems = append(r.problems, fmt.Sprintf("%s: stage %q: %v", b.at(0), stage, err))
		case len(m.Functions) == 0:
			r.problems = append(r.problems, fmt.Sprintf("%s: stage %q: no function", b.at(0), stage))
		}
	}
	return r
}

// monorepo is the sample repository the lamb.yaml snippets are loaded in.
const monorepo = "../testdata/monorepo"

// copyMonorepo copies the sample monorepo as a fresh clone has it, but
// for its lamb.yaml, to dir.
func copyMonorepo(dir string) error {
	if err := sample.Copy(monorepo, dir); err != nil {
		return err
	}
	return os.Remove(filepath.Join(dir, manifest.FileName))
}

// checkWorkflow checks a GitHub Actions workflow's shape (on, jobs, each
// job's runs-on and steps, each step's run or uses) and every run script
// with bash -n, GitHub's ${{ }} expressions replaced by a word.
func checkWorkflow(b block, root *ynode) []string {
	var problems []string
	bad := func(line int, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s:%d: %s", b.File, line, fmt.Sprintf(format, args...)))
	}
	if root.Kind != yMap {
		bad(b.Line, "a workflow is a mapping")
		return problems
	}
	if root.get("on") == nil {
		bad(root.Line, "workflow without on:")
	}
	jobs := root.get("jobs")
	if jobs == nil || jobs.Kind != yMap || len(jobs.Keys) == 0 {
		bad(root.Line, "workflow without jobs")
		return problems
	}
	for i, name := range jobs.Keys {
		job := jobs.Vals[i]
		if job.Kind != yMap {
			bad(job.Line, "job %s is not a mapping", name)
			continue
		}
		if job.get("uses") != nil {
			continue // a reusable workflow
		}
		if job.get("runs-on") == nil {
			bad(job.Line, "job %s has no runs-on", name)
		}
		steps := job.get("steps")
		if steps == nil || steps.Kind != ySeq || len(steps.Items) == 0 {
			bad(job.Line, "job %s has no steps", name)
			continue
		}
		for _, st := range steps.Items {
			run, uses := st.get("run"), st.get("uses")
			switch {
			case (run == nil) == (uses == nil):
				bad(st.Line, "step of job %s has neither run nor uses, or both", name)
			case run != nil:
				script := ghExprRE.ReplaceAllString(run.Value, "GHA_EXPR")
				// A literal block starts on the line after "run: |".
				start := run.Line
				if strings.Contains(run.Value, "\n") {
					start++
				}
				problems = append(problems, bashSyntax(b.File, start, script)...)
			}
		}
	}
	return problems
}

var ghExprRE = regexp.MustCompile(`\$\{\{.*?\}\}`)

// CloudFormation's template sections, resource attributes, intrinsic
// function tags and pseudo parameters.
var (
	cfnSections = []string{"AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Rules", "Mappings", "Conditions", "Transform", "Globals", "Resources", "Outputs"}
	cfnAttrs    = []string{"Type", "Properties", "DependsOn", "Condition", "DeletionPolicy", "UpdateReplacePolicy", "Metadata", "CreationPolicy", "UpdatePolicy"}
	cfnTags     = []string{"!Ref", "!GetAtt", "!Sub", "!Join", "!Select", "!Split", "!If", "!Equals", "!Not", "!And", "!Or", "!FindInMap", "!ImportValue", "!Base64", "!Cidr", "!GetAZs", "!Condition", "!Transform"}
	cfnPseudo   = []string{"AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue", "AWS::Partition", "AWS::Region", "AWS::StackId", "AWS::StackName", "AWS::URLSuffix"}
	cfnTypeRE   = regexp.MustCompile(`^(AWS::[A-Za-z0-9]+::[A-Za-z0-9]+|Custom::[A-Za-z0-9_@-]+)$`)
	cfnIDRE     = regexp.MustCompile(`^[A-Za-z0-9]+$`)
	cfnSubRE    = regexp.MustCompile(`\$\{([^}]*)\}`)
)

// checkCloudFormation checks a template's sections and resources, and that
// every Ref, GetAtt, Sub variable and DependsOn names a parameter or
// resource of the template (or a pseudo parameter).
func checkCloudFormation(b block, root *ynode) []string {
	var problems []string
	bad := func(line int, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s:%d: %s", b.File, line, fmt.Sprintf(format, args...)))
	}
	for i, k := range root.Keys {
		if !slices.Contains(cfnSections, k) {
			bad(root.Vals[i].Line, "unknown top-level key %s", k)
		}
	}
	params := root.get("Parameters")
	resources := root.get("Resources")
	if resources.Kind != yMap || len(resources.Keys) == 0 {
		bad(resources.Line, "Resources is empty")
		return problems
	}
	if root.get("Globals") != nil && !strings.Contains(scalarText(root.get("Transform")), "AWS::Serverless-2016-10-31") {
		bad(root.get("Globals").Line, "Globals needs Transform: AWS::Serverless-2016-10-31")
	}
	isResource := func(id string) bool { return slices.Contains(resources.Keys, id) }
	isRef := func(id string) bool {
		return isResource(id) || slices.Contains(cfnPseudo, id) || (params != nil && slices.Contains(params.Keys, id))
	}
	for i, id := range resources.Keys {
		res := resources.Vals[i]
		if !cfnIDRE.MatchString(id) {
			bad(res.Line, "logical ID %q must be alphanumeric", id)
		}
		if res.Kind != yMap {
			bad(res.Line, "resource %s is not a mapping", id)
			continue
		}
		for j, k := range res.Keys {
			if !slices.Contains(cfnAttrs, k) {
				bad(res.Vals[j].Line, "resource %s: unknown attribute %s", id, k)
			}
		}
		if typ := res.get("Type"); typ == nil || !cfnTypeRE.MatchString(typ.Value) {
			bad(res.Line, "resource %s: Type %q is not a resource type (AWS::Service::Resource)", id, scalarText(typ))
		}
		if dep := res.get("DependsOn"); dep != nil {
			for _, d := range append([]*ynode{dep}, dep.Items...) {
				if d.Kind == yScalar && !isResource(d.Value) {
					bad(d.Line, "DependsOn %s is not a resource of the template", d.Value)
				}
			}
		}
	}
	checkRef := func(n *ynode, name string) {
		if !isRef(name) {
			bad(n.Line, "Ref %s is not a resource, parameter or pseudo parameter of the template", name)
		}
	}
	checkGetAtt := func(n *ynode) {
		id := ""
		switch {
		case n.Kind == yScalar:
			id, _, _ = strings.Cut(n.Value, ".")
		case n.Kind == ySeq && len(n.Items) == 2:
			id = n.Items[0].Value
		default:
			bad(n.Line, "GetAtt wants Resource.Attribute or [Resource, Attribute]")
			return
		}
		if !isResource(id) {
			bad(n.Line, "GetAtt %s: %s is not a resource of the template", n.Value, id)
		}
	}
	checkSub := func(n *ynode) {
		text, vars := n.Value, []string(nil)
		if n.Kind == ySeq && len(n.Items) == 2 {
			text, vars = n.Items[0].Value, n.Items[1].Keys
		}
		for _, m := range cfnSubRE.FindAllStringSubmatch(text, -1) {
			name := m[1]
			if strings.HasPrefix(name, "!") || slices.Contains(vars, name) {
				continue // ${!Literal}, or a variable of the Sub's own map
			}
			if id, _, _ := strings.Cut(name, "."); !isRef(name) && !isResource(id) {
				bad(n.Line, "Sub variable ${%s} is not a resource, parameter or pseudo parameter of the template", name)
			}
		}
	}
	var walk func(n *ynode)
	walk = func(n *ynode) {
		switch n.Tag {
		case "":
		case "!Ref":
			checkRef(n, n.Value)
		case "!GetAtt":
			checkGetAtt(n)
		case "!Sub":
			checkSub(n)
		default:
			if !slices.Contains(cfnTags, n.Tag) {
				bad(n.Line, "unknown tag %s (CloudFormation's short forms: %s)", n.Tag, strings.Join(cfnTags, " "))
			}
		}
		if n.Kind == yMap && len(n.Keys) == 1 {
			switch v := n.Vals[0]; n.Keys[0] {
			case "Ref":
				checkRef(v, v.Value)
			case "Fn::GetAtt":
				checkGetAtt(v)
			case "Fn::Sub":
				checkSub(v)
			}
		}
		for _, v := range n.Vals {
			walk(v)
		}
		for _, v := range n.Items {
			walk(v)
		}
	}
	for _, sec := range []string{"Resources", "Outputs", "Conditions", "Globals"} {
		if n := root.get(sec); n != nil {
			walk(n)
		}
	}
	return problems
}

func scalarText(n *ynode) string {
	if n == nil {
		return ""
	}
	if n.Kind == ySeq {
		var parts []string
		for _, it := range n.Items {
			parts = append(parts, it.Value)
		}
		return strings.Join(parts, " ")
	}
	return n.Value
}
