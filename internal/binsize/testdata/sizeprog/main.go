// Command sizeprog is a small real program for the binsize tests: a few
// standard library packages and one module (go-cmp). Built with the tag
// sizegrow it also imports golang.org/x/mod (grow.go), the "added
// dependency" of the diff test.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/google/go-cmp/cmp"
)

type point struct {
	X, Y int
	Name string
}

var extra func() string

func main() {
	a, b := point{1, 2, "a"}, point{1, 3, os.Args[0]}
	out, err := json.Marshal(a)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(string(out), cmp.Diff(a, b, cmp.AllowUnexported(point{})))
	if extra != nil {
		fmt.Println(extra())
	}
}
