package main

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

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
	stdout, stderr outputBuffer
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
		srv := startServeBinary(t, bin, "-q")
		status, stdout, stderr := runWsxBinary(t, bin, strings.NewReader("a\nb\n"), "connect", srv.url+"/")
		if status != 0 || stdout != "a\nb\n" {
			t.Fatalf("status %d, stdout %q, stderr %q; want 0, \"a\\nb\\n\"", status, stdout, stderr)
		}
	})

	t.Run("server shutdown exits 101", func(t *testing.T) {
		srv := startServeBinary(t, bin, "-q")
		c := startWsxConnect(t, bin, srv.url+"/")
		srv.stop() // 1001 Going Away to wsx connect
		if status := c.wait(t); status != 101 {
			t.Fatalf("exit status %d, want 101; stderr %q", status, c.stderr.String())
		}
	})

	t.Run("interrupt closes with 1000", func(t *testing.T) {
		srv := startServeBinary(t, bin, "-q")
		c := startWsxConnect(t, bin, srv.url+"/")
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
