package websocket

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// TestSendInOrder: messages Send queues arrive whole and in order, from a
// client and from a server (whose queue writes them in batches), and Flush
// waits until they are written.
func TestSendInOrder(t *testing.T) {
	for _, fromServer := range []bool{false, true} {
		name := "client"
		if fromServer {
			name = "server"
		}
		t.Run(name, func(t *testing.T) {
			checkNoLeaks(t)
			client, server := newPair(t, nil, nil)
			if fromServer {
				testSendInOrder(t, server, client)
			} else {
				testSendInOrder(t, client, server)
			}
		})
	}
}

func testSendInOrder(t *testing.T, sender, receiver *Conn) {
	ctx := testContext(t)
	const n = 200
	for i := range n {
		var err error
		switch i % 3 {
		case 0:
			err = sender.SendText(fmt.Sprint(i))
		case 1:
			err = sender.Send(MessageBinary, []byte(fmt.Sprint(i)))
		default:
			m, perr := NewPreparedMessage(MessageText, []byte(fmt.Sprint(i)))
			if perr != nil {
				t.Fatal(perr)
			}
			err = sender.SendPrepared(m)
		}
		if err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	if err := sender.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if q := sender.BytesToWrite(); q != 0 {
		t.Errorf("BytesToWrite after Flush: %d", q)
	}
	for i := range n {
		typ, msg, err := receiver.Read(ctx)
		if err != nil {
			t.Fatalf("Read %d: %v", i, err)
		}
		wantType := MessageText
		if i%3 == 1 {
			wantType = MessageBinary
		}
		if string(msg) != fmt.Sprint(i) || typ != wantType {
			t.Fatalf("message %d: %s %q", i, typ, msg)
		}
	}
}

// TestSendCopies: the caller may reuse its buffer once Send returns.
func TestSendCopies(t *testing.T) {
	checkNoLeaks(t)
	ctx := testContext(t)
	client, server := newPair(t, nil, nil)
	buf := []byte("first")
	if err := client.Send(MessageText, buf); err != nil {
		t.Fatal(err)
	}
	copy(buf, "XXXXX")
	_, msg, err := server.Read(ctx)
	if err != nil || string(msg) != "first" {
		t.Errorf("Read: %q, %v", msg, err)
	}
}

// TestSendRefusesBadInput: invalid messages are refused without harm to
// the connection.
func TestSendRefusesBadInput(t *testing.T) {
	checkNoLeaks(t)
	client, server := newPair(t, &DialOptions{Options: Options{SendQueueSize: 1000}}, nil)
	for _, tc := range []struct {
		name string
		typ  MessageType
		p    []byte
		want string
	}{
		{"invalid UTF-8", MessageText, []byte{0xff}, ErrInvalidUTF8.Error()},
		{"message type", MessageType(9), nil, ErrMessageType.Error()},
		{"larger than the queue", MessageBinary, make([]byte, 1000), "cannot fit a send queue of 1000 bytes"},
	} {
		err := client.Send(tc.typ, tc.p)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Send returned %v, want %q", tc.name, err, tc.want)
		}
		if errors.Is(err, ErrSlowConsumer) {
			t.Errorf("%s: reported as a slow consumer", tc.name)
		}
	}
	if err := client.SendText("still open"); err != nil {
		t.Fatalf("Send after refusals: %v", err)
	}
	if _, msg, err := server.Read(testContext(t)); err != nil || string(msg) != "still open" {
		t.Errorf("Read: %q %v", msg, err)
	}
}

