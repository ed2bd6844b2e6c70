package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wsx-go/websocket"
	"github.com/wsx-go/websocket/internal/conform"
)

// conformTestServer starts h and returns its ws:// URL.
func conformTestServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

// readIndex reads a report directory's index.json.
func readIndex(t *testing.T, dir string) map[string]map[string]map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var index map[string]map[string]map[string]any
	if err := json.Unmarshal(b, &index); err != nil {
		t.Fatal(err)
	}
	return index
}

func TestConformServer(t *testing.T) {
	quiet := func(string, ...any) {}
	echoServer := &websocket.Server{Handle: echoHandle(quiet), OnError: func(error) {}}
	t.Cleanup(func() { echoServer.Close() })
	echo := conformTestServer(t, echoServer)
	// broken closes the connection on the first message instead of
	// echoing it.
	broken := conformTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.Abort()
		if _, _, err := c.Read(r.Context()); err == nil {
			c.Close(websocket.CloseNormal, "")
		}
	}))
	want := len(conform.Select(conform.Cases(), []string{"1.1"}, nil))
	dir := t.TempDir()

	tests := []struct {
		name      string
		args      []string
		wantErr   bool
		agent     string
		wantCases int
	}{
		{"wsx passes", []string{"-cases", "1.1.*", "-agent", "wsx", "-report", dir, echo}, false, "wsx", want},
		{"excluded", []string{"-cases", "1.1,-1.1.8", "-exclude", "1.1.7", "-agent", "wsx-some", "-report", dir, echo}, false, "wsx-some", want - 2},
		{"broken fails", []string{"-cases", "1.1", "-agent", "Broken/1.0", "-report", dir, broken}, true, "Broken/1.0", want},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			var stdout, stderr strings.Builder
			err := conformServer(ctx, tt.args, &stdout, &stderr)
			var np errNotPassed
			switch {
			case tt.wantErr && !errors.As(err, &np):
				t.Fatalf("err = %v, want cases not passing", err)
			case tt.wantErr && np.failed == 0:
				t.Fatalf("err = %v, want cases not passing", err)
			case !tt.wantErr && err != nil:
				t.Fatalf("err = %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
			}
			if !strings.Contains(stderr.String(), "\r["+strconv.Itoa(tt.wantCases)+"/"+strconv.Itoa(tt.wantCases)+"] ") {
				t.Errorf("no final progress line on stderr: %q", stderr.String())
			}
			if !strings.Contains(stdout.String(), "agent \""+tt.agent+"\": "+strconv.Itoa(tt.wantCases)+" cases") {
				t.Errorf("no summary on stdout:\n%s", stdout.String())
			}
			index := readIndex(t, dir)
			if got := len(index[tt.agent]); got != tt.wantCases {
				t.Fatalf("index.json has %d cases for %q, want %d", got, tt.agent, tt.wantCases)
			}
			for id, e := range index[tt.agent] {
				if _, err := os.Stat(filepath.Join(dir, e["reportfile"].(string))); err != nil {
					t.Errorf("case %s: %v", id, err)
				}
				if passed := e["behavior"] == "OK" && e["behaviorClose"] == "OK"; passed == tt.wantErr {
					t.Errorf("case %s: %v", id, e)
				}
			}
			html, err := os.ReadFile(filepath.Join(dir, "index.html"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(html), "<b>"+tt.agent+"</b>") {
				t.Errorf("index.html does not show agent %q", tt.agent)
			}
		})
	}
	// Each run adds its agent to the reports already in the directory.
	if index := readIndex(t, dir); len(index) != 3 {
		t.Errorf("index.json has agents %v, want 3", index)
	}
	if _, err := os.Stat(filepath.Join(dir, "broken_1_0_case_1_1_1.json")); err != nil {
		t.Error(err)
	}
}

func TestConformServerUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no url", []string{"-cases", "1.1"}, "exactly one URL"},
		{"no cases", []string{"-cases", "99.*", "ws://127.0.0.1:1/"}, "no cases match"},
		{"bad scheme", []string{"-cases", "1.1.1", "-report", "", "http://127.0.0.1:1/"}, "only ws is supported"},
		{"negative messages", []string{"-cases", "12.1.1", "-messages", "-1", "ws://127.0.0.1:1/"}, "want 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			err := conformServer(context.Background(), tt.args, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestConformClient plays a wsx echo client against `wsx conform client`.
func TestConformClient(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srvCtx, stop := context.WithCancel(ctx)
	urls := make(chan string, 1)
	done := make(chan error, 1)
	var stdout, stderr strings.Builder // written by the server goroutine until done
	go func() {
		done <- conformClient(srvCtx, []string{"-addr", "127.0.0.1:0", "-cases", "1.2", "-report", dir}, &stdout, &stderr, func(u string) { urls <- u })
	}()
	var base string
	select {
	case base = <-urls:
	case err := <-done:
		t.Fatalf("conformClient: %v", err)
	}
	n := len(conform.Select(conform.Cases(), []string{"1.2"}, nil))
	opts := &websocket.DialOptions{Options: websocket.Options{MaxMessageSize: 1 << 20}}
	for i := 1; i <= n; i++ {
		c, err := websocket.Dial(ctx, base+"/runCase?case="+strconv.Itoa(i)+"&agent=wsx", opts)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		for {
			typ, msg, err := c.Read(ctx)
			if err != nil {
				break
			}
			if c.Write(ctx, typ, msg) != nil {
				break
			}
		}
		c.Abort()
	}
	c, err := websocket.Dial(ctx, base+"/updateReports?agent=wsx", nil)
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, _, err := c.Read(ctx); err != nil {
			break
		}
	}
	c.Abort()
	if _, err := os.Stat(filepath.Join(dir, "index.html")); err != nil {
		t.Errorf("after /updateReports: %v", err)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("conformClient: %v\n%s", err, stdout.String())
	}
	out := stdout.String()
	for _, want := range []string{"listening on " + base, "[1/" + strconv.Itoa(n) + "] wsx 1.2.1 OK", "reports for \"wsx\" updated", "agent \"wsx\": " + strconv.Itoa(n) + " cases"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if got := len(readIndex(t, dir)["wsx"]); got != n {
		t.Errorf("index.json has %d cases, want %d", got, n)
	}
}

// TestConformCompression runs sections 12 and 13 (permessage-deflate) of
// `wsx conform` against wsx in both roles: server mode against `wsx serve`,
// which negotiates compression by default, and client mode against
// `wsx conform agent`, which offers it. Every case must pass. Autobahn's
// 1000 messages per case take minutes, so the cases echo 5 messages each
// (-messages), 2 under the race detector; the tests of internal/conform
// run more.
func TestConformCompression(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: runs sections 12 and 13 in both roles")
	}
	compressionTestMessages := "5"
	if raceEnabled {
		compressionTestMessages = "2"
	}
	want := len(conform.Select(conform.Cases(), []string{"12", "13"}, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	t.Run("server", func(t *testing.T) {
		url, _, _ := startServe(t, "-addr", "127.0.0.1:0", "-q")
		var stdout, stderr strings.Builder
		args := []string{"-cases", "12,13", "-messages", compressionTestMessages, "-agent", "wsx", "-report", t.TempDir(), url}
		if err := conformServer(ctx, args, &stdout, &stderr); err != nil {
			t.Fatalf("err = %v\n%s", err, stdout.String())
		}
		if line := fmt.Sprintf("agent \"wsx\": %d cases", want); !strings.Contains(stdout.String(), line) {
			t.Errorf("no %q in the summary:\n%s", line, stdout.String())
		}
	})

	t.Run("client", func(t *testing.T) {
		srvCtx, stop := context.WithCancel(ctx)
		defer stop()
		urls := make(chan string, 1)
		done := make(chan error, 1)
		var stdout, stderr strings.Builder // written by the server goroutine until done
		args := []string{"-addr", "127.0.0.1:0", "-cases", "12,13", "-messages", compressionTestMessages, "-report", t.TempDir()}
		go func() { done <- conformClient(srvCtx, args, &stdout, &stderr, func(u string) { urls <- u }) }()
		var base string
		select {
		case base = <-urls:
		case err := <-done:
			t.Fatalf("conformClient: %v", err)
		}
		if err := runConformAgent([]string{"-url", base, "-agent", "wsx"}); err != nil {
			t.Fatal(err)
		}
		stop()
		if err := <-done; err != nil {
			t.Fatalf("conformClient: %v\n%s", err, stdout.String())
		}
		if line := fmt.Sprintf("agent \"wsx\": %d cases", want); !strings.Contains(stdout.String(), line) {
			t.Errorf("no %q in the summary:\n%s", line, stdout.String())
		}
	})
}
