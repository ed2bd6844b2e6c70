package websocket

import (
	"net"
	"sync"

	"github.com/wsx-go/websocket/internal/frame"
)

// A server sends the frames of a long message in groups: every frame of a
// group goes out in one vectored write, under one hold of c.frameMu, so
// the peer sees no pause at the frame boundaries inside a group. Control
// frames (pongs, a close reply) can still go out between groups.
const (
	// groupPayloadSize bounds the payload of a group, summed over its
	// frames: a control frame waits for at most this much data.
	groupPayloadSize = 1 << 20
	// maxGroupFrames bounds the frames of a group, and so the headers
	// and the vector of one write.
	maxGroupFrames = 64
)

// groupsFrames reports whether a message of n bytes is sent in groups of
// frames: on a server connection (a client masks each frame through a
// buffer) when the message needs more than one frame and its frames are
// too long for the write buffer anyway.
func (c *Conn) groupsFrames(n int) bool {
	limit := c.opts.OutgoingFrameSize
	return !c.client && int64(n) > limit && limit >= int64(c.opts.WriteBufferSize)
}

// A groupWrite holds the plan, the frame headers and the vector of one
// group write, from groupWrites for the time of the write.
type groupWrite struct {
	cuts [maxGroupFrames]int // the payload length of each frame
	hdrs [maxGroupFrames][frame.MaxHeaderSize]byte
	arr  [2*maxGroupFrames + 1][]byte
	vec  net.Buffers // a slice of arr: WriteTo needs it addressable
}

var groupWrites = sync.Pool{New: func() any { return new(groupWrite) }}

// nextGroup plans the next group of a message whose unsent payload is p:
// it stores the payload length of each of its frames in cuts and returns
// how many frames and bytes the group takes. Frames are added while their
// payload stays within groupPayloadSize, with at least one frame and at
// most len(cuts).
func (c *Conn) nextGroup(p []byte, text bool, cuts []int) (frames, n int) {
	for frames < len(cuts) && n < len(p) {
		m := c.frameCut(p[n:], text)
		if frames > 0 && n+m > groupPayloadSize {
			break
		}
		cuts[frames] = m
		frames++
		n += m
	}
	return frames, n
}

// writeFrameGroup sends the next group of frames of p, the unsent payload
// of a message, and returns the bytes of p it sent. op and rsv are the
// first frame's; with text set, frames are cut only between code points.
// When the group opens the message, its first frame starts with a lead
// write (see writeLead).
func (c *Conn) writeFrameGroup(op frame.Opcode, rsv byte, p []byte, text bool) (int, error) {
	c.frameMu.Lock()
	defer c.frameMu.Unlock()
	if err := c.writableLocked(); err != nil {
		return 0, err
	}
	g := groupWrites.Get().(*groupWrite)
	defer groupWrites.Put(g)
	frames, sent := c.nextGroup(p, text, g.cuts[:])
	vec := g.arr[:0]
	first := op != frame.OpContinuation
	rest := p
	for i, n := range g.cuts[:frames] {
		h := frame.Header{Fin: n == len(rest), RSV: rsv, Opcode: op, Length: int64(n)}
		k := frame.Put(g.hdrs[i][:], h)
		vec = append(vec, g.hdrs[i][:k], rest[:n])
		rest, op, rsv = rest[n:], frame.OpContinuation, 0
	}
	used := len(vec)
	var err error
	if first {
		// The header and the start of the payload go out through the
		// write buffer; the rest of the payload follows.
		w := c.wpool.get()
		vec[1], err = c.writeLead(w, copy(w.b, vec[0]), vec[1])
		c.wpool.put(w)
		vec = vec[1:]
		if len(vec[0]) == 0 {
			vec = vec[1:]
		}
	}
	if err == nil && len(vec) > 0 {
		g.vec = vec
		_, err = g.vec.WriteTo(c.nc)
	}
	clear(g.arr[:used])
	g.vec = nil
	if err != nil {
		return 0, c.failWriteLocked(err)
	}
	return sent, nil
}

// writeLead writes the header w.b[:n] of a message's first frame with the
// start of its payload p, leadWriteSize bytes in all (less with a smaller
// write buffer), and returns the rest of p. The short first write wakes
// the peer, which then reads while the kernel is still copying the rest
// (see docs/performance.md).
func (c *Conn) writeLead(w *writeBuffer, n int, p []byte) ([]byte, error) {
	k := min(len(p), min(leadWriteSize, len(w.b))-n)
	copy(w.b[n:], p[:k])
	err := c.writeOut(w, w.b[:n+k])
	return p[k:], err
}
