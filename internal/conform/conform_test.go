package conform_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wsx-go/websocket"
	"github.com/wsx-go/websocket/internal/conform"
)

// echoServer is a wsx echo server, as `wsx serve` runs it.
func echoServer(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.Abort()
		ctx := context.Background()
		var buf []byte
		for {
			typ, msg, err := c.ReadInto(ctx, buf)
			if err != nil {
				return
			}
			if c.Write(ctx, typ, msg) != nil {
				return
			}
			buf = msg
		}
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

// TestWsxServerConforms runs every case against a wsx echo server and fails
// on anything but OK.
func TestWsxServerConforms(t *testing.T) {
	url := echoServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	results, err := conform.RunServer(ctx, url, conform.Cases(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if !r.Passed() {
			t.Errorf("case %s: behavior %s (%s), close %s (%s)", r.ID, r.Behavior, r.Result, r.BehaviorClose, r.ResultClose)
			for _, e := range r.WireLog {
				t.Logf("  %8v %s %s", e.At.Round(time.Microsecond), e.Dir, e.Text)
			}
		}
	}
	if len(results) < len(conform.Cases()) {
		t.Errorf("ran %d of %d cases", len(results), len(conform.Cases()))
	}
}

// TestSuiteComplete checks that no case id is registered twice and that the
// suite holds every section wsx promises, with Autobahn's case counts, so a
// case file that stops registering cannot go unnoticed.
func TestSuiteComplete(t *testing.T) {
	want := map[string]int{"1": 16, "2": 11, "3": 7, "4": 10, "5": 20, "6": 145, "7": 37, "9": 54, "10": 1}
	seen := map[string]bool{}
	got := map[string]int{}
	for _, c := range conform.Cases() {
		if seen[c.ID] {
			t.Errorf("case %s registered twice", c.ID)
		}
		seen[c.ID] = true
		got[strings.SplitN(c.ID, ".", 2)[0]]++
	}
	for section, n := range want {
		if got[section] != n {
			t.Errorf("section %s has %d cases, want %d", section, got[section], n)
		}
	}
	if len(seen) < 300 {
		t.Errorf("%d cases, want at least 300", len(seen))
	}
}
