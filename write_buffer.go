package websocket

import (
	"net"
	"os"
	"sync"
	"syscall"
)

// A writeBuffer is a buffer frames are put together in, taken from a pool
// for one write and given back after it, so that an idle connection holds
// none. It also carries the state of a raw write of its contents (see
// writeOut), so that such a write needs nothing on the Conn.
type writeBuffer struct {
	b     []byte
	out   []byte                // what the raw write has yet to write
	errno syscall.Errno         // the raw write's failed system call, or 0
	write func(fd uintptr) bool // w.writeRaw, made once
}

// writeRaw is the function syscall.RawConn.Write calls: it writes w.out,
// and returns false to wait until the socket takes more.
func (w *writeBuffer) writeRaw(fd uintptr) bool {
	for len(w.out) > 0 {
		n, err := writeSocket(fd, w.out)
		switch err {
		case 0:
			w.out = w.out[n:]
		case syscall.EINTR:
			// Interrupted before writing anything: try again.
		case syscall.EAGAIN:
			return false
		default:
			w.errno = err
			return true
		}
	}
	return true
}

// rawWriteMax is the longest write that goes through writeRaw. A raw
// system call keeps its thread from the scheduler while it runs; copying
// 64 KiB into a socket takes microseconds, while a longer write goes
// through net.Conn.Write, which lets the scheduler run other goroutines
// meanwhile.
const rawWriteMax = 64 << 10

// writeOut writes p, a part of w.b, to the connection: on a TCP or Unix
// socket (c.raw set) through the socket itself, sparing the scheduler's
// bookkeeping for a call that may block (see readSocket), and otherwise
// through net.Conn.Write.
func (c *Conn) writeOut(w *writeBuffer, p []byte) error {
	if c.raw == nil || len(p) == 0 || len(p) > rawWriteMax {
		_, err := c.nc.Write(p)
		return err
	}
	w.out = p
	err := c.raw.Write(w.write)
	errno := w.errno
	w.out, w.errno = nil, 0
	if err == nil && errno != 0 {
		err = c.socketError("write", errno)
	}
	return err
}

// socketError is the error of a failed raw system call op ("read" or
// "write") on the connection's socket, in the form net.Conn's own methods
// return.
func (c *Conn) socketError(op string, errno syscall.Errno) error {
	return &net.OpError{Op: op, Net: c.nc.LocalAddr().Network(), Source: c.nc.LocalAddr(), Addr: c.nc.RemoteAddr(), Err: os.NewSyscallError(op, errno)}
}

// A writeBufferPool holds write buffers of one size.
type writeBufferPool struct {
	size int
	pool sync.Pool
}

// writeBufferPools maps a buffer size to its *writeBufferPool.
var writeBufferPools sync.Map

// writePoolFor returns the pool of write buffers of size bytes.
func writePoolFor(size int) *writeBufferPool {
	return sizedPool(&writeBufferPools, size, func() *writeBufferPool { return &writeBufferPool{size: size} })
}

// get returns a write buffer of p.size bytes.
func (p *writeBufferPool) get() *writeBuffer {
	if w, ok := p.pool.Get().(*writeBuffer); ok {
		return w
	}
	w := &writeBuffer{b: make([]byte, p.size)}
	w.write = w.writeRaw
	return w
}

// put returns w to the pool.
func (p *writeBufferPool) put(w *writeBuffer) { p.pool.Put(w) }
