package main

import (
	"net"
	"strings"
	"testing"

	"github.com/wsx-go/websocket"
)

// TestConnectExitStatus checks the exit status for each way a connection
// ends, and for the arguments refused before it starts.
func TestConnectExitStatus(t *testing.T) {
	closeWith := func(code websocket.CloseCode) func(*websocket.Conn) {
		return func(c *websocket.Conn) { c.Close(code, "done") }
	}
	refused := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return "ws://" + addr + "/"
	}()
	tests := []struct {
		name   string
		peer   func(*websocket.Conn) // nil: args as they are
		args   []string
		status int
		stderr string // a part of it
	}{
		{"1000", closeWith(websocket.CloseNormal), nil, 0, ""},
		{"1001 going away", closeWith(websocket.CloseGoingAway), nil, 101, "going away (1001): done"},
		{"1011 internal error", closeWith(websocket.CloseInternalError), nil, 111, "1011"},
		{"no status code", closeWith(websocket.CloseNoStatus), nil, 105, "1005"},
		{"application code 3000", closeWith(3000), nil, 3, "3000"},
		{"application code 4000", closeWith(4000), nil, 3, "4000: done"},
		{"dropped without close frame", func(c *websocket.Conn) { c.Abort() }, nil, 106, "1006"},
		{"refused", nil, []string{refused}, 1, "refused"},
		{"not a WebSocket URL", nil, []string{"ftp://127.0.0.1/"}, 2, ""},
		{"unknown flag", nil, []string{"-nosuch", "ws://127.0.0.1/"}, 2, "-nosuch"},
		{"no URL", nil, nil, 2, "a URL is required"},
		{"two URLs", nil, []string{"ws://a/", "ws://b/"}, 2, "one URL only"},
		{"-i and -pipe", nil, []string{"-i", "-pipe", "ws://a/"}, 2, "exclude each other"},
		{"-i and -json", nil, []string{"-i", "-json", "ws://a/"}, 2, "exclude each other"},
		{"bad header", nil, []string{"-H", "novalue", "ws://a/"}, 2, "Name: value"},
		{"bad proxy", nil, []string{"-proxy", "nohost", "ws://a/"}, 2, "not a proxy URL"},
		{"negative ping", nil, []string{"-ping", "-1s", "ws://a/"}, 2, "negative"},
		{"missing certificate file", nil, []string{"-trust-cert", "/nonexistent/cert.pem", "ws://a/"}, 1, "no such file"},
		{"help", nil, []string{"-h"}, 0, "exit status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if tt.peer != nil {
				args = append(args, startConnectPeer(t, tt.peer))
			}
			res := connectWith(t, openStdin(t), args...)
			if res.status != tt.status || !strings.Contains(res.stderr, tt.stderr) {
				t.Fatalf("status %d, stderr %q; want %d and %q", res.status, res.stderr, tt.status, tt.stderr)
			}
			if tt.status == 0 && tt.stderr == "" && res.stderr != "" {
				t.Errorf("stderr %q, want nothing", res.stderr)
			}
		})
	}
}

// TestConnectKeepalive checks that -ping drops a server that answers no
// ping, once -ping-timeout has passed: the connection then ended without
// the server's close frame.
func TestConnectKeepalive(t *testing.T) {
	release := make(chan struct{})
	url := startConnectPeer(t, func(c *websocket.Conn) {
		<-release // never reads, so never answers a ping
	})
	defer close(release)
	res := connectWith(t, openStdin(t), "-ping", "50ms", "-ping-timeout", "100ms", "-close-timeout", "200ms", url)
	if res.status != 106 || !strings.Contains(res.stderr, "keepalive") {
		t.Fatalf("status %d, stderr %q; want 106 and the keepalive timeout", res.status, res.stderr)
	}
}

// TestExitStatus checks the mapping of close codes to exit statuses.
func TestExitStatus(t *testing.T) {
	for code, want := range map[websocket.CloseCode]int{
		1000: 0, 1001: 101, 1002: 102, 1006: 106, 1015: 115,
		3000: 3, 4999: 3, 1016: 1, 2999: 1, 5000: 1, 0: 1,
	} {
		if got := exitStatus(code); got != want {
			t.Errorf("exitStatus(%d) = %d, want %d", int(code), got, want)
		}
	}
}
