package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// serverProc is a server running in a child process: this binary's serve
// subcommand, with GOMAXPROCS=1, pinned to serverCPU when pin is set.
type serverProc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
	done   chan error
	Addr   string // where it listens
	PID    int
}

// startServer starts a server process for im, with extra arguments for
// the serve subcommand, and waits for its address.
func startServer(im Impl, pin bool, extra ...string) (*serverProc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cpu := -1
	if pin {
		cpu = serverCPU
	}
	args := append([]string{"serve", "-impl", im.Name, "-addr", "127.0.0.1:0", "-cpu", fmt.Sprint(cpu)}, extra...)
	cmd := exec.Command(exe, args...)
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
	s := &serverProc{cmd: cmd, stdin: stdin, stdout: bufio.NewReader(stdout), done: make(chan error, 1), PID: cmd.Process.Pid}
	line, err := s.stdout.ReadString('\n')
	if err != nil {
		s.stop()
		return nil, fmt.Errorf("server %s: no address: %w", im.Name, err)
	}
	s.Addr = strings.TrimSpace(line)
	go func() { s.done <- cmd.Wait() }()
	return s, nil
}

// stats asks the server for its runtime statistics, after a collection.
// Lines on the server's stdout that are not JSON objects, such as a
// library's log output, are skipped.
func (s *serverProc) stats() (serveStats, error) {
	var st serveStats
	if _, err := io.WriteString(s.stdin, "stats\n"); err != nil {
		return st, err
	}
	for {
		line, err := s.stdout.ReadString('\n')
		if err != nil {
			return st, fmt.Errorf("server stats: %w", err)
		}
		if strings.HasPrefix(line, "{") {
			return st, json.Unmarshal([]byte(line), &st)
		}
	}
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
