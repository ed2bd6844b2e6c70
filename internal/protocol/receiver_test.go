package protocol

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/wsx-go/websocket/internal/frame"
)

// hdr returns a masked header, as a client sends (RFC 6455 §5.3).
func hdr(op frame.Opcode, fin bool, length int64) frame.Header {
	return frame.Header{Fin: fin, Opcode: op, Masked: true, Mask: [4]byte{1, 2, 3, 4}, Length: length}
}

// withRSV returns h with the reserved bits rsv set.
func withRSV(h frame.Header, rsv byte) frame.Header { h.RSV = rsv; return h }

// unmasked returns h without its mask, as a server sends.
func unmasked(h frame.Header) frame.Header { h.Masked, h.Mask = false, [4]byte{}; return h }

// violationCode returns the close code of err, 0 for nil, and fails the
// test if err is not a *Violation.
func violationCode(t *testing.T, err error) uint16 {
	t.Helper()
	if err == nil {
		return 0
	}
	var v *Violation
	if !errors.As(err, &v) {
		t.Fatalf("error %T %v is not a *Violation", err, err)
	}
	if !strings.HasPrefix(v.Error(), "websocket: ") || v.Reason == "" {
		t.Fatalf("bad message %q", v.Error())
	}
	return v.Code
}

// completeFrame reads a frame without payload checks: Header, then
// FrameDone, as a driver does once it has read the frame's payload. It
// returns the first error.
func completeFrame(r *Receiver, h frame.Header) error {
	if err := r.Header(h); err != nil {
		return err
	}
	return r.FrameDone()
}

