package conform_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	kflate "github.com/klauspost/compress/flate"

	"github.com/wsx-go/websocket/internal/conform"
	"github.com/wsx-go/websocket/internal/frame"
	"github.com/wsx-go/websocket/internal/rawframe"
)

// The tests here run sections 12 and 13 against echo peers with a
// permessage-deflate of their own, written by hand (raw TCP, handshake
// included) on klauspost's flate, which the tester does not use for
// reading, each breaking one rule of RFC 7692, as a server and as a
// client, and check that the cases covering the rule, and only those, do
// not pass. bugNone, the same peer keeping every rule, must pass them all:
// it shows that the tester accepts a permessage-deflate other than wsx's
// and its own.

// deflateBug is the rule a broken peer breaks.
type deflateBug int

const (
	bugNone deflateBug = iota
	// bugRSV1Plain sets RSV1 on its echoes but sends them uncompressed.
	bugRSV1Plain
	// bugKeepContext compresses with context takeover although it agreed
	// not to (server_no_context_takeover as the server,
	// client_no_context_takeover as the client).
	bugKeepContext
	// bugWideWindow compresses with a 32 KiB window although it agreed to
	// a smaller one (max_window_bits below 15).
	bugWideWindow
	// bugRSV1Continuation sends its echoes in two frames with RSV1 on both.
	bugRSV1Continuation
	// bugNoDeflate does not negotiate permessage-deflate at all.
	bugNoDeflate
	// bugDropNoContext, as the server, accepts an offer asking for
	// server_no_context_takeover without granting it in the answer.
	bugDropNoContext
	// bugBadOffer, as the client, offers client_max_window_bits=16.
	bugBadOffer
	// bugAlterEcho changes the last octet of every echo, compressed
	// correctly: the tester must compare contents, not only lengths.
	bugAlterEcho
	// bugRSV1Close sets RSV1 on its close frame.
	bugRSV1Close
)

var bugNames = map[deflateBug]string{
	bugNone: "none", bugRSV1Plain: "RSV1 on uncompressed data", bugKeepContext: "context takeover kept",
	bugWideWindow: "window wider than agreed", bugRSV1Continuation: "RSV1 on continuation frames",
	bugNoDeflate: "no permessage-deflate", bugDropNoContext: "server_no_context_takeover not granted",
	bugBadOffer: "client_max_window_bits=16 offered", bugAlterEcho: "echo altered",
	bugRSV1Close: "RSV1 on the close frame",
}

// brokenDeflateCount is the number of messages each case echoes in these
// tests: enough for a peer's context (10 messages of 16 octets from 13.x.1
// aside) to grow past a 256-octet window.
const brokenDeflateCount = 10

// brokenDeflateCases are the cases these tests run: of each subsection of
// sections 12 and 13, the smallest messages (16 octets), 1 KiB, and 128 KiB
// in frames of 256 octets, which the race detector leaves out as too slow.
func brokenDeflateCases() []*conform.Case {
	sizes := []int{1, 4, 15}
	if raceEnabled {
		sizes = sizes[:2]
	}
	var ids []string
	for j := 1; j <= 5; j++ {
		for _, i := range sizes {
			ids = append(ids, fmt.Sprintf("12.%d.%d", j, i))
		}
	}
	for j := 1; j <= 7; j++ {
		for _, i := range sizes {
			ids = append(ids, fmt.Sprintf("13.%d.%d", j, i))
		}
	}
	var out []*conform.Case
	for _, c := range conform.Cases() {
		for _, id := range ids {
			if c.ID == id {
				out = append(out, c)
			}
		}
	}
	return conform.WithMessageCount(out, brokenDeflateCount)
}

// caseSize returns the message size of a case of sections 12 and 13 by its
// last id part (Autobahn's size table; only those brokenDeflateCases uses).
func caseSize(id string) int {
	switch id[strings.LastIndexByte(id, '.')+1:] {
	case "1":
		return 16
	case "4":
		return 1024
	}
	return 128 << 10
}

// paramSet returns the 13.x subsection of id, or 0 for section 12.
func paramSet(id string) int {
	p := strings.Split(id, ".")
	if p[0] != "13" {
		return 0
	}
	n, _ := strconv.Atoi(p[1])
	return n
}

