package conform

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wsx-go/websocket/internal/rawframe"
)

// Timeouts of the tester's own side of the close handshake, as Autobahn's.
const (
	// closeHandshakeTimeout bounds the wait for the peer's answer to the
	// tester's close frame.
	closeHandshakeTimeout = time.Second
	// serverDropTimeout bounds the wait, when the tester plays the client,
	// for the server to close TCP after the close handshake.
	serverDropTimeout = time.Second
)

// Session is one case running on one connection. A case's Open and every
// function it schedules run one at a time on the session's loop, so case
// code needs no locks, as in Autobahn's event-driven cases.
type Session struct {
	// Expected lists the acceptable event sequences, tried in order; the
	// first equal to what was received gives the behaviour verdict.
	Expected []Outcome
	// ExpectedClose says how the connection should end.
	ExpectedClose CloseExpectation
	// SuppressClose stops the tester from closing once the expected events
	// have arrived, for cases that close in their own way.
	SuppressClose bool
	// OnMessage, when set, receives each message instead of the default,
	// which records it and closes once the expected events are complete.
	OnMessage func(e Event)
	// ReportTime marks a case whose duration the report shows (section 9).
	ReportTime bool
	// Verdict and VerdictText, when a case sets them, override the
	// comparison of events: for cases that judge for themselves.
	Verdict     Verdict
	VerdictText string

	// Received holds the events seen so far.
	Received []Event

	server bool // the tester plays the server: its frames are unmasked
	nc     net.Conn
	br     *bufio.Reader
	start  time.Time

	mu     sync.Mutex
	queue  []func()
	wake   chan struct{}
	lost   chan struct{} // closed when the connection is gone
	isLost atomic.Bool
	log    []WireEntry
	timers []*time.Timer

	closeSent   bool
	closeRcvd   bool
	closedByMe  bool
	droppedByMe bool
	wasClean    bool
	remoteCode  *int
	remoteWhy   string
	failed      bool // the tester failed the connection itself
}

func newSession(nc net.Conn, br *bufio.Reader, server bool) *Session {
	return &Session{
		nc:     nc,
		br:     br,
		server: server,
		start:  time.Now(),
		wake:   make(chan struct{}, 1),
		lost:   make(chan struct{}),
	}
}

// run plays c on the session's connection and returns its result.
func (s *Session) run(c *Case) *Result {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultCaseTimeout
	}
	s.post(func() { c.Open(s) })
	go s.readLoop()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	timedOut := false
loop:
	for {
		select {
		case <-s.wake:
			s.runQueue()
		case <-s.lost:
			s.runQueue()
			break loop
		case <-deadline.C:
			timedOut = true
			s.logEvent("case timed out after %v: dropping the connection", timeout)
			s.Drop()
		}
	}
	s.mu.Lock()
	for _, t := range s.timers {
		t.Stop()
	}
	s.mu.Unlock()
	r := s.judge(c)
	if timedOut && r.Behavior == OK {
		r.Result += " (the case timed out)"
	}
	return r
}

// post queues fn to run on the session's loop.
func (s *Session) post(fn func()) {
	s.mu.Lock()
	s.queue = append(s.queue, fn)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Session) runQueue() {
	for {
		s.mu.Lock()
		q := s.queue
		s.queue = nil
		s.mu.Unlock()
		if len(q) == 0 {
			return
		}
		for _, fn := range q {
			fn()
		}
	}
}

// After runs fn on the loop after d, unless the case has ended.
func (s *Session) After(d time.Duration, fn func()) {
	t := time.AfterFunc(d, func() { s.post(fn) })
	s.mu.Lock()
	s.timers = append(s.timers, t)
	s.mu.Unlock()
}

// CloseAfter starts the close handshake (code 1000) after d, as Autobahn's
// closeAfter.
func (s *Session) CloseAfter(d time.Duration) {
	s.After(d, func() { s.SendClose(1000, "") })
}

// KillAfter drops the connection after d, as Autobahn's killAfter.
func (s *Session) KillAfter(d time.Duration) { s.After(d, s.Drop) }

// Elapsed returns the time since the case started.
func (s *Session) Elapsed() time.Duration { return time.Since(s.start) }

// SendFrame sends f as it is; masking follows the tester's role.
func (s *Session) SendFrame(f rawframe.Frame) {
	f.Masked = !s.server
	s.logFrame("TX", f.Fin, f.RSV, f.Opcode, f.Payload)
	if err := rawframe.WriteBytes(s.nc, f.Encode(), f.Chop, f.ChopDelay); err != nil {
		s.logEvent("write failed: %v", err)
	}
}

