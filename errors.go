package websocket

import (
	"errors"
	"fmt"
	"net/http"
)

// ErrClosed is returned by operations on a connection whose close handshake
// has started or that has been closed.
var ErrClosed = errors.New("websocket: connection closed")

// ErrInvalidUTF8 is returned when a text message to send is not valid UTF-8.
var ErrInvalidUTF8 = errors.New("websocket: text message is not valid UTF-8")

// ErrMessageType is returned for a message type other than MessageText or
// MessageBinary.
var ErrMessageType = errors.New("websocket: invalid message type")

// ProtocolError is returned by reads when the peer broke RFC 6455. wsx has
// sent a close frame with Code (1002 protocol error, 1007 invalid payload or
// 1009 message too big) and closed the connection.
type ProtocolError struct {
	Code   CloseCode
	Reason string
}

// Error describes the broken rule and the close code sent for it.
func (e *ProtocolError) Error() string {
	return fmt.Sprintf("websocket: peer broke the protocol (%s): %s", e.Code, e.Reason)
}

// HandshakeError is returned by Dial when the server did not complete the
// opening handshake: a status other than 101, or a 101 whose headers break
// RFC 6455 §4.1.
type HandshakeError struct {
	StatusCode int         // the HTTP status the server sent
	Header     http.Header // the response headers
	Body       []byte      // the start of the response body (at most 1 KiB)
	Reason     string      // what was wrong
}

// Error describes what was wrong with the server's answer.
func (e *HandshakeError) Error() string {
	return fmt.Sprintf("websocket: handshake failed: %s (status %d)", e.Reason, e.StatusCode)
}
