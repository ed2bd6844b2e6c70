package conform_test

import (
	"context"
	"flag"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wsx-go/websocket"
	"github.com/wsx-go/websocket/internal/conform"
)

// conformMessages sets how many messages each case of sections 12 and 13
// echoes in the tests of wsx. Autobahn's 1000 take three and three quarter
// minutes per role without the race detector (measured on two cores) and,
// at about ten times slower, some 40 minutes per role with it. So by
// default the tests run every case of the two sections with 20 messages
// each, 5 under -race: still every message size, frame size and
// negotiation, with context carried over from message to message.
// -conform.messages=0 runs Autobahn's count (give go test -timeout 30m,
// and leave -race out). `wsx conform` runs Autobahn's count unless told
// otherwise (-messages).
var conformMessages = flag.Int("conform.messages", -1,
	"messages per case of sections 12 and 13 (0: Autobahn's 1000; default 20, or 5 with -race)")

// suiteCases returns every case, with sections 12 and 13 shortened as
// conformMessages says.
func suiteCases() []*conform.Case {
	n := *conformMessages
	if n < 0 {
		n = 20
		if raceEnabled {
			n = 5
		}
	}
	return conform.WithMessageCount(conform.Cases(), n)
}

// suiteTimeout bounds a run of suiteCases in one role.
func suiteTimeout() time.Duration {
	if *conformMessages == 0 {
		return 30 * time.Minute
	}
	return 10 * time.Minute
}

// echoServer is a wsx echo server, as `wsx serve` runs it: permessage-deflate
// on, with wsx's defaults.
func echoServer(t *testing.T) string {
	opts := &websocket.AcceptOptions{Options: websocket.Options{Compression: &websocket.CompressionOptions{}}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, opts)
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
	cases := suiteCases()
	ctx, cancel := context.WithTimeout(context.Background(), suiteTimeout())
	defer cancel()
	start := time.Now()
	results, err := conform.RunServer(ctx, url, cases, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d cases in %v", len(results), time.Since(start).Round(time.Millisecond))
	for _, r := range results {
		if !r.Passed() {
			t.Errorf("case %s: behavior %s (%s), close %s (%s)", r.ID, r.Behavior, r.Result, r.BehaviorClose, r.ResultClose)
			for _, e := range r.WireLog {
				t.Logf("  %8v %s %s", e.At.Round(time.Microsecond), e.Dir, e.Text)
			}
		}
	}
	if len(results) < len(cases) {
		t.Errorf("ran %d of %d cases", len(results), len(cases))
	}
}

// TestSuiteComplete checks that no case id is registered twice and that the
// suite holds every section wsx promises, with Autobahn's case counts, so a
// case file that stops registering cannot go unnoticed.
func TestSuiteComplete(t *testing.T) {
	want := map[string]int{"1": 16, "2": 11, "3": 7, "4": 10, "5": 20, "6": 145, "7": 37, "9": 54, "10": 1, "12": 90, "13": 126}
	seen := map[string]bool{}
	got := map[string]int{}
	for _, c := range conform.Cases() {
		if seen[c.ID] {
			t.Errorf("case %s registered twice", c.ID)
		}
		seen[c.ID] = true
		section := strings.SplitN(c.ID, ".", 2)[0]
		got[section]++
		if conform.Compressed(c) != (section == "12" || section == "13") {
			t.Errorf("case %s: negotiates permessage-deflate: %t", c.ID, conform.Compressed(c))
		}
	}
	for section, n := range want {
		if got[section] != n {
			t.Errorf("section %s has %d cases, want %d", section, got[section], n)
		}
	}
	if len(seen) < 517 {
		t.Errorf("%d cases, want at least 517", len(seen))
	}
}