// TestSendSlowConsumer: a peer that reads along is never dropped; once it
// stops reading, it is dropped when the queue would pass its bound. The
// queue never holds more than the bound, and the error says why on every
// side.
func TestSendSlowConsumer(t *testing.T) {
	checkNoLeaks(t)
	const bound = 256 << 10
	raw, server := newRawClient(t, &AcceptOptions{Options: Options{SendQueueSize: bound}})
	msg := make([]byte, 10<<10)
	maxQueued := int64(0)
	send := func() error {
		err := server.Send(MessageBinary, msg)
		q := server.BytesToWrite()
		maxQueued = max(maxQueued, q)
		if q > bound {
			t.Fatalf("BytesToWrite %d over the bound %d", q, bound)
		}
		return err
	}

	// A consumer that keeps up: 4 MiB, sixteen times the bound, in
	// bursts that fit it.
	stopReading := make(chan struct{})
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		buf := make([]byte, 64<<10)
		for {
			select {
			case <-stopReading:
				return
			default:
			}
			raw.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
			if _, err := raw.br.Read(buf); err != nil && !isTimeout(err) {
				return
			}
		}
	}()
	for i := range 400 {
		if err := send(); err != nil {
			t.Fatalf("Send %d to a reading peer: %v", i, err)
		}
		if i%10 == 9 {
			if err := server.Flush(testContext(t)); err != nil {
				t.Fatalf("Flush: %v", err)
			}
		}
	}

	// The consumer stops reading. Sends come at a pace the writing
	// goroutine keeps up with, so the queue fills only once the
	// socket's buffers are full.
	close(stopReading)
	<-readerDone
	var err error
	sent := 0
	for sent = 0; sent < 20000; sent++ {
		if err = send(); err != nil {
			break
		}
		time.Sleep(100 * time.Microsecond)
	}
	if !errors.Is(err, ErrSlowConsumer) {
		t.Fatalf("after %d messages Send returned %v, want ErrSlowConsumer", sent, err)
	}
	t.Logf("dropped after %d more messages of 10 KiB; queue peaked at %d bytes; %v", sent, maxQueued, err)
	waitFor(t, func() bool { return server.State() == StateClosed })
	if q := server.BytesToWrite(); q != 0 {
		t.Errorf("BytesToWrite after the drop: %d", q)
	}
	_, _, rerr := server.Read(testContext(t))
	var ce *CloseError
	if !errors.As(rerr, &ce) || ce.Code != CloseAbnormal || !errors.Is(rerr, ErrSlowConsumer) {
		t.Errorf("Read after the drop: %v", rerr)
	}
	if err := server.SendText("more"); !errors.Is(err, ErrSlowConsumer) {
		t.Errorf("Send after the drop: %v", err)
	}
	if err := server.Flush(testContext(t)); !errors.Is(err, ErrSlowConsumer) {
		t.Errorf("Flush after the drop: %v", err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestSendSlowConsumerRun: with Run, the slow consumer's end comes to
// OnError, then OnClose.
func TestSendSlowConsumerRun(t *testing.T) {
	checkNoLeaks(t)
	raw, server := newRawClient(t, &AcceptOptions{Options: Options{SendQueueSize: 64 << 10}})
	_ = raw
	rec := newRecorder(t)
	done := runAsync(testContext(t), server, rec)
	msg := make([]byte, 4<<10)
	for i := 0; i < 100000 && server.Send(MessageBinary, msg) == nil; i++ {
	}
	err := awaitRun(t, done)
	if !errors.Is(err, ErrSlowConsumer) {
		t.Errorf("Run returned %v", err)
	}
	if len(rec.errs) != 1 || !errors.Is(rec.errs[0], ErrSlowConsumer) {
		t.Errorf("OnError got %v", rec.errs)
	}
	events := rec.log()
	if last := events[len(events)-1]; last != "close 1006 " {
		t.Errorf("last event %q", last)
	}
}

// TestFlushWaitsForContext: Flush gives up when its context ends while the
// peer does not read.
func TestFlushWaitsForContext(t *testing.T) {
	checkNoLeaks(t)
	_, server := newRawClient(t, &AcceptOptions{Options: Options{SendQueueSize: 64 << 20}})
	msg := make([]byte, 1<<20)
	for i := 0; i < 32; i++ { // more than loopback's socket buffers hold
		if err := server.Send(MessageBinary, msg); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := server.Flush(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Flush returned %v", err)
	}
	if q := server.BytesToWrite(); q == 0 {
		t.Error("BytesToWrite 0 though the peer reads nothing")
	}
	server.Abort()
}

// TestCloseSendsQueuedFirst: Close lets the queued messages out before its
// close frame, and Send is refused once Close has started.
func TestCloseSendsQueuedFirst(t *testing.T) {
	checkNoLeaks(t)
	ctx := testContext(t)
	client, server := newPair(t, nil, nil)
	const n = 50
	for i := range n {
		if err := server.SendText(fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	closed := make(chan error, 1)
	go func() { closed <- server.Close(CloseNormal, "done") }()
	for i := range n {
		_, msg, err := client.Read(ctx)
		if err != nil || string(msg) != fmt.Sprint(i) {
			t.Fatalf("message %d: %q %v", i, msg, err)
		}
	}
	if _, _, err := client.Read(ctx); CloseStatus(err) != CloseNormal {
		t.Errorf("after the queue: %v", err)
	}
	if err := <-closed; err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := server.SendText("late"); !errors.Is(err, ErrClosed) {
		t.Errorf("Send after Close: %v", err)
	}
}

// TestSendBufferClasses: each size gets the smallest pooled buffer that
// holds it.
func TestSendBufferClasses(t *testing.T) {
	for _, tc := range []struct{ n, size int }{
		{0, 64}, {1, 64}, {64, 64}, {65, 128}, {128, 128}, {129, 256},
		{1000, 1024}, {1 << 20, 1 << 20}, {1<<19 + 1, 1 << 20},
	} {
		if got := sendBufferPool(tc.n).size; got != tc.size {
			t.Errorf("%d bytes: pool of %d, want %d", tc.n, got, tc.size)
		}
	}
	p := make([]byte, maxPooledSend+1)
	if _, pooled := copyToSendBuffer(p); pooled != nil {
		t.Error("a message over maxPooledSend came from a pool")
	}
}

func TestSendBufferClassCount(t *testing.T) {
	if got := minPooledSend << (sendBufferClasses - 1); got != maxPooledSend {
		t.Errorf("the largest class holds %d bytes, want maxPooledSend %d", got, maxPooledSend)
	}
}

// TestCloseBoundedByStalledQueue: Close returns within its CloseTimeout
// even when the send queue cannot drain because the peer reads nothing.
func TestCloseBoundedByStalledQueue(t *testing.T) {
	checkNoLeaks(t)
	const closeTimeout = 200 * time.Millisecond
	_, server := newRawClient(t, &AcceptOptions{Options: Options{SendQueueSize: 64 << 20, CloseTimeout: closeTimeout}})
	msg := make([]byte, 1<<20)
	for i := 0; i < 32; i++ { // more than loopback's socket buffers hold
		if err := server.Send(MessageBinary, msg); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	err := server.Close(CloseNormal, "")
	took := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Errorf("Close returned %v, want a timeout", err)
	}
	if took > closeTimeout+2*time.Second {
		t.Errorf("Close took %v with a CloseTimeout of %v", took, closeTimeout)
	}
	if server.State() != StateClosed {
		t.Errorf("state %v after Close", server.State())
	}
}
