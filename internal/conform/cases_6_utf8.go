package conform

import (
	"encoding/hex"
	"fmt"
	"time"

	"github.com/wsx-go/websocket/internal/rawframe"
)

// Section 6: UTF-8 in text messages. Well-formed text, whole or split at any
// octet, must come back unchanged; a text message that is not well-formed
// UTF-8 must make the peer fail the connection with 1007, and as soon as
// the octet that breaks it arrives (6.4), not when the message is complete.
func init() {
	if err := checkUTF8Vectors(); err != nil {
		panic(err)
	}

	// 6.1: empty text.
	register(
		utf8EchoCase("6.1.1", "Send a text message with an empty payload.",
			"The empty message comes back.", "",
			func(s *Session) { s.SendMessage(1, nil) }),
		utf8EchoCase("6.1.2", "Send a text message in three fragments, all three empty.",
			"The empty message comes back.", "",
			func(s *Session) { utf8SendFrames(s, "", "", "") }),
		utf8EchoCase("6.1.3", "Send a text message in three fragments: an empty one, one with text, an empty one.",
			"The message comes back with the middle fragment's text as its payload.", "middle frame payload",
			func(s *Session) { utf8SendFrames(s, "", "middle frame payload", "") }),
	)

	// 6.2: well-formed UTF-8, split in various ways.
	const text = "Hello-µ@ßöäüàá-UTF-8!!"
	const text1, text2 = "Hello-µ@ßöä", "üàá-UTF-8!!"
	register(
		utf8EchoCase("6.2.1", "Send well-formed UTF-8 text as a single frame. Payload: "+utf8Hex(text),
			"The message comes back unchanged.", text,
			func(s *Session) { s.SendMessage(1, []byte(text)) }),
		utf8EchoCase("6.2.2", "Send well-formed UTF-8 text in two fragments, split between two code points. Fragments: "+
			utf8Hex(text1)+", "+utf8Hex(text2),
			"The message comes back unchanged.", text1+text2,
			func(s *Session) { utf8SendFrames(s, text1, text2) }),
		utf8EchoCase("6.2.3", "Send well-formed UTF-8 text in fragments of one octet each, so that frames end inside code points. Payload: "+utf8Hex(text),
			"The message comes back unchanged.", text,
			func(s *Session) { utf8SendFragmented(s, text, 1) }),
		utf8EchoCase("6.2.4", "Send well-formed UTF-8 text (the Greek word kosme) in fragments of one octet each, so that frames end inside code points. Payload: "+utf8Hex(utf8Kosme),
			"The message comes back unchanged.", utf8Kosme,
			func(s *Session) { utf8SendFragmented(s, utf8Kosme, 1) }),
	)

	// 6.3: a UTF-16 surrogate (ED A0 80) after kosme; its 13th octet (A0)
	// is the first that cannot be valid.
	const broken = utf8Kosme + "\xed\xa0\x80" + "edited"
	register(
		utf8FailCase("6.3.1", "Send a text message that is not well-formed UTF-8 as a single frame. Payload: "+utf8Hex(broken),
			func(s *Session) { s.SendMessage(1, []byte(broken)) }, time.Second),
		utf8FailCase("6.3.2", "Send a text message that is not well-formed UTF-8 in fragments of one octet each. Payload: "+utf8Hex(broken),
			func(s *Session) { utf8SendFragmented(s, broken, 1) }, time.Second),
	)

	// 6.4: fail fast. The message goes out in three parts a second apart;
	// the second part holds F4 90 80 80 (above U+10FFFF), whose 13th octet
	// overall (90) is the first that cannot be valid.
	const p1, p2, p3 = utf8Kosme, "\xf4\x90\x80\x80", "edited"
	const whole = p1 + p2 + p3
	register(
		utf8FailFastCase("6.4.1", "Send a text message that is not well-formed UTF-8 as three fragments, one second apart. "+
			"The first fragment and the third are well-formed on their own; the second is F4 90 80 80, the integer encoding of 0x110000, which is beyond Unicode.",
			"three fragments", [3]string{p1, p2, p3}, false),
		utf8FailFastCase("6.4.2", "As 6.4.1, but the second fragment holds only the octet that makes the text invalid.",
			"three fragments", [3]string{whole[:12], whole[12:13], whole[13:]}, false),
		utf8FailFastCase("6.4.3", "As 6.4.1, but the message is one frame whose payload is written in three parts, one second apart.",
			"one frame written in three parts", [3]string{p1, p2, p3}, true),
		utf8FailFastCase("6.4.4", "As 6.4.2, but the message is one frame whose payload is written in three parts, one second apart.",
			"one frame written in three parts", [3]string{whole[:12], whole[12:13], whole[13:]}, true),
	)

	// 6.5 to 6.23: one case per vector of utf8Groups.
	for i, g := range utf8Groups {
		for j, v := range g.vectors {
			id := fmt.Sprintf("6.%d.%d", i+5, j+1)
			send := func(s *Session) { s.SendMessage(1, []byte(v.data)) }
			if v.valid {
				c := utf8EchoCase(id, "Send well-formed UTF-8 text as a single frame ("+g.title+"). Payload: "+utf8Hex(v.data),
					"The message comes back unchanged.", v.data, send)
				c.Open = utf8DropAfter(c.Open, 500*time.Millisecond)
				register(c)
			} else {
				register(utf8FailCase(id, "Send a text message that is not well-formed UTF-8 as a single frame ("+g.title+"). Payload: "+utf8Hex(v.data),
					send, 500*time.Millisecond))
			}
		}
	}
}

// utf8Hex shows a payload as hex octets.
func utf8Hex(s string) string {
	if s == "" {
		return "(empty)"
	}
	return "0x" + hex.EncodeToString([]byte(s))
}

