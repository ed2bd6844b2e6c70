package websocket

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/wsx-go/websocket/internal/leakcheck"
)

// TestMain fails the run if goroutines started by the tests outlive them.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := leakcheck.Leaked(leakMarks, nil, 5*time.Second); leaked != "" {
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
	before := leakcheck.Snapshot()
	t.Cleanup(func() {
		if leaked := leakcheck.Leaked(leakMarks, before, 5*time.Second); leaked != "" {
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