// TestReceiverHeaderRules checks that each receive rule fails the last
// header of a sequence with the close code RFC 6455 §7.4.1 calls for, and
// that the frames allowed next to each rule pass.
func TestReceiverHeaderRules(t *testing.T) {
	const big = math.MaxInt64
	tests := []struct {
		name  string
		recv  Receiver
		setup []frame.Header // frames read (and completed) first
		last  frame.Header
		want  uint16
	}{
		// RFC 6455 §5.2: RSV1-3 must be 0 unless an extension is negotiated.
		{"RSV1 without extension", Receiver{}, nil, withRSV(hdr(frame.OpText, true, 1), frame.RSV1), CodeProtocolError},
		{"RSV2 without extension", Receiver{}, nil, withRSV(hdr(frame.OpBinary, true, 1), frame.RSV2), CodeProtocolError},
		{"RSV3 without extension", Receiver{}, nil, withRSV(hdr(frame.OpBinary, true, 1), frame.RSV3), CodeProtocolError},
		{"RSV2 with only RSV1 allowed", Receiver{AllowedRSV: frame.RSV1}, nil, withRSV(hdr(frame.OpBinary, true, 1), frame.RSV2), CodeProtocolError},
		{"RSV1 allowed on first data frame", Receiver{AllowedRSV: frame.RSV1}, nil, withRSV(hdr(frame.OpText, false, 1), frame.RSV1), 0},
		{"RSV on a ping even when allowed", Receiver{AllowedRSV: frame.RSV1}, nil, withRSV(hdr(frame.OpPing, true, 0), frame.RSV1), CodeProtocolError},
		// RFC 7692 §6.1: RSV1 only on the first frame of a message.
		{"RSV1 on continuation", Receiver{AllowedRSV: frame.RSV1}, []frame.Header{withRSV(hdr(frame.OpText, false, 1), frame.RSV1)}, withRSV(hdr(frame.OpContinuation, true, 1), frame.RSV1), CodeProtocolError},

		// RFC 6455 §5.2: reserved opcodes fail the connection.
		{"opcode 0x3", Receiver{}, nil, hdr(0x3, true, 0), CodeProtocolError},
		{"opcode 0x7", Receiver{}, nil, hdr(0x7, true, 0), CodeProtocolError},
		{"opcode 0xB", Receiver{}, nil, hdr(0xB, true, 0), CodeProtocolError},
		{"opcode 0xF", Receiver{}, nil, hdr(0xF, true, 0), CodeProtocolError},

		// RFC 6455 §5.1: a server must fail an unmasked frame, a client a
		// masked one.
		{"server reads unmasked", Receiver{Role: Server}, nil, unmasked(hdr(frame.OpText, true, 0)), CodeProtocolError},
		{"server reads unmasked ping", Receiver{Role: Server}, nil, unmasked(hdr(frame.OpPing, true, 0)), CodeProtocolError},
		{"client reads masked", Receiver{Role: Client}, nil, hdr(frame.OpText, true, 0), CodeProtocolError},
		{"client reads masked close", Receiver{Role: Client}, nil, hdr(frame.OpClose, true, 0), CodeProtocolError},
		{"client reads unmasked", Receiver{Role: Client}, nil, unmasked(hdr(frame.OpBinary, true, 9)), 0},

		// RFC 6455 §5.5: control frames have at most 125 bytes and FIN set.
		{"ping 125 bytes", Receiver{}, nil, hdr(frame.OpPing, true, 125), 0},
		{"ping 126 bytes", Receiver{}, nil, hdr(frame.OpPing, true, 126), CodeProtocolError},
		{"pong 65536 bytes", Receiver{}, nil, hdr(frame.OpPong, true, 65536), CodeProtocolError},
		{"close 126 bytes", Receiver{}, nil, hdr(frame.OpClose, true, 126), CodeProtocolError},
		{"fragmented ping", Receiver{}, nil, hdr(frame.OpPing, false, 0), CodeProtocolError},
		{"fragmented close", Receiver{}, nil, hdr(frame.OpClose, false, 2), CodeProtocolError},
		// RFC 6455 §5.4: control frames may come between fragments.
		{"ping inside fragmented message", Receiver{}, []frame.Header{hdr(frame.OpText, false, 1)}, hdr(frame.OpPing, true, 4), 0},
		{"close inside fragmented message", Receiver{}, []frame.Header{hdr(frame.OpBinary, false, 1)}, hdr(frame.OpClose, true, 2), 0},

		// RFC 6455 §5.4: fragments of one message, in order, not interleaved.
		{"continuation first", Receiver{}, nil, hdr(frame.OpContinuation, true, 1), CodeProtocolError},
		{"continuation after final frame", Receiver{}, []frame.Header{hdr(frame.OpText, true, 1)}, hdr(frame.OpContinuation, true, 1), CodeProtocolError},
		{"continuation after last fragment", Receiver{}, []frame.Header{hdr(frame.OpText, false, 1), hdr(frame.OpContinuation, true, 1)}, hdr(frame.OpContinuation, false, 1), CodeProtocolError},
		{"text inside fragmented message", Receiver{}, []frame.Header{hdr(frame.OpText, false, 1)}, hdr(frame.OpText, true, 1), CodeProtocolError},
		{"binary inside fragmented message", Receiver{}, []frame.Header{hdr(frame.OpText, false, 1), hdr(frame.OpPing, true, 0)}, hdr(frame.OpBinary, false, 1), CodeProtocolError},
		{"continuation after ping", Receiver{}, []frame.Header{hdr(frame.OpText, false, 1), hdr(frame.OpPing, true, 0)}, hdr(frame.OpContinuation, true, 1), 0},
		{"new message after final fragment", Receiver{}, []frame.Header{hdr(frame.OpText, false, 1), hdr(frame.OpContinuation, true, 1)}, hdr(frame.OpBinary, true, 1), 0},

		// RFC 6455 §7.4.1: 1009 for a message too big to process.
		{"frame at limit", Receiver{MaxFrameSize: 10}, nil, hdr(frame.OpBinary, true, 10), 0},
		{"frame over limit", Receiver{MaxFrameSize: 10}, nil, hdr(frame.OpBinary, true, 11), CodeMessageTooBig},
		{"continuation over frame limit", Receiver{MaxFrameSize: 10}, []frame.Header{hdr(frame.OpBinary, false, 10)}, hdr(frame.OpContinuation, true, 11), CodeMessageTooBig},
		{"control frames not bound by frame limit", Receiver{MaxFrameSize: 10}, nil, hdr(frame.OpPing, true, 125), 0},
		{"message at limit", Receiver{MaxMessageSize: 10}, []frame.Header{hdr(frame.OpText, false, 4)}, hdr(frame.OpContinuation, true, 6), 0},
		{"message over limit", Receiver{MaxMessageSize: 10}, []frame.Header{hdr(frame.OpText, false, 4)}, hdr(frame.OpContinuation, true, 7), CodeMessageTooBig},
		{"single frame over message limit", Receiver{MaxMessageSize: 10}, nil, hdr(frame.OpBinary, true, 11), CodeMessageTooBig},
		{"limit counts per message", Receiver{MaxMessageSize: 10}, []frame.Header{hdr(frame.OpBinary, true, 10)}, hdr(frame.OpBinary, true, 10), 0},
		// A declared length near 2^63 must not wrap the running total.
		{"message length overflow", Receiver{MaxMessageSize: 10}, []frame.Header{hdr(frame.OpBinary, false, 1)}, hdr(frame.OpContinuation, true, big), CodeMessageTooBig},
		{"message length overflow, large limit", Receiver{MaxMessageSize: big}, []frame.Header{hdr(frame.OpBinary, false, 1<<62)}, hdr(frame.OpContinuation, true, 1<<62), CodeMessageTooBig},
		{"no limits", Receiver{}, []frame.Header{hdr(frame.OpBinary, false, big)}, hdr(frame.OpContinuation, true, big), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.recv
			for i, h := range tt.setup {
				if err := completeFrame(&r, h); err != nil {
					t.Fatalf("setup frame %d: %v", i, err)
				}
			}
			if got := violationCode(t, r.Header(tt.last)); got != tt.want {
				t.Fatalf("Header(%+v) gave code %d, want %d", tt.last, got, tt.want)
			}
		})
	}
}

