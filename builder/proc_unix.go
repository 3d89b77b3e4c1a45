//go:build unix

package builder

import (
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
