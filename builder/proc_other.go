//go:build !unix

package builder

import "os/exec"

// setProcessGroup leaves cmd as is: cancelling kills the go command only.
func setProcessGroup(cmd *exec.Cmd) {}

// lockFile does not lock: concurrent builds of one repository are not
// serialised on this system.
func lockFile(p string, wait func()) (func(), error) { return func() {}, nil }
