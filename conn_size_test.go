package websocket

import (
	"testing"
	"unsafe"
)

// maxConnSize is the size class a Conn must fit: with the goroutine's
// stack, its net.Conn and the handshake request, an idle connection takes
// just under the 8 KiB it may (docs/performance.md, "Idle memory").
const maxConnSize = 768

// TestConnSize guards the idle memory per connection: a field added to
// Conn that pushes it into the next size class (896 bytes) costs every
// open connection 128 bytes. Fields few connections use belong behind a
// pointer made on first use, as the send queue is.
func TestConnSize(t *testing.T) {
	if size := unsafe.Sizeof(Conn{}); size > maxConnSize {
		t.Errorf("Conn is %d bytes, over the %d-byte size class", size, maxConnSize)
	}
}

// TestSendQueueOnFirstUse checks that a connection which only reads and
// writes carries no send queue, and that Send, BytesToWrite and Flush work
// from the first call.
func TestSendQueueOnFirstUse(t *testing.T) {
	ctx := testContext(t)
	client, server := newPair(t, nil, nil)
	if err := client.Write(ctx, MessageText, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := server.Read(ctx); err != nil {
		t.Fatal(err)
	}
	if client.sendq.Load() != nil || server.sendq.Load() != nil {
		t.Fatal("a send queue was made without Send or Close")
	}
	if n := client.BytesToWrite(); n != 0 {
		t.Errorf("BytesToWrite before any Send = %d", n)
	}
	if err := client.Flush(ctx); err != nil {
		t.Errorf("Flush before any Send: %v", err)
	}
	if err := client.SendText("queued"); err != nil {
		t.Fatal(err)
	}
	if err := client.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if _, p, err := server.Read(ctx); err != nil || string(p) != "queued" {
		t.Fatalf("server read %q, %v", p, err)
	}
	if client.sendq.Load() == nil {
		t.Error("Send made no queue")
	}
}