// TestReceiverMessageState checks InMessage and MessageOpcode through a
// fragmented message with a control frame in the middle (RFC 6455 §5.4).
func TestReceiverMessageState(t *testing.T) {
	var r Receiver
	steps := []struct {
		h      frame.Header
		in     bool // InMessage after FrameDone
		opcode frame.Opcode
	}{
		{hdr(frame.OpBinary, false, 3), true, frame.OpBinary},
		{hdr(frame.OpPing, true, 3), true, frame.OpBinary},
		{hdr(frame.OpContinuation, false, 0), true, frame.OpBinary},
		{hdr(frame.OpContinuation, true, 3), false, frame.OpBinary},
		{hdr(frame.OpPong, true, 0), false, frame.OpBinary},
		{hdr(frame.OpText, true, 3), false, frame.OpText},
	}
	for i, s := range steps {
		if err := r.Header(s.h); err != nil {
			t.Fatalf("step %d: Header: %v", i, err)
		}
		if !s.h.Opcode.IsControl() && !r.InMessage() {
			t.Fatalf("step %d: not in a message after a data header", i)
		}
		if err := r.FrameDone(); err != nil {
			t.Fatalf("step %d: FrameDone: %v", i, err)
		}
		if r.InMessage() != s.in || r.MessageOpcode() != s.opcode {
			t.Fatalf("step %d: InMessage %v, MessageOpcode %v; want %v, %v",
				i, r.InMessage(), r.MessageOpcode(), s.in, s.opcode)
		}
	}
}

