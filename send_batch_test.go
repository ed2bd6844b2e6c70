package websocket

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestTakeBatch checks how the send queue is cut into batches: messages
// that go out as one uncompressed frame share a write, up to
// maxBatchMessages messages and, on a server's TCP or Unix socket,
// maxBatchBytes bytes; where the batch is copied (a client, or a server
// over TLS or a wrapper), up to one mask buffer. A message that does not
// share a write goes alone.
func TestTakeBatch(t *testing.T) {
	type msg struct {
		size     int
		prepared bool
	}
	small := func(n int) []msg { return slices.Repeat([]msg{{size: 100}}, n) }
	const (
		vectors = iota // a server on a TCP socket
		copies         // a server over another net.Conn
		client
	)
	tests := []struct {
		name      string
		side      int
		frameSize int64 // Options.OutgoingFrameSize
		threshold int   // compression threshold; 0: no compression
		msgs      []msg
		want      []int // the messages of each batch
		takeover  bool  // compression with context takeover
	}{
		{"one", vectors, 0, 0, small(1), []int{1}, false},
		{"several", vectors, 0, 0, small(5), []int{5}, false},
		{"prepared among plain", vectors, 0, 0, []msg{{100, false}, {100, true}, {7, true}, {0, false}}, []int{4}, false},
		{"message bound", vectors, 0, 0, small(2*maxBatchMessages + 3), []int{maxBatchMessages, maxBatchMessages, 3}, false},
		// 100 KiB and a 10-byte header: ten fit maxBatchBytes.
		{"byte bound", vectors, 0, 0, slices.Repeat([]msg{{size: 100 << 10}}, 25), []int{10, 10, 5}, false},
		{"long first", vectors, 1000, 0, []msg{{2000, false}, {10, false}, {10, true}}, []int{1, 2}, false},
		{"long between", vectors, 1000, 0, []msg{{10, false}, {1000, false}, {1001, true}, {10, false}}, []int{2, 1, 1}, false},
		// Without context takeover, a prepared message is compressed
		// once for every connection, and its frame shares the write.
		{"compressed without takeover", vectors, 0, 512, []msg{{511, false}, {10, true}, {512, false}, {600, true}, {5, false}}, []int{2, 1, 2}, false},
		{"compressed with takeover", vectors, 0, 512, []msg{{511, false}, {10, true}, {512, false}, {600, true}, {5, false}}, []int{2, 1, 1, 1}, true},
		{"copied compressed", copies, 0, 512, []msg{{600, true}, {512, false}, {600, true}, {5, false}}, []int{1, 1, 2}, false},
		{"copied", copies, 0, 0, []msg{{100, false}, {100, true}, {0, false}}, []int{3}, false},
		// 10 KiB frames of 10,244 bytes: six fill the mask buffer.
		{"copied byte bound", copies, 0, 0, slices.Repeat([]msg{{size: 10 << 10}}, 13), []int{6, 6, 1}, false},
		// A frame of 64 KiB and its 10-byte header leave 4 bytes of the
		// buffer, too few for a 7-byte frame; 5 bytes more do not fit.
		{"copied full buffer", copies, 0, 0, []msg{{5, false}, {64 << 10, false}, {64<<10 + 5, true}, {1, false}}, []int{1, 1, 1, 1}, false},
		{"client", client, 0, 0, small(3), []int{3}, false},
		{"client prepared among plain", client, 0, 0, []msg{{100, true}, {0, false}, {7, true}}, []int{3}, false},
		// 10 KiB frames of 10,248 bytes: six fill the mask buffer.
		{"client byte bound", client, 0, 0, slices.Repeat([]msg{{size: 10 << 10}}, 13), []int{6, 6, 1}, false},
		// A frame of 64 KiB fills the buffer alone; one byte more and
		// it does not fit it.
		{"client full buffer", client, 0, 0, []msg{{1, false}, {64 << 10, false}, {64<<10 + 1, false}, {1, false}}, []int{1, 1, 1, 1}, false},
		{"client compressed alone", client, 0, 512, []msg{{10, false}, {512, true}, {10, false}, {10, false}}, []int{1, 1, 2}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := net.Pipe()
			t.Cleanup(func() { a.Close(); b.Close() })
			opts := (&Options{OutgoingFrameSize: tt.frameSize}).withDefaults()
			c := newConn(a, tt.side == client, opts, nil)
			c.vectored = tt.side == vectors // a pipe takes no vectors
			if tt.threshold > 0 {
				c.z = &compression{threshold: tt.threshold, takeover: tt.takeover}
			}
			q := c.queue()
			var total int64
			for _, m := range tt.msgs {
				qm := queuedMessage{typ: MessageBinary, data: make([]byte, m.size), size: queuedSize(c, m.size)}
				if m.prepared {
					pm, err := NewPreparedMessage(MessageBinary, qm.data)
					if err != nil {
						t.Fatal(err)
					}
					qm.data, qm.prepared = pm.payload, pm
				}
				q.items = append(q.items, qm)
				total += qm.size
			}
			var got []int
			var taken int64
			var batch sendBatch
			for q.head < len(q.items) && len(got) <= len(tt.msgs) {
				first := q.head
				c.takeLocked(q, &batch)
				got = append(got, len(batch.msgs))
				var size int64
				for i := range batch.msgs {
					size += batch.msgs[i].size
				}
				if size != batch.size {
					t.Errorf("batch %d: size %d, its messages count %d", len(got), batch.size, size)
				}
				if batch.size > c.batchBytes() && len(batch.msgs) > 1 {
					t.Errorf("batch %d: %d bytes in %d messages, over the bound", len(got), batch.size, len(batch.msgs))
				}
				taken += batch.size
				for i := first; i < q.head; i++ {
					if q.items[i].data != nil || q.items[i].prepared != nil {
						t.Errorf("queue slot %d still holds its message after it was taken", i)
					}
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("batches %v, want %v", got, tt.want)
			}
			if taken != total {
				t.Errorf("batches took %d bytes of %d queued", taken, total)
			}
		})
	}
}

