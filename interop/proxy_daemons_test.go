package interop_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wsx-go/websocket"
)

// The proxies of the proxy tests, as Debian's tinyproxy and dante-server
// packages install them.
const (
	tinyproxyPath = "/usr/bin/tinyproxy"
	dantePath     = "/usr/sbin/danted"
)

// The credentials the proxies are configured with. Dante's username method
// checks the system's accounts, so CI creates danteUser with
//
//	useradd --system --no-create-home --shell /usr/sbin/nologin wsxproxy
//	echo 'wsxproxy:s3cret-pass' | chpasswd
const (
	tinyproxyUser     = "alice"
	tinyproxyPassword = "wonderland"
	danteUser         = "wsxproxy"
	dantePassword     = "s3cret-pass"
)

// daemonStartAttempts is how many free ports a proxy daemon is tried on:
// the port is free when picked but may be taken before the daemon binds it.
const daemonStartAttempts = 3

// missing skips the test for want of something outside the module, or fails
// it when WSX_REQUIRE_INTEROP=1, as requirePython does.
func missing(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("WSX_REQUIRE_INTEROP") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// requireProgram skips (or fails) the test when the executable at path is
// missing.
func requireProgram(t *testing.T, path, pkg string) {
	t.Helper()
	if _, err := exec.LookPath(path); err != nil {
		missing(t, fmt.Sprintf("proxy interop tests need %s (Debian's %s): %v", path, pkg, err))
	}
}

// requireUser skips (or fails) the test when the system account name is
// missing.
func requireUser(t *testing.T, name string) {
	t.Helper()
	if _, err := user.Lookup(name); err != nil {
		missing(t, fmt.Sprintf("proxy interop tests need the system user %s for dante's username method: %v", name, err))
	}
}

// proxyDaemon is a proxy running as a child process.
type proxyDaemon struct {
	*process
	addr string // where it listens, 127.0.0.1:port
}

// startDaemon writes the configuration config returns for a free port into
// the test's temporary directory and runs program with args(config file)
// until it accepts connections on that port. When the daemon exits because
// the port was taken meanwhile, it tries again on another port. The daemon
// is killed when the test ends.
func startDaemon(t *testing.T, ctx context.Context, program string, config func(port int) string, args func(file string) []string) *proxyDaemon {
	t.Helper()
	dir := t.TempDir()
	name := filepath.Base(program)
	for attempt := 1; ; attempt++ {
		port := freePort(t)
		file := filepath.Join(dir, fmt.Sprintf("%s-%d.conf", name, attempt))
		if err := os.WriteFile(file, []byte(config(port)), 0o644); err != nil {
			t.Fatal(err)
		}
		d := &proxyDaemon{
			process: startProcess(t, ctx, program, args(file)...),
			addr:    net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		}
		err := d.waitListening(ctx)
		if err == nil {
			return d
		}
		out := d.out.String()
		bindFailed := strings.Contains(out, "Could not create listening sockets") ||
			strings.Contains(out, "Address already in use")
		if !bindFailed || attempt == daemonStartAttempts {
			t.Fatalf("%s on %s: %v\n%s", name, d.addr, err, out)
		}
		t.Logf("%s could not listen on %s; trying another port", name, d.addr)
	}
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitListening waits up to lineTimeout for the daemon to accept a
// connection on its address, and fails if it exits first.
func (d *proxyDaemon) waitListening(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, lineTimeout)
	defer cancel()
	for {
		select {
		case <-d.exited:
			return fmt.Errorf("exited before listening: %v", d.err)
		default:
		}
		var nd net.Dialer
		probeCtx, probeCancel := context.WithTimeout(ctx, time.Second)
		nc, err := nd.DialContext(probeCtx, "tcp", d.addr)
		probeCancel()
		if err == nil {
			nc.Close()
			return nil
		}
		select {
		case <-d.exited:
			return fmt.Errorf("exited before listening: %v", d.err)
		case <-ctx.Done():
			return fmt.Errorf("not listening after %v: %v", lineTimeout, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// startTinyproxy runs tinyproxy in the foreground on a free loopback port,
// with Basic authentication for tinyproxyUser when basicAuth is set. No
// ConnectPort line: any port may be the target of CONNECT.
func startTinyproxy(t *testing.T, ctx context.Context, basicAuth bool) *proxyDaemon {
	t.Helper()
	requireProgram(t, tinyproxyPath, "tinyproxy")
	config := func(port int) string {
		c := fmt.Sprintf("Port %d\nListen 127.0.0.1\nTimeout 60\nMaxClients 50\nAllow 127.0.0.1\nLogLevel Info\n", port)
		if basicAuth {
			c += "BasicAuth " + tinyproxyUser + " " + tinyproxyPassword + "\n"
		}
		return c
	}
	return startDaemon(t, ctx, tinyproxyPath, config, func(file string) []string {
		return []string{"-d", "-c", file}
	})
}

// startDante runs dante's danted in the foreground on a free loopback port,
// logging to stderr, with the username method (RFC 1929, checked against
// the system's accounts) when username is set. It logs every tunnel it
// opens ("log: connect"), so tests can see that it was used.
func startDante(t *testing.T, ctx context.Context, username bool) *proxyDaemon {
	t.Helper()
	requireProgram(t, dantePath, "dante-server")
	method := "none"
	if username {
		requireUser(t, danteUser)
		method = "username"
	}
	config := func(port int) string {
		return fmt.Sprintf(`logoutput: stderr
internal: 127.0.0.1 port = %d
external: 127.0.0.1
clientmethod: none
socksmethod: %s
user.privileged: root
user.unprivileged: nobody
client pass {
	from: 127.0.0.0/8 to: 0.0.0.0/0
}
socks pass {
	from: 127.0.0.0/8 to: 0.0.0.0/0
	command: connect
	log: connect
}
`, port, method)
	}
	d := startDaemon(t, ctx, dantePath, config, func(file string) []string {
		return []string{"-f", file, "-N", "1"}
	})
	// danted forks children, which outlive a killed parent while they
	// relay a session; on SIGTERM the parent ends them first. startProcess
	// kills it if SIGTERM does not work.
	t.Cleanup(func() { d.stop(syscall.SIGTERM) })
	return d
}

// danteTunnelLine returns a matcher for dante's log line of a tunnel to
// the target port, such as
// "info: pass(1): tcp/connect [: 127.0.0.1.48504 127.0.0.1.38124 -> 127.0.0.1.45001 127.0.0.1.33697".
func danteTunnelLine(port string) func(string) bool {
	return func(l string) bool {
		return strings.Contains(l, "tcp/connect [") && strings.HasSuffix(l, "."+port)
	}
}

// echoTarget starts a wsx Server on loopback that echoes every message,
// closed when the test ends, and returns its URL.
func echoTarget(t *testing.T) string {
	t.Helper()
	s := &websocket.Server{
		Handle: func(c *websocket.Conn) {
			ctx := context.Background()
			for {
				typ, p, err := c.Read(ctx)
				if err != nil {
					return
				}
				if err := c.Write(ctx, typ, p); err != nil {
					return
				}
			}
		},
	}
	listenLogged(t, s, "echo server")
	return s.URL().String()
}

// dialThrough dials target through the proxy at proxyURL with d's other
// settings (d may be nil); the connection is aborted when the test ends.
func dialThrough(t *testing.T, ctx context.Context, target, proxyURL string, d *websocket.Dialer) (*websocket.Conn, error) {
	t.Helper()
	pu, err := url.Parse(proxyURL)
	if err != nil {
		t.Fatalf("proxy URL %q: %v", proxyURL, err)
	}
	var opts websocket.Dialer
	if d != nil {
		opts = *d
	}
	opts.Proxy = websocket.ProxyURL(pu)
	c, err := opts.Dial(ctx, target)
	if c != nil {
		t.Cleanup(c.Abort)
	}
	return c, err
}

// echoOnce sends msg on c and expects it back.
func echoOnce(t *testing.T, ctx context.Context, c *websocket.Conn, msg string) {
	t.Helper()
	if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		t.Fatalf("Write: %v", err)
	}
	typ, p, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if typ != websocket.MessageText || string(p) != msg {
		t.Fatalf("echo = %v %q, want text %q", typ, p, msg)
	}
}

// authRecorder is a Dialer.ProxyAuth that answers with fixed credentials
// and records the challenges it was asked about.
type authRecorder struct {
	user, pass string
	mu         sync.Mutex
	asked      []*websocket.AuthChallenge
}

func (a *authRecorder) auth(_ context.Context, ch *websocket.AuthChallenge) (string, string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.asked = append(a.asked, ch)
	return a.user, a.pass, true
}

// challenges returns the challenges asked about so far.
func (a *authRecorder) challenges() []*websocket.AuthChallenge {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]*websocket.AuthChallenge(nil), a.asked...)
}

// checkAskedOnce checks that a was asked exactly once, by the proxy at
// proxyAddr, with scheme and realm.
func (a *authRecorder) checkAskedOnce(t *testing.T, proxyScheme, proxyAddr, scheme, realm string) {
	t.Helper()
	asked := a.challenges()
	if len(asked) != 1 {
		t.Fatalf("ProxyAuth called %d times, want 1", len(asked))
	}
	ch := asked[0]
	if !ch.Proxy || ch.Scheme != scheme || ch.Realm != realm {
		t.Errorf("ProxyAuth asked with Proxy %v, Scheme %q, Realm %q; want true, %q, %q",
			ch.Proxy, ch.Scheme, ch.Realm, scheme, realm)
	}
	if want := proxyScheme + "://" + proxyAddr; ch.URL == nil || ch.URL.String() != want {
		t.Errorf("challenge URL = %v, want %s", ch.URL, want)
	}
}

// proxyFailure checks that err is a *DialError of Op "proxy" and kind, and
// returns it with the *ProxyError in it, if any.
func proxyFailure(t *testing.T, err error, kind websocket.ErrorKind) (*websocket.DialError, *websocket.ProxyError) {
	t.Helper()
	if err == nil {
		t.Fatalf("Dial succeeded, want a %v failure", kind)
	}
	var de *websocket.DialError
	if !errors.As(err, &de) {
		t.Fatalf("Dial error = %v (%T), want a *websocket.DialError", err, err)
	}
	if de.Op != "proxy" || de.Kind != kind {
		t.Fatalf("Dial error Op %q Kind %v (%v), want Op \"proxy\" Kind %v", de.Op, de.Kind, err, kind)
	}
	var pe *websocket.ProxyError
	errors.As(err, &pe)
	return de, pe
}