// textFrames sends text as one message of fragments cut at the given
// offsets, each fragment's payload fed in byte-sized pieces when bytewise is
// set, with a ping before every continuation. It returns the first error.
func textFrames(r *Receiver, text string, cuts []int, bytewise bool) error {
	bounds := append(append([]int{0}, cuts...), len(text))
	for i := 0; i+1 < len(bounds); i++ {
		op := frame.OpText
		if i > 0 {
			op = frame.OpContinuation
			if err := completeFrame(r, hdr(frame.OpPing, true, 0)); err != nil {
				return err
			}
		}
		p := []byte(text[bounds[i]:bounds[i+1]])
		if err := r.Header(hdr(op, i+2 == len(bounds), int64(len(p)))); err != nil {
			return err
		}
		if bytewise {
			for j := range p {
				if err := r.Payload(p[j : j+1]); err != nil {
					return err
				}
			}
		} else if err := r.Payload(p); err != nil {
			return err
		}
		if err := r.FrameDone(); err != nil {
			return err
		}
	}
	return nil
}

// TestReceiverFragmentedText checks that a text message whose code points
// are split across frames is accepted (RFC 6455 §5.6: only the whole message
// must be valid UTF-8), at every one- and two-point split.
func TestReceiverFragmentedText(t *testing.T) {
	const text = "a\u00e9\u20ac\U0001D11E\u00e9z"
	for _, bytewise := range []bool{false, true} {
		for i := 0; i <= len(text); i++ {
			var r Receiver
			if err := textFrames(&r, text, []int{i}, bytewise); err != nil {
				t.Fatalf("cut %d: %v", i, err)
			}
			for j := i; j <= len(text); j++ {
				var r Receiver
				if err := textFrames(&r, text, []int{i, j}, bytewise); err != nil {
					t.Fatalf("cuts %d, %d: %v", i, j, err)
				}
			}
		}
	}
}

// TestReceiverPendingText checks PendingText at a fragment boundary inside a
// code point.
func TestReceiverPendingText(t *testing.T) {
	var r Receiver
	if err := r.Header(hdr(frame.OpText, false, 4)); err != nil {
		t.Fatal(err)
	}
	if err := r.Payload([]byte("a\xf0\x9d\x84")); err != nil {
		t.Fatal(err)
	}
	if err := r.FrameDone(); err != nil {
		t.Fatal(err)
	}
	if got := r.PendingText(); got != 3 {
		t.Fatalf("PendingText = %d, want 3", got)
	}
}

// TestReceiverInvalidText checks RFC 6455 §8.1: invalid UTF-8 in a text
// message fails the connection with 1007, as soon as the offending byte is
// seen (fail-fast), even in the middle of a frame.
func TestReceiverInvalidText(t *testing.T) {
	tests := []struct {
		name    string
		payload string
	}{
		{"above U+10FFFF", "\xf4\x90"},
		{"surrogate", "\xed\xa0"},
		{"overlong lead", "\xc0"},
		{"lead FF", "ok\xff"},
		{"lone continuation", "\x80"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, fin := range []bool{false, true} {
				var r Receiver
				// The frame is longer than the prefix: the failure must not
				// wait for the rest of the frame or message.
				if err := r.Header(hdr(frame.OpText, fin, 100)); err != nil {
					t.Fatal(err)
				}
				if got := violationCode(t, r.Payload([]byte(tt.payload))); got != CodeInvalidPayload {
					t.Fatalf("Payload(% x) gave code %d, want %d", tt.payload, got, CodeInvalidPayload)
				}
			}
			// The same prefix in a continuation frame.
			var r Receiver
			if err := completeFrame(&r, hdr(frame.OpText, false, 0)); err != nil {
				t.Fatal(err)
			}
			if err := r.Header(hdr(frame.OpContinuation, false, 100)); err != nil {
				t.Fatal(err)
			}
			if got := violationCode(t, r.Payload([]byte(tt.payload))); got != CodeInvalidPayload {
				t.Fatalf("continuation Payload(% x) gave code %d", tt.payload, got)
			}
		})
	}
}

