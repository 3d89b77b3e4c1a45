//go:build sizegrow

package main

import "golang.org/x/mod/modfile"

func init() {
	extra = func() string {
		f, err := modfile.Parse("go.mod", []byte("module example.com/m\n"), nil)
		if err != nil {
			return err.Error()
		}
		return f.Module.Mod.Path
	}
}
