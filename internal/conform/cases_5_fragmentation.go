package conform

import (
	"strconv"
	"strings"
	"time"

	"github.com/wsx-go/websocket/internal/rawframe"
)

// fragMode says how the tester puts a case's frames on the wire. The octets
// are the same in every mode; only the writes that carry them differ, which
// a conformant peer must not care about.
type fragMode int

const (
	// fragWhole writes each frame in one write, right after the previous.
	fragWhole fragMode = iota
	// fragFrameWise writes each frame in a write of its own and pauses
	// before the next, so the frames tend to arrive in separate segments
	// (Autobahn's sync = True).
	fragFrameWise
	// fragOctetWise writes every octet on its own, pausing in between
	// (Autobahn's chopsize = 1).
	fragOctetWise
)

// Pauses between the tester's writes in the frame-wise and octet-wise
// modes. Autobahn re-enters its reactor between queued writes; these gaps
// are long enough for the peer to read the pieces one by one.
const (
	fragFrameGap = time.Millisecond
	fragOctetGap = 100 * time.Microsecond
)

// fragSend writes frames in the given mode.
func fragSend(s *Session, mode fragMode, frames ...rawframe.Frame) {
	for _, f := range frames {
		if mode == fragOctetWise {
			f.Chop, f.ChopDelay = 1, fragOctetGap
		}
		s.SendFrame(f)
		switch mode {
		case fragFrameWise:
			time.Sleep(fragFrameGap)
		case fragOctetWise:
			time.Sleep(fragOctetGap)
		}
	}
}

// fragFrame is shorthand for one frame of a case; masking follows the
// tester's role when it is sent.
func fragFrame(op byte, fin bool, payload string) rawframe.Frame {
	return rawframe.Frame{Fin: fin, Opcode: op, Payload: []byte(payload)}
}

// fragModeNote is the part of a description that says how frames are
// written.
func fragModeNote(mode fragMode) string {
	switch mode {
	case fragFrameWise:
		return "each frame in a write of its own"
	case fragOctetWise:
		return "one octet per write"
	}
	return "all frames in one go"
}

// fragSpec is a section 5 case that differs from its siblings only in data.
type fragSpec struct {
	id     string
	desc   string
	expect string
	mode   fragMode
	frames []rawframe.Frame
	// ok is the event sequence that earns OK; nonStrict, when not nil, one
	// that earns NON-STRICT.
	ok        []Event
	nonStrict []Event
	// fail: the peer must fail the connection with 1002 (the tester drops
	// it after a second otherwise); else the tester closes normally after
	// a second and the close must be clean.
	fail bool
}

func (fs fragSpec) build() *Case {
	return &Case{
		ID:          fs.id,
		Description: fs.desc,
		Expectation: fs.expect,
		Open: func(s *Session) {
			s.Expected = []Outcome{{OK, fs.ok}}
			if fs.nonStrict != nil {
				s.Expected = append(s.Expected, Outcome{NonStrict, fs.nonStrict})
			}
			if fs.fail {
				s.ExpectedClose = CloseExpectation{ClosedByMe: false, Codes: []int{1002}, RequireClean: false}
			} else {
				s.ExpectedClose = CloseExpectation{ClosedByMe: true, Codes: []int{1000}, RequireClean: true}
			}
			fragSend(s, fs.mode, fs.frames...)
			if fs.fail {
				s.KillAfter(time.Second)
			} else {
				s.CloseAfter(time.Second)
			}
		},
	}
}