// deflateCovers reports whether case id catches a peer with bug, by what
// the case negotiates. In 13.2, 13.5, 13.6 and 13.7 the peer agrees to no
// context takeover (as the server, the tester's offer asks for it; as the
// client, the tester's answer does); in 13.3, 13.5 and 13.7 to a window of
// 2^8 octets.
//
//   - A peer keeping its context shows only where its compressor does
//     refer to earlier messages: always with the full window (level 9),
//     but klauspost's encoder for small windows starts afresh on messages
//     of 16 octets and on those over 64 KiB, so 13.5 and 13.7 catch it
//     with the 1 KiB messages only (of the sizes run here).
//   - A wider window shows only where a reference can reach back more than
//     256 octets: within a message of more than 256 octets, or, with
//     context takeover, into the messages before (13.3.1 echoes 160
//     octets in all).
//   - An answer without server_no_context_takeover is wrong in 13.2, 13.5
//     and 13.6; in 13.7 it accepts the last offer, which did not ask.
func deflateCovers(bug deflateBug, id string) bool {
	set := paramSet(id)
	noContext := set == 2 || set == 5 || set == 6 || set == 7
	smallWindow := set == 3 || set == 5 || set == 7
	n := caseSize(id)
	switch bug {
	case bugRSV1Plain, bugRSV1Continuation, bugNoDeflate, bugBadOffer, bugAlterEcho, bugRSV1Close:
		return true
	case bugKeepContext:
		return noContext && (!smallWindow || n == 1024)
	case bugDropNoContext:
		return set == 2 || set == 5 || set == 6
	case bugWideWindow:
		return smallWindow && (n > 256 || !noContext && n*brokenDeflateCount > 256)
	}
	return false
}

