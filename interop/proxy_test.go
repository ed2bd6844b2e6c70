package interop_test

import (
	"bufio"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wsx-go/websocket"
)

// TestTinyproxy dials a wsx server through tinyproxy without
// authentication.
func TestTinyproxy(t *testing.T) {
	ctx := testContext(t)
	proxy := startTinyproxy(t, ctx, false)
	target := echoTarget(t)
	targetAddr := strings.TrimSuffix(strings.TrimPrefix(target, "ws://"), "/")

	c, err := dialThrough(t, ctx, target, "http://"+proxy.addr, nil)
	if err != nil {
		t.Fatalf("Dial through tinyproxy: %v", err)
	}
	echoOnce(t, ctx, c, "through tinyproxy")
	// The tunnel was tinyproxy's, not a direct connection.
	want := "CONNECT " + targetAddr + " HTTP/1.1"
	proxy.waitLine(t, ctx, func(l string) bool { return strings.HasSuffix(l, want) })
}

// TestTinyproxyBasicAuth dials through tinyproxy configured with BasicAuth,
// with and without credentials, from the proxy URL and from ProxyAuth.
func TestTinyproxyBasicAuth(t *testing.T) {
	ctx := testContext(t)
	proxy := startTinyproxy(t, ctx, true)
	target := echoTarget(t)
	right := "http://" + tinyproxyUser + ":" + tinyproxyPassword + "@" + proxy.addr
	wrong := "http://" + tinyproxyUser + ":not-" + tinyproxyPassword + "@" + proxy.addr
	none := "http://" + proxy.addr

	t.Run("credentials in the URL", func(t *testing.T) {
		c, err := dialThrough(t, ctx, target, right, nil)
		if err != nil {
			t.Fatalf("Dial: %v", err)
		}
		echoOnce(t, ctx, c, "basic auth from the URL")
	})

	t.Run("no credentials", func(t *testing.T) {
		_, err := dialThrough(t, ctx, target, none, nil)
		de, pe := proxyFailure(t, err, websocket.KindProxyAuthRequired)
		if de.Addr != proxy.addr {
			t.Errorf("DialError.Addr = %q, want the proxy's %q", de.Addr, proxy.addr)
		}
		if pe == nil {
			t.Fatalf("no *ProxyError in %v", err)
		}
		if pe.StatusCode != 407 {
			t.Errorf("ProxyError.StatusCode = %d, want 407", pe.StatusCode)
		}
		if got, want := pe.Header.Get("Proxy-Authenticate"), `Basic realm="Tinyproxy"`; got != want {
			t.Errorf("Proxy-Authenticate = %q, want %q", got, want)
		}
		if pe.Proxy == nil || pe.Proxy.String() != none {
			t.Errorf("ProxyError.Proxy = %v, want %s", pe.Proxy, none)
		}
		t.Logf("tinyproxy's 407 body excerpt: %q", pe.Body)
	})

	t.Run("credentials from ProxyAuth", func(t *testing.T) {
		a := &authRecorder{user: tinyproxyUser, pass: tinyproxyPassword}
		c, err := dialThrough(t, ctx, target, none, &websocket.Dialer{ProxyAuth: a.auth})
		if err != nil {
			t.Fatalf("Dial: %v", err)
		}
		echoOnce(t, ctx, c, "basic auth from ProxyAuth")
		a.checkAskedOnce(t, "http", proxy.addr, "Basic", "Tinyproxy")
		if got := a.challenges()[0].Header.Get("Proxy-Authenticate"); got != `Basic realm="Tinyproxy"` {
			t.Errorf("challenge's Proxy-Authenticate = %q", got)
		}
	})

	// tinyproxy before 1.12 answers wrong credentials with 401 and
	// WWW-Authenticate, not 407 (tinyproxy issue #532, fixed by pull
	// request #549); Debian 12 ships 1.11.1. Dial takes a proxy's 401 as
	// the demand for credentials it means, so both work alike.
	wrongStatus := wrongCredentialsStatus(t, proxy.addr)
	t.Logf("tinyproxy answers wrong credentials with %d", wrongStatus)
	if wrongStatus != 401 && wrongStatus != 407 {
		t.Fatalf("tinyproxy answers wrong credentials with %d, want 401 or 407", wrongStatus)
	}

	t.Run("wrong credentials in the URL, right ones from ProxyAuth", func(t *testing.T) {
		a := &authRecorder{user: tinyproxyUser, pass: tinyproxyPassword}
		c, err := dialThrough(t, ctx, target, wrong, &websocket.Dialer{ProxyAuth: a.auth})
		if err != nil {
			t.Fatalf("Dial: %v", err)
		}
		echoOnce(t, ctx, c, "basic auth, second try")
		a.checkAskedOnce(t, "http", proxy.addr, "Basic", "Tinyproxy")
	})

	t.Run("wrong credentials everywhere", func(t *testing.T) {
		a := &authRecorder{user: tinyproxyUser, pass: "still-wrong"}
		_, err := dialThrough(t, ctx, target, wrong, &websocket.Dialer{ProxyAuth: a.auth})
		if strings.Contains(err.Error(), "not-"+tinyproxyPassword) {
			t.Errorf("error %q holds the proxy URL's password", err)
		}
		_, pe := proxyFailure(t, err, websocket.KindProxyAuthRequired)
		if pe == nil || pe.StatusCode != wrongStatus {
			t.Errorf("ProxyError = %#v, want status %d", pe, wrongStatus)
		}
		a.checkAskedOnce(t, "http", proxy.addr, "Basic", "Tinyproxy")
	})

	t.Run("wrong credentials from ProxyAuth", func(t *testing.T) {
		// The first CONNECT carries none and gets a 407; the retry's
		// wrong ones get wrongStatus, which ends the dial either way.
		a := &authRecorder{user: tinyproxyUser, pass: "still-wrong"}
		_, err := dialThrough(t, ctx, target, none, &websocket.Dialer{ProxyAuth: a.auth})
		_, pe := proxyFailure(t, err, websocket.KindProxyAuthRequired)
		if pe == nil || pe.StatusCode != wrongStatus {
			t.Errorf("ProxyError = %#v, want status %d", pe, wrongStatus)
		}
		a.checkAskedOnce(t, "http", proxy.addr, "Basic", "Tinyproxy")
	})
}

