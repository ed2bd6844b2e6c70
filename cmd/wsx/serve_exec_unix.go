//go:build unix

package main

import (
	"os/exec"
	"syscall"
)

// shellCommand runs command under /bin/sh -c, in a process group of its
// own, so that killProcessGroup reaches the processes the shell starts
// too.
func shellCommand(command string) *exec.Cmd {
	cmd := exec.Command("/bin/sh", "-c", command)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// killProcessGroup kills the process group that cmd leads; after the
// leader exited, what it left behind in the group, if anything.
func killProcessGroup(cmd *exec.Cmd) {
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}
