//go:build esbuild

// Built with -tags esbuild once go.mod requires github.com/evanw/esbuild
// (go get github.com/evanw/esbuild@v0.28.2): the TypeScript blocks of the
// guides are then transformed by esbuild, which reports syntax errors.

package docs_test

import "github.com/evanw/esbuild/pkg/api"

func init() {
	tsSyntax = func(src string) []lineMessage {
		res := api.Transform(src, api.TransformOptions{
			Loader:     api.LoaderTS,
			Sourcefile: "snippet.ts",
			LogLevel:   api.LogLevelSilent,
		})
		var out []lineMessage
		for _, msgs := range [][]api.Message{res.Errors, res.Warnings} {
			for _, m := range msgs {
				line := 0
				if m.Location != nil {
					line = m.Location.Line
				}
				out = append(out, lineMessage{Line: line, Msg: m.Text})
			}
		}
		return out
	}
}