// wrongCredentialsStatus sends tinyproxy at addr a CONNECT with wrong Basic
// credentials and returns the status of its answer.
func wrongCredentialsStatus(t *testing.T, addr string) int {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, lineTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(lineTimeout))
	cred := base64.StdEncoding.EncodeToString([]byte(tinyproxyUser + ":wrong"))
	if _, err := io.WriteString(nc, "CONNECT 127.0.0.1:9 HTTP/1.1\r\nHost: 127.0.0.1:9\r\n"+
		"Proxy-Authorization: Basic "+cred+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(nc), &http.Request{Method: http.MethodConnect})
	if err != nil {
		t.Fatalf("tinyproxy's answer to wrong credentials: %v", err)
	}
	return resp.StatusCode
}

// TestDante dials a wsx server through dante without authentication, with
// socks5 and socks5h proxy URLs.
func TestDante(t *testing.T) {
	ctx := testContext(t)
	proxy := startDante(t, ctx, false)
	target := echoTarget(t)
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	port := u.Port()

	for _, tc := range []struct{ scheme, target string }{
		{"socks5", target},
		{"socks5h", target},
		// The proxy resolves the name.
		{"socks5h", "ws://" + net.JoinHostPort("localhost", port) + "/"},
	} {
		t.Run(tc.scheme+" "+tc.target, func(t *testing.T) {
			c, err := dialThrough(t, ctx, tc.target, tc.scheme+"://"+proxy.addr, nil)
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			echoOnce(t, ctx, c, "through dante")
			proxy.waitLine(t, ctx, danteTunnelLine(port))
		})
	}
}

// TestDanteUsername dials through dante configured with the username
// method of RFC 1929.
func TestDanteUsername(t *testing.T) {
	ctx := testContext(t)
	proxy := startDante(t, ctx, true)
	target := echoTarget(t)
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	port := u.Port()
	right := "socks5://" + danteUser + ":" + dantePassword + "@" + proxy.addr
	wrong := "socks5://" + danteUser + ":not-" + dantePassword + "@" + proxy.addr
	none := "socks5://" + proxy.addr

	t.Run("credentials in the URL", func(t *testing.T) {
		c, err := dialThrough(t, ctx, target, right, nil)
		if err != nil {
			t.Fatalf("Dial: %v", err)
		}
		echoOnce(t, ctx, c, "username from the URL")
		proxy.waitLine(t, ctx, danteTunnelLine(port))
	})

	t.Run("no credentials", func(t *testing.T) {
		_, err := dialThrough(t, ctx, target, none, nil)
		de, pe := proxyFailure(t, err, websocket.KindProxyAuthRequired)
		if de.Addr != proxy.addr {
			t.Errorf("DialError.Addr = %q, want the proxy's %q", de.Addr, proxy.addr)
		}
		if pe == nil || pe.StatusCode != 0 || pe.Header != nil {
			t.Errorf("ProxyError = %#v, want one without HTTP status or header", pe)
		}
	})

	t.Run("credentials from ProxyAuth", func(t *testing.T) {
		a := &authRecorder{user: danteUser, pass: dantePassword}
		c, err := dialThrough(t, ctx, target, none, &websocket.Dialer{ProxyAuth: a.auth})
		if err != nil {
			t.Fatalf("Dial: %v", err)
		}
		echoOnce(t, ctx, c, "username from ProxyAuth")
		proxy.waitLine(t, ctx, danteTunnelLine(port))
		a.checkAskedOnce(t, "socks5", proxy.addr, "SOCKS5", "")
		if h := a.challenges()[0].Header; h != nil {
			t.Errorf("SOCKS5 challenge has Header %v, want nil", h)
		}
	})

	t.Run("wrong credentials", func(t *testing.T) {
		_, err := dialThrough(t, ctx, target, wrong, nil)
		proxyFailure(t, err, websocket.KindProxyAuthRequired)
		if strings.Contains(err.Error(), "not-"+dantePassword) {
			t.Errorf("error %q holds the proxy URL's password", err)
		}
	})

	t.Run("wrong credentials everywhere", func(t *testing.T) {
		a := &authRecorder{user: danteUser, pass: "still-wrong"}
		_, err := dialThrough(t, ctx, target, wrong, &websocket.Dialer{ProxyAuth: a.auth})
		proxyFailure(t, err, websocket.KindProxyAuthRequired)
		a.checkAskedOnce(t, "socks5", proxy.addr, "SOCKS5", "")
	})
}

// TestProxyNotListening dials through a proxy address nothing listens on.
func TestProxyNotListening(t *testing.T) {
	ctx := testContext(t)
	target := echoTarget(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	for _, scheme := range []string{"http", "socks5"} {
		t.Run(scheme, func(t *testing.T) {
			_, err := dialThrough(t, ctx, target, scheme+"://"+addr, nil)
			de, _ := proxyFailure(t, err, websocket.KindProxyConnectionRefused)
			if de.Addr != addr {
				t.Errorf("DialError.Addr = %q, want the proxy's %q", de.Addr, addr)
			}
			if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Errorf("errors.Is(%v, ECONNREFUSED) = false", err)
			}
		})
	}
}
