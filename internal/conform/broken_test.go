package conform_test

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsx-go/websocket/internal/conform"
	"github.com/wsx-go/websocket/internal/frame"
	"github.com/wsx-go/websocket/internal/protocol"
)

// The tests here run the suite against echo servers that break exactly one
// rule of RFC 6455 and keep every other, and check that the cases covering
// that rule, and only those, do not pass: the suite catches the rule, and
// it blames nothing else.
//
// The servers are written by hand on a raw TCP listener, handshake
// included, since the wsx library refuses to break rules. For the rules they
// keep they use the receive rules of internal/protocol (the state machine
// wsx's Conn drives), so what separates them from a conformant server is the
// one rule each skips on purpose.

// brokenRule is the rule a broken server skips.
type brokenRule int

const (
	// skipUTF8 echoes text messages without validating their UTF-8,
	// instead of failing the connection with 1007.
	skipUTF8 brokenRule = iota
	// acceptRSV ignores the reserved bits of every frame, so a message
	// with reserved bits set is echoed instead of failing the connection
	// with 1002.
	acceptRSV
)

// brokenServer starts an echo server that skips rule and returns its URL.
func brokenServer(t *testing.T, rule brokenRule) string {
	return startTestServer(t, func(nc net.Conn) { serveBroken(nc, rule) })
}

// startTestServer runs serve for every connection to a new loopback
// listener, until the test ends, and returns the listener's URL. No case
// runs for two minutes: a stuck connection must not outlive the test.
func startTestServer(t *testing.T, serve func(nc net.Conn)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer nc.Close()
				nc.SetDeadline(time.Now().Add(2 * time.Minute))
				serve(nc)
			}()
		}
	}()
	return "ws://" + ln.Addr().String() + "/"
}

