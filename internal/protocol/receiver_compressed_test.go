package protocol

import (
	"testing"

	"github.com/wsx-go/websocket/internal/frame"
)

// compressedFrame returns a masked header with RSV1 set, as the first frame
// of a permessage-deflate message (RFC 7692 §6).
func compressedFrame(op frame.Opcode, fin bool, length int64) frame.Header {
	return withRSV(hdr(op, fin, length), frame.RSV1)
}

// TestReceiverCompressedFlag checks that Compressed follows RSV1 on the
// first frame of each message only, and that RSV1 anywhere else fails the
// connection.
func TestReceiverCompressedFlag(t *testing.T) {
	type step struct {
		h              frame.Header
		wantCode       uint16 // of Header
		wantCompressed bool   // after Header, when it passed
	}
	tests := []struct {
		name  string
		allow byte
		steps []step
	}{
		{"RSV1 marks a single frame", frame.RSV1, []step{
			{compressedFrame(frame.OpText, true, 3), 0, true},
			{hdr(frame.OpText, true, 3), 0, false},
			{compressedFrame(frame.OpBinary, true, 3), 0, true},
		}},
		{"continuations inherit the first frame's flag", frame.RSV1, []step{
			{compressedFrame(frame.OpBinary, false, 3), 0, true},
			{hdr(frame.OpPing, true, 1), 0, true},
			{hdr(frame.OpContinuation, false, 3), 0, true},
			{hdr(frame.OpContinuation, true, 3), 0, true},
			{hdr(frame.OpBinary, false, 3), 0, false},
			{hdr(frame.OpContinuation, true, 3), 0, false},
		}},
		{"RSV1 on a continuation of a compressed message", frame.RSV1, []step{
			{compressedFrame(frame.OpText, false, 3), 0, true},
			{withRSV(hdr(frame.OpContinuation, true, 3), frame.RSV1), CodeProtocolError, false},
		}},
		{"RSV1 on a continuation of a plain message", frame.RSV1, []step{
			{hdr(frame.OpText, false, 3), 0, false},
			{withRSV(hdr(frame.OpContinuation, true, 3), frame.RSV1), CodeProtocolError, false},
		}},
		{"RSV1 on a ping inside a compressed message", frame.RSV1, []step{
			{compressedFrame(frame.OpText, false, 3), 0, true},
			{withRSV(hdr(frame.OpPing, true, 0), frame.RSV1), CodeProtocolError, false},
		}},
		{"RSV1 on a close", frame.RSV1, []step{
			{withRSV(hdr(frame.OpClose, true, 2), frame.RSV1), CodeProtocolError, false},
		}},
		{"RSV1 not negotiated", 0, []step{
			{compressedFrame(frame.OpText, true, 3), CodeProtocolError, false},
		}},
		{"RSV2 beside RSV1", frame.RSV1, []step{
			{withRSV(hdr(frame.OpText, true, 3), frame.RSV1|frame.RSV2), CodeProtocolError, false},
		}},
		{"RSV3 alone", frame.RSV1, []step{
			{withRSV(hdr(frame.OpBinary, true, 3), frame.RSV3), CodeProtocolError, false},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Receiver{AllowedRSV: tt.allow}
			for i, s := range tt.steps {
				code := violationCode(t, r.Header(s.h))
				if code != s.wantCode {
					t.Fatalf("step %d (%+v): code %d, want %d", i, s.h, code, s.wantCode)
				}
				if code != 0 {
					return
				}
				if got := r.Compressed(); got != s.wantCompressed {
					t.Fatalf("step %d (%+v): Compressed() = %v, want %v", i, s.h, got, s.wantCompressed)
				}
				if !s.h.Opcode.IsControl() {
					// The driver reads the payload, unchecked here.
					if err := r.FrameDone(); err != nil {
						t.Fatalf("step %d: FrameDone: %v", i, err)
					}
				}
			}
		})
	}
}

// TestReceiverCompressedText checks where the text of a compressed message
// is validated: not in its wire payload, which is DEFLATE data, but in the
// octets it decompresses to, across calls and at its end.
func TestReceiverCompressedText(t *testing.T) {
	tests := []struct {
		name    string
		op      frame.Opcode
		pieces  []string // passed to Decompressed in turn
		wantAt  int      // index of the piece that fails, or len(pieces) for DecompressedEnd
		wantErr uint16   // 0: every call passes
	}{
		{"valid text", frame.OpText, []string{"h\xc3\xa9llo ", "\xe2\x82\xac"}, 0, 0},
		{"code point split across pieces", frame.OpText, []string{"a\xe2", "\x82", "\xac b"}, 0, 0},
		{"invalid octet", frame.OpText, []string{"ok", "\xff"}, 1, CodeInvalidPayload},
		{"invalid sequence split across pieces", frame.OpText, []string{"a\xe2\x82", "("}, 1, CodeInvalidPayload},
		{"surrogate", frame.OpText, []string{"\xed\xa0\x80"}, 0, CodeInvalidPayload},
		{"ends inside a code point", frame.OpText, []string{"abc\xe2\x82"}, 1, CodeInvalidPayload},
		{"ends after a lone lead octet", frame.OpText, []string{"abc", "\xf0"}, 2, CodeInvalidPayload},
		{"binary is not checked", frame.OpBinary, []string{"\xff\xe2", "\x82"}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Receiver{AllowedRSV: frame.RSV1}
			wire := []byte("\xff\xfe\xe2") // not UTF-8: must not be checked
			if err := r.Header(compressedFrame(tt.op, true, int64(len(wire)))); err != nil {
				t.Fatal(err)
			}
			if err := r.Payload(wire); err != nil {
				t.Fatalf("Payload of compressed data: %v, want nil", err)
			}
			if err := r.FrameDone(); err != nil {
				t.Fatalf("FrameDone of compressed data: %v, want nil", err)
			}
			for i, p := range tt.pieces {
				code := violationCode(t, r.Decompressed([]byte(p)))
				want := uint16(0)
				if i == tt.wantAt {
					want = tt.wantErr
				}
				if code != want {
					t.Fatalf("Decompressed(%q): code %d, want %d", p, code, want)
				}
				if code != 0 {
					return
				}
			}
			want := uint16(0)
			if tt.wantAt == len(tt.pieces) {
				want = tt.wantErr
			}
			if code := violationCode(t, r.DecompressedEnd()); code != want {
				t.Fatalf("DecompressedEnd: code %d, want %d", code, want)
			}
		})
	}
}

