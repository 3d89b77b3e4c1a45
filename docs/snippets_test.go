// Package docs_test checks the code blocks of the guides for using lamb next
// to Terraform, CDK and CloudFormation. Every fenced block is parsed by a real
// parser of its language (HCL, TypeScript, YAML, JSON, shell), lamb.yaml
// snippets are loaded by the manifest package, and a block of any other
// language fails the test, so nothing in those guides goes unchecked.
//
// Nothing here talks to AWS: the checks are syntactic, plus what can be
// decided from the text alone (Terraform references resolve to declarations
// of the same guide, CloudFormation !Ref and !GetAtt name a resource or a
// parameter of the same template, artifacts.json examples decode as the
// builder writes them).
package docs_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// guides are the files whose every block is checked, and the kinds of
// block each must have (a guide losing its examples fails too).
var guides = []struct {
	file string
	want []string
}{
	{"terraform.md", []string{"hcl", "lamb.yaml", "workflow", "json", "console"}},
	{"cdk.md", []string{"ts", "lamb.yaml"}},
	{"cloudformation.md", []string{"cloudformation", "lamb.yaml"}},
}

// block is one fenced code block of a guide.
type block struct {
	File string // the guide, "terraform.md"
	Line int    // line of the block's first content line in the guide, 1-based
	Lang string // first word of the info string, lower case
	Text string // content, without the fences and their indentation
}

func (b block) String() string { return fmt.Sprintf("%s:%d (%s)", b.File, b.Line, b.Lang) }

// at names a line of the block, given 1-based within the block, as a
// position in the guide.
func (b block) at(line int) string {
	return fmt.Sprintf("%s:%d", b.File, b.Line+max(line, 1)-1)
}

// extractBlocks returns the fenced code blocks of a Markdown file: fences of
// three or more backticks or tildes, indented or not (blocks in list items).
// An unterminated fence is an error: the rest of the file would silently be
// one block.
func extractBlocks(name string, src []byte) ([]block, error) {
	var (
		blocks []block
		cur    *block
		fence  string // the opening fence, "```" or "~~~~"
		indent int
		body   strings.Builder
		open   int // line of the opening fence
	)
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimLeft(line, " ")
		if cur == nil {
			f := fenceOf(trimmed)
			if f == "" {
				continue
			}
			info := strings.TrimSpace(trimmed[len(f):])
			if f[0] == '`' && strings.Contains(info, "`") {
				continue // inline code spanning a line, not a fence
			}
			lang, _, _ := strings.Cut(info, " ")
			cur = &block{File: name, Line: n + 1, Lang: strings.ToLower(lang)}
			fence, indent, open = f, len(line)-len(trimmed), n
			body.Reset()
			continue
		}
		if f := fenceOf(trimmed); f != "" && f[0] == fence[0] && len(f) >= len(fence) && strings.TrimSpace(trimmed[len(f):]) == "" {
			cur.Text = body.String()
			blocks = append(blocks, *cur)
			cur = nil
			continue
		}
		// Content lines lose at most the fence's indentation.
		strip := min(indent, len(line)-len(strings.TrimLeft(line, " ")))
		body.WriteString(line[strip:])
		body.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if cur != nil {
		return nil, fmt.Errorf("%s:%d: code block opened with %s is never closed", name, open, fence)
	}
	return blocks, nil
}

// fenceOf returns the fence that s starts with (three or more backticks or
// tildes), or "".
func fenceOf(s string) string {
	if s == "" || (s[0] != '`' && s[0] != '~') {
		return ""
	}
	n := 0
	for n < len(s) && s[n] == s[0] {
		n++
	}
	if n < 3 {
		return ""
	}
	return s[:n]
}

// result is what a checker found in one block.
type result struct {
	kind     string   // what the block is: its language, or for YAML what it describes
	problems []string // one per problem, each starting with its position in the guide
	skip     string   // why the block could not be checked here; "" when it was
}

// checkers check a block by language; a language missing here fails.
var checkers = map[string]func(t *testing.T, b block) result{
	"hcl":        checkHCL,
	"terraform":  checkHCL,
	"ts":         checkTypeScript,
	"typescript": checkTypeScript,
	"yaml":       checkYAML,
	"json":       checkJSON,
	"sh":         checkShell,
	"bash":       checkShell,
	"console":    checkConsole,
}