// TestReceiverTextEndsInsideCodePoint checks that a final frame ending in a
// cut code point gives 1007 at FrameDone, while a non-final one does not.
func TestReceiverTextEndsInsideCodePoint(t *testing.T) {
	var r Receiver
	// "\xe2" then "\x82": two bytes of the three of U+20AC, across frames.
	for i, fin := range []bool{false, true} {
		op := frame.OpText
		if fin {
			op = frame.OpContinuation
		}
		if err := r.Header(hdr(op, fin, 1)); err != nil {
			t.Fatal(err)
		}
		if err := r.Payload([]byte("\xe2\x82")[i : i+1]); err != nil {
			t.Fatal(err)
		}
		want := uint16(0)
		if fin {
			want = CodeInvalidPayload
		}
		if got := violationCode(t, r.FrameDone()); got != want {
			t.Fatalf("fin=%v: FrameDone gave code %d, want %d", fin, got, want)
		}
	}
}

// TestReceiverBinaryNotValidated checks that only text is held to UTF-8,
// and that a new message starts with a fresh validator.
func TestReceiverBinaryNotValidated(t *testing.T) {
	var r Receiver
	// A text message left pending at a fragment boundary, then finished.
	if err := r.Header(hdr(frame.OpText, true, 3)); err != nil {
		t.Fatal(err)
	}
	if err := r.Payload([]byte("\xe2\x82\xac")); err != nil {
		t.Fatal(err)
	}
	if err := r.FrameDone(); err != nil {
		t.Fatal(err)
	}
	if err := r.Header(hdr(frame.OpBinary, true, 2)); err != nil {
		t.Fatal(err)
	}
	if err := r.Payload([]byte{0xff, 0xc0}); err != nil {
		t.Fatalf("binary payload checked as text: %v", err)
	}
	if err := r.FrameDone(); err != nil {
		t.Fatal(err)
	}
	// A new text message after one that ended badly starts fresh.
	var r2 Receiver
	if err := r2.Header(hdr(frame.OpText, true, 1)); err != nil {
		t.Fatal(err)
	}
	_ = r2.Payload([]byte{0xc3})
	_ = r2.FrameDone()
	if err := r2.Header(hdr(frame.OpText, true, 1)); err != nil {
		t.Fatal(err)
	}
	if err := r2.Payload([]byte("a")); err != nil {
		t.Fatalf("validator not reset for a new message: %v", err)
	}
	if err := r2.FrameDone(); err != nil {
		t.Fatal(err)
	}
}

// TestReceiverClose checks close payloads (RFC 6455 §5.5.1, §7.4): 1002 for
// a bad shape or code, 1007 for a reason that is not UTF-8.
func TestReceiverClose(t *testing.T) {
	tests := []struct {
		name       string
		payload    []byte
		wantCode   uint16 // close code reported by the peer
		wantReason string
		violation  uint16
	}{
		{"empty", nil, frame.NoStatus, "", 0},
		{"normal", []byte{0x03, 0xe8}, 1000, "", 0},
		{"with reason", append([]byte{0x0f, 0xa0}, "bye €"...), 4000, "bye €", 0},
		{"one byte", []byte{0x03}, 0, "", CodeProtocolError},
		{"1005 on the wire", []byte{0x03, 0xed}, 0, "", CodeProtocolError},
		{"1006 on the wire", []byte{0x03, 0xee}, 0, "", CodeProtocolError},
		{"code 999", []byte{0x03, 0xe7}, 0, "", CodeProtocolError},
		{"code 5000", []byte{0x13, 0x88}, 0, "", CodeProtocolError},
		{"bad reason", []byte{0x03, 0xe8, 0xed, 0xa0, 0x80}, 0, "", CodeInvalidPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Receiver
			code, reason, err := r.Close(tt.payload)
			if got := violationCode(t, err); got != tt.violation {
				t.Fatalf("Close gave violation %d, want %d", got, tt.violation)
			}
			if code != tt.wantCode || string(reason) != tt.wantReason {
				t.Fatalf("Close = %d, %q; want %d, %q", code, reason, tt.wantCode, tt.wantReason)
			}
		})
	}
}

