//go:build !unix

package builder

import (
	"os"
	"os/exec"
)

// setProcessGroup leaves cmd as is: cancelling kills the go command only.
func setProcessGroup(cmd *exec.Cmd) {}

// lockFile does not lock: concurrent builds of one repository are not
// serialised on this system.
func lockFile(p string, wait func()) (func(), error) { return func() {}, nil }

// tryLock does not lock: a prune may remove a cache entry a build is
// copying; the copy then fails its checksum or misses, and the build
// builds the function instead.
func tryLock(f *os.File, exclusive bool) bool { return true }