func checkBlock(t *testing.T, b block) result {
	c, ok := checkers[b.Lang]
	if !ok {
		known := make([]string, 0, len(checkers))
		for k := range checkers {
			known = append(known, k)
		}
		slices.Sort(known)
		lang := b.Lang
		if lang == "" {
			lang = "(none)"
		}
		return result{problems: []string{fmt.Sprintf("%s: code block of language %s: no checker for it (give the block one of: %s)", b.at(0), lang, strings.Join(known, ", "))}}
	}
	return c(t, b)
}

func readGuide(t *testing.T, file string) []block {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("read guide: %v", err)
	}
	blocks, err := extractBlocks(file, src)
	if err != nil {
		t.Fatal(err)
	}
	return blocks
}

// TestGuides checks every code block of every guide.
func TestGuides(t *testing.T) {
	t.Parallel()
	for _, g := range guides {
		t.Run(g.file, func(t *testing.T) {
			t.Parallel()
			blocks := readGuide(t, g.file)
			kinds := make([]string, len(blocks))
			for i, b := range blocks {
				t.Run(fmt.Sprintf("line%d_%s", b.Line, b.Lang), func(t *testing.T) {
					t.Parallel()
					r := checkBlock(t, b)
					kinds[i] = r.kind
					for _, p := range r.problems {
						t.Error(p)
					}
					if r.skip != "" {
						t.Skipf("%s: not checked: %s", b, r.skip)
					}
				})
			}
			t.Run("references", func(t *testing.T) {
				t.Parallel()
				for _, p := range checkHCLReferences(blocks) {
					t.Error(p)
				}
			})
			t.Cleanup(func() {
				// After the parallel subtests: each kind the guide must show.
				for _, k := range g.want {
					if !slices.Contains(kinds, k) {
						t.Errorf("%s has no %s block: the guide must show one", g.file, k)
					}
				}
			})
		})
	}
}

