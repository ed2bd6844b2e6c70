package websocket

import (
	"math"
	"time"
)

// Defaults and upper bounds of the Options fields.
const (
	// DefaultMaxMessageSize bounds incoming messages (32 MiB).
	DefaultMaxMessageSize = 32 << 20
	// DefaultOutgoingFrameSize is the largest frame wsx sends before
	// fragmenting a message (512 KiB, as in Qt).
	DefaultOutgoingFrameSize = 512 << 10
	// DefaultReadBufferSize is the size of the buffer frames are read
	// through.
	DefaultReadBufferSize = 4096
	// DefaultWriteBufferSize is the size of the buffer a frame header and
	// a short payload are joined in, so they leave in one write.
	DefaultWriteBufferSize = 16 << 10
	// DefaultCloseTimeout bounds the wait for the peer's side of the close
	// handshake.
	DefaultCloseTimeout = 5 * time.Second
	// DefaultSendQueueSize bounds the bytes Send may queue (4 MiB).
	DefaultSendQueueSize = 4 << 20
	// MaxSendQueueSize is the largest SendQueueSize accepted (1 GiB): the
	// queue is always bounded.
	MaxSendQueueSize = 1 << 30

	// MaxIncomingFrameSize, MaxIncomingMessageSize and MaxOutgoingFrameSize
	// are the largest values the size limits accept: the largest payload
	// length RFC 6455 can express.
	MaxIncomingFrameSize   = math.MaxInt64
	MaxIncomingMessageSize = math.MaxInt64
	MaxOutgoingFrameSize   = math.MaxInt64

	minBufferSize = 256 // room for a control frame with its header
)

// Options are the connection settings Dial and Accept share. The zero value
// of every field selects its default; negative sizes select the upper bound.
type Options struct {
	// MaxMessageSize bounds the payload of an incoming message, summed
	// over its frames; a larger message fails the connection with 1009.
	// Default 32 MiB.
	MaxMessageSize int64
	// MaxFrameSize bounds the payload of a single incoming frame; a larger
	// frame fails the connection with 1009. Default: MaxMessageSize.
	MaxFrameSize int64
	// OutgoingFrameSize is the largest payload of a frame wsx sends; longer
	// messages are fragmented, text only at code point boundaries. Default
	// 512 KiB.
	OutgoingFrameSize int64
	// ReadBufferSize is the size of the buffer frames are read through.
	// Payloads at least this long are read straight into the destination.
	// The buffer comes from a pool shared by the connections, and is held
	// only while bytes are buffered: an idle connection holds none.
	// Default 4 KiB; at least 256 bytes.
	ReadBufferSize int
	// WriteBufferSize is the size of the buffer frames are written
	// through. Like the read buffer it comes from a pool, and is held only
	// while a frame is written. Default 16 KiB; at least 256 bytes.
	WriteBufferSize int
	// CloseTimeout bounds the close handshake. Default 5 seconds.
	CloseTimeout time.Duration
	// SendQueueSize bounds the bytes Send may queue (see BytesToWrite). A
	// Send that would pass it marks the peer as a slow consumer: the
	// connection is dropped and the error wraps ErrSlowConsumer. Default
	// 4 MiB; at most MaxSendQueueSize.
	SendQueueSize int64
	// PingInterval turns on keepalive: a ping goes out this long after the
	// connection opened and after each answer, and a peer whose pong has
	// not come within PingTimeout is dropped, reads failing with an error
	// that wraps ErrKeepAliveTimeout. Something must be reading for pongs
	// to be seen (a Read loop or Run). Default 0: no keepalive.
	PingInterval time.Duration
	// PingTimeout is how long keepalive waits for a pong. Default:
	// PingInterval.
	PingTimeout time.Duration
	// Compression, when set, offers (Dial) or accepts (Accept)
	// permessage-deflate. Default nil: no compression. MaxMessageSize
	// then bounds a compressed message's decompressed size.
	Compression *CompressionOptions
}

// withDefaults returns a copy of o with every default filled in; the
// caller's Options are never changed.
func (o *Options) withDefaults() Options {
	var r Options
	if o != nil {
		r = *o
	}
	r.MaxMessageSize = sizeOrDefault(r.MaxMessageSize, DefaultMaxMessageSize, MaxIncomingMessageSize)
	r.MaxFrameSize = sizeOrDefault(r.MaxFrameSize, r.MaxMessageSize, MaxIncomingFrameSize)
	r.OutgoingFrameSize = sizeOrDefault(r.OutgoingFrameSize, DefaultOutgoingFrameSize, MaxOutgoingFrameSize)
	r.ReadBufferSize = max(int(sizeOrDefault(int64(r.ReadBufferSize), DefaultReadBufferSize, 1<<30)), minBufferSize)
	r.WriteBufferSize = max(int(sizeOrDefault(int64(r.WriteBufferSize), DefaultWriteBufferSize, 1<<30)), minBufferSize)
	if r.CloseTimeout <= 0 {
		r.CloseTimeout = DefaultCloseTimeout
	}
	r.SendQueueSize = sizeOrDefault(r.SendQueueSize, DefaultSendQueueSize, MaxSendQueueSize)
	if r.PingInterval < 0 {
		r.PingInterval = 0
	}
	if r.PingTimeout <= 0 {
		r.PingTimeout = r.PingInterval
	}
	return r
}

func sizeOrDefault(v, def, upper int64) int64 {
	switch {
	case v == 0:
		return def
	case v < 0 || v > upper:
		return upper
	}
	return v
}
