//go:build !unix

package builder

import "os/exec"

// setProcessGroup leaves cmd as is: cancelling kills the go command only.
func setProcessGroup(cmd *exec.Cmd) {}