// TestExtractBlocks pins the fence rules the guides rely on.
func TestExtractBlocks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		src     string
		want    []block
		wantErr string
	}{
		{
			name: "plain",
			src:  "text\n```hcl\na = 1\n```\nmore\n",
			want: []block{{File: "g.md", Line: 3, Lang: "hcl", Text: "a = 1\n"}},
		},
		{
			name: "info string and tildes",
			src:  "~~~~ YAML title=x\nk: v\n```\nstill inside\n~~~~\n",
			want: []block{{File: "g.md", Line: 2, Lang: "yaml", Text: "k: v\n```\nstill inside\n"}},
		},
		{
			name: "indented in a list item",
			src:  "1. step\n\n   ```sh\n   lamb deploy\n     --stage prod\n   ```\n",
			want: []block{{File: "g.md", Line: 4, Lang: "sh", Text: "lamb deploy\n  --stage prod\n"}},
		},
		{
			name: "no language",
			src:  "```\nx\n```\n",
			want: []block{{File: "g.md", Line: 2, Lang: "", Text: "x\n"}},
		},
		{
			name: "two blocks",
			src:  "```json\n{}\n```\n\n```ts\nlet a = 1;\n```\n",
			want: []block{
				{File: "g.md", Line: 2, Lang: "json", Text: "{}\n"},
				{File: "g.md", Line: 6, Lang: "ts", Text: "let a = 1;\n"},
			},
		},
		{
			name: "inline code is not a fence",
			src:  "```a``` and text\n",
		},
		{
			name:    "unterminated",
			src:     "para\n```hcl\na = 1\n",
			wantErr: "g.md:2: code block opened with ``` is never closed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := extractBlocks("g.md", []byte(tt.src))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("blocks (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCheckersReject shows that each checker finds what it is for: a
// checker that passed everything would make TestGuides worthless.
func TestCheckersReject(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		lang string
		text string
		want string // a substring of one problem
	}{
		{"unknown language", "python", "print(1)\n", "no checker for it"},
		{"no language", "", "x\n", "code block of language (none)"},
		{"hcl syntax", "hcl", "resource \"a\" \"b\" {\n  x = \n}\n", "g.md:11"},
		{"hcl labels", "hcl", "resource \"aws_lambda_function\" {\n}\n", "resource block needs 2 labels"},
		{"hcl top-level attribute", "terraform", "x = 1\n", "top-level attribute"},
		{"hcl unknown block", "hcl", "resorce \"a\" \"b\" {}\n", "unknown top-level block resorce"},
		{"ts", "ts", "const a: = 1;\n", "g.md:10: TypeScript"},
		{"json", "json", "{\"a\": 1,}\n", "invalid JSON"},
		{"artifacts.json field", "json", `{"artifacts": [{"function": "f", "path": "f.zip", "code_sha": "x"}]}` + "\n", `unknown field "code_sha"`},
		{"artifacts.json sha", "json", `{"artifacts": [{"function": "f", "path": "f.zip", "code_sha256": "abc"}]}` + "\n", "not a base64 SHA-256"},
		{"sh", "sh", "if true; then\n  echo\n", "g.md:"},
		{"console without command", "console", "output only\n", "no command"},
		{"console syntax", "console", "$ echo 'open\nout\n", "g.md:"},
		{"yaml kind", "yaml", "a: 1\n", "which kind of YAML"},
		{"yaml syntax", "yaml", "# lamb.yaml\nversion: [1\n", "g.md:"},
		{"lamb.yaml", "yaml", "# lamb.yaml\nversion: 1\nfunctions:\n  f:\n    package: ./functions/nope\n", "does not exist"},
		{"cfn ref", "yaml", "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Role: !GetAtt Rol.Arn\n", "Rol is not a resource"},
		{"cfn long ref", "yaml", "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Role: {Ref: Nope}\n", "Ref Nope"},
		{"cfn sub", "yaml", "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      FunctionName: !Sub '${Stage}-x'\n", "${Stage}"},
		{"cfn type", "yaml", "Resources:\n  Fn:\n    Type: Lambda\n", "not a resource type"},
		{"cfn tag", "yaml", "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Role: !Reff X\n", "unknown tag !Reff"},
		{"cfn top key", "yaml", "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\nOutput: {}\n", "unknown top-level key Output"},
		{"cfn duplicate", "yaml", "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n  Fn:\n    Type: AWS::Lambda::Alias\n", "already defined"},
		{"workflow step", "yaml", "# .github/workflows/x.yml\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - name: nothing\n", "neither run nor uses"},
		{"workflow run", "yaml", "# .github/workflows/x.yml\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.sha }} 'x\n", "g.md:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := checkBlock(t, block{File: "g.md", Line: 10, Lang: tt.lang, Text: tt.text})
			if r.skip != "" {
				t.Skipf("not checked: %s", r.skip)
			}
			if !slices.ContainsFunc(r.problems, func(p string) bool { return strings.Contains(p, tt.want) }) {
				t.Errorf("problems %q: none contains %q", r.problems, tt.want)
			}
		})
	}
}

// TestCheckersAccept: valid blocks of each kind pass, so the rejections
// above are not a checker refusing everything.
func TestCheckersAccept(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, lang, text, kind string
	}{
		{"hcl", "hcl", "variable \"stage\" {\n  type = string\n}\n\nlocals {\n  names = [for n in [\"a\"] : \"${var.stage}-${n}\"]\n}\n", "hcl"},
		{"json", "json", `{"artifacts": [{"function": "f", "fingerprint": "ab", "architecture": "arm64", "path": ".lamb/dist/f.zip", "size": 1, "binary_size": 2, "code_sha256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}]}` + "\n", "json"},
		{"ts", "typescript", "import * as lambda from 'aws-cdk-lib/aws-lambda';\nconst f: lambda.IFunction | undefined = undefined;\n", "ts"},
		{"sh", "sh", "lamb build --stage prod \\\n  --cache s3://b/p\n", "sh"},
		{"console", "console", "$ lamb plan --stage prod\nFUNCTION  ACTION\n$ echo 'a' \\\n  b\n", "console"},
		{"cfn", "yaml", "AWSTemplateFormatVersion: \"2010-09-09\"\nParameters:\n  Stage: {Type: String}\nResources:\n  Role:\n    Type: AWS::IAM::Role\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Role: !GetAtt Role.Arn\n      FunctionName: !Sub '${Stage}-x-${AWS::Region}-${!Literal}'\n      Other: {\"Fn::GetAtt\": [Role, Arn]}\n      Name: !Join ['-', [!Ref Stage, x]]\n", "cloudformation"},
		{"workflow", "yaml", "# .github/workflows/x.yml\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: |\n          echo \"${{ github.sha }}\"\n", "workflow"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := checkBlock(t, block{File: "g.md", Line: 1, Lang: tt.lang, Text: tt.text})
			if r.skip != "" {
				t.Skipf("not checked: %s", r.skip)
			}
			if len(r.problems) > 0 {
				t.Fatalf("problems %q", r.problems)
			}
			if r.kind != tt.kind {
				t.Errorf("kind = %q, want %q", r.kind, tt.kind)
			}
		})
	}
}
