package interop_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wsx-go/websocket"
)

// chromiumPath is Debian's Chromium, the browser the Chromium test drives.
const chromiumPath = "/usr/bin/chromium"

// Two messages of compressMessages show parameters on the wire.
const (
	// againMessage is the message before it, binary/200, once more: random
	// bytes that compress only by reference to the previous message, so
	// only with context takeover.
	againMessage = "again/200"
	// repeatsMessage is a block of repeatsBlock random bytes 16 times: it
	// compresses only with a window larger than the block, 13 bits or
	// more, and not with 11 bits or less.
	repeatsMessage = "repeats/65536"
	repeatsBlock   = 4096
)

// compressMessages returns the messages of the permessage-deflate echo
// tests, in the order every driver sends them: python/compress_client.py,
// node/messages.js and the Go clients here. The wire checks pair the n-th
// message a relay sees with the n-th name, so the lists must not drift.
// Text mixes 1- to 4-byte code points; binary is random and does not
// compress, except againMessage and repeatsMessage; the json messages do.
func compressMessages() []message {
	rng := rand.NewChaCha8([32]byte{'d', 'e', 'f', 'l', 'a', 't', 'e'})
	random := func(n int) []byte {
		b := make([]byte, n)
		rng.Read(b)
		return b
	}
	text := func(n int) []byte {
		return []byte(strings.Repeat("aé€😀", n/10) + strings.Repeat("a", n%10))
	}
	js := jsonOf(65536)
	bin200 := random(200)
	return []message{
		{"text/0", websocket.MessageText, text(0)},
		{"binary/0", websocket.MessageBinary, random(0)},
		{"text/1", websocket.MessageText, text(1)},
		{"binary/1", websocket.MessageBinary, random(1)},
		{"text/200", websocket.MessageText, text(200)},
		{"binary/200", websocket.MessageBinary, bin200},
		{againMessage, websocket.MessageBinary, bin200},
		{"json-text/65536", websocket.MessageText, js},
		{"json-binary/65536", websocket.MessageBinary, js},
		{"binary/65536", websocket.MessageBinary, random(65536)},
		{repeatsMessage, websocket.MessageBinary, bytes.Repeat(random(repeatsBlock), 65536/repeatsBlock)},
		{"text/1048576", websocket.MessageText, text(1 << 20)},
		{"binary/1048576", websocket.MessageBinary, random(1 << 20)},
	}
}

// jsonOf returns a JSON array of records of exactly n bytes, padded with
// spaces: the kind of message compression is for.
func jsonOf(n int) []byte {
	var recs []string
	size := 2
	for i := 0; ; i++ {
		rec := fmt.Sprintf(`{"id":%d,"name":"user-%d","city":"Zürich","active":%t,"score":%d,"tags":["alpha","beta","gamma"]}`,
			i, i, i%2 == 0, i*37%1000)
		add := len(rec)
		if len(recs) > 0 {
			add++
		}
		if size+add > n {
			break
		}
		recs = append(recs, rec)
		size += add
	}
	return []byte("[" + strings.Join(recs, ",") + strings.Repeat(" ", n-size) + "]")
}

// messageNames returns the names of msgs.
func messageNames(msgs []message) []string {
	names := make([]string, len(msgs))
	for i, m := range msgs {
		names[i] = m.name
	}
	return names
}

