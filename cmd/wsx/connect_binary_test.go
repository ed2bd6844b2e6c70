package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// buildWsxBinary builds cmd/wsx into a temporary directory and returns
// the executable's path. It skips the test in -short mode or without a
// go command.
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
	out, err := exec.CommandContext(ctx, goCmd, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startWsxServe starts `wsx serve` from bin on a free port and returns
// its URL, read from its first line, and a function that stops it with
// an interrupt, as Ctrl-C would, and waits for it to exit.
func startWsxServe(t *testing.T, bin string) (url string, stop func()) {
	t.Helper()
	cmd := exec.Command(bin, "serve", "-addr", "127.0.0.1:0", "-q")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- line
		io.Copy(io.Discard, stdout)
		exited <- cmd.Wait()
	}()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Error("wsx serve did not exit after an interrupt")
			<-exited
		}
	}
	t.Cleanup(stop)
	select {
	case line := <-lines:
		_, url, ok := strings.Cut(strings.TrimSpace(line), "wsx: echo server listening on ")
		if !ok {
			t.Fatalf("wsx serve's first line %q", line)
		}
		return url, stop
	case <-time.After(10 * time.Second):
		t.Fatal("wsx serve printed no URL")
		return "", stop
	}
}

// runWsxBinary runs bin with args and stdin, bounded in time, and returns its
// exit status and output.
func runWsxBinary(t *testing.T, bin string, stdin io.Reader, args ...string) (status int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = stdin
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ctx.Err() == nil:
		status = ee.ExitCode()
	default:
		t.Fatalf("wsx %q: %v; stderr %q", args, err, errOut.String())
	}
	return status, out.String(), errOut.String()
}

// wsxConnect is a running `wsx connect -json` whose stdin stays open.
type wsxConnect struct {
	cmd            *exec.Cmd
	stdout, stderr connectBuffer
	exited         chan struct{} // closed once err is set
	err            error         // cmd.Wait's
}

// startWsxConnect starts `wsx connect -json URL` from bin and returns once
// it printed its open event.
func startWsxConnect(t *testing.T, bin, url string) *wsxConnect {
	t.Helper()
	c := &wsxConnect{cmd: exec.Command(bin, "connect", "-json", url), exited: make(chan struct{})}
	stdin, err := c.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close() })
	c.cmd.Stdout, c.cmd.Stderr = &c.stdout, &c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		c.err = c.cmd.Wait()
		close(c.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-c.exited:
		default:
			c.cmd.Process.Kill()
			<-c.exited
		}
	})
	c.stdout.waitFor(t, `"type":"open"`)
	return c
}

// wait returns the exit status, failing the test if wsx connect does not
// exit within 10 seconds.
func (c *wsxConnect) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-c.exited:
		var ee *exec.ExitError
		switch {
		case c.err == nil:
			return 0
		case errors.As(c.err, &ee):
			return ee.ExitCode()
		default:
			t.Fatal(c.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("wsx connect did not exit; stdout %q, stderr %q", c.stdout.String(), c.stderr.String())
	}
	return -1
}

// TestWsxBinaryConnect runs the built wsx: connect against serve, both
// from the same binary, and version.
func TestWsxBinaryConnect(t *testing.T) {
	bin := buildWsxBinary(t)

	t.Run("pipe round trip", func(t *testing.T) {
		url, _ := startWsxServe(t, bin)
		status, stdout, stderr := runWsxBinary(t, bin, strings.NewReader("a\nb\n"), "connect", url)
		if status != 0 || stdout != "a\nb\n" {
			t.Fatalf("status %d, stdout %q, stderr %q; want 0, \"a\\nb\\n\"", status, stdout, stderr)
		}
	})

	t.Run("server shutdown exits 101", func(t *testing.T) {
		url, stopServe := startWsxServe(t, bin)
		c := startWsxConnect(t, bin, url)
		stopServe() // 1001 Going Away to wsx connect
		if status := c.wait(t); status != 101 {
			t.Fatalf("exit status %d, want 101; stderr %q", status, c.stderr.String())
		}
	})

	t.Run("interrupt closes with 1000", func(t *testing.T) {
		url, _ := startWsxServe(t, bin)
		c := startWsxConnect(t, bin, url)
		c.cmd.Process.Signal(os.Interrupt)
		if status := c.wait(t); status != 0 {
			t.Fatalf("exit status %d, want 0; stderr %q", status, c.stderr.String())
		}
		out := c.stdout.String()
		if !strings.Contains(out, `"dir":"out","type":"close","code":1000`) || !strings.Contains(out, `"dir":"in","type":"close","code":1000`) {
			t.Errorf("no close handshake in the output:\n%s", out)
		}
	})

	t.Run("usage error exits 2", func(t *testing.T) {
		if status, _, _ := runWsxBinary(t, bin, nil, "connect"); status != 2 {
			t.Fatalf("status %d, want 2", status)
		}
	})

	t.Run("version", func(t *testing.T) {
		want := regexp.MustCompile(`^wsx \S+ \(go1\.[0-9.]+[^)]*\)\n$`)
		var first string
		for _, arg := range []string{"version", "-version", "--version"} {
			status, stdout, stderr := runWsxBinary(t, bin, nil, arg)
			if status != 0 || !want.MatchString(stdout) {
				t.Fatalf("wsx %s: status %d, stdout %q, stderr %q", arg, status, stdout, stderr)
			}
			if first == "" {
				first = stdout
			} else if stdout != first {
				t.Errorf("wsx %s printed %q, wsx version %q", arg, stdout, first)
			}
		}
	})
}
