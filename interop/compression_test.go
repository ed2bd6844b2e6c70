package interop_test

import (
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/wsx-go/websocket"
)

// The permessage-deflate interop tests (RFC 7692): each runs echo
// connections between wsx and an independent implementation, both as
// client and as server where the peer can be, through a wireRelay that
// shows what went over the wire. Each case checks that every message of
// compressMessages comes back byte for byte with its type, that both ends
// and the wire agree on the negotiated Sec-WebSocket-Extensions value, and
// that compressed messages (RSV1) went both ways. The cases vary the
// parameters, set on one side or the other: context takeover off, windows
// below 15 bits, wsx's threshold.

// peerClientCase is a case of an independent client against an in-process
// wsx server.
type peerClientCase struct {
	name   string
	server websocket.CompressionOptions // the wsx server's
	peer   string                       // the driver's options, JSON; "" for its library's default
	want   string                       // the negotiated extensions
}

// runPeerClient runs a case of a peer client: driver runs the client
// against the URL it is given and returns its output lines.
func runPeerClient(t *testing.T, tc peerClientCase, path string, origins []string, driver func(ctx context.Context, url string) []string) {
	t.Helper()
	ctx := testContext(t)
	msgs := compressMessages()
	addr, reports := startCompressServer(t, &tc.server, origins...)
	relay := startRelay(t, addr)

	r := parseDriver(t, driver(ctx, relay.URL(path)), messageNames(msgs))
	if got := normExtensions(r.extensions); got != tc.want {
		t.Errorf("client reported extensions %q, want %q", r.extensions, tc.want)
	}
	rep := waitReport(t, ctx, reports, tc.want)
	if rep.path != path {
		t.Errorf("server saw path %q, want %q", rep.path, path)
	}
	checkWire(t, relay.next(t, ctx), wireCheck{msgs: msgs, want: tc.want, wsxSends: toClient, wsxThreshold: tc.server.Threshold})
}

// peerServerCase is a case of wsx's client against an independent server.
type peerServerCase struct {
	name   string
	peer   string                       // the server driver's options, JSON; "" for its library's default
	client websocket.CompressionOptions // wsx's
	want   string                       // the negotiated extensions
}

// runPeerServer runs a case of a peer server: args start the server
// driver, which prints "port PORT", then "extensions PATH VALUE" and
// "closed PATH CODE 'REASON'" per connection.
func runPeerServer(t *testing.T, tc peerServerCase, path string, program string, args ...string) {
	t.Helper()
	ctx := testContext(t)
	msgs := compressMessages()
	if tc.peer != "" {
		args = append(args, tc.peer)
	}
	srv := startProcess(t, ctx, program, args...)
	line := srv.waitLine(t, ctx, func(l string) bool { return strings.HasPrefix(l, "port ") })
	relay := startRelay(t, "127.0.0.1:"+strings.TrimPrefix(line, "port "))

	c, err := websocket.Dial(ctx, relay.URL(path), &websocket.DialOptions{Options: websocket.Options{Compression: &tc.client}})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(c.Abort)
	if !c.Compressed() {
		t.Errorf("Conn.Compressed() = false, want true")
	}
	if got := normExtensions(c.Extensions()); got != tc.want {
		t.Errorf("Conn.Extensions() = %q, want %q", c.Extensions(), tc.want)
	}
	for _, m := range msgs {
		if err := c.Write(ctx, m.typ, m.data); err != nil {
			t.Fatalf("Write %s: %v", m.name, err)
		}
		typ, got, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("Read the echo of %s: %v", m.name, err)
		}
		checkEcho(t, m, typ, got)
	}
	closeNormally(t, c)

	prefix := "extensions " + path
	ext := srv.waitLine(t, ctx, func(l string) bool { return strings.HasPrefix(l, prefix) })
	if got := normExtensions(strings.TrimPrefix(ext, prefix)); got != tc.want {
		t.Errorf("server reported extensions %q, want %q", strings.TrimSpace(strings.TrimPrefix(ext, prefix)), tc.want)
	}
	srv.waitLine(t, ctx, func(l string) bool { return l == "closed "+path+" 1000 ''" })
	checkWire(t, relay.next(t, ctx), wireCheck{msgs: msgs, want: tc.want, wsxSends: toServer, wsxThreshold: tc.client.Threshold})
}

