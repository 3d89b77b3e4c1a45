package graph

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWriteGraph(t *testing.T) {
	prints := []Print{{
		Function: "pricing",
		Package:  "example.com/shop/functions/pricing",
		Inputs: Inputs{
			Packages: map[string]PackageInputs{
				"example.com/shop/functions/pricing": {Name: "functions/pricing", Imports: []string{"example.com/money"}, Modules: []string{"github.com/aws/aws-lambda-go"}},
				"example.com/money":                  {Name: "example.com/money"},
			},
			Modules: map[string]string{"github.com/aws/aws-lambda-go": "v1.55.1", "github.com/x/indirect": "v0.1.0"},
		},
	}}
	tests := []struct {
		format string
		want   string
	}{
		{"text", `pricing (example.com/shop/functions/pricing)
  example.com/money
  functions/pricing
    -> example.com/money
    => github.com/aws/aws-lambda-go
  module github.com/aws/aws-lambda-go v1.55.1
  module github.com/x/indirect v0.1.0
`},
		{"dot", `digraph lamb {
	rankdir=LR;
	node [fontname="Helvetica"];
	"fn:pricing" [shape=box, style=filled, fillcolor="#ffd58a", label="pricing"];
	"fn:pricing" -> "pkg:example.com/shop/functions/pricing";
	"pkg:example.com/money" [shape=box, label="example.com/money"];
	"pkg:example.com/shop/functions/pricing" [shape=box, label="functions/pricing"];
	"pkg:example.com/shop/functions/pricing" -> "pkg:example.com/money";
	"pkg:example.com/shop/functions/pricing" -> "mod:github.com/aws/aws-lambda-go";
	"mod:github.com/aws/aws-lambda-go" [shape=ellipse, style=dashed, label="github.com/aws/aws-lambda-go\nv1.55.1"];
	"mod:github.com/x/indirect" [shape=ellipse, style=dashed, label="github.com/x/indirect\nv0.1.0"];
	"fn:pricing" -> "mod:github.com/x/indirect" [style=dotted];
}
`},
		{"json", `[
  {
    "name": "pricing",
    "package": "example.com/shop/functions/pricing",
    "packages": [
      {
        "path": "example.com/money",
        "name": "example.com/money",
        "imports": [],
        "modules": []
      },
      {
        "path": "example.com/shop/functions/pricing",
        "name": "functions/pricing",
        "imports": [
          "example.com/money"
        ],
        "modules": [
          "github.com/aws/aws-lambda-go"
        ]
      }
    ],
    "modules": [
      {
        "path": "github.com/aws/aws-lambda-go",
        "version": "v1.55.1"
      },
      {
        "path": "github.com/x/indirect",
        "version": "v0.1.0"
      }
    ]
  }
]
`},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteGraph(&buf, prints, tt.format); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, buf.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if err := WriteGraph(&bytes.Buffer{}, prints, "svg"); err == nil || !strings.Contains(err.Error(), "svg") {
		t.Errorf("format svg: %v", err)
	}
}
