package builder

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"time"
)

// goRunner runs the go command with args in dir with env, writing its
// standard output and error to stdout and stderr. Tests swap it to count
// invocations (withRunner).
type goRunner func(ctx context.Context, dir string, env, args []string, stdout, stderr io.Writer) error

// execGo runs the real go command. The go command and the compilers and
// linkers it starts run in their own process group, which is interrupted as
// a whole when ctx is done (Ctrl-C).
func execGo(ctx context.Context, dir string, env, args []string, stdout, stderr io.Writer) error {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	setProcessGroup(cmd)
	cmd.WaitDelay = 5 * time.Second
	return cmd.Run()
}

// buildEvent is one line of `go build -json`.
type buildEvent struct {
	ImportPath string
	Action     string // build-output, build-fail
	Output     string
}

// buildReport is what a failed `go build -json` said.
type buildReport struct {
	failed []string          // import paths that failed, in order
	output map[string]string // import path → compiler output
	other  string            // output that is not JSON, and stderr
}

// parseBuildJSON reads the output of `go build -json`.
func parseBuildJSON(stdout, stderr []byte) buildReport {
	r := buildReport{output: map[string]string{}}
	var other strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(stdout))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var ev buildEvent
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &ev) != nil || ev.ImportPath == "" {
			other.Write(line)
			other.WriteByte('\n')
			continue
		}
		switch ev.Action {
		case "build-output":
			r.output[ev.ImportPath] += ev.Output
		case "build-fail":
			r.failed = append(r.failed, ev.ImportPath)
		}
	}
	other.Write(stderr)
	r.other = strings.TrimSpace(other.String())
	return r
}

// parseDeps reads the output of GoListDepsArgs: import path → the package
// and all its dependencies.
func parseDeps(out []byte) map[string][]string {
	deps := map[string][]string{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		deps[f[0]] = f
	}
	return deps
}