// gatedConn is a net.Conn that records the size of every Write and holds
// its first Write until release is closed.
type gatedConn struct {
	net.Conn
	started chan struct{} // closed when the first Write starts
	release chan struct{}
	fail    error // when set, every Write after the first fails with it

	mu     sync.Mutex
	writes []int
}

func newGatedConn(nc net.Conn) *gatedConn {
	return &gatedConn{Conn: nc, started: make(chan struct{}), release: make(chan struct{})}
}

func (g *gatedConn) Write(p []byte) (int, error) {
	g.mu.Lock()
	first := len(g.writes) == 0
	g.writes = append(g.writes, len(p))
	g.mu.Unlock()
	if first {
		close(g.started)
		<-g.release
	} else if g.fail != nil {
		return 0, g.fail
	}
	return g.Conn.Write(p)
}

func (g *gatedConn) recorded() []int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.writes)
}

// TestSendBatchWrite: messages that queue up behind a write in progress go
// out together, in order and intact. A server on a TCP socket writes the
// batch as one vectored write, which over a net.Pipe becomes one Write per
// piece, so each frame's header and payload show as written apart, where a
// lone message writes them together. A server over another net.Conn copies
// the batch into one Write; a client masks it into one.
func TestSendBatchWrite(t *testing.T) {
	tests := []struct {
		name       string
		client     bool // the sender is the client
		vectored   bool // the sender writes vectors, as on a TCP socket
		wantWrites []int
	}{
		// "first" alone; then the batch: the long message's header and
		// payload, the prepared frame whole, "abc"'s header and payload.
		{"server vectored", false, true, []int{2 + 5, 4, 300, 2 + 5, 2, 3}},
		// "first" alone, then the three frames in one write.
		{"server copied", false, false, []int{2 + 5, (4 + 300) + (2 + 5) + (2 + 3)}},
		{"client", true, false, []int{2 + 4 + 5, (4 + 4 + 300) + (2 + 4 + 5) + (2 + 4 + 3)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkNoLeaks(t)
			ctx := testContext(t)
			a, b := net.Pipe()
			t.Cleanup(func() { a.Close(); b.Close() })
			gate := newGatedConn(a)
			opts := (&Options{}).withDefaults()
			sender := newConn(gate, tt.client, opts, nil)
			sender.vectored = tt.vectored
			receiver := newConn(b, !tt.client, opts, nil)
			for _, c := range []*Conn{sender, receiver} {
				if c.client {
					c.masks = newRandomMasks()
				}
			}

			prepared, err := NewPreparedMessage(MessageText, []byte("hello"))
			if err != nil {
				t.Fatal(err)
			}
			long := bytes.Repeat([]byte("x"), 300)
			if err := sender.Send(MessageBinary, []byte("first")); err != nil {
				t.Fatal(err)
			}
			<-gate.started // the loop writes "first" alone and waits at the gate
			sends := []func() error{
				func() error { return sender.Send(MessageBinary, long) },
				func() error { return sender.SendPrepared(prepared) },
				func() error { return sender.SendText("abc") },
			}
			for i, send := range sends {
				if err := send(); err != nil {
					t.Fatalf("Send %d: %v", i, err)
				}
			}
			wantQueued := queuedSize(sender, 5) + queuedSize(sender, 300) + queuedSize(sender, 5) + queuedSize(sender, 3)
			if got := sender.BytesToWrite(); got != wantQueued {
				t.Errorf("BytesToWrite %d with four messages queued, want %d", got, wantQueued)
			}

			type message struct {
				typ MessageType
				msg string
			}
			want := []message{{MessageBinary, "first"}, {MessageBinary, string(long)}, {MessageText, "hello"}, {MessageText, "abc"}}
			read := make(chan []message, 1)
			go func() {
				var got []message
				for range want {
					typ, msg, err := receiver.Read(ctx)
					if err != nil {
						break
					}
					got = append(got, message{typ, string(msg)})
				}
				read <- got
			}()
			close(gate.release)
			if err := sender.Flush(ctx); err != nil {
				t.Fatalf("Flush: %v", err)
			}
			if got := <-read; !slices.Equal(got, want) {
				t.Errorf("the peer read %v, want %v", got, want)
			}
			if q := sender.BytesToWrite(); q != 0 {
				t.Errorf("BytesToWrite after Flush: %d", q)
			}
			if got := gate.recorded(); !slices.Equal(got, tt.wantWrites) {
				t.Errorf("writes %v, want %v", got, tt.wantWrites)
			}
		})
	}
}

