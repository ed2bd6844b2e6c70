package conform

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"

	"github.com/wsx-go/websocket/internal/frame"
	"github.com/wsx-go/websocket/internal/rawframe"
)

// maxPeerFrame bounds a frame the tester accepts from the peer; the largest
// messages of the suite are 16 MiB.
const maxPeerFrame = 64 << 20

// readLoop reads the peer's frames until the connection ends, checks them
// against the rules a conformant peer keeps, and posts what it sees to the
// session's loop.
func (s *Session) readLoop() {
	defer func() {
		s.isLost.Store(true)
		close(s.lost)
	}()
	var (
		msg        []byte
		msgOp      frame.Opcode
		inMsg      bool
		compressed bool // the message in progress has RSV1 set
		broken     bool // the peer broke the protocol: ignore what follows
	)
	for {
		h, payload, err := readFrame(s.br)
		if err != nil {
			if errors.Is(err, io.EOF) {
				s.logEvent("the peer closed the TCP connection")
			} else {
				s.logEvent("connection ended: %v", err)
			}
			return
		}
		s.logFrame("RX", h.Fin, h.RSV>>4, byte(h.Opcode), payload)
		if broken {
			continue
		}
		if why := s.checkFrame(h, inMsg); why != "" {
			broken = true
			s.post(func() { s.fail(1002, why) })
			continue
		}
		switch h.Opcode {
		case frame.OpPing:
			s.post(func() {
				s.record(Ping(payload))
				if !s.closeSent {
					s.SendFrame(rawframe.Frame{Fin: true, Opcode: 10, Payload: payload})
				}
			})
		case frame.OpPong:
			s.post(func() { s.record(Pong(payload)) })
		case frame.OpClose:
			s.post(func() { s.peerClose(payload) })
		default:
			if h.Opcode != frame.OpContinuation {
				msg, msgOp, inMsg = nil, h.Opcode, true
				compressed = h.RSV&frame.RSV1 != 0
			}
			msg = append(msg, payload...)
			if !h.Fin {
				continue
			}
			inMsg = false
			s.recvStats.ReceivedMessages++
			s.recvStats.ReceivedWireOctets += int64(len(msg))
			if compressed {
				out, err := s.deflate.recv.decompress(msg)
				if err != nil {
					why := fmt.Sprintf("compressed message %d (%d octets): %v", s.recvStats.ReceivedMessages, len(msg), err)
					code := 1007 // invalid data, as wsx and Autobahn answer it
					if errors.Is(err, errTooBig) {
						code = 1009
					}
					broken = true
					s.post(func() { s.fail(code, why) })
					continue
				}
				msg = out
				s.recvStats.ReceivedCompressed++
			}
			s.recvStats.ReceivedOctets += int64(len(msg))
			e := Message(slices.Clip(msg), msgOp == frame.OpBinary)
			valid := msgOp == frame.OpBinary || utf8.Valid(msg)
			s.post(func() {
				s.record(e)
				if !valid {
					s.fail(1007, "invalid UTF-8 in a text message")
				}
			})
			if !valid {
				broken = true
			}
		}
	}
}

// checkFrame returns why h breaks RFC 6455 for a peer in its role, or "".
func (s *Session) checkFrame(h frame.Header, inMsg bool) string {
	switch {
	case s.server && !h.Masked:
		return "unmasked frame from a client"
	case !s.server && h.Masked:
		return "masked frame from a server"
	case h.RSV&^frame.RSV1 != 0:
		return "reserved bits set"
	case h.RSV != 0 && s.deflate == nil:
		return "RSV1 set without a negotiated extension"
	case h.RSV != 0 && h.Opcode.IsControl():
		return "RSV1 set on a control frame"
	case h.RSV != 0 && h.Opcode == frame.OpContinuation:
		return "RSV1 set on a continuation frame"
	case !h.Opcode.IsKnown():
		return fmt.Sprintf("unknown opcode %d", h.Opcode)
	case h.Opcode.IsControl() && (!h.Fin || h.Length > 125):
		return "fragmented or oversized control frame"
	case h.Opcode == frame.OpContinuation && !inMsg:
		return "continuation without a started message"
	case !h.Opcode.IsControl() && h.Opcode != frame.OpContinuation && inMsg:
		return "new data frame inside a fragmented message"
	}
	return ""
}

