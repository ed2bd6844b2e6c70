package conform

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wsx-go/websocket/internal/frame"
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
	// OnFail, when set, is told why the tester failed the connection
	// because the peer broke the protocol, for cases that judge themselves.
	OnFail func(why string)

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

	neg       negotiation
	deflate   *deflateConn     // nil unless permessage-deflate was negotiated
	sentStats CompressionStats // counted on the session's loop
	recvStats CompressionStats // counted by readLoop
	paused    pausedLog        // under mu
}

func newSession(nc net.Conn, br *bufio.Reader, server bool, neg negotiation) *Session {
	s := &Session{
		nc:     nc,
		br:     br,
		server: server,
		start:  time.Now(),
		wake:   make(chan struct{}, 1),
		lost:   make(chan struct{}),
		neg:    neg,
	}
	if neg.params != nil {
		s.deflate = newDeflateConn(*neg.params, server, maxPeerFrame)
		s.logEvent("permessage-deflate negotiated: offer %q, answer %q", neg.offer, neg.response)
	}
	return s
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

// sendFrames sends frames in one write, for messages of many frames.
func (s *Session) sendFrames(frames []rawframe.Frame) {
	var b []byte
	for _, f := range frames {
		f.Masked = !s.server
		s.logFrame("TX", f.Fin, f.RSV, f.Opcode, f.Payload)
		b = append(b, f.Encode()...)
	}
	if err := rawframe.WriteBytes(s.nc, b, 0, 0); err != nil {
		s.logEvent("write failed: %v", err)
	}
}

// Compressed reports whether permessage-deflate was negotiated.
func (s *Session) Compressed() bool { return s.deflate != nil }

// SendCompressed sends payload as one message with opcode op, compressed
// with the negotiated permessage-deflate (RSV1 on its first frame), cut
// into frames of at most fragSize octets of compressed payload (0: one
// frame), as Autobahn's auto-fragmentation cuts them. Without
// permessage-deflate it sends nothing.
func (s *Session) SendCompressed(op byte, payload []byte, fragSize int) {
	if s.deflate == nil {
		s.logEvent("cannot send a compressed message: permessage-deflate was not negotiated")
		return
	}
	c := s.deflate.send.compress(payload)
	frames := []rawframe.Frame{{Fin: true, Opcode: op, Payload: c}}
	if fragSize > 0 {
		frames = autoFragFrames(op, c, fragSize)
	}
	frames[0].RSV = frame.RSV1 >> 4
	s.sendFrames(frames)
	s.sentStats.SentMessages++
	s.sentStats.SentOctets += int64(len(payload))
	s.sentStats.SentWireOctets += int64(len(c))
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
	if s.OnFail != nil {
		s.OnFail(why)
	}
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

// wirePayload is how much of a payload the wire log keeps.
const wirePayload = 64

func (s *Session) logFrame(dir string, fin bool, rsv, op byte, payload []byte) {
	head := payload[:min(len(payload), wirePayload)]
	s.mu.Lock()
	if s.paused.on {
		// Keep the frame unformatted: sections 12 and 13 send up to half a
		// million frames a case with the log paused.
		e := s.paused.slot()
		e.At = time.Since(s.start)
		e.Dir, e.Text, e.Length = dir, "", len(payload)
		e.Payload = append(e.Payload[:0], head...)
		e.frame, e.fin, e.rsv, e.op = true, fin, rsv, op
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	s.addLog(WireEntry{Dir: dir, Text: frameText(fin, rsv, op, len(payload)), Payload: head, Length: len(payload)})
}

func frameText(fin bool, rsv, op byte, n int) string {
	return fmt.Sprintf("frame op=%d fin=%t rsv=%d len=%d", op, fin, rsv, n)
}

func (s *Session) logEvent(format string, args ...any) {
	s.addLog(WireEntry{Dir: "--", Text: fmt.Sprintf(format, args...)})
}

func (s *Session) addLog(e WireEntry) {
	e.At = time.Since(s.start)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.paused.on {
		p := s.paused.slot()
		p.WireEntry = e
		p.Payload = append(p.Payload[:0], e.Payload...)
		p.frame = false
		return
	}
	s.appendLog(e)
}

// appendLog adds e to the log, within its bound; s.mu is held.
func (s *Session) appendLog(e WireEntry) {
	if len(s.log) < maxWireLog {
		e.Payload = append([]byte(nil), e.Payload...)
		s.log = append(s.log, e)
	}
}

// maxWireLog bounds the wire log of a case (section 9 sends thousands of
// frames).
const maxWireLog = 400

// pausedRing is how many entries the wire log keeps while paused: the last
// ones, which show how a long exchange ended.
const pausedRing = 16

// pausedLog holds the wire log's entries while it is paused.
type pausedLog struct {
	on   bool
	ring [pausedRing]pausedEntry
	n    int // entries seen since the pause
}

// pausedEntry is a wire log entry kept while paused; frames are formatted
// only if they make it into the log.
type pausedEntry struct {
	WireEntry
	frame   bool
	fin     bool
	rsv, op byte
}

// slot returns the ring entry for the next entry.
func (p *pausedLog) slot() *pausedEntry {
	e := &p.ring[p.n%pausedRing]
	p.n++
	return e
}

// PauseWireLog stops the wire log from recording every frame, as Autobahn
// does while a case exchanges many messages: only the last few entries
// before ResumeWireLog are kept.
func (s *Session) PauseWireLog() {
	s.logEvent("wire log paused: only the last %d entries before it resumes are kept", pausedRing)
	s.mu.Lock()
	s.paused.on = true
	s.paused.n = 0
	s.mu.Unlock()
}

// ResumeWireLog records every entry again, after the last few kept while
// paused.
func (s *Session) ResumeWireLog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resumeLocked()
}

func (s *Session) resumeLocked() {
	p := &s.paused
	if !p.on {
		return
	}
	p.on = false
	kept := min(p.n, pausedRing)
	if left := p.n - kept; left > 0 {
		at := p.ring[(p.n-kept)%pausedRing].At // where the kept entries start
		s.appendLog(WireEntry{At: at, Dir: "--", Text: fmt.Sprintf("%d entries left out of the log", left)})
	}
	for i := p.n - kept; i < p.n; i++ {
		e := p.ring[i%pausedRing]
		if e.frame {
			e.Text = frameText(e.fin, e.rsv, e.op, e.Length)
		}
		s.appendLog(e.WireEntry)
	}
	s.appendLog(WireEntry{At: time.Since(s.start), Dir: "--", Text: "wire log resumed"})
}
