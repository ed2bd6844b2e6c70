package conform

import (
	"bytes"
	"fmt"
	"time"

	"github.com/wsx-go/websocket/internal/rawframe"
)

// Section 7: close handling. Every case here is started by the tester
// (Autobahn's "fuzzer initiated" subsections 7.1, 7.3, 7.5, 7.7, 7.9 and
// 7.13): it sends a close frame, sometimes well formed and sometimes not, and
// sometimes with frames after it that the peer must ignore.

// close7Kill is how long a section 7 case waits before dropping the
// connection, as Autobahn's killAfter(1).
const close7Kill = time.Second

// Close codes the cases expect.
const (
	close7Normal        = 1000
	close7ProtocolError = 1002
	close7InvalidData   = 1007
)

// close7ValidCodes are the codes of 7.7.1 to 7.7.13: codes a peer may send.
var close7ValidCodes = []int{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999}

// close7InvalidCodes are the codes of 7.9.1 to 7.9.9: codes no peer may send
// (out of range, reserved, or for local use only).
var close7InvalidCodes = []int{0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999}

// close7BadReason is text that breaks UTF-8 midway: a surrogate
// (ED A0 80) after valid Greek letters, then "edited".
var close7BadReason = []byte("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64")

// close7Repeat repeats pattern until it is n bytes long, cutting the last copy.
func close7Repeat(pattern []byte, n int) []byte {
	b := bytes.Repeat(pattern, n/len(pattern)+1)
	return b[:n]
}

// close7Case builds a tester-started close case: open runs after the
// expectations are set (no events, the tester closes first, codes allowed,
// clean handshake required or not), and the connection is dropped after a
// second if it is still open.
func close7Case(id, desc, expect string, codes []int, clean bool, open func(s *Session)) *Case {
	return &Case{
		ID:          id,
		Description: desc,
		Expectation: expect,
		Open: func(s *Session) {
			s.SuppressClose = true
			s.Expected = []Outcome{{OK, nil}}
			s.ExpectedClose = CloseExpectation{ClosedByMe: true, Codes: codes, RequireClean: clean, WrongCodeFails: true}
			open(s)
			s.KillAfter(close7Kill)
		},
	}
}

