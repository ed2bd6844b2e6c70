// Package conform is wsx's conformance tester: the cases of the Autobahn
// test suite (sections 1-7, 9, 10, and 12 and 13 for permessage-deflate),
// run against a WebSocket server (the
// tester plays the client) or a client (the tester plays the server, with
// Autobahn's fuzzingserver URL scheme), judged the way Autobahn judges them.
package conform

import (
	"bytes"
	"time"
)

// Verdict is the judgement of one aspect of a case, in Autobahn's words.
type Verdict string

// The verdicts Autobahn gives.
const (
	OK             Verdict = "OK"
	NonStrict      Verdict = "NON-STRICT"
	Informational  Verdict = "INFORMATIONAL"
	Unimplemented  Verdict = "UNIMPLEMENTED"
	Failed         Verdict = "FAILED"
	WrongCode      Verdict = "WRONG CODE"
	Unclean        Verdict = "UNCLEAN"
	FailedByClient Verdict = "FAILED BY CLIENT"
)

// Passed reports whether v counts as a pass for the wsx strict standard:
// only OK, and INFORMATIONAL where a case only informs.
func (v Verdict) Passed() bool { return v == OK || v == Informational }

// Event is one thing the tester saw the peer send: a whole message, a ping
// or a pong.
type Event struct {
	Kind   string // "message", "ping" or "pong"
	Data   []byte
	Binary bool // for messages
}

// Message returns the event of a received message.
func Message(data []byte, binary bool) Event {
	return Event{Kind: "message", Data: data, Binary: binary}
}

// Pong returns the event of a received pong.
func Pong(data []byte) Event { return Event{Kind: "pong", Data: data} }

// Ping returns the event of a received ping.
func Ping(data []byte) Event { return Event{Kind: "ping", Data: data} }

func (e Event) equal(o Event) bool {
	return e.Kind == o.Kind && e.Binary == o.Binary && bytes.Equal(e.Data, o.Data)
}

func eventsEqual(a, b []Event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].equal(b[i]) {
			return false
		}
	}
	return true
}

// Outcome is one acceptable sequence of events and the verdict it earns.
type Outcome struct {
	Verdict Verdict
	Events  []Event
}

// CloseExpectation says how the connection should end.
type CloseExpectation struct {
	ClosedByMe   bool  // the tester, not the peer, sends the first close frame
	Codes        []int // close codes the peer may send
	RequireClean bool  // the close handshake must complete
	// WrongCloserFails makes the behaviour verdict FAILED too when the
	// wrong endpoint started the close (Autobahn's
	// closedByWrongEndpointIsFatal, used by the UTF-8 cases).
	WrongCloserFails bool
	// WrongCodeFails makes the behaviour verdict FAILED too when the peer
	// closed with a code not in Codes (the close cases of section 7).
	WrongCodeFails bool
	// Informational reports the close behaviour as INFORMATIONAL, for
	// cases where the spec leaves it open.
	Informational bool
}

// Result is the outcome of one case.
type Result struct {
	ID          string `json:"id"`
	Description string `json:"description"`
	Expectation string `json:"expectation"`

	Behavior      Verdict `json:"behavior"`
	BehaviorClose Verdict `json:"behaviorClose"`
	Result        string  `json:"result"`
	ResultClose   string  `json:"resultClose"`

	Expected      []Outcome        `json:"expected"`
	ExpectedClose CloseExpectation `json:"expectedClose"`
	Received      []Event          `json:"received"`

	RemoteCloseCode   *int          `json:"remoteCloseCode"`
	RemoteCloseReason string        `json:"remoteCloseReason"`
	WasClean          bool          `json:"wasClean"`
	ClosedByMe        bool          `json:"closedByMe"`
	DroppedByMe       bool          `json:"droppedByMe"`
	Duration          time.Duration `json:"duration"`
	ReportTime        bool          `json:"reportTime"`
	WireLog           []WireEntry   `json:"wirelog"`
	// Compression is set for the cases that negotiate permessage-deflate.
	Compression *CompressionStats `json:"compression,omitempty"`
}

// CompressionStats tell what a case negotiated for permessage-deflate and
// how much its messages shrank, as Autobahn reports for sections 12 and
// 13. Octets count message payloads: before compression and as sent on
// the wire.
type CompressionStats struct {
	Offer    string `json:"offer"`          // the client's Sec-WebSocket-Extensions
	Response string `json:"response"`       // the server's; empty if it declined
	Note     string `json:"note,omitempty"` // why the tester, as server, declined

	SentMessages   int   `json:"sentMessages"`
	SentOctets     int64 `json:"sentOctets"`
	SentWireOctets int64 `json:"sentWireOctets"`

	ReceivedMessages   int   `json:"receivedMessages"`
	ReceivedCompressed int   `json:"receivedCompressed"` // of them, how many came compressed
	ReceivedOctets     int64 `json:"receivedOctets"`
	ReceivedWireOctets int64 `json:"receivedWireOctets"`
}

// Passed reports whether both verdicts of the case pass.
func (r *Result) Passed() bool { return r.Behavior.Passed() && r.BehaviorClose.Passed() }

// WireEntry is one frame or event on the wire, as the report shows it.
type WireEntry struct {
	At      time.Duration `json:"at"`      // since the case started
	Dir     string        `json:"dir"`     // "TX", "RX" or "--" for an event
	Text    string        `json:"text"`    // what happened
	Payload []byte        `json:"payload"` // the start of the payload
	Length  int           `json:"length"`  // the full payload length
}