// TestCompressPythonClient runs python/compress_client.py against an
// in-process wsx server.
func TestCompressPythonClient(t *testing.T) {
	requirePython(t)
	for _, tc := range []peerClientCase{
		// websockets offers "permessage-deflate; client_max_window_bits".
		{name: "defaults", want: "permessage-deflate"},
		{
			name: "client offers no context takeover",
			peer: `{"server_no_context_takeover": true, "client_no_context_takeover": true}`,
			want: "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
		},
		{
			name:   "server limits windows",
			server: websocket.CompressionOptions{ServerMaxWindowBits: 10, ClientMaxWindowBits: 9},
			want:   "permessage-deflate; server_max_window_bits=10; client_max_window_bits=9",
		},
		{
			name:   "server compresses every message at level 9",
			server: websocket.CompressionOptions{Level: 9, Threshold: -1, ServerNoContextTakeover: true},
			want:   "permessage-deflate; server_no_context_takeover",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runPeerClient(t, tc, "/python", nil, func(ctx context.Context, url string) []string {
				args := []string{pythonScript(t, "compress_client.py"), url}
				if tc.peer != "" {
					args = append(args, tc.peer)
				}
				return runDriver(t, ctx, pythonPath, args...)
			})
		})
	}
}

// TestCompressPythonServer runs wsx's client against
// python/compress_server.py.
func TestCompressPythonServer(t *testing.T) {
	requirePython(t)
	for _, tc := range []peerServerCase{
		// websockets' serve limits both windows to 12 bits by default.
		{name: "defaults", want: "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12"},
		{
			name: "server imposes no context takeover",
			peer: `{"server_no_context_takeover": true, "client_no_context_takeover": true}`,
			want: "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
		},
		{
			name:   "client offers limits",
			peer:   `{}`,
			client: websocket.CompressionOptions{ClientNoContextTakeover: true, ServerMaxWindowBits: 10, ClientMaxWindowBits: 11},
			want:   "permessage-deflate; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runPeerServer(t, tc, "/wsx", pythonPath, pythonScript(t, "compress_server.py"))
		})
	}
}

// TestCompressPythonClientWsxServe runs python/compress_client.py against
// the wsx serve binary without flags: it compresses by default.
func TestCompressPythonClientWsxServe(t *testing.T) {
	requirePython(t)
	wsx := buildWsx(t)
	ctx := testContext(t)
	const want = "permessage-deflate"
	msgs := compressMessages()

	srv := startProcess(t, ctx, wsx, "serve", "-addr", "127.0.0.1:0")
	const banner = "wsx: echo server listening on "
	line := srv.waitLine(t, ctx, func(l string) bool { return strings.HasPrefix(l, banner) })
	addr := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(line, banner), "ws://"), "/")
	relay := startRelay(t, addr)

	r := parseDriver(t, runDriver(t, ctx, pythonPath, pythonScript(t, "compress_client.py"), relay.URL("/python")), messageNames(msgs))
	if got := normExtensions(r.extensions); got != want {
		t.Errorf("client reported extensions %q, want %q", r.extensions, want)
	}
	// wsx logs the connection's end, with its extensions and the 1000.
	logged := srv.waitLine(t, ctx, closedNormally("/python"))
	if !strings.Contains(logged, "extensions="+want) && !strings.Contains(logged, `extensions="`+want) {
		t.Errorf("wsx logged %q, want extensions %s", logged, want)
	}
	checkWire(t, relay.next(t, ctx), wireCheck{msgs: msgs, want: want, wsxSends: toClient})
	if err := srv.stop(syscall.SIGTERM); err != nil {
		t.Errorf("wsx serve did not exit cleanly on SIGTERM: %v", err)
	}
}

