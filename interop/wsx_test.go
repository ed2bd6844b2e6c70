package interop_test

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestPythonClientWsxServer runs the matrix's Python client with the
// message cases against "wsx serve", an echo server.
func TestPythonClientWsxServer(t *testing.T) {
	requirePython(t)
	wsx := buildWsx(t)
	ctx := testContext(t)

	srv := startProcess(t, ctx, wsx, "serve", "-addr", "127.0.0.1:0")
	const banner = "wsx: echo server listening on "
	line := srv.waitLine(t, ctx, func(l string) bool { return strings.HasPrefix(l, banner) })
	url := strings.TrimPrefix(line, banner)

	args := []string{pythonScript(t, "matrix_client.py"), strings.TrimSuffix(url, "/")}
	for _, n := range []int{0, 125, 126, 65535, 65536, 1 << 20} {
		args = append(args, fmt.Sprintf("text-%d", n), fmt.Sprintf("binary-%d", n))
	}
	args = append(args, "utf8", "large", "ping-by-client")
	client := exec.CommandContext(ctx, pythonPath, args...)
	client.WaitDelay = 5 * time.Second
	out, err := client.CombinedOutput()
	if err != nil {
		t.Fatalf("matrix_client.py %s: %v\n%s", url, err, out)
	}
	if got, want := strings.Count(string(out), "\nok "), len(args)-2; got != want {
		t.Errorf("matrix_client.py reported %d cases ok, want %d:\n%s", got, want, out)
	}
	t.Logf("matrix_client.py %s:\n%s", url, out)

	// wsx logs how each connection ended: it must have seen the 1000.
	srv.waitLine(t, ctx, closedNormally("/ping-by-client"))

	if err := srv.stop(syscall.SIGTERM); err != nil {
		t.Errorf("wsx serve did not exit cleanly on SIGTERM: %v", err)
	}
}

// buildWsx builds cmd/wsx into a temporary directory, with the race
// detector when the tests run with it, and returns the executable's path.
func buildWsx(t *testing.T) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "wsx")
	args := []string{"build", "-buildvcs=false", "-o", exe}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "./cmd/wsx")
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = moduleRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return exe
}

// closedNormally matches the line wsx serve logs when a connection on path
// ends with 1000.
func closedNormally(path string) func(string) bool {
	return func(l string) bool {
		return strings.Contains(l, `msg="connection closed"`) &&
			strings.Contains(l, " path="+path+" ") && strings.Contains(l, " code=1000")
	}
}
