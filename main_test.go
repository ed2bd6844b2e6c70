package websocket

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMain fails the run if goroutines started by the tests outlive them.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := leakedGoroutines(nil, 5*time.Second); leaked != "" {
			fmt.Fprintf(os.Stderr, "goroutines leaked by the tests:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// checkNoLeaks makes the test fail if, once it has ended and its cleanups
// (registered after this call) have run, goroutines it started are still
// running 5 s later. Goroutines that already ran when it was called are
// ignored, so that a slow earlier test cannot fail this one. Call it first,
// so that its check runs last.
func checkNoLeaks(t *testing.T) {
	t.Helper()
	before := make(map[string]bool)
	for _, g := range goroutineStacks() {
		before[goroutineID(g)] = true
	}
	t.Cleanup(func() {
		if leaked := leakedGoroutines(before, 5*time.Second); leaked != "" {
			t.Errorf("goroutines still running 5 s after the test:\n\n%s", leaked)
		}
	})
}

// leakMarks pick out the goroutines tests must not leave behind: those
// running code of this module (or started by it, as the "created by" line
// tells), and net/http's servers, test servers and their connections.
var leakMarks = []string{
	"wsx-go/websocket",
	"net/http/httptest",
	"net/http.(*conn).serve",
	"net/http.(*Server).Serve",
}

// leakedGoroutines waits up to timeout for the goroutines that leakMarks
// pick out, other than those in before, to end, and returns the stacks of
// those still running.
func leakedGoroutines(before map[string]bool, timeout time.Duration) string {
	deadline := time.Now().Add(timeout)
	for {
		var leaked []string
		for _, g := range goroutineStacks() {
			if before[goroutineID(g)] || testingGoroutine(g) {
				continue
			}
			for _, mark := range leakMarks {
				if strings.Contains(g, mark) {
					leaked = append(leaked, g)
					break
				}
			}
		}
		if len(leaked) == 0 {
			return ""
		}
		if time.Now().After(deadline) {
			return strings.Join(leaked, "\n\n")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// testingGoroutine reports whether g is the goroutine running the check, or
// one of the testing package's: the main one, and the goroutines of parent
// tests waiting in t.Run for their subtests (tests never run in parallel
// here).
func testingGoroutine(g string) bool {
	return strings.Contains(g, "leakedGoroutines") ||
		strings.Contains(g, "testing.(*M)") ||
		strings.Contains(g, "testing.(*T).Run(")
}

// goroutineStacks returns the stacks of all goroutines, one per string.
func goroutineStacks() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Split(string(buf[:n]), "\n\n")
		}
		buf = make([]byte, 2*len(buf))
	}
}

// goroutineID returns the number of the goroutine whose stack is g, as its
// first line ("goroutine 42 [running]:") gives it. Goroutine numbers are
// never reused.
func goroutineID(g string) string {
	fields := strings.Fields(g)
	if len(fields) < 2 {
		return ""
	}
	return fields[1]
}