// SendMessage sends payload as one unfragmented frame with opcode op.
func (s *Session) SendMessage(op byte, payload []byte) {
	s.SendFrame(rawframe.Frame{Fin: true, Opcode: op, Payload: payload})
}

// SendPing sends a ping with payload.
func (s *Session) SendPing(payload []byte) {
	s.SendFrame(rawframe.Frame{Fin: true, Opcode: 9, Payload: payload})
}

// SendClose sends a close frame with code and reason (code < 0: an empty
// payload), once; later calls do nothing. Codes are sent as given, valid or
// not. If the peer does not answer in time, the connection is dropped.
func (s *Session) SendClose(code int, reason string) {
	var p []byte
	if code >= 0 {
		p = binary.BigEndian.AppendUint16(nil, uint16(code))
		p = append(p, reason...)
	}
	s.SendCloseRaw(p)
}

// SendCloseRaw sends a close frame with payload p, unchecked, once.
func (s *Session) SendCloseRaw(p []byte) {
	if s.closeSent {
		return
	}
	s.closeSent = true
	if !s.closeRcvd {
		s.closedByMe = true
		s.After(closeHandshakeTimeout, func() {
			if !s.closeRcvd {
				s.logEvent("no close frame from the peer within %v", closeHandshakeTimeout)
				s.Drop()
			}
		})
	}
	s.SendFrame(rawframe.Frame{Fin: true, Opcode: 8, Payload: p})
}

// Drop closes the TCP connection now.
func (s *Session) Drop() {
	if !s.isLost.Load() && !s.droppedByMe {
		s.droppedByMe = true
		s.logEvent("tester drops the TCP connection")
	}
	s.nc.Close()
}

// FinishWhenDone closes the connection, as the case expects, once the
// events received equal every expected outcome (Autobahn's
// finishWhenDone).
func (s *Session) FinishWhenDone() {
	for _, o := range s.Expected {
		if !eventsEqual(s.Received, o.Events) {
			return
		}
	}
	if s.ExpectedClose.ClosedByMe && !s.SuppressClose && len(s.ExpectedClose.Codes) > 0 {
		s.SendClose(s.ExpectedClose.Codes[0], "")
	}
}

// fail fails the connection because the peer broke the protocol.
func (s *Session) fail(code int, why string) {
	if s.failed {
		return
	}
	s.failed = true
	s.logEvent("peer broke the protocol: %s", why)
	s.SendClose(code, "")
	s.Drop()
}

// record adds an event and lets the case react to it.
func (s *Session) record(e Event) {
	if e.Kind == "message" && s.OnMessage != nil {
		s.OnMessage(e)
		return
	}
	s.Received = append(s.Received, e)
	s.FinishWhenDone()
}

// peerClose runs the tester's side of a close handshake the peer started
// or answered.
func (s *Session) peerClose(p []byte) {
	s.closeRcvd = true
	switch {
	case len(p) == 1:
		s.fail(1002, "close payload of one byte")
		return
	case len(p) >= 2:
		code := int(binary.BigEndian.Uint16(p))
		s.remoteCode = &code
		s.remoteWhy = string(p[2:])
	}
	if !s.closeSent {
		// Echo the peer's code, as Autobahn does.
		s.SendCloseRaw(p[:min(len(p), 2)])
	}
	s.wasClean = true
	if s.server {
		s.Drop()
		return
	}
	// RFC 6455 §7.1.1: the server closes TCP first.
	s.After(serverDropTimeout, func() {
		s.logEvent("the server did not close TCP within %v", serverDropTimeout)
		s.wasClean = false
		s.Drop()
	})
}

func (s *Session) logFrame(dir string, fin bool, rsv, op byte, payload []byte) {
	text := fmt.Sprintf("frame op=%d fin=%t rsv=%d len=%d", op, fin, rsv, len(payload))
	s.addLog(WireEntry{Dir: dir, Text: text, Payload: payload[:min(len(payload), 64)], Length: len(payload)})
}

func (s *Session) logEvent(format string, args ...any) {
	s.addLog(WireEntry{Dir: "--", Text: fmt.Sprintf(format, args...)})
}

func (s *Session) addLog(e WireEntry) {
	e.At = time.Since(s.start)
	e.Payload = append([]byte(nil), e.Payload...)
	s.mu.Lock()
	if len(s.log) < maxWireLog {
		s.log = append(s.log, e)
	}
	s.mu.Unlock()
}

// maxWireLog bounds the wire log of a case (section 9 sends thousands of
// frames).
const maxWireLog = 400
