//go:build unix

package builder

import (
	"os"
	"os/exec"
	"syscall"
)

// setProcessGroup starts cmd in its own process group and makes cancelling
// it interrupt the whole group, so the compilers and linkers the go command
// started stop too, and the go command removes its work directory.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
	}
}

// lockFile takes an exclusive lock on the file at p, creating it; wait is
// called first if another process holds it. The lock is released by the
// returned function (or when the process exits).
func lockFile(p string, wait func()) (func(), error) {
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		wait()
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return nil, err
		}
	}
	return func() { f.Close() }, nil
}