func TestBrokenDeflateServers(t *testing.T) {
	for _, bug := range []deflateBug{bugNone, bugRSV1Plain, bugKeepContext, bugWideWindow, bugRSV1Continuation, bugNoDeflate, bugDropNoContext, bugAlterEcho, bugRSV1Close} {
		t.Run(bugNames[bug], func(t *testing.T) {
			url := deflateServer(t, bug)
			cases := brokenDeflateCases()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			results, err := conform.RunServer(ctx, url, cases, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkDeflateResults(t, bug, cases, results)
		})
	}
}

func TestBrokenDeflateClients(t *testing.T) {
	for _, bug := range []deflateBug{bugNone, bugRSV1Plain, bugKeepContext, bugWideWindow, bugRSV1Continuation, bugNoDeflate, bugBadOffer, bugAlterEcho, bugRSV1Close} {
		t.Run(bugNames[bug], func(t *testing.T) {
			cases := brokenDeflateCases()
			fs := &conform.FuzzingServer{Cases: cases}
			srv := httptest.NewServer(fs)
			defer srv.Close()
			addr := strings.TrimPrefix(srv.URL, "http://")
			for i := range cases {
				if err := runDeflateClient(addr, fmt.Sprintf("/runCase?case=%d&agent=broken", i+1), bug); err != nil {
					t.Fatalf("case %s: %v", cases[i].ID, err)
				}
			}
			checkDeflateResults(t, bug, cases, settledResults(t, fs, "broken", len(cases)))
		})
	}
}

// settledResults waits, within a bound, for the fuzzing server to judge
// all n cases of agent: a client moves on before the server has judged.
func settledResults(t *testing.T, fs *conform.FuzzingServer, agent string, n int) []*conform.Result {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rs := fs.Results()[agent]
		if len(rs) == n || time.Now().After(deadline) {
			return rs
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// checkDeflateResults checks that the cases not passing are those
// deflateCovers selects for bug.
func checkDeflateResults(t *testing.T, bug deflateBug, cases []*conform.Case, results []*conform.Result) {
	t.Helper()
	if len(results) != len(cases) {
		t.Fatalf("%d results for %d cases", len(results), len(cases))
	}
	var want, got []string
	for _, r := range results {
		covered := deflateCovers(bug, r.ID)
		if covered {
			want = append(want, r.ID)
		}
		if !r.Passed() {
			if len(got) == 0 {
				t.Logf("first not passing, %s: %s (%s), close %s (%s)", r.ID, r.Behavior, r.Result, r.BehaviorClose, r.ResultClose)
			}
			got = append(got, r.ID)
		}
		switch {
		case covered && r.Passed():
			t.Errorf("case %s passed against a peer with %q", r.ID, bugNames[bug])
		case !covered && !r.Passed():
			t.Errorf("case %s: behavior %s (%s), close %s (%s), against a peer keeping its rules there",
				r.ID, r.Behavior, r.Result, r.BehaviorClose, r.ResultClose)
			for _, e := range r.WireLog {
				t.Logf("  %8v %s %s", e.At.Round(time.Microsecond), e.Dir, e.Text)
			}
		}
	}
	t.Logf("covering cases (%d): %s", len(want), strings.Join(want, " "))
	t.Logf("not passing (%d): %s", len(got), strings.Join(got, " "))
}

// deflateServer starts an echo server with bug and returns its URL.
func deflateServer(t *testing.T, bug deflateBug) string {
	return startTestServer(t, func(nc net.Conn) { serveDeflate(nc, bug) })
}

// serveDeflate answers the handshake, accepting the client's first
// permessage-deflate offer, and echoes.
func serveDeflate(nc net.Conn, bug deflateBug) {
	br := bufio.NewReaderSize(nc, 64<<10)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	p := &deflatePeer{bug: bug, nc: nc, br: br}
	sum := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + base64.StdEncoding.EncodeToString(sum[:]) + "\r\n"
	if ext := p.accept(req.Header.Values("Sec-WebSocket-Extensions")); ext != "" {
		resp += "Sec-WebSocket-Extensions: " + ext + "\r\n"
	}
	if _, err := io.WriteString(nc, resp+"\r\n"); err != nil {
		return
	}
	p.echo()
}

// runDeflateClient runs one case as a client with bug: offer, echo, close.
func runDeflateClient(addr, path string, bug deflateBug) error {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(time.Minute))
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	switch bug {
	case bugNoDeflate:
	case bugBadOffer:
		req += "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=16\r\n"
	default:
		req += "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
	}
	if _, err := io.WriteString(nc, req+"\r\n"); err != nil {
		return err
	}
	br := bufio.NewReaderSize(nc, 64<<10)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return fmt.Errorf("handshake answered %s", resp.Status)
	}
	p := &deflatePeer{bug: bug, client: true, nc: nc, br: br}
	p.answer(resp.Header.Values("Sec-WebSocket-Extensions"))
	p.echo()
	return nil
}

// deflatePeer is one connection of a peer with a permessage-deflate of its
// own and one bug.
type deflatePeer struct {
	bug    deflateBug
	client bool
	nc     net.Conn
	br     *bufio.Reader

	on    bool // permessage-deflate negotiated
	noCtx bool // agreed not to use context takeover when sending
	bits  int  // agreed window for sending; 0: 15
	w     *kflate.Writer
	out   bytes.Buffer
	hist  []byte // the last 32 KiB received, for the peer's context
}

// offers splits Sec-WebSocket-Extensions into elements of name and
// parameters (value "" when there is none); enough for what the tester
// sends.
func offers(values []string) [][]string {
	var out [][]string
	for _, e := range strings.Split(strings.Join(values, ","), ",") {
		var parts []string
		for _, p := range strings.Split(e, ";") {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
		if len(parts) > 0 {
			out = append(out, parts)
		}
	}
	return out
}

// accept answers the first permessage-deflate offer, granting what it asks
// of the server, and returns the answer ("" to decline).
func (p *deflatePeer) accept(values []string) string {
	if p.bug == bugNoDeflate {
		return ""
	}
	for _, o := range offers(values) {
		if o[0] != "permessage-deflate" {
			continue
		}
		answer := "permessage-deflate"
		for _, prm := range o[1:] {
			name, val, _ := strings.Cut(prm, "=")
			switch name {
			case "server_no_context_takeover":
				p.noCtx = true
				if p.bug != bugDropNoContext {
					answer += "; server_no_context_takeover"
				}
			case "server_max_window_bits":
				p.bits, _ = strconv.Atoi(val)
				answer += "; " + prm
			}
		}
		p.on = true
		return answer
	}
	return ""
}

// answer takes the server's answer to the client's offer.
func (p *deflatePeer) answer(values []string) {
	for _, o := range offers(values) {
		if o[0] != "permessage-deflate" {
			continue
		}
		p.on = true
		for _, prm := range o[1:] {
			name, val, _ := strings.Cut(prm, "=")
			switch name {
			case "client_no_context_takeover":
				p.noCtx = true
			case "client_max_window_bits":
				p.bits, _ = strconv.Atoi(val)
			}
		}
	}
}

// compress deflates one message as agreed, but for the bugs.
func (p *deflatePeer) compress(m []byte) []byte {
	bits := p.bits
	if bits == 0 || p.bug == bugWideWindow {
		bits = 15
	}
	switch {
	case p.w == nil && bits < 15:
		p.w, _ = kflate.NewWriterWindow(&p.out, 1<<bits)
	case p.w == nil && p.bug == bugKeepContext:
		// Level 9 refers back into earlier messages even from short
		// ones, which makes the bug show wherever it can.
		p.w, _ = kflate.NewWriter(&p.out, 9)
	case p.w == nil:
		p.w, _ = kflate.NewWriter(&p.out, 1)
	case p.noCtx && p.bug != bugKeepContext:
		p.w.Reset(&p.out)
	}
	p.out.Reset()
	p.w.Write(m)
	p.w.Flush()
	b := p.out.Bytes()
	return bytes.Clone(b[:len(b)-4]) // without 0x00 0x00 0xff 0xff
}

// decompress inflates one message, with the last 32 KiB received as its
// dictionary: right with or without the sender's context takeover.
func (p *deflatePeer) decompress(c []byte) ([]byte, error) {
	in := append(bytes.Clone(c), 0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff)
	out, err := io.ReadAll(kflate.NewReaderDict(bytes.NewReader(in), p.hist))
	if err != nil {
		return nil, err
	}
	p.hist = append(p.hist, out...)
	if len(p.hist) > 32<<10 {
		p.hist = bytes.Clone(p.hist[len(p.hist)-32<<10:])
	}
	return out, nil
}

// send writes one frame, masked when the peer is the client.
func (p *deflatePeer) send(fin bool, rsv1 bool, op byte, payload []byte) error {
	f := rawframe.Frame{Fin: fin, Opcode: op, Payload: payload, Masked: p.client}
	if rsv1 {
		f.RSV = frame.RSV1 >> 4
	}
	return rawframe.Write(p.nc, f)
}

// sendMessage sends an echo, compressed when negotiated, but for the bugs.
func (p *deflatePeer) sendMessage(op byte, m []byte) error {
	if p.bug == bugAlterEcho && len(m) > 0 {
		m = bytes.Clone(m)
		m[len(m)-1] ^= 0x01 // text stays ASCII, so valid UTF-8
	}
	if !p.on {
		return p.send(true, false, op, m)
	}
	if p.bug != bugRSV1Plain {
		m = p.compress(m)
	}
	if p.bug == bugRSV1Continuation && len(m) >= 2 {
		if err := p.send(false, true, op, m[:len(m)/2]); err != nil {
			return err
		}
		return p.send(true, true, 0, m[len(m)/2:])
	}
	return p.send(true, true, op, m)
}

// echo echoes until the close handshake, which the tester starts.
func (p *deflatePeer) echo() {
	var msg []byte
	var msgOp byte
	var compressed bool
	for {
		head, err := p.br.Peek(2)
		if err != nil {
			return
		}
		if head, err = p.br.Peek(frame.Size(head[0], head[1])); err != nil {
			return
		}
		h, n, err := frame.Parse(head)
		if err != nil {
			return
		}
		p.br.Discard(n)
		payload := make([]byte, h.Length)
		if _, err := io.ReadFull(p.br, payload); err != nil {
			return
		}
		if h.Masked {
			frame.Mask(h.Mask, 0, payload)
		}
		switch h.Opcode {
		case frame.OpPing:
			p.send(true, false, 10, payload)
		case frame.OpClose:
			p.send(true, p.on && p.bug == bugRSV1Close, 8, payload[:min(len(payload), 2)])
			if !p.client {
				// The server closes TCP first (RFC 6455 §7.1.1).
				if tc, ok := p.nc.(*net.TCPConn); ok {
					tc.CloseWrite()
				}
			}
			p.nc.SetReadDeadline(time.Now().Add(2 * time.Second))
			io.Copy(io.Discard, p.br)
			return
		case frame.OpText, frame.OpBinary, frame.OpContinuation:
			if h.Opcode != frame.OpContinuation {
				msg, msgOp, compressed = msg[:0], byte(h.Opcode), h.RSV&frame.RSV1 != 0
			}
			msg = append(msg, payload...)
			if !h.Fin {
				continue
			}
			m := msg
			if compressed {
				if m, err = p.decompress(msg); err != nil {
					p.send(true, false, 8, binary.BigEndian.AppendUint16(nil, 1007))
					return
				}
			}
			if p.sendMessage(msgOp, m) != nil {
				return
			}
		}
	}
}
