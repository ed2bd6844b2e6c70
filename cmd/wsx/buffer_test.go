package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// outputBuffer collects what a command or server writes, from any number
// of goroutines, while the test watches it.
type outputBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *outputBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *outputBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor polls b, for up to 10 seconds, until it contains s.
func (b *outputBuffer) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(b.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("output never held %q: %q", s, b.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// lines returns the lines holding every one of the substrings, trimmed.
func (b *outputBuffer) lines(subs ...string) []string {
	var out []string
	for line := range strings.Lines(b.String()) {
		ok := true
		for _, s := range subs {
			ok = ok && strings.Contains(line, s)
		}
		if ok {
			out = append(out, strings.TrimSpace(line))
		}
	}
	return out
}
