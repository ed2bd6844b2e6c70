package conform

import (
	"bytes"
	"fmt"
	"time"

	"github.com/wsx-go/websocket/internal/rawframe"
)

// Section 1: framing. Text (1.1) and binary (1.2) messages at the payload
// lengths where the length encoding changes, the last one sent in pieces.
func init() {
	sizes := []struct {
		n    int
		chop int
	}{{0, 0}, {125, 0}, {126, 0}, {127, 0}, {128, 0}, {65535, 0}, {65536, 0}, {65536, 997}}
	for i, sz := range sizes {
		register(echoCase(fmt.Sprintf("1.1.%d", i+1), 1, bytes.Repeat([]byte("*"), sz.n), sz.chop))
		register(echoCase(fmt.Sprintf("1.2.%d", i+1), 2, bytes.Repeat([]byte{0xfe}, sz.n), sz.chop))
	}
}

// echoCase sends one message with opcode op and expects it back, then a
// clean close with 1000 started by the tester.
func echoCase(id string, op byte, payload []byte, chop int) *Case {
	kind := "text"
	if op == 2 {
		kind = "binary"
	}
	desc := fmt.Sprintf("Send %s message with payload of length %d.", kind, len(payload))
	if chop > 0 {
		desc = fmt.Sprintf("Send %s message with payload of length %d, written in pieces of %d octets.", kind, len(payload), chop)
	}
	return &Case{
		ID:          id,
		Description: desc,
		Expectation: "Receive the echoed " + kind + " message (payload as sent). Clean close with normal code.",
		Open: func(s *Session) {
			s.Expected = []Outcome{{OK, []Event{Message(payload, op == 2)}}}
			s.ExpectedClose = CloseExpectation{ClosedByMe: true, Codes: []int{1000}, RequireClean: true}
			s.SendFrame(rawframe.Frame{Fin: true, Opcode: op, Payload: payload, Chop: chop})
			wait := time.Second
			if len(payload) > 1000 {
				wait = 10 * time.Second
			}
			s.KillAfter(wait)
		},
	}
}