// Section 5: fragmentation. Fragmented control frames, fragmented text
// messages (with pings in between), continuation frames with nothing to
// continue, and a new data frame where a continuation belongs.
func init() {
	const (
		cont, text, ping, pong = 0, 1, 9, 10
	)
	failNote := "The peer fails the connection at once (close code 1002 or none): "
	noMessage := failNote + "a continuation frame with no message in progress is a protocol error."

	// 5.1, 5.2: a control frame must not be fragmented.
	for i, ctl := range []struct {
		name string
		op   byte
	}{{"ping", ping}, {"pong", pong}} {
		register(fragSpec{
			id:     "5." + strconv.Itoa(i+1),
			desc:   "Send a " + ctl.name + " split into two fragments (FIN clear, then a continuation frame).",
			expect: failNote + "control frames must never be fragmented.",
			frames: []rawframe.Frame{fragFrame(ctl.op, false, "fragment1"), fragFrame(cont, true, "fragment2")},
			ok:     []Event{},
			fail:   true,
		}.build())
	}

	modes := []fragMode{fragWhole, fragFrameWise, fragOctetWise}

	// 5.3-5.5: a text message in two fragments.
	for i, mode := range modes {
		register(fragSpec{
			id:     "5." + strconv.Itoa(3+i),
			desc:   "Send a text message split into two fragments, " + fragModeNote(mode) + ".",
			expect: "The peer reassembles the message and echoes it back whole.",
			mode:   mode,
			frames: []rawframe.Frame{fragFrame(text, false, "fragment1"), fragFrame(cont, true, "fragment2")},
			ok:     []Event{Message([]byte("fragment1fragment2"), false)},
		}.build())
	}

	// 5.6-5.8: the same with a ping between the fragments.
	for i, mode := range modes {
		register(fragSpec{
			id:     "5." + strconv.Itoa(6+i),
			desc:   "Send a text message split into two fragments with a ping (with payload) between them, " + fragModeNote(mode) + ".",
			expect: "The peer answers the ping with a pong first, then echoes the reassembled message.",
			mode:   mode,
			frames: []rawframe.Frame{
				fragFrame(text, false, "fragment1"),
				fragFrame(ping, true, "ping payload"),
				fragFrame(cont, true, "fragment2"),
			},
			ok: []Event{Pong([]byte("ping payload")), Message([]byte("fragment1fragment2"), false)},
		}.build())
	}

	// 5.9-5.14: a continuation frame (final, then not final) with nothing
	// to continue, followed by a whole text message.
	for j, fin := range []bool{true, false} {
		for i, mode := range modes {
			finText := "set"
			if !fin {
				finText = "clear"
			}
			register(fragSpec{
				id: "5." + strconv.Itoa(9+3*j+i),
				desc: "Send a continuation frame with FIN " + finText + " while no message is in progress, then a whole text message, " +
					fragModeNote(mode) + ".",
				expect: noMessage,
				mode:   mode,
				frames: []rawframe.Frame{fragFrame(cont, fin, "non-continuation payload"), fragFrame(text, true, "Hello, world!")},
				ok:     []Event{},
				fail:   true,
			}.build())
		}
	}

	// 5.15: a good fragmented message, then a stray continuation.
	register(fragSpec{
		id: "5.15",
		desc: "Send a text message in two fragments, then a continuation frame with FIN clear while no message is in progress, " +
			"then a whole text message, all frames in one go.",
		expect: noMessage + " The first message may be echoed before that (OK) or not (NON-STRICT).",
		frames: []rawframe.Frame{
			fragFrame(text, false, "fragment1"),
			fragFrame(cont, true, "fragment2"),
			fragFrame(cont, false, "fragment3"),
			fragFrame(text, true, "fragment4"),
		},
		ok:        []Event{Message([]byte("fragment1fragment2"), false)},
		nonStrict: []Event{},
		fail:      true,
	}.build())

	// 5.16, 5.17: twice over, a stray continuation (FIN clear, then set)
	// and a text message in two fragments.
	for i, fin := range []bool{false, true} {
		finText := "clear"
		if fin {
			finText = "set"
		}
		var frames []rawframe.Frame
		for range 2 {
			frames = append(frames,
				fragFrame(cont, fin, "fragment1"),
				fragFrame(text, false, "fragment2"),
				fragFrame(cont, true, "fragment3"))
		}
		register(fragSpec{
			id: "5." + strconv.Itoa(16+i),
			desc: "Twice: send a continuation frame with FIN " + finText + " while no message is in progress, " +
				"then a text message in two fragments.",
			expect: noMessage,
			frames: frames,
			ok:     []Event{},
			fail:   true,
		}.build())
	}

	// 5.18: the second fragment carries the text opcode instead of 0.
	register(fragSpec{
		id:     "5.18",
		desc:   "Send a text message in two fragments where both frames carry the text opcode, all frames in one go.",
		expect: failNote + "every frame after the first of a fragmented message must be a continuation frame (opcode 0).",
		frames: []rawframe.Frame{fragFrame(text, false, "fragment1"), fragFrame(text, true, "fragment2")},
		ok:     []Event{},
		fail:   true,
	}.build())

	// 5.19, 5.20: a text message in five fragments with two pings among
	// them and a pause of a second in the middle.
	register(pausedFragCase("5.19", fragWhole), pausedFragCase("5.20", fragFrameWise))
}

// pausedFragCase is case 5.19 (frames written as they come) or 5.20 (each
// frame in a write of its own): the peer must answer the first ping while
// the message it interrupts is still incomplete.
func pausedFragCase(id string, mode fragMode) *Case {
	parts := []string{"fragment1", "fragment2", "fragment3", "fragment4", "fragment5"}
	pings := []string{"pongme 1!", "pongme 2!"}
	desc := "Send a text message in five fragments: the first two, a ping, a pause of one second, " +
		"two more fragments, a second ping and the final fragment. All of it is legal."
	expect := "The peer answers the first ping at once, before the message is complete, pongs each ping's " +
		"payload back exactly, and echoes the reassembled message."
	if mode == fragFrameWise {
		desc = "As 5.19, but each frame leaves in a write of its own; the octets on the wire are the same."
		expect = "As 5.19: how the stream is cut into writes must make no difference to the peer."
	}
	return &Case{
		ID:          id,
		Description: desc,
		Expectation: expect,
		Open: func(s *Session) {
			s.Expected = []Outcome{{OK, []Event{
				Pong([]byte(pings[0])),
				Pong([]byte(pings[1])),
				Message([]byte(strings.Join(parts, "")), false),
			}}}
			s.ExpectedClose = CloseExpectation{ClosedByMe: true, Codes: []int{1000}, RequireClean: true}
			fragSend(s, mode,
				fragFrame(1, false, parts[0]),
				fragFrame(0, false, parts[1]),
				fragFrame(9, true, pings[0]))
			s.After(time.Second, func() {
				fragSend(s, mode,
					fragFrame(0, false, parts[2]),
					fragFrame(0, false, parts[3]),
					fragFrame(9, true, pings[1]),
					fragFrame(0, true, parts[4]))
				s.CloseAfter(time.Second)
			})
		},
	}
}