// TestCompressNodeClient runs node/client.js (the ws library) against an
// in-process wsx server.
func TestCompressNodeClient(t *testing.T) {
	node := requireNode(t, "ws")
	for _, tc := range []peerClientCase{
		// ws offers "permessage-deflate; client_max_window_bits" and
		// compresses messages of 1024 bytes or more.
		{name: "defaults", want: "permessage-deflate"},
		{
			name: "client offers no context takeover",
			peer: `{"threshold": 0, "serverNoContextTakeover": true, "clientNoContextTakeover": true}`,
			want: "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
		},
		{
			name:   "both limit windows",
			peer:   `{"threshold": 0, "serverMaxWindowBits": 11}`,
			server: websocket.CompressionOptions{ClientMaxWindowBits: 9, Threshold: -1},
			want:   "permessage-deflate; server_max_window_bits=11; client_max_window_bits=9",
		},
		{
			// zlib refuses raw deflate with an 8-bit window: Node's zlib,
			// under ws, deflates with 9 bits instead, whose matches still
			// reach back less than 256 bytes; Python's websockets fails
			// with zlib's error, so it has no such case.
			name:   "server imposes 8-bit windows",
			server: websocket.CompressionOptions{ServerMaxWindowBits: 8, ClientMaxWindowBits: 8},
			want:   "permessage-deflate; server_max_window_bits=8; client_max_window_bits=8",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runPeerClient(t, tc, "/node", nil, func(ctx context.Context, url string) []string {
				args := []string{filepath.Join(nodeDir(t), "client.js"), url}
				if tc.peer != "" {
					args = append(args, tc.peer)
				}
				return runDriver(t, ctx, node, args...)
			})
		})
	}
}

// TestCompressNodeServer runs wsx's client against node/server.js (the ws
// library).
func TestCompressNodeServer(t *testing.T) {
	node := requireNode(t, "ws")
	for _, tc := range []peerServerCase{
		{name: "defaults", want: "permessage-deflate"},
		{
			name: "server imposes limits",
			peer: `{"threshold": 0, "serverNoContextTakeover": true, "clientNoContextTakeover": true, "serverMaxWindowBits": 10, "clientMaxWindowBits": 9}`,
			want: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9",
		},
		{
			name:   "client offers limits",
			client: websocket.CompressionOptions{ServerNoContextTakeover: true, ServerMaxWindowBits: 12, ClientMaxWindowBits: 11, Threshold: -1},
			want:   "permessage-deflate; server_no_context_takeover; server_max_window_bits=12; client_max_window_bits=11",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runPeerServer(t, tc, "/wsx", node, filepath.Join(nodeDir(t), "server.js"))
		})
	}
}

// TestCompressChromium opens node/page.html in Debian's Chromium, driven by
// node/browser.js (playwright-core), whose script echoes the messages
// through an in-process wsx server. Chromium is a client only.
func TestCompressChromium(t *testing.T) {
	node := requireChromium(t)
	page := serveBrowserPage(t)
	for _, tc := range []peerClientCase{
		// Chromium offers "permessage-deflate; client_max_window_bits".
		{name: "defaults", want: "permessage-deflate"},
		{
			name: "server imposes limits",
			server: websocket.CompressionOptions{
				ServerNoContextTakeover: true, ClientNoContextTakeover: true,
				ServerMaxWindowBits: 10, ClientMaxWindowBits: 9, Threshold: -1,
			},
			want: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9",
		},
		{
			name:   "server imposes 8-bit windows",
			server: websocket.CompressionOptions{ServerMaxWindowBits: 8, ClientMaxWindowBits: 8},
			want:   "permessage-deflate; server_max_window_bits=8; client_max_window_bits=8",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The page comes from another port than the WebSocket: a
			// cross-origin handshake.
			runPeerClient(t, tc, "/chromium", []string{"127.0.0.1:*"}, func(ctx context.Context, url string) []string {
				return runDriver(t, ctx, node, filepath.Join(nodeDir(t), "browser.js"), page, url)
			})
		})
	}
}
