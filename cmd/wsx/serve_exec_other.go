//go:build !unix

package main

import (
	"os"
	"os/exec"
)

// shellCommand runs command under the system's shell: cmd /C on Windows
// (COMSPEC), /bin/sh -c elsewhere. Without process groups, only the
// shell itself can be killed.
func shellCommand(command string) *exec.Cmd {
	if shell := os.Getenv("COMSPEC"); shell != "" {
		return exec.Command(shell, "/C", command)
	}
	return exec.Command("/bin/sh", "-c", command)
}

// killProcessGroup kills the program's process; the processes it started
// are left to end with their pipes.
func killProcessGroup(cmd *exec.Cmd) {
	cmd.Process.Kill()
}