// serveBroken answers the opening handshake and echoes on nc.
func serveBroken(nc net.Conn, rule brokenRule) {
	br := bufio.NewReaderSize(nc, 64<<10)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	key := req.Header.Get("Sec-WebSocket-Key")
	if !strings.EqualFold(req.Header.Get("Upgrade"), "websocket") || key == "" {
		io.WriteString(nc, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
		return
	}
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + base64.StdEncoding.EncodeToString(sum[:]) + "\r\n\r\n"
	if _, err := io.WriteString(nc, resp); err != nil {
		return
	}
	e := &brokenEcho{nc: nc, br: br, rule: rule, recv: protocol.Receiver{Role: protocol.Server}}
	err = e.run()
	var v *protocol.Violation
	if errors.As(err, &v) {
		// Fail the connection (RFC 6455 §7.1.7): send the rule's code,
		// then close TCP.
		e.write(frame.OpClose, binary.BigEndian.AppendUint16(nil, v.Code))
	}
	e.closeTCP()
}

type brokenEcho struct {
	nc   net.Conn
	br   *bufio.Reader
	rule brokenRule
	recv protocol.Receiver
	msg  []byte
}

// errClosed ends the loop after the close handshake.
var errClosed = errors.New("closed")

// run echoes until the connection ends or the client breaks a rule the
// server keeps; the returned *protocol.Violation says which.
func (e *brokenEcho) run() error {
	for {
		head, err := e.br.Peek(2)
		if err != nil {
			return err
		}
		if head, err = e.br.Peek(frame.Size(head[0], head[1])); err != nil {
			return err
		}
		h, n, err := frame.Parse(head)
		if err != nil {
			return &protocol.Violation{Code: 1002, Reason: err.Error()}
		}
		e.br.Discard(n)
		if e.rule == acceptRSV {
			h.RSV = 0 // the broken rule: reserved bits go unnoticed
		}
		if err := e.recv.Header(h); err != nil {
			return err
		}
		if h.Opcode.IsControl() {
			p := make([]byte, h.Length)
			if _, err := io.ReadFull(e.br, p); err != nil {
				return err
			}
			frame.Mask(h.Mask, 0, p)
			if err := e.control(h.Opcode, p); err != nil {
				return err
			}
			continue
		}
		// Read the payload as it arrives and check it at once, so invalid
		// text fails the connection before its frame is complete.
		checkText := !(e.rule == skipUTF8 && e.recv.MessageOpcode() == frame.OpText)
		pos := 0
		for left := h.Length; left > 0; {
			start := len(e.msg)
			e.msg = slices.Grow(e.msg, int(min(left, 64<<10)))
			k, err := e.br.Read(e.msg[start:min(cap(e.msg), start+int(left))])
			if k == 0 && err != nil {
				return err
			}
			e.msg = e.msg[:start+k]
			pos = frame.Mask(h.Mask, pos, e.msg[start:])
			left -= int64(k)
			if checkText {
				if err := e.recv.Payload(e.msg[start:]); err != nil {
					return err
				}
			}
		}
		if err := e.recv.FrameDone(); err != nil && checkText {
			return err
		}
		if !e.recv.InMessage() {
			if err := e.write(e.recv.MessageOpcode(), e.msg); err != nil {
				return err
			}
			e.msg = e.msg[:0]
		}
	}
}

// control handles a ping, pong or close frame with payload p.
func (e *brokenEcho) control(op frame.Opcode, p []byte) error {
	switch op {
	case frame.OpPing:
		return e.write(frame.OpPong, p)
	case frame.OpClose:
		if _, _, err := e.recv.Close(p); err != nil {
			return err
		}
		// Answer with the client's code, then close TCP first, as a
		// server does (RFC 6455 §7.1.1).
		e.write(frame.OpClose, p[:min(len(p), 2)])
		return errClosed
	}
	return nil // pongs are ignored
}

// write sends one unmasked, unfragmented frame.
func (e *brokenEcho) write(op frame.Opcode, p []byte) error {
	b := frame.Append(make([]byte, 0, frame.MaxHeaderSize+len(p)), frame.Header{Fin: true, Opcode: op, Length: int64(len(p))})
	_, err := e.nc.Write(append(b, p...))
	return err
}

// closeTCP closes the server's side first and lets the client finish: a
// socket closed with unread input sends a reset, which could destroy the
// close frame before the client reads it.
func (e *brokenEcho) closeTCP() {
	if tc, ok := e.nc.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
	e.nc.SetReadDeadline(time.Now().Add(2 * time.Second))
	io.Copy(io.Discard, e.nc)
	e.nc.Close()
}

// invalidUTF8Case reports whether case id sends text that is not valid
// UTF-8. Only section 6 does: 6.3 (invalid text, whole and in fragments)
// and 6.4 (failing fast mid-message) entirely; from 6.5 on, one case per
// sequence of Autobahn's UTF-8 vectors (after Markus Kuhn's decoder test),
// and the groups are either all invalid or, for 6.6 and 6.11, mixed:
//
//	6.6.N   the first N octets of "κόσμε" (CE BA E1 BD B9 CF 83 CE BC CE B5):
//	        invalid when they end inside a code point, N = 1, 3, 4, 6, 8, 10
//	6.8     5- and 6-octet sequences                          all invalid
//	6.10    4- to 6-octet sequences beyond U+10FFFF            all invalid
//	6.11.5  F4 90 80 80, just above U+10FFFF (6.11.1-4 are valid)
//	6.12    unexpected continuation octets                     all invalid
//	6.13    lead octets followed by a space                    all invalid
//	6.14    sequences missing their last octet                 all invalid
//	6.15    those sequences concatenated                       invalid
//	6.16    FE and FF                                          all invalid
//	6.17    overlong ASCII "/"                                 all invalid
//	6.18    maximal overlong sequences                         all invalid
//	6.19    overlong NUL                                       all invalid
//	6.20    single UTF-16 surrogates                           all invalid
//	6.21    paired UTF-16 surrogates                           all invalid
//
// The other groups (6.1, 6.2, 6.5, 6.7, 6.9, 6.22, 6.23) are valid text.
func invalidUTF8Case(id string) bool {
	p := strings.Split(id, ".")
	if len(p) != 3 || p[0] != "6" {
		return false
	}
	group, _ := strconv.Atoi(p[1])
	n, _ := strconv.Atoi(p[2])
	switch {
	case group == 3, group == 4, group == 8, group == 10:
		return true
	case group == 6:
		return slices.Contains([]int{1, 3, 4, 6, 8, 10}, n)
	case group == 11:
		return n == 5
	case group >= 12 && group <= 21:
		return true
	}
	return false
}

// reservedBitsCase reports whether case id catches a server that ignores
// reserved bits. Section 3 is the only one that sets them (3.1-3.7: text,
// binary, ping and close frames with RSV 1-7, alone or between valid
// frames), and all of it catches such a server but 3.7: its close frame
// with RSV = 7 has no payload, so a server blind to the bits takes it for
// an empty close and answers with an empty close, as RFC 6455 §5.5.1 allows.
// Judged as Autobahn judges it, that is a close started by the server (the
// tester's raw frame does not count as its own close, as Autobahn's
// sendFrame does not), with no code that could be wrong, and nothing
// echoed: OK on both counts. 3.7 catches only a server that answers with a
// code other than 1002.
func reservedBitsCase(id string) bool { return strings.HasPrefix(id, "3.") && id != "3.7" }

func TestBrokenServerSkipsUTF8(t *testing.T) {
	results := testBrokenServer(t, skipUTF8, invalidUTF8Case)
	// Cross-check the list above with the cases' own expectations: a case
	// sending invalid text expects the server to fail the connection with
	// 1007, and no other case does.
	for _, r := range results {
		expects1007 := !r.ExpectedClose.ClosedByMe && slices.Equal(r.ExpectedClose.Codes, []int{1007})
		if expects1007 != invalidUTF8Case(r.ID) {
			t.Errorf("case %s: expects a 1007 failure: %t; sends invalid UTF-8 by Autobahn's data: %t",
				r.ID, expects1007, invalidUTF8Case(r.ID))
		}
	}
}

func TestBrokenServerAcceptsRSV(t *testing.T) {
	testBrokenServer(t, acceptRSV, reservedBitsCase)
}

// testBrokenServer runs every case but those of permessage-deflate against
// a server that breaks rule and checks that the cases not passing are
// exactly those covers selects. The broken servers do not negotiate
// permessage-deflate, so sections 12 and 13 would only report them
// UNIMPLEMENTED; compression_broken_test.go covers those sections.
func testBrokenServer(t *testing.T, rule brokenRule, covers func(id string) bool) []*conform.Result {
	if testing.Short() {
		t.Skip("slow: runs the whole suite")
	}
	url := brokenServer(t, rule)
	cases := conform.Select(conform.Cases(), nil, []string{"12", "13"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	start := time.Now()
	results, err := conform.RunServer(ctx, url, cases, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d cases in %v", len(results), time.Since(start).Round(time.Millisecond))
	if len(results) != len(cases) {
		t.Fatalf("%d results for %d cases", len(results), len(cases))
	}
	var want, got []string
	for _, r := range results {
		if covers(r.ID) {
			want = append(want, r.ID)
		}
		if !r.Passed() {
			got = append(got, r.ID)
		}
		switch {
		case covers(r.ID) && r.Passed():
			t.Errorf("case %s passed against a server that breaks its rule", r.ID)
		case !covers(r.ID) && !r.Passed():
			t.Errorf("case %s: behavior %s (%s), close %s (%s), against a server that keeps its rule",
				r.ID, r.Behavior, r.Result, r.BehaviorClose, r.ResultClose)
			for _, e := range r.WireLog {
				t.Logf("  %8v %s %s", e.At.Round(time.Microsecond), e.Dir, e.Text)
			}
		}
	}
	t.Logf("covering cases (%d): %s", len(want), strings.Join(want, " "))
	t.Logf("not passing (%d): %s", len(got), strings.Join(got, " "))
	if len(want) == 0 {
		// The section is not registered (yet): everything else passed.
		t.Skip("no registered case covers the broken rule")
	}
	return results
}
