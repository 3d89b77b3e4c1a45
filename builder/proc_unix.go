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

// tryLock takes a shared or an exclusive lock on f without waiting: false
// when another process (or another open file) holds a conflicting one. A
// file system without flock counts as locked: lamb then works as on
// systems without locks.
func tryLock(f *os.File, exclusive bool) bool {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err == syscall.EINTR {
			continue
		}
		return err != syscall.EWOULDBLOCK
	}
}
