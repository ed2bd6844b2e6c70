package proxy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
)

// TestKindString checks the names of the kinds.
func TestKindString(t *testing.T) {
	tests := []struct {
		k    Kind
		want string
	}{
		{KindRefused, "refused"},
		{KindAuthRequired, "authentication required"},
		{KindProtocol, "protocol violation"},
		{KindClosed, "closed"},
		{0, "Kind(0)"},
		{5, "Kind(5)"},
	}
	for _, tt := range tests {
		if got := tt.k.String(); got != tt.want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(tt.k), got, tt.want)
		}
	}
}

// TestErrorMessage checks Error's text.
func TestErrorMessage(t *testing.T) {
	tests := []struct {
		e    *Error
		want string
	}{
		{&Error{Protocol: "http", Kind: KindRefused, StatusCode: 403, Msg: `CONNECT answered "403 Forbidden"`},
			`proxy: http: CONNECT answered "403 Forbidden"`},
		{&Error{Protocol: "socks5", Kind: KindRefused, Reply: 5, Msg: "connection refused by destination host"},
			"proxy: socks5: connection refused by destination host (reply 5)"},
		{&Error{Protocol: "socks5", Kind: KindClosed, Msg: "connection closed during the reply", Err: io.ErrUnexpectedEOF},
			"proxy: socks5: connection closed during the reply: unexpected EOF"},
		{&Error{Protocol: "http", Kind: KindProtocol}, "proxy: http: protocol violation"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

// TestErrorUnwrap checks that errors.Is and errors.As see through an
// *Error to its I/O error, and find it when wrapped.
func TestErrorUnwrap(t *testing.T) {
	err := fmt.Errorf("websocket: dial: %w", &Error{Protocol: "http", Kind: KindClosed, Err: io.ErrUnexpectedEOF})
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Error("errors.Is does not find the I/O error")
	}
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindClosed {
		t.Error("errors.As does not find the *Error")
	}
	if (&Error{}).Unwrap() != nil {
		t.Error("Unwrap of an *Error without Err is not nil")
	}
}

// TestIOFailure checks which I/O errors count as the proxy closing the
// connection.
func TestIOFailure(t *testing.T) {
	reset := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	pipe := &net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.EPIPE)}
	deadline := &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
	tests := []struct {
		err    error
		closed bool
	}{
		{io.EOF, true},
		{io.ErrUnexpectedEOF, true},
		{reset, true},
		{pipe, true},
		{deadline, false},
		{net.ErrClosed, false},
		{io.ErrClosedPipe, false},
	}
	for _, tt := range tests {
		err := ioFailure("socks5", "during the reply", tt.err)
		var e *Error
		if isErr := errors.As(err, &e); isErr != tt.closed || isErr && e.Kind != KindClosed {
			t.Errorf("ioFailure(%v) = %#v", tt.err, err)
		}
		if !errors.Is(err, tt.err) {
			t.Errorf("ioFailure(%v) = %v hides the cause", tt.err, err)
		}
	}
}
