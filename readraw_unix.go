//go:build unix

package websocket

import (
	"io"
	"net"
	"syscall"
)

// setupRawRead lets the Conn read a TCP or Unix socket through its raw
// file descriptor, where a read that would block can be seen: the Conn then
// reads through a full-size buffer whenever bytes are waiting, and gives the
// buffer back only while it waits for more. Other connections (TLS, pipes,
// wrappers) are read through net.Conn.Read and the small buffer.
func (c *Conn) setupRawRead() {
	var sc syscall.Conn
	switch nc := c.nc.(type) {
	case *net.TCPConn:
		sc = nc
	case *net.UnixConn:
		sc = nc
	default:
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	c.raw = rc
	c.rawRead = c.readRaw
}

// readRaw is the function c.raw.Read calls: it reads into c.rbuf[c.rend:],
// leaving the count in c.rawN and an error in c.rawErr, and returns false
// to wait until the socket is readable. When the socket has nothing to
// read, it gives the pooled buffer back before the wait, so a connection
// waiting for its peer holds none.
//
// While bytes flow without waits they are read through a full-size buffer.
// So are they once a wait has ended, since the peer's next message may be
// long, unless the last reads after a wait all fit the small buffer, as on
// a connection that trades short messages: then the small buffer is tried
// first, which spares two trips to the pool per message, and a read that
// fills it moves to a full-size buffer for the rest. When the connection's
// last read had to wait, as on a connection answering message by message,
// the first try goes to the buffer at hand, often the small one: that try
// will likely find nothing, and so costs no trip to the pool.
func (c *Conn) readRaw(fd uintptr) bool {
	if c.rpooled == nil && c.readsLarge() {
		c.growReadBuffer()
	}
	// The most the small buffer would have taken of this read: a read
	// that takes less has drained the socket.
	room := smallReadSize - (c.rend - c.rpos)
	if c.rpooled == nil {
		room = len(c.rbuf) - c.rend
	}
	for {
		n, err := readSocket(fd, c.rbuf[c.rend:])
		switch err {
		case 0:
			if n == 0 {
				c.rawErr = io.EOF
			}
			c.rawN = n
			c.rawFlowing = !c.rawWaited
			if c.rawWaited {
				c.countSmallRead(n < room)
			}
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			c.shrinkReadBuffer()
			c.rawWaited = true
			return false
		}
		c.rawErr = c.socketError("read", err)
		return true
	}
}

// countSmallRead counts a read after a wait: whether the small buffer would
// have held it with room to spare.
func (c *Conn) countSmallRead(small bool) {
	if !small {
		c.rawSmallRun = 0
	} else if c.rawSmallRun < smallReadsFirst {
		c.rawSmallRun++
	}
}

// readsLarge reports whether the next read, while c.rbuf is the small
// buffer, should go to a full-size one (see readRaw).
func (c *Conn) readsLarge() bool {
	switch {
	case c.rend == len(c.rbuf):
		return true // no room left
	case c.rawFlowing:
		return true
	case c.rawWaited:
		return c.rawSmallRun < smallReadsFirst
	}
	return false
}

// smallReadsFirst is how many reads after a wait in a row must have fit the
// small buffer before the next one goes there instead of to a pooled buffer.
const smallReadsFirst = 2
