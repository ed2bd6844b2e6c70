package conform

import (
	"bytes"
	"fmt"
	"time"

	"github.com/wsx-go/websocket/internal/rawframe"
)

// autoFragFrames cuts a message with opcode op into frames of at most size
// payload octets each: the first carries op, the rest are continuations,
// and only the last has FIN set.
func autoFragFrames(op byte, payload []byte, size int) []rawframe.Frame {
	var frames []rawframe.Frame
	for first := true; first || len(payload) > 0; first = false {
		n := min(size, len(payload))
		f := rawframe.Frame{Opcode: op, Payload: payload[:n]}
		if !first {
			f.Opcode = 0
		}
		payload = payload[n:]
		f.Fin = len(payload) == 0
		frames = append(frames, f)
	}
	return frames
}

// Section 10: miscellaneous. 10.1.1 sends a large text message cut into
// frames of a fixed size and checks both the echo and that the tester did
// send the number of frames the size implies.
func init() {
	const (
		size     = 65536
		fragSize = 1300
	)
	register(&Case{
		ID: "10.1.1",
		Description: fmt.Sprintf("Send a text message of %d octets, cut automatically into frames of at most %d payload octets.",
			size, fragSize),
		Expectation: "Receive the whole message echoed back (as sent, with the frame counts sent as computed from the " +
			"fragment size). Clean close with the normal code.",
		Timeout: 15 * time.Second,
		Open: func(s *Session) {
			payload := bytes.Repeat([]byte("*"), size)
			s.Expected = []Outcome{{OK, []Event{Message(payload, false)}}}
			s.ExpectedClose = CloseExpectation{ClosedByMe: true, Codes: []int{1000}, RequireClean: true}
			counts := map[byte]int{}
			for _, f := range autoFragFrames(1, payload, fragSize) {
				s.SendFrame(f)
				counts[f.Opcode]++
			}
			// The frames the tester sent, by opcode, against the counts the
			// fragment size implies: a check of the tester itself.
			wantCont, wantText := size/fragSize, 0
			if size%fragSize > 0 {
				wantText = 1
			}
			if counts[0] != wantCont || counts[1] != wantText {
				s.Verdict = Failed
				s.VerdictText = fmt.Sprintf("Frames sent (continuation %d, text %d) differ from those expected (continuation %d, text %d).",
					counts[0], counts[1], wantCont, wantText)
			}
			s.KillAfter(10 * time.Second)
		},
	})
}
