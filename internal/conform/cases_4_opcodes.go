package conform

import (
	"fmt"
	"time"

	"github.com/wsx-go/websocket/internal/rawframe"
)

// Section 4: opcodes. Frames with a reserved opcode, non-control (3-7, 4.1)
// or control (11-15, 4.2), must fail the connection (RFC 6455 §5.2), and
// nothing after them may be answered.
func init() {
	hello := []byte("Hello, world!")
	reservedPayload := []byte("reserved opcode payload")
	frame := func(op byte, p []byte, chop int) rawframe.Frame {
		return rawframe.Frame{Fin: true, Opcode: op, Payload: p, Chop: chop}
	}
	groups := []struct {
		sub  int    // 1 or 2: the 4.x sub-section
		kind string // "non-control" or "control"
		ops  [5]byte
	}{
		{1, "non-control", [5]byte{3, 4, 5, 6, 7}},
		{2, "control", [5]byte{11, 12, 13, 14, 15}},
	}
	for _, g := range groups {
		// Case 1: the bare reserved opcode; case 2: with a payload; cases
		// 3-5: after a good text message and before a ping, the reserved
		// frame empty (3) or with a payload (4, 5), all written one octet
		// at a time in 5.
		for i, op := range g.ops {
			w := wireScript{
				id:      fmt.Sprintf("4.%d.%d", g.sub, i+1),
				failure: true,
				wait:    time.Second,
			}
			switch i {
			case 0:
				w.desc = fmt.Sprintf("Send a frame with the reserved %s opcode %d and no payload.", g.kind, op)
				w.frames = []rawframe.Frame{frame(op, nil, 0)}
			case 1:
				w.desc = fmt.Sprintf("Send a frame with the reserved %s opcode %d and a payload.", g.kind, op)
				w.frames = []rawframe.Frame{frame(op, reservedPayload, 0)}
			default:
				var p []byte
				chop := 0
				if i >= 3 {
					p = hello
				}
				if i == 4 {
					chop = 1
				}
				with := "no payload"
				if p != nil {
					with = "a payload"
				}
				w.desc = fmt.Sprintf("Send a short text message, then a frame with the reserved %s opcode %d and %s, then a ping.", g.kind, op, with)
				if chop > 0 {
					w.desc = w.desc[:len(w.desc)-1] + ", all written one octet at a time."
				}
				w.frames = []rawframe.Frame{frame(1, hello, chop), frame(op, p, chop), frame(9, nil, chop)}
				w.events = []Event{Message(hello, false)}
			}
			if w.events == nil {
				w.expect = "The peer fails the connection at once (1002, protocol error): the opcode is reserved."
			} else {
				w.expect = "The peer echoes the text message, then fails the connection at once (1002, protocol error) on the reserved opcode; " +
					"the ping after it gets no pong. Failing before the echo is NON-STRICT."
			}
			register(w.build())
		}
	}
}
