package websocket

import (
	"errors"
	"fmt"
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