// FuzzReceiver drives a Receiver with headers and payloads taken from the
// fuzz input. It must never panic, must only report *Violation errors with
// the codes of RFC 6455 §7.4.1 the rules call for, and must keep its
// fragmentation state consistent with the frames it accepted.
func FuzzReceiver(f *testing.F) {
	f.Add(byte(0), []byte{0x01, 0x05, 'h', 'e', 'l', 'l', 'o', 0x89, 0x00, 0x80, 0x03, 'a', 'b', 'c'})
	f.Add(byte(1), []byte{0x41, 0x02, 0xc3, 0xa9})
	f.Add(byte(2), []byte{0x80, 0x01, 'x'})
	f.Add(byte(0), []byte{0x01, 0x7f, 0xf4, 0x90, 0x80})
	f.Fuzz(func(t *testing.T, cfg byte, data []byte) {
		r := Receiver{
			Role:           Role(cfg & 1),
			AllowedRSV:     cfg & (frame.RSV1 | frame.RSV2),
			MaxFrameSize:   int64(cfg>>2&3) * 40,
			MaxMessageSize: int64(cfg>>4&3) * 60,
		}
		check := func(err error, allowed ...uint16) bool {
			if err == nil {
				return true
			}
			var v *Violation
			if !errors.As(err, &v) {
				t.Fatalf("error %T %v is not a *Violation", err, err)
			}
			for _, c := range allowed {
				if v.Code == c {
					return false
				}
			}
			t.Fatalf("unexpected code %d: %v", v.Code, v)
			return false
		}
		failed := false // keep feeding after a violation: still no panic
		for len(data) >= 2 {
			// Two bytes make a header: the first as on the wire, the second
			// holds the mask bit and a 7-bit length (126/127 read as larger).
			b0, b1 := data[0], data[1]
			data = data[2:]
			h := frame.Header{
				Fin:    b0&0x80 != 0,
				RSV:    b0 & (frame.RSV1 | frame.RSV2 | frame.RSV3),
				Opcode: frame.Opcode(b0 & 0x0f),
				Masked: b1&0x80 != 0,
				Length: int64(b1 & 0x7f),
			}
			switch h.Length {
			case 126:
				h.Length = 1000
			case 127:
				h.Length = math.MaxInt64
			}
			wasIn := r.InMessage()
			if !check(r.Header(h), CodeProtocolError, CodeMessageTooBig) {
				failed = true
				continue
			}
			if !failed && !h.Opcode.IsControl() && wasIn != (h.Opcode == frame.OpContinuation) {
				t.Fatalf("accepted %v with InMessage %v", h.Opcode, wasIn)
			}
			if h.Opcode.IsControl() {
				if h.Length > frame.MaxControlPayload || !h.Fin {
					t.Fatalf("accepted control header %+v", h)
				}
				if h.Opcode == frame.OpClose {
					n := min(int(h.Length), len(data))
					check(func() error { _, _, err := r.Close(data[:n]); return err }(),
						CodeProtocolError, CodeInvalidPayload)
					data = data[n:]
				}
				check(r.FrameDone())
				continue
			}
			n := min(h.Length, int64(len(data)))
			if !check(r.Payload(data[:n]), CodeInvalidPayload) {
				failed = true
			}
			data = data[n:]
			if !check(r.FrameDone(), CodeInvalidPayload) {
				failed = true
			}
			if !failed && r.InMessage() == h.Fin {
				t.Fatalf("InMessage %v after a frame with FIN %v", r.InMessage(), h.Fin)
			}
		}
	})
}