// readFrame reads one whole frame and unmasks its payload.
func readFrame(br *bufio.Reader) (frame.Header, []byte, error) {
	head, err := br.Peek(2)
	if err != nil {
		return frame.Header{}, nil, err
	}
	head, err = br.Peek(frame.Size(head[0], head[1]))
	if err != nil {
		return frame.Header{}, nil, unexpected(err)
	}
	h, n, err := frame.Parse(head)
	if err != nil {
		return h, nil, err
	}
	br.Discard(n)
	if h.Length > maxPeerFrame {
		return h, nil, fmt.Errorf("frame of %d bytes is over the tester's limit", h.Length)
	}
	p := make([]byte, h.Length)
	if _, err := io.ReadFull(br, p); err != nil {
		return h, nil, unexpected(err)
	}
	if h.Masked {
		frame.Mask(h.Mask, 0, p)
	}
	return h, p, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// judge compares what happened with what the case expected, as Autobahn's
// Case.onConnectionLost does.
func (s *Session) judge(c *Case) *Result {
	s.mu.Lock()
	s.resumeLocked()
	log := slices.Clone(s.log)
	s.mu.Unlock()
	r := &Result{
		ID:                c.ID,
		Description:       c.Description,
		Expectation:       c.Expectation,
		Expected:          s.Expected,
		ExpectedClose:     s.ExpectedClose,
		Received:          s.Received,
		RemoteCloseCode:   s.remoteCode,
		RemoteCloseReason: s.remoteWhy,
		WasClean:          s.wasClean,
		ClosedByMe:        s.closedByMe,
		DroppedByMe:       s.droppedByMe,
		Duration:          s.Elapsed(),
		ReportTime:        s.ReportTime,
		WireLog:           log,
	}
	if c.Compression != nil {
		st := s.sentStats
		st.Offer, st.Response, st.Note = s.neg.offer, s.neg.response, s.neg.note
		st.ReceivedMessages = s.recvStats.ReceivedMessages
		st.ReceivedCompressed = s.recvStats.ReceivedCompressed
		st.ReceivedOctets = s.recvStats.ReceivedOctets
		st.ReceivedWireOctets = s.recvStats.ReceivedWireOctets
		r.Compression = &st
	}
	if s.Verdict != "" {
		r.Behavior, r.Result = s.Verdict, s.VerdictText
	} else {
		r.Behavior, r.Result = Failed, "Actual events differ from any expected."
		for _, o := range s.Expected {
			if eventsEqual(s.Received, o.Events) {
				r.Behavior, r.Result = o.Verdict, "Actual events match at least one expected."
				break
			}
		}
	}
	want := s.ExpectedClose
	switch {
	case want.ClosedByMe != s.closedByMe:
		r.BehaviorClose, r.ResultClose = Failed, "The connection was failed by the wrong endpoint"
		if want.WrongCloserFails {
			r.Behavior, r.Result = Failed, "The connection was failed by the wrong endpoint"
		}
	case want.RequireClean && !s.wasClean:
		r.BehaviorClose, r.ResultClose = Unclean, "The spec requires the connection to be failed cleanly here"
	case s.remoteCode != nil && !slices.Contains(want.Codes, *s.remoteCode):
		r.BehaviorClose, r.ResultClose = WrongCode, fmt.Sprintf("The close code should have been %v or empty", want.Codes)
	case !s.server && s.droppedByMe:
		r.BehaviorClose, r.ResultClose = FailedByClient, "It is preferred that the server close the TCP connection"
	default:
		r.BehaviorClose, r.ResultClose = OK, "Connection was properly closed"
	}
	if r.BehaviorClose == WrongCode && want.WrongCodeFails {
		r.Behavior, r.Result = Failed, r.ResultClose
	}
	if want.Informational {
		r.BehaviorClose = Informational
	}
	return r
}
