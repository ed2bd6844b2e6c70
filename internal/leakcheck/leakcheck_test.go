package leakcheck

import (
	"strings"
	"testing"
	"time"
)

func TestLeaked(t *testing.T) {
	started, stop, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		parkedForLeakTest(started, stop)
	}()
	<-started
	if got := Leaked([]string{"parkedForLeakTest"}, nil, 50*time.Millisecond); !strings.Contains(got, "parkedForLeakTest") {
		t.Errorf("Leaked did not report a parked goroutine; got %q", got)
	}
	before := Snapshot()
	if got := Leaked([]string{"parkedForLeakTest"}, before, 0); got != "" {
		t.Errorf("Leaked reported a goroutine that ran before the snapshot:\n%s", got)
	}
	close(stop)
	<-done
	if got := Leaked([]string{"parkedForLeakTest"}, nil, time.Second); got != "" {
		t.Errorf("Leaked reported a goroutine that has ended:\n%s", got)
	}
}

func parkedForLeakTest(started, stop chan struct{}) {
	close(started)
	<-stop
}