// TestSendBatchWriteFails: when the write of a batch fails, none of its
// messages counts as written, the queue stops with the error, and the
// connection is closed.
func TestSendBatchWriteFails(t *testing.T) {
	checkNoLeaks(t)
	ctx := testContext(t)
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	go func() { // the peer reads whatever comes
		buf := make([]byte, 4096)
		for {
			if _, err := b.Read(buf); err != nil {
				return
			}
		}
	}()
	gate := newGatedConn(a)
	gate.fail = errors.New("wire cut")
	server := newConn(gate, false, (&Options{}).withDefaults(), nil)
	if err := server.SendText("first"); err != nil {
		t.Fatal(err)
	}
	<-gate.started
	for i := range 3 {
		if err := server.SendText(fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	close(gate.release)
	err := server.Flush(ctx)
	if err == nil || !errors.Is(err, gate.fail) || !strings.Contains(err.Error(), "queued message not sent") {
		t.Fatalf("Flush returned %v, want the batch's write error", err)
	}
	if q := server.BytesToWrite(); q != 0 {
		t.Errorf("BytesToWrite %d after the queue stopped, want 0", q)
	}
	if err := server.SendText("late"); !errors.Is(err, gate.fail) {
		t.Errorf("Send after the failure returned %v, want the queue's error", err)
	}
	select {
	case <-server.done:
	default:
		t.Error("the connection is still open after a failed write")
	}
}

// TestSendMixedBatches: messages of every kind queued together, on a
// connection with compression and a small frame size, so that batches form
// and break at long and compressed messages, arrive whole and in order in
// both directions, over TCP, where a server writes vectors, and over TLS,
// where it copies; the reader of each side drains them as they come.
func TestSendMixedBatches(t *testing.T) {
	for _, tt := range []struct {
		name       string
		fromServer bool
		tls        bool
		noTakeover bool // a server's prepared messages are compressed once
	}{
		{"client", false, false, false},
		{"server", true, false, false},
		{"client TLS", false, true, false},
		{"server TLS", true, true, false},
		{"server no takeover", true, false, true},
		{"server TLS no takeover", true, true, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkNoLeaks(t)
			ctx := testContext(t)
			co := &CompressionOptions{Threshold: 600, ServerNoContextTakeover: tt.noTakeover, ClientNoContextTakeover: tt.noTakeover}
			o := Options{OutgoingFrameSize: 1000, Compression: co, MaxMessageSize: 1 << 20}
			srv, accepted := acceptServer(t, tt.tls, &AcceptOptions{Options: o}, nil)
			dialOpts := &DialOptions{Options: o}
			if tt.tls {
				dialOpts.TLSConfig = srv.Client().Transport.(*http.Transport).TLSClientConfig
			}
			client, err := Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), dialOpts)
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			t.Cleanup(client.Abort)
			server := takeConn(t, accepted)
			if server.vectored == tt.tls {
				t.Fatalf("the server writes vectors: %v, over TLS: %v", server.vectored, tt.tls)
			}
			sender, receiver := client, server
			if tt.fromServer {
				sender, receiver = server, client
			}
			if sender.z == nil || sender.z.takeover == tt.noTakeover {
				t.Fatalf("compression negotiated: %+v, want context takeover %v", sender.z, !tt.noTakeover)
			}
			// Sizes around the batch's kinds: small, compressed (≥ 600),
			// longer than a frame (> 1000), and one over a client's
			// mask buffer.
			sizes := []int{0, 1, 125, 126, 599, 600, 999, 1000, 1001, 70 << 10}
			const n = 300
			want := make([][]byte, n)
			for i := range n {
				p := bytes.Repeat([]byte{byte('a' + i%26)}, sizes[i*7%len(sizes)])
				want[i] = p
				var err error
				switch i % 3 {
				case 0:
					err = sender.Send(MessageBinary, p)
				case 1:
					err = sender.SendText(string(p))
				default:
					var m *PreparedMessage
					if m, err = NewPreparedMessage(MessageBinary, p); err == nil {
						err = sender.SendPrepared(m)
					}
				}
				if err != nil {
					t.Fatalf("Send %d: %v", i, err)
				}
			}
			for i := range n {
				typ, msg, err := receiver.Read(ctx)
				if err != nil {
					t.Fatalf("Read %d: %v", i, err)
				}
				wantType := MessageBinary
				if i%3 == 1 {
					wantType = MessageText
				}
				if typ != wantType || !bytes.Equal(msg, want[i]) {
					t.Fatalf("message %d: %v of %d bytes, want %v of %d", i, typ, len(msg), wantType, len(want[i]))
				}
			}
			if err := sender.Flush(ctx); err != nil {
				t.Fatalf("Flush: %v", err)
			}
		})
	}
}

