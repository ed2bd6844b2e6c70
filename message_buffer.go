package websocket

import "slices"

// Where a long payload sits in memory changes how fast the kernel copies
// it. On a connection that answers requests, each message's first byte
// tends to land at the start of a page of the socket's buffers, so a
// payload byte at stream offset s of the message sits at s mod 4096 in
// the kernel's pages. Copying between that page offset and a user buffer
// whose page offset differs from it by 1 to 15 bytes, either way, made an
// echo 12–26% slower on the AMD EPYC machines wsx is measured on than
// equal offsets or offsets 16 or more apart. A payload at the start of a page, behind a frame header
// of 2–14 bytes in the stream, is that case. See docs/performance.md,
// "Where the payload sits in the page".

// pageSize is the size of a memory page, for the offsets above.
const pageSize = 4096

// messageOffset is the page offset growMessage gives a message buffer
// that it allocates: 50 bytes or more away from where an incoming
// payload lands (after a header of up to 14 bytes) and from where an
// outgoing one goes (after up to 10), and a cache line from the page
// boundary, so unmasking keeps its alignment.
const messageOffset = 64

// minOffsetMessage is the smallest buffer growMessage places at
// messageOffset: a shorter message is copied through the read and write
// buffers anyway.
const minOffsetMessage = pageSize

// growMessage is slices.Grow for the buffers messages are read into: it
// returns buf with room for at least n more bytes. When it has to
// allocate an array of minOffsetMessage bytes or more, the slice starts
// messageOffset bytes into it. Go gives arrays over 32 KiB a page of
// their own, so the message starts messageOffset bytes past a page
// boundary; shorter arrays keep the allocator's alignment plus
// messageOffset.
func growMessage(buf []byte, n int) []byte {
	if n <= cap(buf)-len(buf) {
		return buf
	}
	size := max(len(buf)+n, cap(buf)+cap(buf)/4) // append grows long slices by a quarter
	if size < minOffsetMessage {
		return slices.Grow(buf, n)
	}
	grown := make([]byte, messageOffset+size)[messageOffset:]
	return grown[:copy(grown, buf)]
}
