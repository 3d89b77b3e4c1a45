package main

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lambctl/lamb/manifest"
)

// validateResult is validate's -o json output.
type validateResult struct {
	File      string          `json:"file"`
	Stage     string          `json:"stage,omitempty"`
	OK        bool            `json:"ok"`
	Functions int             `json:"functions"`
	Errors    []validateError `json:"errors,omitempty"`
}

type validateError struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Col     int    `json:"col,omitempty"`
	Message string `json:"message"`
}

func newValidateCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "validate",
		Short: "Check lamb.yaml: every problem at once, exit 2 if any",
		Long: `validate decodes and checks the manifest and every package and file it names,
reporting every problem as file:line:col: message. With --stage, the stage is
applied too. Exit 0 when the manifest is valid, 2 when it is not.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.checkOutput(); err != nil {
				return err
			}
			m, err := g.loadManifest()
			if g.Output == "json" {
				return writeValidateJSON(g, m, err)
			}
			if err != nil {
				return err
			}
			stage := ""
			if m.Stage != nil {
				stage = fmt.Sprintf(" (stage %s)", m.Stage.Name)
			}
			_, err = fmt.Fprintf(g.stdout, "%s: ok, %d functions%s\n", g.rel(m.Path), len(m.Functions), stage)
			return err
		},
	}
}

func writeValidateJSON(g *globalOptions, m *manifest.Manifest, loadErr error) error {
	res := validateResult{File: g.File, Stage: g.Stage, OK: loadErr == nil}
	if m != nil {
		res.File, res.Functions = g.rel(m.Path), len(m.Functions)
	}
	var errs manifest.Errors
	switch {
	case errors.As(loadErr, &errs):
		for _, e := range errs {
			res.Errors = append(res.Errors, validateError{File: e.Pos.File, Line: e.Pos.Line, Col: e.Pos.Col, Message: e.Msg})
		}
		if res.File == "" && len(errs) > 0 {
			res.File = errs[0].Pos.File
		}
	case loadErr != nil:
		res.Errors = []validateError{{File: res.File, Message: loadErr.Error()}}
	}
	enc := json.NewEncoder(g.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(res); err != nil {
		return err
	}
	if loadErr != nil {
		return silentExit(exitUsage)
	}
	return nil
}