// TestReceiverCompressedPendingText checks that PendingText counts the
// octets of an unfinished code point among the decompressed octets, which
// NextFrame holds back from a piece.
func TestReceiverCompressedPendingText(t *testing.T) {
	r := Receiver{AllowedRSV: frame.RSV1}
	if err := completeFrame(&r, compressedFrame(frame.OpText, false, 5)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		p    string
		want int
	}{{"ab", 0}, {"\xf0\x9d", 2}, {"\x84", 3}, {"\x9e", 0}, {"\xc3", 1}} {
		if err := r.Decompressed([]byte(tc.p)); err != nil {
			t.Fatalf("Decompressed(%q): %v", tc.p, err)
		}
		if got := r.PendingText(); got != tc.want {
			t.Fatalf("after %q: PendingText() = %d, want %d", tc.p, got, tc.want)
		}
	}
}

// TestReceiverPlainTextAfterCompressed checks that the next message, sent
// plain, gets its text validated from its wire payload again, from a fresh
// state, and must end on a whole code point.
func TestReceiverPlainTextAfterCompressed(t *testing.T) {
	r := Receiver{AllowedRSV: frame.RSV1}
	if err := completeFrame(&r, compressedFrame(frame.OpText, true, 4)); err != nil {
		t.Fatal(err)
	}
	if err := r.Decompressed([]byte("done")); err != nil {
		t.Fatal(err)
	}
	if err := r.DecompressedEnd(); err != nil {
		t.Fatal(err)
	}
	if err := r.Header(hdr(frame.OpText, true, 2)); err != nil {
		t.Fatal(err)
	}
	if r.Compressed() {
		t.Fatal("Compressed() = true for a frame without RSV1")
	}
	if code := violationCode(t, r.Payload([]byte("\xc3\x28"))); code != CodeInvalidPayload {
		t.Fatalf("Payload of invalid plain text: code %d, want %d", code, CodeInvalidPayload)
	}

	r = Receiver{AllowedRSV: frame.RSV1}
	if err := completeFrame(&r, compressedFrame(frame.OpText, true, 4)); err != nil {
		t.Fatal(err)
	}
	if err := r.Header(hdr(frame.OpText, true, 1)); err != nil {
		t.Fatal(err)
	}
	if err := r.Payload([]byte("\xe2")); err != nil {
		t.Fatal(err)
	}
	if code := violationCode(t, r.FrameDone()); code != CodeInvalidPayload {
		t.Fatalf("plain text ending inside a code point: code %d, want %d", code, CodeInvalidPayload)
	}
}

// TestReceiverCompressedLimits checks that MaxMessageSize does not bound a
// compressed message's wire size, which says nothing of what it
// decompresses to (the reader of Decompressed octets bounds that), while
// MaxFrameSize still bounds each of its frames.
func TestReceiverCompressedLimits(t *testing.T) {
	tests := []struct {
		name   string
		frames []frame.Header
		want   uint16 // code of the last frame
	}{
		{"compressed frame over MaxMessageSize", []frame.Header{compressedFrame(frame.OpBinary, true, 100)}, 0},
		{"compressed fragments over MaxMessageSize together", []frame.Header{
			compressedFrame(frame.OpText, false, 100),
			hdr(frame.OpContinuation, false, 100),
			hdr(frame.OpContinuation, true, 100),
		}, 0},
		{"compressed frame over MaxFrameSize", []frame.Header{compressedFrame(frame.OpBinary, true, 201)}, CodeMessageTooBig},
		{"compressed continuation over MaxFrameSize", []frame.Header{
			compressedFrame(frame.OpBinary, false, 200),
			hdr(frame.OpContinuation, true, 201),
		}, CodeMessageTooBig},
		{"plain frame over MaxMessageSize", []frame.Header{hdr(frame.OpBinary, true, 11)}, CodeMessageTooBig},
		{"plain message after a compressed one", []frame.Header{
			compressedFrame(frame.OpBinary, true, 150),
			hdr(frame.OpBinary, false, 10),
			hdr(frame.OpContinuation, true, 1),
		}, CodeMessageTooBig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Receiver{AllowedRSV: frame.RSV1, MaxMessageSize: 10, MaxFrameSize: 200}
			for i, h := range tt.frames {
				want := uint16(0)
				if i == len(tt.frames)-1 {
					want = tt.want
				}
				if code := violationCode(t, completeFrame(&r, h)); code != want {
					t.Fatalf("frame %d (%+v): code %d, want %d", i, h, code, want)
				}
			}
		})
	}
}
