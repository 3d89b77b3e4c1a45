package buildcfg

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
)

// goEnvVars are the go environment variables that change a binary built
// with a given command line, whatever sets them (the machine's go env
// file, the process environment or the manifest's build env).
var goEnvVars = []string{"GOVERSION", "GOFLAGS", "GOARM64", "GOAMD64", "GOEXPERIMENT", "GOFIPS140", "CGO_ENABLED"}

// cgoEnvVars matter too when cgo is on: the C toolchain and its flags.
var cgoEnvVars = []string{"CC", "CXX", "CGO_CFLAGS", "CGO_CPPFLAGS", "CGO_CXXFLAGS", "CGO_FFLAGS", "CGO_LDFLAGS", "PKG_CONFIG"}

// GoEnv is what the go command says about the environment of one
// configuration: the values that change its binaries, and GOWORK.
type GoEnv struct {
	// Vars are the values of goEnvVars (and cgoEnvVars with cgo) that
	// change a binary, GOFLAGS reduced by RelevantGOFLAGS; empty values
	// left out.
	Vars map[string]string
	// GOWORK is the go.work file in use, "" for none.
	GOWORK string
	// CC is the first line of the C compiler's --version with cgo on, ""
	// otherwise.
	CC string
}

// ReadGoEnv runs `go env` in dir with environ (Config.Environ) and returns
// the values that change the binaries built there.
func ReadGoEnv(ctx context.Context, dir string, environ []string) (GoEnv, error) {
	vars := append([]string{"GOWORK"}, goEnvVars...)
	vars = append(vars, cgoEnvVars...)
	out, err := goCmd(ctx, dir, environ, append([]string{"env", "-json"}, vars...)...)
	if err != nil {
		return GoEnv{}, err
	}
	var all map[string]string
	if err := json.Unmarshal(out, &all); err != nil {
		return GoEnv{}, fmt.Errorf("go env in %s: %w", dir, err)
	}
	e := GoEnv{Vars: map[string]string{}, GOWORK: all["GOWORK"]}
	keep := goEnvVars
	cgo := all["CGO_ENABLED"] == "1"
	if cgo {
		keep = append(keep, cgoEnvVars...)
	}
	for _, k := range keep {
		v := all[k]
		if k == "GOFLAGS" {
			v = RelevantGOFLAGS(v)
		}
		if v != "" {
			e.Vars[k] = v
		}
	}
	if cgo && all["CC"] != "" {
		cc := strings.Fields(all["CC"])
		cmd := exec.CommandContext(ctx, cc[0], append(cc[1:], "--version")...)
		cmd.Dir = dir
		cmd.Env = environ
		out, err := cmd.Output()
		if err != nil {
			return GoEnv{}, fmt.Errorf("cgo is on but the C compiler %q does not run: %w", all["CC"], err)
		}
		e.CC, _, _ = strings.Cut(strings.TrimSpace(string(out)), "\n")
	}
	return e, nil
}

func goCmd(ctx context.Context, dir string, environ []string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = environ
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go %s in %s: %w: %s", args[0], dir, err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// RelevantGOFLAGS drops from GOFLAGS the flags that cannot change lamb's
// binaries: lamb passes -trimpath and -buildvcs=false itself, and the
// others change only logging, scheduling or file modes. A machine's go env
// file then does not change every fingerprint.
func RelevantGOFLAGS(goflags string) string {
	var keep []string
	for _, f := range strings.Fields(goflags) {
		name, _, _ := strings.Cut(strings.TrimLeft(f, "-"), "=")
		switch name {
		case "buildvcs", "trimpath", "modcacherw", "p", "v", "x", "json":
			continue
		}
		keep = append(keep, f)
	}
	return strings.Join(keep, " ")
}
