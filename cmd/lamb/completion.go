package main

import (
	"errors"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lambctl/lamb/manifest"
)

// registerCompletions adds dynamic completions for the global flags. The
// completion command itself is cobra's default: lamb completion bash|zsh|fish|powershell.
func registerCompletions(root *cobra.Command, g *globalOptions) {
	root.CompletionOptions.HiddenDefaultCmd = false
	// Create cobra's completion command now to make "lamb completion" with
	// no shell, or an unknown one, a usage error instead of help and exit 0.
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.RunE = func(cmd *cobra.Command, args []string) error {
				return usageError(errors.New("completion: name a shell: bash, zsh, fish or powershell"))
			}
		}
	}
	_ = root.RegisterFlagCompletionFunc("stage", func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		file, err := g.completionManifest()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		names, err := manifest.StageNames(file)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, n := range names {
			if strings.HasPrefix(n, toComplete) {
				out = append(out, n)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
	_ = root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]cobra.Completion{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	_ = root.RegisterFlagCompletionFunc("file", func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return []cobra.Completion{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
	})
	_ = root.RegisterFlagCompletionFunc("dir", func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return nil, cobra.ShellCompDirectiveFilterDirs
	})
}

// completionManifest returns the manifest path for completions, which run
// without PersistentPreRunE: -C is applied here.
func (g *globalOptions) completionManifest() (string, error) {
	if err := g.applyDir(); err != nil {
		return "", err
	}
	if g.File != "" {
		return g.path(g.File), nil
	}
	return manifest.Find(g.wd)
}

// completeFunctions completes function names from the manifest; commands
// taking FUNCTION arguments set it as their ValidArgsFunction:
//
//	ValidArgsFunction: g.completeFunctions,
func (g *globalOptions) completeFunctions(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	file, err := g.completionManifest()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	m, err := manifest.Load(file, manifest.LoadOptions{Stage: g.Stage})
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	seen := map[string]bool{}
	for _, a := range args {
		seen[a] = true
	}
	var out []cobra.Completion
	for _, f := range m.Functions {
		if !seen[f.Name] && !seen[f.Key] && strings.HasPrefix(f.Name, toComplete) {
			out = append(out, f.Name)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