// normExtensions returns a Sec-WebSocket-Extensions value with the
// whitespace around its separators made uniform and each extension's
// parameters in a fixed order, so that values from different
// implementations compare: the order of parameters carries no meaning
// (ws, for one, answers client_max_window_bits first).
func normExtensions(v string) string {
	order := map[string]int{
		"server_no_context_takeover": 1,
		"client_no_context_takeover": 2,
		"server_max_window_bits":     3,
		"client_max_window_bits":     4,
	}
	rank := func(p string) int {
		name, _, _ := strings.Cut(p, "=")
		if r, ok := order[strings.ToLower(strings.TrimSpace(name))]; ok {
			return r
		}
		return len(order) + 1 // unknown ones last, in their order
	}
	var exts []string
	for _, ext := range strings.Split(v, ",") {
		var params []string
		for _, p := range strings.Split(ext, ";") {
			if p = strings.TrimSpace(p); p != "" {
				params = append(params, p)
			}
		}
		if len(params) == 0 {
			continue
		}
		slices.SortStableFunc(params[1:], func(a, b string) int { return rank(a) - rank(b) })
		exts = append(exts, strings.Join(params, "; "))
	}
	return strings.Join(exts, ", ")
}

// requireNode skips (or fails) the test unless node is on PATH and
// interop/node has its modules installed (npm ci there), and returns the
// path of node.
func requireNode(t *testing.T, modules ...string) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		missing(t, fmt.Sprintf("node interop tests need node on PATH: %v", err))
	}
	var versions []string
	for _, m := range modules {
		b, err := os.ReadFile(filepath.Join(nodeDir(t), "node_modules", m, "package.json"))
		var pkg struct{ Version string }
		if err == nil {
			err = json.Unmarshal(b, &pkg)
		}
		if err != nil {
			missing(t, fmt.Sprintf("node interop tests need the module %s: run npm ci --no-audit --no-fund in %s: %v", m, nodeDir(t), err))
		}
		versions = append(versions, m+" "+pkg.Version)
	}
	t.Logf("%s, %s", node, strings.Join(versions, ", "))
	return node
}

// requireChromium skips (or fails) the test unless Debian's Chromium and
// node with playwright-core are there, and returns the path of node.
func requireChromium(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath(chromiumPath); err != nil {
		missing(t, fmt.Sprintf("the Chromium interop test needs %s (Debian's chromium): %v", chromiumPath, err))
	}
	return requireNode(t, "playwright-core")
}

// nodeDir returns the directory of the node drivers.
func nodeDir(t *testing.T) string {
	t.Helper()
	return filepath.Join(moduleRoot(t), "interop", "node")
}

// runDriver runs a client driver to its end and returns its output lines,
// failing the test if it exits non-zero. Its output is logged either way.
func runDriver(t *testing.T, ctx context.Context, name string, args ...string) []string {
	t.Helper()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1")
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	what := filepath.Base(name) + " " + filepath.Base(args[0])
	if err != nil {
		t.Fatalf("%s: %v\n%s", what, err, out)
	}
	t.Logf("%s:\n%s", what, out)
	return strings.Split(strings.TrimRight(string(out), "\n"), "\n")
}

// driverReport is what a client driver printed.
type driverReport struct {
	extensions string   // its "extensions VALUE" line
	ok         []string // the names of its "ok   NAME" lines, in order
}

// parseDriver reads a client driver's output and checks that it echoed
// every message of names, in order, and closed with 1000.
func parseDriver(t *testing.T, lines []string, names []string) driverReport {
	t.Helper()
	var r driverReport
	sawExt := false
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "extensions "), l == "extensions":
			r.extensions = strings.TrimSpace(strings.TrimPrefix(l, "extensions"))
			sawExt = true
		case strings.HasPrefix(l, "ok   "):
			r.ok = append(r.ok, strings.TrimPrefix(l, "ok   "))
		case strings.HasPrefix(l, "FAIL"):
			t.Errorf("driver: %s", l)
		}
	}
	if !sawExt {
		t.Errorf("driver printed no extensions line")
	}
	want := append(append([]string(nil), names...), "close 1000")
	if strings.Join(r.ok, "\n") != strings.Join(want, "\n") {
		t.Errorf("driver's ok lines are %q, want %q", r.ok, want)
	}
	return r
}

// wsxConnReport is how a connection to an in-process wsx server went.
type wsxConnReport struct {
	path       string
	extensions string // Conn.Extensions()
	compressed bool   // Conn.Compressed()
	err        error  // why the echo loop ended
}

