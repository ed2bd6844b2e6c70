package websocket

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/wsx-go/websocket/internal/frame"
)

// wireFrame is a frame to put on the wire by hand, valid or not.
type wireFrame struct {
	fin      bool
	rsv      byte
	op       frame.Opcode
	payload  []byte
	flipMask bool   // mask a server's frame, or leave a client's unmasked
	announce uint64 // when not 0, the payload length the header announces
}

// testMaskKey is the masking key of every masked wireFrame.
var testMaskKey = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// encode returns the frame's bytes; masked says whether the sending end
// masks its frames (a client does), before flipMask.
func (f wireFrame) encode(masked bool) []byte {
	if f.flipMask {
		masked = !masked
	}
	b0 := byte(f.op)&0x0f | f.rsv
	if f.fin {
		b0 |= 0x80
	}
	var b1 byte
	if masked {
		b1 = 0x80
	}
	n := uint64(len(f.payload))
	if f.announce != 0 {
		n = f.announce
	}
	b := []byte{b0}
	switch {
	case n <= 125:
		b = append(b, b1|byte(n))
	case n <= 0xffff:
		b = binary.BigEndian.AppendUint16(append(b, b1|126), uint16(n))
	default:
		b = binary.BigEndian.AppendUint64(append(b, b1|127), n)
	}
	p := bytes.Clone(f.payload)
	if masked {
		b = append(b, testMaskKey[:]...)
		frame.Mask(testMaskKey, 0, p)
	}
	return append(b, p...)
}

// wf returns a frame with opcode op and payload p.
func wf(op frame.Opcode, fin bool, p string) wireFrame {
	return wireFrame{fin: fin, op: op, payload: []byte(p)}
}

// closeFrame returns a close frame with code and reason.
func closeFrame(code uint16, reason string) wireFrame {
	return wireFrame{fin: true, op: frame.OpClose, payload: append(binary.BigEndian.AppendUint16(nil, code), reason...)}
}

func (f wireFrame) withRSV(rsv byte) wireFrame { f.rsv = rsv; return f }
func (f wireFrame) flipped() wireFrame         { f.flipMask = true; return f }
func (f wireFrame) announcing(n uint64) wireFrame {
	f.announce = n
	return f
}

// ruleCase is one receive rule: what the raw peer sends, and how the Conn
// reading it must react.
type ruleCase struct {
	name string
	opts Options
	send []wireFrame
	// tail, unless noTail, follows send in the same write on a case that
	// breaks a rule: a close frame a Conn that wrongly accepted send would
	// answer at once, so the case fails fast instead of timing out.
	noTail bool

	msgs     []string // messages Read returns first, as "type:payload"
	pongs    []string // payloads of the pongs the raw peer receives
	code     uint16   // code of the close frame the raw peer receives
	reason   string   // reason of an accepted close frame
	protocol bool     // Read ends with a *ProtocolError (else a *CloseError)
}

const (
	opCont   = frame.OpContinuation
	opText   = frame.OpText
	opBinary = frame.OpBinary
	opClose  = frame.OpClose
	opPing   = frame.OpPing
	opPong   = frame.OpPong
)

