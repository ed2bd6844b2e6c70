package conform

import (
	"bytes"
	"fmt"
	"time"

	"github.com/wsx-go/websocket/internal/rawframe"
)

// wireScript is a case that sends a fixed run of frames as soon as the
// connection opens and then only waits: the shape of every case in
// sections 2, 3 and 4.
type wireScript struct {
	id, desc, expect string
	frames           []rawframe.Frame
	// events is what the peer must send back for OK. When the peer must
	// fail the connection and events is not empty, receiving nothing at
	// all earns NON-STRICT (the peer failed before answering what came
	// first), as in Autobahn.
	events []Event
	// failure: the peer must fail the connection with 1002 (protocol
	// error); the tester drops TCP after wait if it has not. Otherwise the
	// tester closes cleanly with 1000 after wait, or earlier once the
	// events have arrived.
	failure bool
	// closeNow: the tester starts the close handshake right after its
	// frames instead of waiting.
	closeNow bool
	wait     time.Duration
}

// build turns the script into a registered case.
func (w wireScript) build() *Case {
	return &Case{
		ID:          w.id,
		Description: w.desc,
		Expectation: w.expect,
		Open: func(s *Session) {
			s.Expected = []Outcome{{OK, w.events}}
			if w.failure {
				if len(w.events) > 0 {
					s.Expected = append(s.Expected, Outcome{NonStrict, nil})
				}
				s.ExpectedClose = CloseExpectation{ClosedByMe: false, Codes: []int{1002}}
			} else {
				s.ExpectedClose = CloseExpectation{ClosedByMe: true, Codes: []int{1000}, RequireClean: true}
			}
			for _, f := range w.frames {
				s.SendFrame(f)
			}
			switch {
			case w.failure:
				s.KillAfter(w.wait)
			case w.closeNow:
				s.SendClose(1000, "")
			default:
				s.CloseAfter(w.wait)
			}
		},
	}
}

// Section 2: pings and pongs. Pings of various payloads must be answered
// with pongs echoing them, an oversized ping must fail the connection, and
// unsolicited pongs must be ignored.
func init() {
	ping := func(p []byte, chop int) rawframe.Frame {
		return rawframe.Frame{Fin: true, Opcode: 9, Payload: p, Chop: chop}
	}
	pong := func(p []byte) rawframe.Frame {
		return rawframe.Frame{Fin: true, Opcode: 10, Payload: p}
	}
	const answered = "The peer answers the ping with a pong carrying the same payload. Clean close with normal code."
	hello := []byte("Hello, world!")
	nonUTF8 := []byte{0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff}
	fe125 := bytes.Repeat([]byte{0xfe}, 125)
	fe126 := bytes.Repeat([]byte{0xfe}, 126)
	unsolicited := []byte("unsolicited pong payload")
	pingPayload := []byte("ping payload")

	scripts := []wireScript{
		{
			id: "2.1", desc: "Send a ping with an empty payload.",
			expect: "The peer answers with a pong whose payload is empty as well. Clean close with normal code.",
			frames: []rawframe.Frame{ping(nil, 0)}, events: []Event{Pong(nil)}, wait: time.Second,
		},
		{
			id: "2.2", desc: "Send a ping with a short text payload.", expect: answered,
			frames: []rawframe.Frame{ping(hello, 0)}, events: []Event{Pong(hello)}, wait: time.Second,
		},
		{
			id: "2.3", desc: "Send a ping with a short binary payload that is not UTF-8.", expect: answered,
			frames: []rawframe.Frame{ping(nonUTF8, 0)}, events: []Event{Pong(nonUTF8)}, wait: time.Second,
		},
		{
			id: "2.4", desc: "Send a ping with a binary payload of 125 octets, the most a control frame may carry.", expect: answered,
			frames: []rawframe.Frame{ping(fe125, 0)}, events: []Event{Pong(fe125)}, wait: time.Second,
		},
		{
			id: "2.5", desc: "Send a ping with a binary payload of 126 octets, one more than a control frame may carry.",
			expect: "The peer fails the connection at once (1002, protocol error): control frame payloads are limited to 125 octets.",
			frames: []rawframe.Frame{ping(fe126, 0)}, failure: true, wait: time.Second,
		},
		{
			id: "2.6", desc: "Send a ping with a binary payload of 125 octets, written one octet at a time.",
			expect: "The peer answers with a pong carrying the same payload; it must cope with the frame arriving in pieces. Clean close with normal code.",
			frames: []rawframe.Frame{ping(fe125, 1)}, events: []Event{Pong(fe125)}, wait: 2 * time.Second,
		},
		{
			id: "2.7", desc: "Send a pong nobody asked for, with an empty payload, then close with normal code.",
			expect: "The peer sends nothing back for the pong. Clean close with normal code.",
			frames: []rawframe.Frame{pong(nil)}, closeNow: true, wait: time.Second,
		},
		{
			id: "2.8", desc: "Send a pong nobody asked for, with a payload, then close with normal code.",
			expect: "The peer sends nothing back for the pong. Clean close with normal code.",
			frames: []rawframe.Frame{pong(unsolicited)}, closeNow: true, wait: time.Second,
		},
		{
			id: "2.9", desc: "Send a pong nobody asked for, with a payload, then a ping with a payload.",
			expect: "The peer ignores the pong and answers the ping with a pong carrying the ping's payload. Clean close with normal code.",
			frames: []rawframe.Frame{pong(unsolicited), ping(pingPayload, 0)}, events: []Event{Pong(pingPayload)}, wait: time.Second,
		},
	}
	// 2.10 and 2.11: ten pings in a row, the second time written one octet
	// at a time. RFC 6455 lets a peer answer only the latest of several
	// pings; Autobahn (and wsx) nevertheless expects a pong for each.
	for i, chop := range []int{0, 1} {
		w := wireScript{
			id:     fmt.Sprintf("2.%d", 10+i),
			desc:   "Send ten pings in a row, each with its own payload.",
			expect: "The peer answers every ping, in order, with a pong carrying its payload (more than RFC 6455 strictly requires). Clean close with normal code.",
			wait:   3 * time.Second,
		}
		if chop > 0 {
			w.desc = "Send ten pings in a row, each with its own payload, written one octet at a time."
		}
		for n := range 10 {
			p := fmt.Appendf(nil, "payload-%d", n)
			w.frames = append(w.frames, ping(p, chop))
			w.events = append(w.events, Pong(p))
		}
		scripts = append(scripts, w)
	}
	for _, w := range scripts {
		register(w.build())
	}
}