func init() {
	hello := []byte("Hello World!")
	normal := []int{close7Normal}

	// 7.1: basic close behaviour.
	register(&Case{
		ID:          "7.1.1",
		Description: "Send a text message, then close once it comes back.",
		Expectation: "The text message is echoed, then the connection closes cleanly with code 1000.",
		Open: func(s *Session) {
			s.Expected = []Outcome{{OK, []Event{Message(hello, false)}}}
			s.ExpectedClose = CloseExpectation{ClosedByMe: true, Codes: normal, RequireClean: true, WrongCodeFails: true}
			s.SendMessage(1, hello)
			s.KillAfter(close7Kill)
		},
	})
	register(close7Case("7.1.2",
		"Send a close frame, then a second one (empty).",
		"Clean close with code 1000; the second close frame is ignored.",
		normal, true, func(s *Session) {
			s.SendClose(close7Normal, "")
			s.SendFrame(rawframe.Frame{Fin: true, Opcode: 8})
		}))
	register(close7Case("7.1.3",
		"Send a close frame, then a ping.",
		"Clean close with code 1000; no pong comes back for the ping.",
		normal, true, func(s *Session) {
			s.SendClose(close7Normal, "")
			s.SendPing(nil)
		}))
	register(close7Case("7.1.4",
		"Send a close frame, then a text message.",
		"Clean close with code 1000; the text message is ignored.",
		normal, true, func(s *Session) {
			s.SendClose(close7Normal, "")
			s.SendMessage(1, hello)
		}))
	register(close7Case("7.1.5",
		"Send the first fragment of a text message, a close frame, then the last fragment.",
		"Clean close with code 1000; the message is never delivered.",
		normal, true, func(s *Session) {
			s.SendFrame(rawframe.Frame{Fin: false, Opcode: 1, Payload: []byte("fragment1")})
			s.SendClose(close7Normal, "")
			s.SendFrame(rawframe.Frame{Fin: true, Opcode: 0, Payload: []byte("fragment2")})
		}))
	register(&Case{
		ID:          "7.1.6",
		Description: "Send a 256 KiB text message, a short text message, a close frame and a ping, back to back.",
		Expectation: "Depends on how the implementation orders close against pending writes: " +
			"if it answers the close before it has written the echoes back, the messages " +
			"may be missing or cut short. Informational only.",
		Open: func(s *Session) {
			big := close7Repeat([]byte("BAsd7&jh23"), 256<<10)
			s.SuppressClose = true
			s.Expected = []Outcome{
				{OK, []Event{Message(big, false), Message(hello, false)}},
				{NonStrict, nil},
			}
			s.ExpectedClose = CloseExpectation{ClosedByMe: true, Codes: normal, RequireClean: true, WrongCodeFails: true}
			s.ExpectedClose.Informational = true
			s.Verdict = Informational
			s.VerdictText = "The close was handled before any message was echoed."
			s.OnMessage = func(e Event) {
				s.Received = append(s.Received, e)
				if eventsEqual(s.Received, s.Expected[0].Events) {
					s.VerdictText = "Both text messages were echoed before the close."
				} else {
					s.VerdictText = fmt.Sprintf("%d message(s) echoed before the close, not all as sent.", len(s.Received))
				}
			}
			s.SendMessage(1, big)
			s.SendMessage(1, hello)
			s.SendClose(close7Normal, "")
			s.SendPing(nil)
			s.KillAfter(close7Kill)
		},
	})

	// 7.3: the length of the close payload.
	register(close7Case("7.3.1",
		"Send a close frame with an empty payload (neither code nor reason).",
		"Clean close with code 1000 (or no code).",
		normal, true, func(s *Session) { s.SendCloseRaw(nil) }))
	register(close7Case("7.3.2",
		"Send a close frame whose payload is a single octet.",
		"The peer fails the connection: a close with code 1002, or a dropped TCP connection.",
		[]int{close7ProtocolError}, false, func(s *Session) { s.SendCloseRaw([]byte("a")) }))
	register(close7Case("7.3.3",
		"Send a close frame with a payload of 2 octets: code 1000 and no reason.",
		"Clean close with code 1000.",
		normal, true, func(s *Session) { s.SendClose(close7Normal, "") }))
	register(close7Case("7.3.4",
		"Send a close frame with code 1000 and a reason.",
		"Clean close with code 1000.",
		normal, true, func(s *Session) { s.SendClose(close7Normal, "Hello World!") }))
	register(close7Case("7.3.5",
		"Send a close frame with code 1000 and a reason of 123 octets, the most a control frame allows.",
		"Clean close with code 1000.",
		normal, true, func(s *Session) { s.SendClose(close7Normal, string(bytes.Repeat([]byte("*"), 123))) }))
	register(close7Case("7.3.6",
		"Send a close frame with code 1000 and a reason of 124 octets: a payload of 126 octets, over the control frame limit.",
		"The peer fails the connection: a close with code 1002, or a dropped TCP connection.",
		[]int{close7ProtocolError}, false, func(s *Session) { s.SendClose(close7Normal, string(bytes.Repeat([]byte("*"), 124))) }))

	// 7.5: the content of the close payload.
	register(close7Case("7.5.1",
		"Send a close frame with code 1000 and a reason that is not valid UTF-8.",
		"The peer fails the connection: a close with code 1002 or 1007, or a dropped TCP connection.",
		[]int{close7ProtocolError, close7InvalidData}, false, func(s *Session) {
			s.SendClose(close7Normal, string(close7BadReason))
		}))

	// 7.7: close codes a peer may send.
	for i, code := range close7ValidCodes {
		register(close7Case(fmt.Sprintf("7.7.%d", i+1),
			fmt.Sprintf("Send a close frame with the valid close code %d.", code),
			"Clean close, answered with code 1000 or the code sent.",
			[]int{close7Normal, code}, true, func(s *Session) { s.SendClose(code, "") }))
	}

	// 7.9: close codes no peer may send.
	for i, code := range close7InvalidCodes {
		register(close7Case(fmt.Sprintf("7.9.%d", i+1),
			fmt.Sprintf("Send a close frame with the invalid close code %d.", code),
			"The peer fails the connection: a close with code 1002, or a dropped TCP connection.",
			[]int{close7ProtocolError}, false, func(s *Session) { s.SendClose(code, "") }))
	}

	// 7.13: codes beyond the ranges RFC 6455 defines; informational.
	for i, code := range []int{5000, 65535} {
		register(close7Case(fmt.Sprintf("7.13.%d", i+1),
			fmt.Sprintf("Send a close frame with the close code %d.", code),
			"The spec does not say what happens. Informational only.",
			[]int{close7Normal, code, close7ProtocolError}, false, func(s *Session) {
				s.Verdict = Informational
				s.VerdictText = "What happens is not defined by the spec."
				s.ExpectedClose.Informational = true
				s.ExpectedClose.WrongCodeFails = false
				s.SendClose(code, "")
			}))
	}
}
