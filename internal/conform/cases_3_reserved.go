package conform

import (
	"time"

	"github.com/wsx-go/websocket/internal/rawframe"
)

// Section 3: reserved bits. No extension is negotiated, so a frame with any
// of RSV1-3 set must fail the connection (RFC 6455 §5.2), whatever its
// opcode, and nothing after it may be answered.
func init() {
	hello := []byte("Hello, world!")
	nonUTF8 := []byte{0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff}
	frame := func(op, rsv byte, p []byte, chop int) rawframe.Frame {
		return rawframe.Frame{Fin: true, RSV: rsv, Opcode: op, Payload: p, Chop: chop}
	}
	const (
		failAtOnce   = "The peer fails the connection at once (1002, protocol error): reserved bits must be 0 when no extension gives them a meaning."
		echoThenFail = "The peer echoes the first message, then fails the connection at once (1002, protocol error) on the frame with reserved bits set; " +
			"the ping after it gets no pong. Failing before the echo is NON-STRICT."
	)
	// good text message, the same with reserved bits set, then an empty
	// ping; each frame in pieces of chop octets (0: whole).
	textThenBad := func(rsv byte, chop int) []rawframe.Frame {
		return []rawframe.Frame{frame(1, 0, hello, chop), frame(1, rsv, hello, chop), frame(9, 0, nil, chop)}
	}
	for _, w := range []wireScript{
		{
			id: "3.1", desc: "Send a short text message with RSV = 1.", expect: failAtOnce,
			frames: []rawframe.Frame{frame(1, 1, hello, 0)},
		},
		{
			id: "3.2", desc: "Send a short text message, then the same with RSV = 2, then a ping.", expect: echoThenFail,
			frames: textThenBad(2, 0), events: []Event{Message(hello, false)},
		},
		{
			// Autobahn sends these frames "in sync": each in a write of its
			// own, which every SendFrame is.
			id: "3.3", desc: "Send a short text message, then the same with RSV = 3, then a ping, each frame in a write of its own.", expect: echoThenFail,
			frames: textThenBad(3, 0), events: []Event{Message(hello, false)},
		},
		{
			id: "3.4", desc: "Send a short text message, then the same with RSV = 4, then a ping, all written one octet at a time.", expect: echoThenFail,
			frames: textThenBad(4, 1), events: []Event{Message(hello, false)},
		},
		{
			id: "3.5", desc: "Send a short binary message with RSV = 5.", expect: failAtOnce,
			frames: []rawframe.Frame{frame(2, 5, nonUTF8, 0)},
		},
		{
			// Autobahn's description of 3.6 speaks of a ping, but the frame
			// it sends is a binary one; we send what Autobahn sends.
			id: "3.6", desc: "Send a short binary frame with RSV = 6.", expect: failAtOnce,
			frames: []rawframe.Frame{frame(2, 6, hello, 0)},
		},
		{
			id: "3.7", desc: "Send a close frame (empty payload) with RSV = 7.", expect: failAtOnce,
			frames: []rawframe.Frame{frame(8, 7, nil, 0)},
		},
	} {
		w.failure, w.wait = true, time.Second
		register(w.build())
	}
}
