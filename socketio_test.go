//go:build unix

package websocket

import (
	"bytes"
	"context"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"
)

// socketPair returns the two ends of a connected, non-blocking Unix
// stream socket pair, closed when the test ends.
func socketPair(t *testing.T) (a, b int) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		if err := syscall.SetNonblock(fd, true); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		syscall.Close(fds[0])
		syscall.Close(fds[1])
	})
	return fds[0], fds[1]
}

// TestReadsLarge checks when readRaw moves to a pooled buffer before it
// reads.
func TestReadsLarge(t *testing.T) {
	tests := []struct {
		name            string
		rend            int
		waited, flowing bool
		smallRun        uint8
		want            bool
	}{
		{"first try after a message", 0, false, false, 0, false},
		{"first try, small reads in a row", 0, false, false, smallReadsFirst, false},
		{"after a wait, no history", 0, true, false, 0, true},
		{"after a wait, one small read", 0, true, false, smallReadsFirst - 1, true},
		{"after a wait, small reads in a row", 0, true, false, smallReadsFirst, false},
		{"after a wait, small buffer full", smallReadSize, true, false, smallReadsFirst, true},
		{"flowing", 0, false, true, smallReadsFirst, true},
		{"small buffer full", smallReadSize, false, false, 0, true},
		{"small buffer part full", smallReadSize - 1, true, false, smallReadsFirst, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Conn{rend: tt.rend, rawWaited: tt.waited, rawFlowing: tt.flowing, rawSmallRun: tt.smallRun}
			c.rbuf = c.rsmall[:]
			if got := c.readsLarge(); got != tt.want {
				t.Errorf("readsLarge = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestSmallReadsFirst drives readRaw over a socket pair through the reads
// of a connection that trades messages: each read comes after a wait. After
// smallReadsFirst reads in a row that the small buffer would have held, the
// next goes to the small buffer; one that fills it sends the rest to a
// pooled buffer and the following reads back to pooled buffers first.
func TestSmallReadsFirst(t *testing.T) {
	local, peer := socketPair(t)
	c := &Conn{rpool: poolFor(4096)}
	c.rbuf = c.rsmall[:]
	fd := uintptr(local)

	// readAfterWait makes the read wait once, as readNet would see it,
	// then sends p and reads it.
	readAfterWait := func(p []byte) {
		t.Helper()
		c.rawN, c.rawWaited = 0, false
		if c.readRaw(fd) {
			t.Fatalf("read %d bytes from an empty socket", c.rawN)
		}
		if _, err := syscall.Write(peer, p); err != nil {
			t.Fatal(err)
		}
		if !c.readRaw(fd) || c.rawErr != nil {
			t.Fatalf("read after the wait: %v", c.rawErr)
		}
		c.rend += c.rawN
	}
	// consume checks and drops the bytes read.
	consume := func(want []byte) {
		t.Helper()
		if got := c.rbuf[c.rpos:c.rend]; !bytes.Equal(got, want) {
			t.Fatalf("buffered %d bytes, want %d", len(got), len(want))
		}
		c.rpos = c.rend
		c.releaseReadBuffer()
		c.rpos, c.rend = 0, 0 // as fill does before it reads
	}

	short := bytes.Repeat([]byte{'s'}, 22)
	for i := range smallReadsFirst {
		readAfterWait(short)
		if c.rpooled == nil {
			t.Fatalf("short read %d went to the small buffer before %d in a row", i, smallReadsFirst)
		}
		consume(short)
	}
	for i := range 3 {
		readAfterWait(short)
		if c.rpooled != nil {
			t.Fatalf("short read %d after %d in a row took a pooled buffer", i, smallReadsFirst)
		}
		consume(short)
	}

	// A message longer than the small buffer: the first read fills it,
	// the next moves to a pooled buffer without waiting.
	long := bytes.Repeat([]byte{'l'}, 1000)
	readAfterWait(long)
	if c.rpooled != nil || c.rawN != smallReadSize {
		t.Fatalf("long read after short ones: pooled %v, %d bytes; want the small buffer filled", c.rpooled != nil, c.rawN)
	}
	if c.rawSmallRun != 0 {
		t.Fatalf("a read that filled the small buffer left the run at %d", c.rawSmallRun)
	}
	c.rawWaited = false
	if !c.readRaw(fd) || c.rpooled == nil {
		t.Fatal("the rest of a long message did not go to a pooled buffer")
	}
	c.rend += c.rawN
	consume(long)

	readAfterWait(short)
	if c.rpooled == nil {
		t.Fatal("the read after a long one went to the small buffer")
	}
	consume(short)
}

// TestWriteRawWaits writes through writeRaw into a socket that fills up:
// it must stop at EAGAIN with the rest still to write, finish once the peer
// has read, and report an error number when the peer is gone.
func TestWriteRawWaits(t *testing.T) {
	local, peer := socketPair(t)
	w := &writeBuffer{}
	msg := make([]byte, 4<<20)
	for i := range msg {
		msg[i] = byte(i * 7)
	}
	w.out = msg
	if w.writeRaw(uintptr(local)) {
		t.Fatal("4 MiB went into a socket pair without a wait")
	}
	if len(w.out) == 0 || len(w.out) == len(msg) || w.errno != 0 {
		t.Fatalf("after the first try: %d bytes left of %d, errno %v", len(w.out), len(msg), w.errno)
	}
	var got []byte
	buf := make([]byte, 64<<10)
	for rounds := 0; len(w.out) > 0 || len(got) < len(msg); rounds++ {
		if rounds > 100000 {
			t.Fatal("the write made no progress")
		}
		if len(w.out) > 0 {
			w.writeRaw(uintptr(local))
		}
		n, err := syscall.Read(peer, buf)
		if err != nil && err != syscall.EAGAIN {
			t.Fatal(err)
		}
		got = append(got, buf[:max(n, 0)]...)
	}
	if !bytes.Equal(got, msg) {
		t.Fatal("the peer read other bytes than were written")
	}

	syscall.Close(peer)
	w.out = []byte("after the peer left")
	if !w.writeRaw(uintptr(local)) || w.errno != syscall.EPIPE {
		t.Fatalf("write to a closed peer: errno %v, want EPIPE", w.errno)
	}
}

// TestWriteBlockedByPeer writes 16 KiB messages from a server to a client
// that does not read, until the socket buffers fill and the raw write
// waits. A second writer queued behind it gives up when its context ends;
// when the first writer's context ends, the connection is closed, which
// ends the raw write's wait.
func TestWriteBlockedByPeer(t *testing.T) {
	client, server := newPair(t, nil, nil)
	if server.raw == nil {
		t.Fatal("the server end is not written through its raw socket")
	}
	server.nc.(*net.TCPConn).SetWriteBuffer(32 << 10)
	client.nc.(*net.TCPConn).SetReadBuffer(32 << 10)

	wctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	wrote := make(chan error, 1)
	go func() {
		msg := make([]byte, 16<<10)
		for range 200 {
			if err := server.Write(wctx, MessageBinary, msg); err != nil {
				wrote <- err
				return
			}
		}
		wrote <- nil
	}()
	time.Sleep(50 * time.Millisecond)
	select {
	case err := <-wrote:
		t.Fatalf("3 MiB were written to a peer that reads nothing (err %v)", err)
	default:
	}

	late, cancelLate := context.WithTimeout(testContext(t), 20*time.Millisecond)
	defer cancelLate()
	if err := server.Write(late, MessageBinary, []byte("late")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Write behind a blocked writer: %v, want its context's deadline", err)
	}
	cancel()
	if err := <-wrote; !errors.Is(err, context.Canceled) {
		t.Fatalf("blocked writer: %v, want its context's end", err)
	}
	if server.State() != StateClosed {
		t.Fatalf("state %v after a write was cut off, want closed", server.State())
	}
}

// TestWriteWaitsForPeer is TestWriteBlockedByPeer without the second
// writer: the client starts reading once the writer is blocked and must
// get every message whole and in order.
func TestWriteWaitsForPeer(t *testing.T) {
	client, server := newPair(t, &DialOptions{Options: Options{MaxMessageSize: 1 << 20}}, nil)
	server.nc.(*net.TCPConn).SetWriteBuffer(32 << 10)
	client.nc.(*net.TCPConn).SetReadBuffer(32 << 10)

	const count = 200
	msg := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, 16<<10) }
	ctx := testContext(t)
	wrote := make(chan error, 1)
	go func() {
		for i := range count {
			if err := server.Write(ctx, MessageBinary, msg(i)); err != nil {
				wrote <- err
				return
			}
		}
		wrote <- nil
	}()
	time.Sleep(20 * time.Millisecond)
	var buf []byte
	for i := range count {
		_, p, err := client.ReadInto(ctx, buf)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if !bytes.Equal(p, msg(i)) {
			t.Fatalf("message %d differs", i)
		}
		buf = p
	}
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
}

// TestRawWriteError checks the error a raw write returns once the peer has
// reset the connection: a *net.OpError for "write" around the system
// call's error number, as net.Conn.Write would return.
func TestRawWriteError(t *testing.T) {
	client, server := newPair(t, nil, nil)
	if server.raw == nil {
		t.Fatal("the server end is not written through its raw socket")
	}
	client.nc.(*net.TCPConn).SetLinger(0) // close with a reset
	client.nc.Close()

	ctx := testContext(t)
	var err error
	for range 100 { // the reset arrives at once on loopback; allow a few writes
		if err = server.Write(ctx, MessageBinary, []byte("after the reset")); err != nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "write" {
		t.Fatalf("Write after the peer's reset: %v (%T), want a *net.OpError for write", err, err)
	}
	if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("Write after the peer's reset: %v, want ECONNRESET or EPIPE", err)
	}
	if op.Source == nil || op.Addr == nil || op.Source.String() != server.nc.LocalAddr().String() {
		t.Fatalf("error addresses: source %v, peer %v; want %v and %v", op.Source, op.Addr, server.nc.LocalAddr(), server.nc.RemoteAddr())
	}
}
