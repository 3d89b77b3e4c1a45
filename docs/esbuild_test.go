package docs_test

import "github.com/evanw/esbuild/pkg/api"

// tsSyntax transforms TypeScript source with esbuild and returns its
// errors and warnings as (line, message), lines 1-based.
func tsSyntax(src string) []lineMessage {
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