// startCompressServer starts an in-process wsx echo server on loopback
// with the compression options z and the origin patterns, closed when the
// test ends. It returns the server's address and a channel that receives a
// report as each connection ends.
func startCompressServer(t *testing.T, z *websocket.CompressionOptions, origins ...string) (string, <-chan wsxConnReport) {
	t.Helper()
	reports := make(chan wsxConnReport, 16)
	s := &websocket.Server{
		AcceptOptions: websocket.AcceptOptions{
			Options:        websocket.Options{Compression: z},
			OriginPatterns: origins,
		},
		Handle: func(c *websocket.Conn) {
			r := wsxConnReport{path: c.URL().Path, extensions: c.Extensions(), compressed: c.Compressed()}
			ctx := context.Background() // the server's Close ends the reads
			for {
				typ, p, err := c.Read(ctx)
				if err == nil {
					err = c.Write(ctx, typ, p)
				}
				if err != nil {
					r.err = err
					break
				}
			}
			select {
			case reports <- r:
			default:
			}
		},
	}
	listenLogged(t, s, "wsx server")
	return s.Addr().String(), reports
}

// waitReport returns the next connection report of a wsx server and checks
// that the connection negotiated want and ended with the client's 1000.
func waitReport(t *testing.T, ctx context.Context, reports <-chan wsxConnReport, want string) wsxConnReport {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, lineTimeout)
	defer cancel()
	var r wsxConnReport
	select {
	case r = <-reports:
	case <-ctx.Done():
		t.Fatalf("waiting for the wsx server's connection to end: %v", ctx.Err())
	}
	if !r.compressed {
		t.Errorf("server Conn.Compressed() = false, want true")
	}
	if got := normExtensions(r.extensions); got != want {
		t.Errorf("server Conn.Extensions() = %q, want %q", r.extensions, want)
	}
	var ce *websocket.CloseError
	if !errors.As(r.err, &ce) || ce.Code != websocket.CloseNormal {
		t.Errorf("server's echo loop ended with %v, want a CloseError with %v", r.err, websocket.CloseNormal)
	}
	return r
}

// serveBrowserPage serves node/page.html and its scripts on loopback until
// the test ends, and returns the page's URL.
func serveBrowserPage(t *testing.T) string {
	t.Helper()
	dir := nodeDir(t)
	return serveFiles(t, map[string]string{
		"/":            filepath.Join(dir, "page.html"),
		"/messages.js": filepath.Join(dir, "messages.js"),
		"/page.js":     filepath.Join(dir, "page.js"),
	}) + "/"
}

// wireCheck says what a relayed echo connection must show.
type wireCheck struct {
	msgs []message // what the client sent, in order; the server echoed each
	want string    // the negotiated extensions, normalized
	// wsxSends is the direction wsx sent in (toServer when it is the
	// client), and wsxThreshold its CompressionOptions.Threshold: its
	// messages of at least that many bytes (every one when negative) must
	// go out with RSV1, the others without.
	wsxSends     int
	wsxThreshold int
}

// sendParams returns the window, in bits, and whether context takeover is
// allowed for the messages one end sends, as the negotiated extensions
// value ext (normalized, permessage-deflate only) sets them.
func sendParams(ext string, server bool) (bits int, takeover bool) {
	end := "client"
	if server {
		end = "server"
	}
	bits, takeover = 15, true
	for _, p := range strings.Split(ext, "; ")[1:] {
		name, value, _ := strings.Cut(p, "=")
		switch name {
		case end + "_no_context_takeover":
			takeover = false
		case end + "_max_window_bits":
			if b, err := strconv.Atoi(value); err == nil {
				bits = b
			}
		}
	}
	return bits, takeover
}

