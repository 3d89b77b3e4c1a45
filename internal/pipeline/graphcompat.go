package pipeline

import "github.com/lambctl/lamb/graph"

// affectedPrints returns the working tree's prints that Affected computed.
func affectedPrints(res *graph.AffectedResult) []graph.Print { return nil }
