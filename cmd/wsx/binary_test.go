package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The tests that run the built wsx binary share these helpers.

// buildWsxBinary builds cmd/wsx, with the race detector when the tests
// run under it, into a temporary directory and returns its path.
func buildWsxBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds wsx: not in -short mode")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build wsx with")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "wsx")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	out, err := exec.CommandContext(ctx, goCmd, append(args, ".")...).CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// firstLine passes the first line written to it, without its newline,
// to a channel, and discards the rest.
type firstLine struct {
	buf  []byte
	sent bool
	line chan string
}

func (w *firstLine) Write(p []byte) (int, error) {
	if !w.sent {
		w.buf = append(w.buf, p...)
		if i := bytes.IndexByte(w.buf, '\n'); i >= 0 {
			w.sent = true
			w.line <- string(w.buf[:i])
		}
	}
	return len(p), nil
}

// servedBinary is a `wsx serve` process.
type servedBinary struct {
	url    string // without the trailing slash
	log    *outputBuffer
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // the result of Wait, once exited is closed
	once   sync.Once
}

// startServeBinary runs `wsx serve -addr 127.0.0.1:0` from bin with args
// and returns once it listens. It is stopped at the end of the test if
// the test has not stopped it.
func startServeBinary(t *testing.T, bin string, args ...string) *servedBinary {
	t.Helper()
	s := &servedBinary{log: new(outputBuffer), exited: make(chan struct{})}
	out := &firstLine{line: make(chan string, 1)}
	s.cmd = exec.Command(bin, append([]string{"serve", "-addr", "127.0.0.1:0"}, args...)...)
	s.cmd.Stdout = out
	s.cmd.Stderr = s.log
	if raceEnabled && os.Getenv("GORACE") == "" {
		// A race still fails the test, through the exit status; the
		// second the race runtime waits before exiting only slows it.
		s.cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Errorf("wsx serve: %v", err)
		}
	})
	select {
	case line := <-out.line:
		_, url, ok := strings.Cut(line, " listening on ")
		if !ok {
			t.Fatalf("wsx serve's first line %q", line)
		}
		s.url = strings.TrimSuffix(url, "/")
	case <-s.exited:
		t.Fatalf("wsx serve exited: %v\n%s", s.err, s.log.lines(""))
	case <-time.After(30 * time.Second):
		t.Fatal("wsx serve printed no URL")
	}
	return s
}

// stop sends SIGTERM to the server, by its PID, and waits for it to
// exit, returning its exit error.
func (s *servedBinary) stop() error {
	s.once.Do(func() { s.cmd.Process.Signal(syscall.SIGTERM) })
	select {
	case <-s.exited:
		return s.err
	case <-time.After(15 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
		return errors.New("did not exit within 15 s of SIGTERM")
	}
}
