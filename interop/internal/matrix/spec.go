// Package matrix reads interop/matrix.json, the cases every interop peer
// runs against wsx, and builds the messages they send. The Go tests of
// package interop and the command that writes docs/interop.md share it;
// the peers' drivers read the same file (interop/README.md describes it).
package matrix

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Spec is matrix.json.
type Spec struct {
	TimeoutSeconds int    `json:"timeoutSeconds"`
	TextUnit       string `json:"textUnit"`
	UTF8           string `json:"utf8"`
	LargeSize      int    `json:"largeSize"`
	PingPayload    string `json:"pingPayload"`
	Subprotocols   struct {
		Offer   []string `json:"offer"`
		Support []string `json:"support"`
		Chosen  string   `json:"chosen"`
	} `json:"subprotocols"`
	Close struct {
		Code   int    `json:"code"`
		Reason string `json:"reason"`
	} `json:"close"`
	Origin string `json:"origin"`
	Cases  []Case `json:"cases"`
	Peers  []Peer `json:"peers"`
}

// Case is one row of the matrix: a connection on the path "/" + Name.
type Case struct {
	Name  string `json:"name"`
	About string `json:"about"`
	// WsxServerOnly cases test the wsx server's policy: they run only with
	// the peer as the client.
	WsxServerOnly bool `json:"wsxServerOnly"`
}

// Peer is an independent implementation the matrix runs against.
type Peer struct {
	Name   string `json:"name"`
	Title  string `json:"title"`
	About  string `json:"about"`
	Client bool   `json:"client"` // it has a client driver
	Server bool   `json:"server"` // it has a server driver
	// OutgoingFrameSize, when set, is the frame size the peer fragments
	// its messages at: the tests check on the wire that a longer message
	// came in that many frames.
	OutgoingFrameSize int `json:"outgoingFrameSize"`
	// NotApplicable maps the cases its API cannot do to the reason.
	NotApplicable map[string]string `json:"notApplicable"`
}

// Role is the part the peer plays in a connection.
type Role string

// The two directions of the matrix.
const (
	PeerClient Role = "client" // the peer's client against a wsx server
	PeerServer Role = "server" // a wsx client against the peer's server
)

// Load reads and checks the spec at path.
func Load(path string) (*Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s Spec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := s.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &s, nil
}

// check reports values the drivers could not use as they are.
func (s *Spec) check() error {
	switch {
	case s.TimeoutSeconds <= 0:
		return fmt.Errorf("timeoutSeconds %d is not positive", s.TimeoutSeconds)
	case s.TextUnit == "" || !utf8.ValidString(s.TextUnit) || !utf8.ValidString(s.UTF8):
		return fmt.Errorf("textUnit and utf8 must be valid, non-empty UTF-8")
	case len(s.PingPayload) > 125:
		return fmt.Errorf("pingPayload has %d bytes, more than a control frame holds", len(s.PingPayload))
	case len(s.Close.Reason) > 123 || !utf8.ValidString(s.Close.Reason):
		return fmt.Errorf("close.reason must be valid UTF-8 of at most 123 bytes")
	case s.Close.Code < 3000 || s.Close.Code > 4999:
		return fmt.Errorf("close.code %d is not an application code (3000-4999)", s.Close.Code)
	case !slices.Contains(s.Subprotocols.Offer, s.Subprotocols.Chosen) || !slices.Contains(s.Subprotocols.Support, s.Subprotocols.Chosen):
		return fmt.Errorf("subprotocols.chosen %q is not both offered and supported", s.Subprotocols.Chosen)
	}
	seen := map[string]bool{}
	for _, c := range s.Cases {
		if seen[c.Name] {
			return fmt.Errorf("case %q appears twice", c.Name)
		}
		seen[c.Name] = true
		if _, _, known := s.caseMessage(c.Name); !known {
			return fmt.Errorf("case %q is not one the drivers know", c.Name)
		}
	}
	for _, p := range s.Peers {
		for name := range p.NotApplicable {
			if !seen[name] {
				return fmt.Errorf("peer %s: notApplicable names the unknown case %q", p.Name, name)
			}
		}
	}
	return nil
}

// Timeout bounds each step of a case.
func (s *Spec) Timeout() time.Duration { return time.Duration(s.TimeoutSeconds) * time.Second }

// Message returns the message case sends and echoes: text or binary, and
// its bytes. ok is false for a case that sends no message of this kind.
func (s *Spec) Message(name string) (text bool, data []byte, ok bool) {
	text, data, _ = s.caseMessage(name)
	return text, data, data != nil
}

// caseMessage is Message, which also says whether name is a case at all.
func (s *Spec) caseMessage(name string) (text bool, data []byte, known bool) {
	if n, ok := sizeIn(name, "text-"); ok {
		return true, Text(s.TextUnit, n), true
	}
	if n, ok := sizeIn(name, "binary-"); ok {
		return false, Binary(n), true
	}
	switch name {
	case "utf8":
		return true, []byte(s.UTF8), true
	case "large":
		return false, Binary(s.LargeSize), true
	case "ping-by-client", "ping-by-server", "subprotocol", "close-by-client", "close-by-server", "origin-refused", "origin-allowed":
		return false, nil, true
	}
	return false, nil, false
}

// sizeIn returns the size in a case name such as "text-125": prefix, then
// a non-negative number in its shortest form.
func sizeIn(name, prefix string) (int, bool) {
	digits, ok := strings.CutPrefix(name, prefix)
	n, err := strconv.Atoi(digits)
	return n, ok && err == nil && n >= 0 && strconv.Itoa(n) == digits
}

// Text returns n bytes of UTF-8: unit repeated, then as many "a"s as it
// takes, so multi-byte characters fall across every frame boundary.
func Text(unit string, n int) []byte {
	b := make([]byte, 0, n)
	for len(b)+len(unit) <= n {
		b = append(b, unit...)
	}
	for len(b) < n {
		b = append(b, 'a')
	}
	return b
}

// Binary returns n bytes where byte i is (i*31 + n) mod 251: every byte
// value but five, in a pattern that shifts with the length.
func Binary(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte((i*31 + n) % 251)
	}
	return b
}

// Peer returns the peer called name.
func (s *Spec) Peer(name string) (Peer, bool) {
	i := slices.IndexFunc(s.Peers, func(p Peer) bool { return p.Name == name })
	if i < 0 {
		return Peer{}, false
	}
	return s.Peers[i], true
}

// NotApplicable says why a case is not run with peer in role, or returns
// "" when it is run.
func (s *Spec) NotApplicable(p Peer, role Role, c Case) string {
	switch {
	case role == PeerClient && !p.Client:
		return p.Title + " has no client"
	case role == PeerServer && !p.Server:
		return p.Title + " has no server"
	case role == PeerServer && c.WsxServerOnly:
		return "tests the wsx server's policy"
	}
	return p.NotApplicable[c.Name]
}

// CasesFor returns the cases run with peer in role, in order.
func (s *Spec) CasesFor(p Peer, role Role) []Case {
	var cases []Case
	for _, c := range s.Cases {
		if s.NotApplicable(p, role, c) == "" {
			cases = append(cases, c)
		}
	}
	return cases
}
