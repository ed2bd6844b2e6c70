// Package leakcheck finds goroutines that tests left running. Tests of
// several packages share it; nothing outside tests imports it.
package leakcheck

import (
	"runtime"
	"strings"
	"time"
)

// Snapshot returns the goroutines running now, by id, for Leaked to
// ignore.
func Snapshot() map[string]bool {
	ids := make(map[string]bool)
	for _, g := range stacks() {
		ids[goroutineID(g)] = true
	}
	return ids
}

// Leaked waits up to timeout for the goroutines whose stacks hold one of
// marks, other than those in before and those of the testing package, to
// end, and returns the stacks of those still running, or "".
func Leaked(marks []string, before map[string]bool, timeout time.Duration) string {
	deadline := time.Now().Add(timeout)
	for {
		var leaked []string
		for _, g := range stacks() {
			if before[goroutineID(g)] || testingGoroutine(g) {
				continue
			}
			for _, mark := range marks {
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
// tests waiting in t.Run for their subtests (tests run one at a time).
func testingGoroutine(g string) bool {
	return strings.Contains(g, "leakcheck.Leaked") ||
		strings.Contains(g, "testing.(*M)") ||
		strings.Contains(g, "testing.(*T).Run(")
}

// stacks returns the stacks of all goroutines, one per string, growing the
// buffer until every stack fits.
func stacks() []string {
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
