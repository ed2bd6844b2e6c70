package conform_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wsx-go/websocket"
	"github.com/wsx-go/websocket/internal/conform"
)

// wsxAgent is the wsx client under test, as `wsx conform agent` runs it
// (cmd/wsx is package main, so its loop is written again here): it follows
// Autobahn's fuzzingserver URL scheme through wsx's public API only, and
// offers permessage-deflate with wsx's defaults on every connection, as a
// client under Autobahn's test does: the cases tell it nothing.
func wsxAgent(ctx context.Context, base, agent string) error {
	opts := &websocket.DialOptions{Options: websocket.Options{
		MaxMessageSize: 64 << 20,
		Compression:    &websocket.CompressionOptions{},
	}}
	c, err := websocket.Dial(ctx, base+"/getCaseCount", opts)
	if err != nil {
		return err
	}
	_, msg, err := c.Read(ctx)
	c.Read(ctx) // take part in the server's close
	c.Abort()
	if err != nil {
		return err
	}
	count, err := strconv.Atoi(string(msg))
	if err != nil {
		return fmt.Errorf("case count %q: %v", msg, err)
	}
	for n := 1; n <= count; n++ {
		c, err := websocket.Dial(ctx, fmt.Sprintf("%s/runCase?case=%d&agent=%s", base, n, agent), opts)
		if err != nil {
			return fmt.Errorf("case %d: %v", n, err)
		}
		var buf []byte
		for {
			typ, msg, err := c.ReadInto(ctx, buf)
			if err != nil || c.Write(ctx, typ, msg) != nil {
				break
			}
			buf = msg
		}
		c.Abort()
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	c, err = websocket.Dial(ctx, base+"/updateReports?agent="+agent, opts)
	if err != nil {
		return err
	}
	defer c.Abort()
	for {
		if _, _, err := c.Read(ctx); err != nil {
			return nil
		}
	}
}

// TestWsxClientConforms runs every case against the wsx client, the tester
// playing Autobahn's fuzzingserver, and fails on anything but OK.
func TestWsxClientConforms(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: runs the whole suite")
	}
	cases := suiteCases()
	fs := &conform.FuzzingServer{Cases: cases}
	updated := make(chan string, 1)
	fs.OnUpdateReports = func(agent string) { updated <- agent }
	srv := httptest.NewServer(fs)
	defer srv.Close()
	base := "ws" + strings.TrimPrefix(srv.URL, "http")

	ctx, cancel := context.WithTimeout(context.Background(), suiteTimeout())
	defer cancel()
	start := time.Now()
	if err := wsxAgent(ctx, base, "wsx"); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d cases in %v", len(cases), time.Since(start).Round(time.Millisecond))
	select {
	case a := <-updated:
		if a != "wsx" {
			t.Errorf("updateReports for agent %q, want wsx", a)
		}
	default:
		t.Error("the server never saw /updateReports")
	}

	results := fs.Results()["wsx"]
	if len(results) != len(cases) {
		t.Errorf("%d results for %d cases", len(results), len(cases))
	}
	for _, r := range results {
		if !r.Passed() {
			t.Errorf("case %s: behavior %s (%s), close %s (%s)", r.ID, r.Behavior, r.Result, r.BehaviorClose, r.ResultClose)
			for _, e := range r.WireLog {
				t.Logf("  %8v %s %s", e.At.Round(time.Microsecond), e.Dir, e.Text)
			}
		}
	}
}