// receiveRuleCases are the receive rules both ends share.
func receiveRuleCases() []ruleCase {
	normalClose := closeFrame(1000, "")
	cases := []ruleCase{
		// Reserved bits (RFC 6455 §5.2).
		{name: "RSV1 on text", send: []wireFrame{wf(opText, true, "a").withRSV(frame.RSV1)}, code: 1002, protocol: true},
		{name: "RSV2 on text", send: []wireFrame{wf(opText, true, "a").withRSV(frame.RSV2)}, code: 1002, protocol: true},
		{name: "RSV3 on binary", send: []wireFrame{wf(opBinary, true, "a").withRSV(frame.RSV3)}, code: 1002, protocol: true},
		{name: "RSV1 on continuation", send: []wireFrame{wf(opText, false, "a"), wf(opCont, true, "b").withRSV(frame.RSV1)}, code: 1002, protocol: true},
		{name: "RSV1 on ping", send: []wireFrame{wf(opPing, true, "a").withRSV(frame.RSV1)}, code: 1002, protocol: true},

		// Control frames (RFC 6455 §5.5).
		{name: "ping of 126 bytes", send: []wireFrame{wf(opPing, true, strings.Repeat("p", 126))}, code: 1002, protocol: true},
		{name: "pong of 126 bytes", send: []wireFrame{wf(opPong, true, strings.Repeat("p", 126))}, code: 1002, protocol: true},
		{name: "close of 126 bytes", send: []wireFrame{closeFrame(1000, strings.Repeat("r", 124))}, code: 1002, protocol: true},
		{name: "fragmented ping", send: []wireFrame{wf(opPing, false, "a")}, code: 1002, protocol: true},
		{name: "fragmented pong", send: []wireFrame{wf(opPong, false, "a")}, code: 1002, protocol: true},
		{name: "fragmented close", send: []wireFrame{func() wireFrame { f := closeFrame(1000, ""); f.fin = false; return f }()}, code: 1002, protocol: true},

		// Fragmentation (RFC 6455 §5.4).
		{name: "continuation without a message", send: []wireFrame{wf(opCont, true, "a")}, code: 1002, protocol: true},
		{name: "unfinished continuation without a message", send: []wireFrame{wf(opCont, false, "a")}, code: 1002, protocol: true},
		{name: "continuation after a whole message", send: []wireFrame{wf(opText, true, "a"), wf(opCont, true, "b")},
			msgs: []string{"text:a"}, code: 1002, protocol: true},
		{name: "text inside a fragmented message", send: []wireFrame{wf(opText, false, "a"), wf(opText, true, "b")}, code: 1002, protocol: true},
		{name: "binary inside a fragmented message", send: []wireFrame{wf(opBinary, false, "a"), wf(opBinary, true, "b")}, code: 1002, protocol: true},
		{name: "binary inside a fragmented text message", send: []wireFrame{wf(opText, false, "a"), wf(opCont, false, "b"), wf(opBinary, true, "c")}, code: 1002, protocol: true},

		// Close frames (RFC 6455 §5.5.1, §7.4).
		{name: "close payload of one byte", send: []wireFrame{wf(opClose, true, "\x03")}, code: 1002, protocol: true},
		{name: "close reason not UTF-8", send: []wireFrame{closeFrame(1000, "bye\xff")}, code: 1007, protocol: true},
		{name: "close reason cut in a code point", send: []wireFrame{closeFrame(1000, "caf\xc3")}, code: 1007, protocol: true},
		{name: "empty close", send: []wireFrame{wf(opClose, true, "")}, code: 1005},
		{name: "close with a reason", send: []wireFrame{closeFrame(1001, "gone \u00e9")}, code: 1001, reason: "gone \u00e9"},

		// UTF-8 in text messages (RFC 6455 §8.1).
		{name: "invalid UTF-8 in one frame", send: []wireFrame{wf(opText, true, "ab\xffcd")}, code: 1007, protocol: true},
		{name: "surrogate in one frame", send: []wireFrame{wf(opText, true, "\xed\xa0\x80")}, code: 1007, protocol: true},
		{name: "overlong encoding", send: []wireFrame{wf(opText, true, "\xc0\xaf")}, code: 1007, protocol: true},
		{name: "invalid UTF-8 across fragments", send: []wireFrame{wf(opText, false, "ab\xe2\x82"), wf(opCont, true, "(")}, code: 1007, protocol: true},
		{name: "invalid UTF-8 in a later fragment", send: []wireFrame{wf(opText, false, "ok"), wf(opCont, false, ""), wf(opCont, true, "\x80")}, code: 1007, protocol: true},
		{name: "text ends inside a code point", send: []wireFrame{wf(opText, true, "ab\xe2\x82")}, code: 1007, protocol: true},
		{name: "fragmented text ends inside a code point", send: []wireFrame{wf(opText, false, "ab"), wf(opCont, true, "\xf0\x9f")}, code: 1007, protocol: true},
		{name: "code point split across fragments", send: []wireFrame{wf(opText, false, "caf\xc3"), wf(opCont, false, ""), wf(opCont, true, "\xa9!"), normalClose},
			msgs: []string{"text:caf\u00e9!"}, code: 1000},
		{name: "invalid UTF-8 in binary is fine", send: []wireFrame{wf(opBinary, true, "\xff\xfe"), normalClose},
			msgs: []string{"binary:\xff\xfe"}, code: 1000},
		// Fail fast (RFC 6455 §8.1): the close comes without the rest of
		// the message, or even of the frame.
		{name: "fail fast in a first fragment", send: []wireFrame{wf(opText, false, "ab\xf4\x90")}, noTail: true, code: 1007, protocol: true},
		{name: "fail fast inside a frame", send: []wireFrame{wf(opText, true, "ab\xf4\x90").announcing(1000)}, noTail: true, code: 1007, protocol: true},

		// Size limits.
		{name: "message over MaxMessageSize in one frame", opts: Options{MaxMessageSize: 64, MaxFrameSize: -1},
			send: []wireFrame{wf(opBinary, true, strings.Repeat("x", 65))}, code: 1009, protocol: true},
		{name: "message over MaxMessageSize over fragments", opts: Options{MaxMessageSize: 64, MaxFrameSize: -1},
			send: []wireFrame{wf(opBinary, false, strings.Repeat("x", 40)), wf(opCont, false, ""), wf(opCont, true, strings.Repeat("y", 25))}, code: 1009, protocol: true},
		{name: "text message over MaxMessageSize over fragments", opts: Options{MaxMessageSize: 64, MaxFrameSize: -1},
			send: []wireFrame{wf(opText, false, strings.Repeat("x", 64)), wf(opCont, true, "y")}, code: 1009, protocol: true},
		{name: "message of MaxMessageSize", opts: Options{MaxMessageSize: 64, MaxFrameSize: -1},
			send: []wireFrame{wf(opBinary, false, strings.Repeat("x", 40)), wf(opCont, true, strings.Repeat("y", 24)), normalClose},
			msgs: []string{"binary:" + strings.Repeat("x", 40) + strings.Repeat("y", 24)}, code: 1000},
		{name: "frame over MaxFrameSize", opts: Options{MaxMessageSize: 1000, MaxFrameSize: 64},
			send: []wireFrame{wf(opBinary, true, strings.Repeat("x", 65))}, code: 1009, protocol: true},
		{name: "continuation over MaxFrameSize", opts: Options{MaxMessageSize: 1000, MaxFrameSize: 64},
			send: []wireFrame{wf(opBinary, false, "x"), wf(opCont, true, strings.Repeat("x", 65))}, code: 1009, protocol: true},
		{name: "frames of MaxFrameSize", opts: Options{MaxMessageSize: 1000, MaxFrameSize: 64},
			send: []wireFrame{wf(opBinary, false, strings.Repeat("x", 64)), wf(opCont, true, strings.Repeat("y", 64)), normalClose},
			msgs: []string{"binary:" + strings.Repeat("x", 64) + strings.Repeat("y", 64)}, code: 1000},
		{name: "64-bit length with its top bit set", send: []wireFrame{wf(opBinary, true, "").announcing(1 << 63)}, code: 1002, protocol: true},
		{name: "64-bit length of all ones", send: []wireFrame{wf(opBinary, true, "").announcing(^uint64(0))}, code: 1002, protocol: true},

		// Pings and pongs (RFC 6455 §5.5.2, §5.5.3).
		{name: "ping", send: []wireFrame{wf(opPing, true, "hello"), normalClose}, pongs: []string{"hello"}, code: 1000},
		{name: "empty ping", send: []wireFrame{wf(opPing, true, ""), normalClose}, pongs: []string{""}, code: 1000},
		{name: "ping of 125 bytes", send: []wireFrame{wf(opPing, true, strings.Repeat("p", 125)), normalClose},
			pongs: []string{strings.Repeat("p", 125)}, code: 1000},
		{name: "pings inside a fragmented message",
			send: []wireFrame{wf(opText, false, "hel"), wf(opPing, true, "p1"), wf(opCont, false, "l"), wf(opPing, true, "p2"), wf(opCont, true, "o"), normalClose},
			msgs: []string{"text:hello"}, pongs: []string{"p1", "p2"}, code: 1000},
		{name: "unsolicited pong", send: []wireFrame{wf(opPong, true, "stray"), wf(opText, true, "after"), normalClose},
			msgs: []string{"text:after"}, code: 1000},
		{name: "unsolicited pong inside a fragmented message",
			send: []wireFrame{wf(opBinary, false, "a"), wf(opPong, true, "stray"), wf(opCont, true, "b"), normalClose},
			msgs: []string{"binary:ab"}, code: 1000},
	}

	// Unknown opcodes (RFC 6455 §5.2).
	for _, op := range []frame.Opcode{3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf} {
		cases = append(cases, ruleCase{name: fmt.Sprintf("opcode %#x", byte(op)), send: []wireFrame{wf(op, true, "x")}, code: 1002, protocol: true})
	}
	// Close codes a peer may not send (RFC 6455 §7.4).
	for _, code := range []uint16{0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535} {
		cases = append(cases, ruleCase{name: fmt.Sprintf("close code %d", code), send: []wireFrame{closeFrame(code, "")}, code: 1002, protocol: true})
	}
	// Close codes a peer may send: echoed, and reported by Read.
	for _, code := range []uint16{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999} {
		cases = append(cases, ruleCase{name: fmt.Sprintf("close code %d accepted", code), send: []wireFrame{closeFrame(code, "why")}, code: code, reason: "why"})
	}
	return cases
}

