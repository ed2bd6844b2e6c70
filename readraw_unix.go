//go:build unix

package websocket

import (
	"io"
	"net"
	"os"
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
// Once a wait has ended, bytes are read through a full-size buffer, since
// the peer's next message may be long; so are they while they flow without
// waits. When the connection's last read had to wait, as on a connection
// answering message by message, the first try goes to the buffer at hand,
// often the small one: that try will likely find nothing, and so costs no
// trip to the pool.
func (c *Conn) readRaw(fd uintptr) bool {
	if c.rpooled == nil && (c.rawWaited || c.rawFlowing) {
		c.growReadBuffer()
	}
	for {
		n, err := syscall.Read(int(fd), c.rbuf[c.rend:])
		switch err {
		case nil:
			if n == 0 {
				c.rawErr = io.EOF
			}
			c.rawN = n
			c.rawFlowing = !c.rawWaited
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			c.shrinkReadBuffer()
			c.rawWaited = true
			return false
		}
		c.rawErr = &net.OpError{Op: "read", Net: c.nc.LocalAddr().Network(), Source: c.nc.LocalAddr(), Addr: c.nc.RemoteAddr(), Err: os.NewSyscallError("read", err)}
		return true
	}
}
