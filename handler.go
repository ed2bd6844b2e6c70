package websocket

import "time"

// A Handler receives the events of a connection that Run drives: the Go
// form of QWebSocket's signals. Embed NopHandler to implement only the
// methods you need.
//
// Run calls the methods of one connection one at a time, never
// concurrently, in the order the events happened: OnStateChange(StateOpen)
// and OnOpen first; OnError, when the connection ended abnormally, and
// OnClose last, once. Byte slices passed to a method are valid only until
// it returns; copy what must be kept.
//
// A method may call Send, SendPing, Close, Flush and the accessors of the
// Conn. It must not read, or call Ping, which waits for a pong that only
// Run itself can read.
type Handler interface {
	// OnOpen is called first, once: the connection is open (Qt's
	// connected).
	OnOpen(c *Conn)
	// OnText receives a whole text message (textMessageReceived).
	OnText(c *Conn, text []byte)
	// OnBinary receives a whole binary message (binaryMessageReceived).
	OnBinary(c *Conn, data []byte)
	// OnFrame receives each data frame as it arrives, before the OnText or
	// OnBinary of its message (textFrameReceived, binaryFrameReceived).
	// See NextFrame for what a frame holds.
	OnFrame(c *Conn, f Frame)
	// OnPing tells that the peer sent a ping; wsx has answered it.
	OnPing(c *Conn, payload []byte)
	// OnPong receives a pong with the round-trip time since the ping
	// that it answers, or 0 when it answers none (Qt's pong).
	OnPong(c *Conn, rtt time.Duration, payload []byte)
	// OnBytesWritten tells that messages Send queued have been written;
	// n is what they counted in BytesToWrite. Writes that come while an
	// earlier one waits to be reported are added to it (bytesWritten).
	OnBytesWritten(c *Conn, n int)
	// OnStateChange receives each new state, in order: StateOpen,
	// StateClosing (not always: a dropped connection goes straight to
	// closed) and StateClosed (stateChanged).
	OnStateChange(c *Conn, s State)
	// OnError receives the error that ended a connection abnormally: a
	// protocol error, a network error, a slow consumer, a keepalive
	// timeout, a close handshake that timed out, or Run's context ending.
	// It is not called after a close handshake (error).
	OnError(c *Conn, err error)
	// OnClose is called last, once, with the code and reason of the
	// peer's close frame, or CloseAbnormal when none came
	// (disconnected).
	OnClose(c *Conn, code CloseCode, reason string)
}

// NopHandler implements every Handler method by doing nothing. Embed it in
// a handler to implement only the methods needed.
type NopHandler struct{}

// OnOpen does nothing.
func (NopHandler) OnOpen(*Conn) {}

// OnText does nothing.
func (NopHandler) OnText(*Conn, []byte) {}

// OnBinary does nothing.
func (NopHandler) OnBinary(*Conn, []byte) {}

// OnFrame does nothing.
func (NopHandler) OnFrame(*Conn, Frame) {}

// OnPing does nothing.
func (NopHandler) OnPing(*Conn, []byte) {}

// OnPong does nothing.
func (NopHandler) OnPong(*Conn, time.Duration, []byte) {}

// OnBytesWritten does nothing.
func (NopHandler) OnBytesWritten(*Conn, int) {}

// OnStateChange does nothing.
func (NopHandler) OnStateChange(*Conn, State) {}

// OnError does nothing.
func (NopHandler) OnError(*Conn, error) {}

// OnClose does nothing.
func (NopHandler) OnClose(*Conn, CloseCode, string) {}