// TestPreparedFrames checks the frames a server's batch writes for its
// prepared messages, and when the batch falls back to message by message:
// a compressed frame too long for OutgoingFrameSize, or a copied batch
// that compression made too long for its buffer.
func TestPreparedFrames(t *testing.T) {
	random := func(n int) []byte {
		p := make([]byte, n)
		rand.Read(p)
		return p
	}
	compressible := bytes.Repeat([]byte("a tale of two queues "), 30)
	tests := []struct {
		name      string
		vectored  bool
		frameSize int64
		prepared  [][]byte // payloads of prepared messages, then one plain 10-byte message
		wantOK    bool
	}{
		{"compressed and plain frames", true, 0, [][]byte{compressible, []byte("short")}, true},
		{"copied", false, 0, [][]byte{compressible, []byte("short")}, true},
		// Random bytes grow when compressed: four stored blocks and a
		// 10-byte header pass 256 KiB + MaxHeaderSize.
		{"compressed past the frame size", true, 256 << 10, [][]byte{random(256 << 10)}, false},
		// Two frames that fill the buffer before compression overflow
		// it after.
		{"copied past the buffer", false, 0, [][]byte{random(40000), random(maxCopiedBatchBytes - 40000 - 4 - 4 - 2 - 10)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := net.Pipe()
			t.Cleanup(func() { a.Close(); b.Close() })
			c := newConn(a, false, (&Options{OutgoingFrameSize: tt.frameSize}).withDefaults(), nil)
			c.vectored = tt.vectored
			c.z = &compression{threshold: 100, level: 1, window: 15}
			var batch sendBatch
			for _, p := range tt.prepared {
				pm, err := NewPreparedMessage(MessageBinary, p)
				if err != nil {
					t.Fatal(err)
				}
				batch.msgs = append(batch.msgs, queuedMessage{typ: MessageBinary, data: pm.payload, prepared: pm, size: queuedSize(c, len(p))})
			}
			batch.msgs = append(batch.msgs, queuedMessage{typ: MessageBinary, data: make([]byte, 10), size: queuedSize(c, 10)})
			var total int64
			for _, m := range batch.msgs {
				total += m.size
			}
			if !c.sharesWrite(&batch.msgs[0]) && tt.wantOK {
				t.Fatal("the first message may not share a write")
			}
			if ok := c.preparedFrames(&batch); ok != tt.wantOK {
				t.Fatalf("preparedFrames reported %v, want %v (queued size %d)", ok, tt.wantOK, total)
			}
			if !tt.wantOK {
				return
			}
			for i, m := range batch.msgs {
				f := batch.frames[i]
				switch {
				case m.prepared == nil:
					if f != nil {
						t.Errorf("message %d (plain): frame %d bytes, want none", i, len(f))
					}
				case len(m.data) >= c.z.threshold:
					if len(f) == 0 || f[0]&0x40 == 0 || len(f) >= len(m.prepared.encoded) {
						t.Errorf("message %d: frame % x..., want a shorter compressed frame (RSV1)", i, f[:min(len(f), 4)])
					}
				default:
					if !bytes.Equal(f, m.prepared.encoded) {
						t.Errorf("message %d: frame % x, want the prepared frame", i, f)
					}
				}
			}
		})
	}
}
