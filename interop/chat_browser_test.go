package interop_test

import (
	"context"
	"encoding/json"
	"image/png"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// chatDriverTimeout bounds node/chat-browser.js, Chromium included.
const chatDriverTimeout = 60 * time.Second

// chatResult is the "result JSON" line of node/chat-browser.js; the script
// describes each field.
type chatResult struct {
	Version string
	Step    string
	Error   string
	Initial struct{ A, B *chatTabState }
	Chat    struct {
		Sent []string
		A, B []string
	}
	InputsCleared struct{ A, B *bool }
	Screenshot    string
	Echo          struct {
		Sent, Last string
		A, B       []string
	}
	Sockets       struct{ A, B []string }
	Requests      []chatRequest
	PageErrors    []string
	ConsoleErrors []string
}

// chatTabState is a tab of the chat page once its WebSocket is open.
type chatTabState struct {
	Status string
	Mode   string
	Log    []string
}

// chatRequest is a request a tab made, as playwright reported it.
type chatRequest struct {
	Tab, Method, Type, URL string
}

// TestChromiumChat opens the chat page of "wsx serve" in two tabs of
// Chromium, driven by node/chat-browser.js, and checks what the script
// saw: both tabs' messages reach both tabs in the same order, the echo mode
// answers its tab only, the page loads nothing from another host, and the
// screenshot it took is a PNG. The screenshot is kept as chat.png in the
// test's artifact directory (go test -artifacts -outputdir DIR).
func TestChromiumChat(t *testing.T) {
	node := requireChromium(t)
	wsx := buildWsx(t)
	ctx := boundedContext(t, 2*time.Minute)

	srv := startProcess(t, ctx, wsx, "serve", "-addr", "127.0.0.1:0")
	const banner = "wsx: echo server listening on "
	line := srv.waitLine(t, ctx, func(l string) bool { return strings.HasPrefix(l, banner) })
	page, err := url.Parse(strings.TrimPrefix(line, banner))
	if err != nil || page.Scheme != "ws" || page.Host == "" {
		t.Fatalf("wsx serve printed %q: want %sws://HOST:PORT/ (%v)", line, banner, err)
	}
	page.Scheme, page.Path = "http", "/"

	outDir := t.ArtifactDir()
	r := runChatDriver(t, ctx, node, page.String(), outDir)

	checkChatTabs(t, r, page.Host)
	checkChatRequests(t, r, page.Host)
	checkChatScreenshot(t, r, filepath.Join(outDir, "chat.png"))
	for _, e := range r.PageErrors {
		t.Errorf("uncaught exception in tab %s", e)
	}
	for _, e := range r.ConsoleErrors {
		t.Logf("console error in tab %s", e)
	}

	if err := srv.stop(syscall.SIGTERM); err != nil {
		t.Errorf("wsx serve did not exit cleanly on SIGTERM: %v", err)
	}
}

// runChatDriver runs node/chat-browser.js on pageURL, bounded by
// chatDriverTimeout, and returns its result line, failing the test if the
// script printed none or stopped before its last step.
func runChatDriver(t *testing.T, ctx context.Context, node, pageURL, outDir string) chatResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, chatDriverTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(nodeDir(t), "chat-browser.js"), pageURL, outDir)
	cmd.WaitDelay = 5 * time.Second
	out, runErr := cmd.CombinedOutput()
	t.Logf("node chat-browser.js %s %s (%v):\n%s", pageURL, outDir, runErr, out)

	var r chatResult
	found := false
	for l := range strings.Lines(string(out)) {
		if js, ok := strings.CutPrefix(strings.TrimRight(l, "\n"), "result "); ok {
			if err := json.Unmarshal([]byte(js), &r); err != nil {
				t.Fatalf("chat-browser.js: unreadable result line: %v", err)
			}
			found = true
		}
	}
	switch {
	case !found:
		t.Fatalf("chat-browser.js printed no result line (exit: %v, context: %v)", runErr, ctx.Err())
	case r.Error != "":
		t.Fatalf("chat-browser.js stopped at step %s", r.Error)
	case runErr != nil:
		t.Fatalf("chat-browser.js reported no error but exited with %v", runErr)
	case r.Step != "done":
		t.Fatalf("chat-browser.js stopped at step %q", r.Step)
	}
	t.Logf("Chromium %s", r.Version)
	return r
}