// TestServerReceiveRules feeds a server Conn frames a client broke the
// protocol with, and frames it must accept.
func TestServerReceiveRules(t *testing.T) {
	cases := append(receiveRuleCases(),
		ruleCase{name: "unmasked frame from a client", send: []wireFrame{wf(opText, true, "a").flipped()}, code: 1002, protocol: true},
		ruleCase{name: "unmasked ping from a client", send: []wireFrame{wf(opPing, true, "a").flipped()}, code: 1002, protocol: true},
		ruleCase{name: "unmasked continuation from a client", send: []wireFrame{wf(opText, false, "a"), wf(opCont, true, "b").flipped()}, code: 1002, protocol: true},
	)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			raw, c := newRawClient(t, &AcceptOptions{Options: tc.opts})
			runRuleCase(t, tc, raw, c, true)
		})
	}
}

// TestClientReceiveRules feeds a client Conn frames a server broke the
// protocol with, and frames it must accept.
func TestClientReceiveRules(t *testing.T) {
	cases := append(receiveRuleCases(),
		ruleCase{name: "masked frame from a server", send: []wireFrame{wf(opText, true, "a").flipped()}, code: 1002, protocol: true},
		ruleCase{name: "masked ping from a server", send: []wireFrame{wf(opPing, true, "a").flipped()}, code: 1002, protocol: true},
		ruleCase{name: "masked continuation from a server", send: []wireFrame{wf(opText, false, "a"), wf(opCont, true, "b").flipped()}, code: 1002, protocol: true},
	)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, raw := newRawServer(t, &DialOptions{Options: tc.opts})
			runRuleCase(t, tc, raw, c, false)
		})
	}
}

