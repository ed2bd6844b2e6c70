package interop_test

import (
	"context"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wsx-go/websocket/interop/internal/matrix"
)

// matrixTimeout bounds one direction of one peer: every case, one after
// another, each of a few steps of at most the spec's timeout.
const matrixTimeout = 5 * time.Minute

// TestMatrix runs every case of matrix.json between wsx and each peer, in
// both roles: TestMatrix/PEER/client/CASE has the peer's client talk to a
// wsx server, TestMatrix/PEER/server/CASE a wsx client to the peer's
// server. Both ends judge each case; both verdicts must be ok. The command
// interop/cmd/matrix turns the results into docs/interop.md.
func TestMatrix(t *testing.T) {
	spec, err := matrix.Load(filepath.Join(moduleRoot(t), "interop", "matrix.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, peer := range spec.Peers {
		d, ok := matrixDrivers[peer.Name]
		if !ok {
			t.Errorf("matrix.json names the peer %q, which has no driver here", peer.Name)
			continue
		}
		t.Run(peer.Name, func(t *testing.T) {
			d.require(t)
			if peer.Client {
				t.Run(string(matrix.PeerClient), func(t *testing.T) { runMatrixPeerClient(t, spec, peer, d) })
			}
			if peer.Server {
				t.Run(string(matrix.PeerServer), func(t *testing.T) { runMatrixPeerServer(t, spec, peer, d) })
			}
		})
	}
}

// runMatrixPeerClient runs the peer's client driver against a wsx server.
func runMatrixPeerClient(t *testing.T, spec *matrix.Spec, peer matrix.Peer, d matrixDriver) {
	ctx := boundedContext(t, matrixTimeout)
	origin, err := url.Parse(spec.Origin)
	if err != nil {
		t.Fatal(err)
	}
	allowed := []string{origin.Host}
	var page string
	if d.browser {
		page = serveMatrixPage(t)
		u, _ := url.Parse(page)
		allowed = append(allowed, u.Host)
	}
	srv := startWsxMatrixServer(t, spec, allowed)
	relay := startRelay(t, strings.TrimPrefix(srv.base, "ws://"))

	cases := spec.CasesFor(peer, matrix.PeerClient)
	argv := d.client(t, relay.URL(""), page, caseNames(cases))
	p := startProcess(t, ctx, argv[0], argv[1:]...)
	client := collect(p)
	logVersion(t, ctx, client)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(ctx, 4*spec.Timeout())
			defer cancel()
			checkVerdict(t, ctx, "client ("+peer.Title+")", client, c.Name)
			checkVerdict(t, ctx, "server (wsx)", srv.results, c.Name)
			checkMatrixWire(t, ctx, spec, peer, matrix.PeerClient, relay, c.Name)
		})
	}
	select {
	case <-p.exited:
		if p.err != nil && !t.Failed() {
			t.Errorf("the client driver exited with %v after reporting every case ok", p.err)
		}
	case <-ctx.Done():
		t.Errorf("the client driver has not exited: %v", ctx.Err())
	}
}

// runMatrixPeerServer runs a wsx client against the peer's server driver.
func runMatrixPeerServer(t *testing.T, spec *matrix.Spec, peer matrix.Peer, d matrixDriver) {
	ctx := boundedContext(t, matrixTimeout)
	argv := d.server(t)
	server := collect(startProcess(t, ctx, argv[0], argv[1:]...))
	port, err := server.waitInfo(ctx, "port")
	if err != nil {
		t.Fatalf("the server driver did not say its port: %v", err)
	}
	logVersion(t, ctx, server)
	relay := startRelay(t, net.JoinHostPort("127.0.0.1", port))
	base := relay.URL("")
	for _, c := range spec.CasesFor(peer, matrix.PeerServer) {
		t.Run(c.Name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(ctx, 4*spec.Timeout())
			defer cancel()
			if detail, err := runWsxClient(ctx, spec, base, c.Name); err != nil {
				t.Errorf("client (wsx): FAIL: %v", err)
			} else {
				t.Logf("client (wsx): ok: %s", detail)
			}
			checkVerdict(t, ctx, "server ("+peer.Title+")", server, c.Name)
			checkMatrixWire(t, ctx, spec, peer, matrix.PeerServer, relay, c.Name)
		})
	}
}