// checkChatTabs checks the tabs' states, logs and WebSockets as the script
// recorded them; host is the wsx server's HOST:PORT.
func checkChatTabs(t *testing.T, r chatResult, host string) {
	t.Helper()
	for _, tab := range []struct {
		name    string
		initial *chatTabState
		cleared *bool
		sockets []string
	}{
		{"A", r.Initial.A, r.InputsCleared.A, r.Sockets.A},
		{"B", r.Initial.B, r.InputsCleared.B, r.Sockets.B},
	} {
		switch s := tab.initial; {
		case s == nil:
			t.Errorf("tab %s: no initial state reported", tab.name)
		case s.Status != "open" || s.Mode != "chat" || len(s.Log) != 0:
			t.Errorf("tab %s once open: #status %q, #mode %q, log %q; want \"open\", \"chat\" and an empty log", tab.name, s.Status, s.Mode, s.Log)
		}
		if tab.cleared == nil || !*tab.cleared {
			t.Errorf("tab %s: #message was not empty after sending", tab.name)
		}
		if want := "ws://" + host + "/chat"; len(tab.sockets) == 0 || tab.sockets[0] != want {
			t.Errorf("tab %s opened the WebSockets %q; want the first to be %s", tab.name, tab.sockets, want)
		}
	}

	// The chat: both messages, once each, in both tabs, in the same order.
	sent := r.Chat.Sent
	if len(sent) != 2 || sent[0] == "" || sent[0] == sent[1] {
		t.Fatalf("chat-browser.js reports the chat messages %q: want two different ones", sent)
	}
	for _, tab := range []struct {
		name string
		log  []string
	}{{"A", r.Chat.A}, {"B", r.Chat.B}} {
		if got := slices.Sorted(slices.Values(tab.log)); !slices.Equal(got, slices.Sorted(slices.Values(sent))) {
			t.Errorf("tab %s's log after the chat is %q; want the two messages sent, %q, once each", tab.name, tab.log, sent)
		}
	}
	if !slices.Equal(r.Chat.A, r.Chat.B) {
		t.Errorf("the tabs got the chat messages in different orders: A %q, B %q", r.Chat.A, r.Chat.B)
	}
	t.Logf("chat order in both tabs: %q", r.Chat.A)

	// The echo: A's message back to A only; B's later chat message to B only.
	if n := len(r.Sockets.A); n < 2 {
		t.Errorf("tab A opened %d WebSockets (%q); want a new one for the echo mode", n, r.Sockets.A)
	} else if u, err := url.Parse(r.Sockets.A[n-1]); err != nil || u.Host != host {
		t.Errorf("tab A's echo WebSocket is %q; want one to %s", r.Sockets.A[n-1], host)
	}
	if r.Echo.Sent == "" || r.Echo.Last == "" || slices.Contains(sent, r.Echo.Sent) || slices.Contains(sent, r.Echo.Last) {
		t.Fatalf("chat-browser.js reports the echo message %q and the last one %q: want two new ones", r.Echo.Sent, r.Echo.Last)
	}
	count := func(log []string, m string) int {
		n := 0
		for _, l := range log {
			if l == m {
				n++
			}
		}
		return n
	}
	for _, c := range []struct {
		tab  string
		log  []string
		msg  string
		want int
	}{
		{"A", r.Echo.A, r.Echo.Sent, 1},
		{"B", r.Echo.B, r.Echo.Sent, 0},
		{"A", r.Echo.A, r.Echo.Last, 0},
		{"B", r.Echo.B, r.Echo.Last, 1},
	} {
		if got := count(c.log, c.msg); got != c.want {
			t.Errorf("tab %s's log holds %q %d times at the end, want %d: %q", c.tab, c.msg, got, c.want, c.log)
		}
	}
}

// checkChatRequests checks that every request of the tabs went to host,
// the wsx server (data: and blob: URLs make none).
func checkChatRequests(t *testing.T, r chatResult, host string) {
	t.Helper()
	docs := map[string]bool{}
	for _, req := range r.Requests {
		u, err := url.Parse(req.URL)
		switch {
		case err != nil:
			t.Errorf("tab %s requested an unreadable URL %q: %v", req.Tab, req.URL, err)
		case u.Scheme == "data" || u.Scheme == "blob":
		case (u.Scheme != "http" && u.Scheme != "ws") || u.Host != host:
			t.Errorf("tab %s requested %s %s (%s): the page must load nothing but from %s", req.Tab, req.Method, req.URL, req.Type, host)
		}
		if req.Type == "document" {
			docs[req.Tab] = true
		}
	}
	if !docs["a"] || !docs["b"] {
		t.Errorf("the requests recorded hold no document request for each tab: %+v", r.Requests)
	}
	t.Logf("%d requests, all to %s", len(r.Requests), host)
}

// checkChatScreenshot checks that the script reported the screenshot at
// want and that it is a PNG with pixels.
func checkChatScreenshot(t *testing.T, r chatResult, want string) {
	t.Helper()
	if r.Screenshot != want {
		t.Errorf("chat-browser.js saved its screenshot as %q, want %q", r.Screenshot, want)
	}
	f, err := os.Open(want)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot %s is not a PNG: %v", want, err)
	}
	b := img.Bounds()
	if b.Empty() {
		t.Fatalf("screenshot %s is empty: %v", want, b)
	}
	t.Logf("screenshot %s: %dx%d", want, b.Dx(), b.Dy())
}