// checkWire checks what the relay saw of an echo connection: the answer's
// extensions, one data message per message each way, RSV1 on some messages
// each way and on the json ones, which must also have shrunk, and on wsx's
// side its threshold, context takeover (againMessage shrinks to a
// reference only with it) and window (repeatsMessage shrinks only with
// more than 12 bits). It logs the counts.
func checkWire(t *testing.T, wc *wireConn, c wireCheck) {
	t.Helper()
	t.Logf("wire: offer %q, answer %q", wc.offer, wc.answer)
	if !strings.HasPrefix(wc.status, "HTTP/1.1 101 ") {
		t.Fatalf("wire: handshake answered %q, want 101", wc.status)
	}
	if got := normExtensions(wc.answer); got != c.want {
		t.Errorf("wire: Sec-WebSocket-Extensions answer %q, want %q", wc.answer, c.want)
	}
	threshold := c.wsxThreshold
	if threshold == 0 {
		threshold = websocket.DefaultCompressionThreshold
	}
	for dir, name := range []string{"client→server", "server→client"} {
		d := &wc.dirs[dir]
		for _, b := range d.bad {
			t.Errorf("wire %s: %s", name, b)
		}
		if len(d.msgs) != len(c.msgs) {
			t.Errorf("wire %s: %d data messages, want %d", name, len(d.msgs), len(c.msgs))
			continue
		}
		bits, takeover := sendParams(c.want, dir == toClient)
		compressed := 0
		var detail []string
		for i, m := range c.msgs {
			w := d.msgs[i]
			wantOp := byte(1)
			if m.typ == websocket.MessageBinary {
				wantOp = 2
			}
			if w.opcode != wantOp {
				t.Errorf("wire %s: message %d (%s) has opcode %d, want %d", name, i, m.name, w.opcode, wantOp)
			}
			if w.rsv1 {
				compressed++
			}
			if strings.HasPrefix(m.name, "json-") {
				if !w.rsv1 {
					t.Errorf("wire %s: %s went without RSV1, want it compressed", name, m.name)
				} else if w.payload*2 > int64(len(m.data)) {
					t.Errorf("wire %s: %s took %d bytes, want under half of %d", name, m.name, w.payload, len(m.data))
				}
			}
			if dir == c.wsxSends {
				if want := threshold < 0 || len(m.data) >= threshold; w.rsv1 != want {
					t.Errorf("wire %s: wsx sent %s with RSV1 %v, want %v (threshold %d)", name, m.name, w.rsv1, want, c.wsxThreshold)
				}
				switch small := w.payload*2 < int64(len(m.data)); {
				case m.name == againMessage && takeover && w.payload > 50:
					t.Errorf("wire %s: wsx sent %s, a copy of the message before, in %d bytes: want a reference to it (context takeover is on)", name, m.name, w.payload)
				case m.name == againMessage && !takeover && w.payload < int64(len(m.data)):
					t.Errorf("wire %s: wsx sent %s in %d bytes, under its %d: a reference to the message before, with context takeover off", name, m.name, w.payload, len(m.data))
				case m.name == repeatsMessage && bits > 12 && !small:
					t.Errorf("wire %s: wsx sent %s in %d bytes: want under half of %d with a %d-bit window", name, m.name, w.payload, len(m.data), bits)
				case m.name == repeatsMessage && bits < 12 && small:
					t.Errorf("wire %s: wsx sent %s in %d bytes, under half of %d: its repeats are beyond the %d-bit window", name, m.name, w.payload, len(m.data), bits)
				}
			}
			rsv := ""
			if w.rsv1 {
				rsv = " RSV1"
			}
			detail = append(detail, fmt.Sprintf("%s %d→%d%s", m.name, len(m.data), w.payload, rsv))
		}
		if compressed == 0 {
			t.Errorf("wire %s: no message with RSV1, want compressed ones", name)
		}
		t.Logf("wire %s (window %d bits, context takeover %v): %d messages, %d with RSV1, %d frames (%d control): %s",
			name, bits, takeover, len(d.msgs), compressed, d.frames, d.control, strings.Join(detail, ", "))
	}
}
