package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// serverProc is an echo server running in a child process: this binary's
// serve subcommand, with GOMAXPROCS=1, pinned to serverCPU when pin is set.
type serverProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan error
	Addr  string // where it listens
	PID   int
}

// startServer starts a server process for im and waits for its address.
func startServer(im Impl, pin bool) (*serverProc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cpu := -1
	if pin {
		cpu = serverCPU
	}
	cmd := exec.Command(exe, "serve", "-impl", im.Name, "-addr", "127.0.0.1:0", "-cpu", fmt.Sprint(cpu))
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &serverProc{cmd: cmd, stdin: stdin, done: make(chan error, 1), PID: cmd.Process.Pid}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		s.stop()
		return nil, fmt.Errorf("server %s: no address: %w", im.Name, err)
	}
	s.Addr = strings.TrimSpace(line)
	go func() { s.done <- cmd.Wait() }()
	return s, nil
}

// stop closes the server's stdin, which makes it exit, and kills it if it
// has not exited within two seconds.
func (s *serverProc) stop() {
	s.stdin.Close()
	if s.Addr == "" { // Wait was never started
		s.cmd.Process.Kill()
		s.cmd.Wait()
		return
	}
	select {
	case <-s.done:
	case <-time.After(2 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}