// utf8EchoCase expects the text want to come back, then a clean close with
// 1000 that the tester starts; the tester closes after a second at the
// latest.
func utf8EchoCase(id, desc, exp, want string, send func(s *Session)) *Case {
	return &Case{
		ID:          id,
		Description: desc,
		Expectation: exp + " Clean close with normal code.",
		Open: func(s *Session) {
			s.Expected = []Outcome{{OK, []Event{Message([]byte(want), false)}}}
			s.ExpectedClose = CloseExpectation{ClosedByMe: true, Codes: []int{1000}, RequireClean: true}
			send(s)
			s.CloseAfter(time.Second)
		},
	}
}

// utf8DropAfter makes an echo case drop the connection after d should it
// still be open, as the generated cases of 6.5 to 6.23 do, on top of the
// echo case's own close.
func utf8DropAfter(open func(s *Session), d time.Duration) func(s *Session) {
	return func(s *Session) {
		open(s)
		s.KillAfter(d)
	}
}

// utf8FailCase expects the peer to fail the connection with 1007 without
// echoing anything; the tester drops the connection after kill.
func utf8FailCase(id, desc string, send func(s *Session), kill time.Duration) *Case {
	return &Case{
		ID:          id,
		Description: desc,
		Expectation: "The peer fails the connection (close code 1007) on reading the invalid text; nothing comes back.",
		Open: func(s *Session) {
			utf8ExpectFailure(s)
			send(s)
			s.KillAfter(kill)
		},
	}
}

// utf8ExpectFailure sets the expectations of a case whose text is invalid.
func utf8ExpectFailure(s *Session) {
	s.Expected = []Outcome{{OK, nil}}
	s.ExpectedClose = CloseExpectation{ClosedByMe: false, Codes: []int{1007}, RequireClean: false, WrongCloserFails: true}
}

// utf8SendFrames sends one text message as fragments with the given
// payloads: a text frame, then continuation frames, the last one final.
func utf8SendFrames(s *Session, parts ...string) {
	for i, p := range parts {
		op := byte(0)
		if i == 0 {
			op = 1
		}
		s.SendFrame(rawframe.Frame{Fin: i == len(parts)-1, Opcode: op, Payload: []byte(p)})
	}
}

// utf8SendFragmented sends text as one message in fragments of size octets.
func utf8SendFragmented(s *Session, text string, size int) {
	var parts []string
	for len(text) > size {
		parts = append(parts, text[:size])
		text = text[size:]
	}
	utf8SendFrames(s, append(parts, text)...)
}

// utf8Timeout is the marker event a fail-fast case records when a wait
// ends with the connection still open, as Autobahn's ("timeout", tag).
func utf8Timeout(tag string) Event { return Event{Kind: "timeout", Data: []byte(tag)} }

// utf8FailFastCase sends the three parts of an invalid text message a
// second apart, as separate fragments or as pieces of one frame. A peer
// that validates as data arrives fails the connection on the second part,
// so that only the first wait ends with the connection open (OK); one that
// fails only at the message's end lets both waits pass (NON-STRICT).
func utf8FailFastCase(id, desc, how string, parts [3]string, oneFrame bool) *Case {
	return &Case{
		ID: id,
		Description: fmt.Sprintf("%s Parts (%s): %s, %s, %s.", desc, how,
			utf8Hex(parts[0]), utf8Hex(parts[1]), utf8Hex(parts[2])),
		Expectation: "The first part is accepted and the first wait passes. The peer fails the connection (close code 1007) " +
			"as soon as the second part arrives; at the latest it must fail it once the whole message is in.",
		Open: func(s *Session) {
			s.Expected = []Outcome{
				{OK, []Event{utf8Timeout("A")}},
				{NonStrict, []Event{utf8Timeout("A"), utf8Timeout("B")}},
			}
			s.ExpectedClose = CloseExpectation{ClosedByMe: false, Codes: []int{1007}, RequireClean: false, WrongCloserFails: true}

			var send func(i int)
			if oneFrame {
				send = utf8FramePieces(s, parts)
			} else {
				send = func(i int) {
					op := byte(0)
					if i == 0 {
						op = 1
					}
					s.SendFrame(rawframe.Frame{Fin: i == 2, Opcode: op, Payload: []byte(parts[i])})
				}
			}
			open := func() bool { return !s.closeSent && !s.closeRcvd && !s.isLost.Load() }
			send(0)
			s.After(time.Second, func() {
				if !open() {
					return
				}
				s.Received = append(s.Received, utf8Timeout("A"))
				send(1)
				s.After(time.Second, func() {
					if !open() {
						return
					}
					s.Received = append(s.Received, utf8Timeout("B"))
					send(2)
					s.KillAfter(time.Second)
				})
			})
		},
	}
}

// utf8FramePieces encodes the three parts as the payload of one final text
// frame and returns a function that writes piece i of it: the header with
// the first part, then the second part, then the third.
func utf8FramePieces(s *Session, parts [3]string) func(i int) {
	payload := []byte(parts[0] + parts[1] + parts[2])
	wire := rawframe.Frame{Fin: true, Opcode: 1, Masked: !s.server, Payload: payload}.Encode()
	head := len(wire) - len(payload)
	ends := [3]int{head + len(parts[0]), head + len(parts[0]) + len(parts[1]), len(wire)}
	return func(i int) {
		from := 0
		if i > 0 {
			from = ends[i-1]
		}
		if i == 0 {
			s.logFrame("TX", true, 0, 1, payload)
		}
		s.logEvent("wrote piece %d of the frame: %d payload octets", i+1, len(parts[i]))
		if err := rawframe.WriteBytes(s.nc, wire[from:ends[i]], 0, 0); err != nil {
			s.logEvent("write failed: %v", err)
		}
	}
}
