package conform

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/wsx-go/websocket/internal/rawframe"
)

// Section 9: limits and performance. Big messages (up to 16 MiB), sent
// whole (9.1, 9.2), in fragments of growing size (9.3, 9.4) or written to
// the socket in small pieces (9.5, 9.6), and many small messages echoed one
// after another (9.7, 9.8). These cases judge themselves and report how long
// they took.

// limits9Slack is added to a case's own waiting time to bound the whole
// case: time for the close handshake after the tester gives up.
const limits9Slack = 15 * time.Second

// Slow reports whether c is one of the long-running cases (section 9), so a
// quick run (go test -short, say) can leave them out.
func Slow(c *Case) bool { return strings.HasPrefix(c.ID, "9.") }

// limits9Patterns are the bytes the big messages repeat.
var (
	limits9Text   = []byte("BAsd7&jh23")
	limits9Binary = []byte{0x00, 0xfe, 0x23, 0xfa, 0xf0}
)

// limits9Kind names a message type.
func limits9Kind(binary bool) string {
	if binary {
		return "binary"
	}
	return "text"
}

// limits9Size prints a size the way the descriptions do: 64 KiB, 4 MiB.
func limits9Size(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d octets", n)
}

// limits9Echo builds a case that sends one big message of n octets (made by
// payload) with send and expects it back, whole and unchanged, within wait.
func limits9Echo(id, desc string, binary bool, n int, wait time.Duration,
	payload func() []byte, send func(s *Session, op byte, p []byte)) *Case {
	kind := limits9Kind(binary)
	return &Case{
		ID:          id,
		Description: desc,
		Expectation: fmt.Sprintf("Receive the %s message echoed back, with the payload as sent.", kind),
		Timeout:     wait + limits9Slack,
		Open: func(s *Session) {
			p := payload()
			op := byte(1)
			if binary {
				op = 2
			}
			s.ReportTime = true
			s.ExpectedClose = CloseExpectation{ClosedByMe: true, Codes: []int{close7Normal}, RequireClean: true}
			s.Verdict = Failed
			s.VerdictText = fmt.Sprintf("No message came back within %v.", wait)
			s.OnMessage = func(e Event) {
				switch {
				case e.Binary != binary:
					s.VerdictText = fmt.Sprintf("Expected a %s message, got a %s one.", kind, limits9Kind(e.Binary))
				case len(e.Data) != n:
					s.VerdictText = fmt.Sprintf("Expected a %s message of %d octets, got %d.", kind, n, len(e.Data))
				case !bytes.Equal(e.Data, p):
					s.VerdictText = fmt.Sprintf("The %s message of %d octets came back with a different payload.", kind, n)
				default:
					s.Verdict = OK
					s.VerdictText = fmt.Sprintf("Received the %s message of %d octets.", kind, n)
				}
				s.SendClose(close7Normal, "")
			}
			send(s, op, p)
			s.CloseAfter(wait)
		},
	}
}

// limits9Whole sends p as one frame.
func limits9Whole(s *Session, op byte, p []byte) { s.SendMessage(op, p) }

// limits9Fragmented returns a sender that cuts the message into frames of
// size octets (the last may be shorter).
func limits9Fragmented(size int) func(s *Session, op byte, p []byte) {
	return func(s *Session, op byte, p []byte) {
		for first := true; first || len(p) > 0; first = false {
			k := min(size, len(p))
			f := rawframe.Frame{Fin: k == len(p), Payload: p[:k]}
			if first {
				f.Opcode = op
			}
			s.SendFrame(f)
			p = p[k:]
		}
	}
}

// limits9Chopped returns a sender that writes the single frame of the
// message to the socket chop octets at a time.
func limits9Chopped(chop int) func(s *Session, op byte, p []byte) {
	return func(s *Session, op byte, p []byte) {
		s.SendFrame(rawframe.Frame{Fin: true, Opcode: op, Payload: p, Chop: chop})
	}
}