// checkVerdict waits for one side's verdict on a case and fails the test
// unless it is ok.
func checkVerdict(t *testing.T, ctx context.Context, side string, r *results, name string) {
	t.Helper()
	res, err := r.wait(ctx, name)
	switch {
	case err != nil:
		t.Errorf("%s: no verdict: %v", side, err)
	case !res.ok:
		t.Errorf("%s: %v", side, res)
	default:
		t.Logf("%s: %v", side, res)
	}
}

// checkMatrixWire checks what the relay between the two ends saw of a
// case's connection: every frame within the rules a relay can check, both
// ways (masked from the client only, no RSV bits, continuations only inside
// a message), and, for a peer that fragments at OutgoingFrameSize, a long
// message from it in that many frames. A refused handshake has no frames.
func checkMatrixWire(t *testing.T, ctx context.Context, spec *matrix.Spec, peer matrix.Peer, role matrix.Role, relay *wireRelay, name string) {
	t.Helper()
	if name == "origin-refused" {
		return
	}
	wc, err := relay.endedConn(ctx, "/"+name)
	if err != nil {
		t.Errorf("wire: %v", err)
		return
	}
	dirNames := [2]string{"client to server", "server to client"}
	for dir, d := range wc.dirs {
		for _, bad := range d.bad {
			// A peer may drop TCP right after its close frame (Qt does):
			// the relay's read errors are not the ends' faults.
			if !strings.HasPrefix(bad, "reading ") {
				t.Errorf("wire, %s: %s", dirNames[dir], bad)
			}
		}
	}
	_, msg, ok := spec.Message(name)
	if !ok {
		return
	}
	var frames [2]int
	for dir, d := range wc.dirs {
		if len(d.msgs) != 1 || d.msgs[0].payload != int64(len(msg)) {
			t.Errorf("wire, %s: %d messages (%v), want one of %d bytes", dirNames[dir], len(d.msgs), d.msgs, len(msg))
			return
		}
		frames[dir] = d.msgs[0].frames
	}
	t.Logf("wire: %d bytes in %d frames from the client, %d frames back", len(msg), frames[toServer], frames[toClient])
	if size := peer.OutgoingFrameSize; size > 0 {
		fromPeer := frames[toServer]
		if role == matrix.PeerServer {
			fromPeer = frames[toClient]
		}
		if want := max(1, (len(msg)+size-1)/size); fromPeer != want {
			t.Errorf("wire: %s sent %d bytes in %d frames, want %d frames of at most %d bytes", peer.Title, len(msg), fromPeer, want, size)
		}
	}
}

// logVersion logs the driver's "version" line, which docs/interop.md
// quotes: "peer version: TEXT".
func logVersion(t *testing.T, ctx context.Context, r *results) {
	t.Helper()
	v, err := r.waitInfo(ctx, "version")
	if err != nil {
		t.Fatalf("the driver did not say its version: %v", err)
	}
	t.Logf("peer version: %s", v)
}

func caseNames(cases []matrix.Case) []string {
	names := make([]string, len(cases))
	for i, c := range cases {
		names[i] = c.Name
	}
	return names
}

// serveMatrixPage serves the browser's matrix page (node/matrix.html, its
// scripts and matrix.json) on loopback until the test ends, and returns
// the page's URL.
func serveMatrixPage(t *testing.T) string {
	t.Helper()
	return serveFiles(t, map[string]string{
		"/matrix.html":    filepath.Join(nodeDir(t), "matrix.html"),
		"/matrix-page.js": filepath.Join(nodeDir(t), "matrix-page.js"),
		"/matrixspec.js":  filepath.Join(nodeDir(t), "matrixspec.js"),
		"/matrix.json":    filepath.Join(moduleRoot(t), "interop", "matrix.json"),
	}) + "/matrix.html"
}