type readResult struct {
	msgs []string
	err  error
}

// runRuleCase sends tc's frames from raw, a client when rawIsClient, to c
// and checks the close frame raw gets back and the error c's Read returns.
func runRuleCase(t *testing.T, tc ruleCase, raw *rawClientConn, c *Conn, rawIsClient bool) {
	ctx := testContext(t)
	done := make(chan readResult, 1)
	go func() {
		var res readResult
		for {
			typ, p, err := c.Read(ctx)
			if err != nil {
				res.err = err
				done <- res
				return
			}
			res.msgs = append(res.msgs, typ.String()+":"+string(p))
		}
	}()

	send := tc.send
	if tc.protocol && !tc.noTail {
		send = append(slices.Clip(send), closeFrame(1000, ""))
	}
	var out []byte
	for _, f := range send {
		out = append(out, f.encode(rawIsClient)...)
	}
	if _, err := raw.Write(out); err != nil {
		t.Fatalf("raw write: %v", err)
	}

	// Everything c sends up to its close frame.
	var pongs []string
	var h frame.Header
	var p []byte
	for {
		h, p = raw.readFrame(t)
		if h.Masked != !rawIsClient {
			t.Errorf("%v frame masked=%v from a Conn with client=%v", h.Opcode, h.Masked, !rawIsClient)
		}
		if h.Opcode == frame.OpClose {
			break
		}
		if h.Opcode != frame.OpPong {
			t.Fatalf("peer got an unexpected %v frame %q before the close frame", h.Opcode, p)
		}
		pongs = append(pongs, string(p))
	}
	code, reasonBytes, err := frame.ParseClose(p)
	if err != nil {
		t.Fatalf("Conn sent a bad close payload %x: %v", p, err)
	}
	reason := string(reasonBytes)
	if code != tc.code {
		t.Errorf("peer got close code %d (%q), want %d", code, reason, tc.code)
	}
	if !slices.Equal(pongs, tc.pongs) {
		t.Errorf("peer got pongs %q, want %q", pongs, tc.pongs)
	}
	raw.Close()

	var res readResult
	select {
	case res = <-done:
	case <-ctx.Done():
		t.Fatal("Read did not return")
	}
	if !slices.Equal(res.msgs, tc.msgs) {
		t.Errorf("Read returned messages %q, want %q", res.msgs, tc.msgs)
	}
	if got := CloseStatus(res.err); got != CloseCode(tc.code) {
		t.Errorf("CloseStatus(%v) = %d, want %d", res.err, got, tc.code)
	}
	var pe *ProtocolError
	var ce *CloseError
	switch {
	case tc.protocol:
		if !errors.As(res.err, &pe) {
			t.Fatalf("Read returned %T %v, want a *ProtocolError", res.err, res.err)
		}
		if pe.Code != CloseCode(tc.code) || pe.Reason != reason {
			t.Errorf("Read returned %+v, want code %d and the close reason %q", pe, tc.code, reason)
		}
	default:
		if !errors.As(res.err, &ce) || errors.As(res.err, &pe) {
			t.Fatalf("Read returned %T %v, want a *CloseError", res.err, res.err)
		}
		if ce.Code != CloseCode(tc.code) || ce.Reason != tc.reason {
			t.Errorf("Read returned %+v, want code %d reason %q", ce, tc.code, tc.reason)
		}
		if reason != "" {
			t.Errorf("close echo carries reason %q, want none", reason)
		}
		if gotCode, gotReason := c.CloseStatus(); gotCode != CloseCode(tc.code) || gotReason != tc.reason {
			t.Errorf("Conn.CloseStatus() = %d %q, want %d %q", gotCode, gotReason, tc.code, tc.reason)
		}
	}
}