// limits9RoundTrips builds a case that sends count messages of n octets,
// each only once the previous one has come back, within wait.
func limits9RoundTrips(id string, binary bool, n, count int, wait time.Duration) *Case {
	kind := limits9Kind(binary)
	return &Case{
		ID: id,
		Description: fmt.Sprintf("Send %d %s messages with payloads of %d octets, one at a time, each after the previous one is echoed, "+
			"to measure the round trip time.", count, kind, n),
		Expectation: fmt.Sprintf("Receive every %s message echoed back, with the payload as sent. The case gives up after %v.", kind, wait),
		Timeout:     wait + limits9Slack,
		Open: func(s *Session) {
			op, pattern := byte(1), []byte("*")
			if binary {
				op, pattern = 2, []byte{0xfe}
			}
			p := close7Repeat(pattern, n)
			sent := 0
			sendOne := func() {
				s.SendMessage(op, p)
				sent++
			}
			s.ReportTime = true
			s.ExpectedClose = CloseExpectation{ClosedByMe: true, Codes: []int{close7Normal}, RequireClean: true}
			s.Verdict = Failed
			s.VerdictText = fmt.Sprintf("The case did not finish within %v.", wait)
			s.OnMessage = func(e Event) {
				switch {
				case e.Binary != binary || !bytes.Equal(e.Data, p):
					s.Verdict = Failed
					s.VerdictText = fmt.Sprintf("Echo %d of %d differs from what was sent (%s, %d octets).",
						sent, count, limits9Kind(e.Binary), len(e.Data))
					s.SendClose(close7Normal, "")
				case sent < count:
					sendOne()
				default:
					s.Verdict = OK
					s.VerdictText = fmt.Sprintf("All %d messages came back in time.", count)
					s.SendClose(close7Normal, "")
				}
			}
			s.CloseAfter(wait)
			sendOne()
		},
	}
}

func init() {
	// 9.1 and 9.2: one message, growing in size.
	sizes := []struct {
		n                int
		waitText, waitBi time.Duration
	}{
		{64 << 10, 10 * time.Second, 10 * time.Second},
		{256 << 10, 10 * time.Second, 10 * time.Second},
		{1 << 20, 100 * time.Second, 10 * time.Second},
		{4 << 20, 100 * time.Second, 10 * time.Second},
		{8 << 20, 100 * time.Second, 100 * time.Second},
		{16 << 20, 100 * time.Second, 100 * time.Second},
	}
	for i, sz := range sizes {
		n := sz.n
		register(limits9Echo(fmt.Sprintf("9.1.%d", i+1),
			fmt.Sprintf("Send a text message with a payload of %s.", limits9Size(n)),
			false, n, sz.waitText, func() []byte { return close7Repeat(limits9Text, n) }, limits9Whole))
		register(limits9Echo(fmt.Sprintf("9.2.%d", i+1),
			fmt.Sprintf("Send a binary message with a payload of %s.", limits9Size(n)),
			true, n, sz.waitBi, func() []byte { return close7Repeat(limits9Binary, n) }, limits9Whole))
	}

	// 9.3 and 9.4: a 4 MiB message in fragments of growing size.
	const fragMsg = 4 << 20
	for i, frag := range []int{64, 256, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20} {
		register(limits9Echo(fmt.Sprintf("9.3.%d", i+1),
			fmt.Sprintf("Send a text message with a payload of %s, in fragments of %s.", limits9Size(fragMsg), limits9Size(frag)),
			false, fragMsg, 100*time.Second, func() []byte { return bytes.Repeat([]byte("*"), fragMsg) }, limits9Fragmented(frag)))
		register(limits9Echo(fmt.Sprintf("9.4.%d", i+1),
			fmt.Sprintf("Send a binary message with a payload of %s, in fragments of %s.", limits9Size(fragMsg), limits9Size(frag)),
			true, fragMsg, 100*time.Second, func() []byte { return bytes.Repeat([]byte{0xfe}, fragMsg) }, limits9Fragmented(frag)))
	}

	// 9.5 and 9.6: a 1 MiB message in one frame, written in chops of
	// growing size.
	const chopMsg = 1 << 20
	for i, chop := range []int{64, 128, 256, 512, 1024, 2048} {
		register(limits9Echo(fmt.Sprintf("9.5.%d", i+1),
			fmt.Sprintf("Send a text message with a payload of %s, written to the socket %d octets at a time.", limits9Size(chopMsg), chop),
			false, chopMsg, 1000*time.Second, func() []byte { return close7Repeat(limits9Text, chopMsg) }, limits9Chopped(chop)))
		register(limits9Echo(fmt.Sprintf("9.6.%d", i+1),
			fmt.Sprintf("Send a binary message with a payload of %s, written to the socket %d octets at a time.", limits9Size(chopMsg), chop),
			true, chopMsg, 1000*time.Second, func() []byte { return close7Repeat(limits9Binary, chopMsg) }, limits9Chopped(chop)))
	}

	// 9.7 and 9.8: 1000 round trips of messages of growing size.
	trips := []struct {
		n    int
		wait time.Duration
	}{{0, 60 * time.Second}, {16, 60 * time.Second}, {64, 60 * time.Second},
		{256, 120 * time.Second}, {1024, 240 * time.Second}, {4096, 480 * time.Second}}
	for i, t := range trips {
		register(limits9RoundTrips(fmt.Sprintf("9.7.%d", i+1), false, t.n, 1000, t.wait))
		register(limits9RoundTrips(fmt.Sprintf("9.8.%d", i+1), true, t.n, 1000, t.wait))
	}
}
