package websocket

import (
	"context"
	"testing"
)

// BenchmarkSend measures the send queue, from either end, while the peer
// reads with ReadInto: Send copies each message and a goroutine writes the
// waiting ones in batches. A Flush every half of the queue's bound keeps it
// from overflowing, as an application that watches BytesToWrite would.
//
// With "run", Run drives the sender, whose Handler hears of the messages
// written in OnBytesWritten.
func BenchmarkSend(b *testing.B) {
	for _, from := range []string{"server", "client"} {
		for _, driven := range []string{"plain", "run"} {
			for _, size := range benchSizes[:3] {
				b.Run(from+"/"+driven+"/"+size.name, func(b *testing.B) { benchSend(b, from, driven == "run", size.n) })
			}
		}
	}
}

func benchSend(b *testing.B, from string, run bool, n int) {
	w, r := benchEnds(b, from)
	if run {
		ran := make(chan error, 1)
		go func() { ran <- Run(context.Background(), w, NopHandler{}) }()
		b.Cleanup(func() {
			w.Abort()
			<-ran
		})
	}
	msg := benchMessage(n)
	done := make(chan error, 1)
	go func() {
		_, err := benchReadN(r, b.N, n, nil)
		done <- err
	}()
	ctx := context.Background()
	every := max(1, DefaultSendQueueSize/2/n)
	b.SetBytes(int64(n))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := w.Send(MessageBinary, msg); err != nil {
			b.Fatal(err)
		}
		if i%every == every-1 {
			if err := w.Flush(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRun measures Run's reading: the client writes, the server's
// Handler counts the messages.
func BenchmarkRun(b *testing.B) {
	for _, size := range benchSizes[:3] {
		b.Run(size.name, func(b *testing.B) {
			w, r := benchEnds(b, "client")
			msg := benchMessage(size.n)
			h := &countingHandler{want: b.N, done: make(chan struct{})}
			ran := make(chan error, 1)
			go func() { ran <- Run(context.Background(), r, h) }()
			b.SetBytes(int64(size.n))
			b.ReportAllocs()
			b.ResetTimer()
			if err := benchWriteN(w, b.N, msg); err != nil {
				b.Fatal(err)
			}
			<-h.done
			b.StopTimer()
			w.Close(CloseNormal, "")
			<-ran
		})
	}
}

type countingHandler struct {
	NopHandler
	n, want int
	done    chan struct{}
}

func (h *countingHandler) OnBinary(c *Conn, data []byte) {
	h.n++
	if h.n == h.want {
		close(h.done)
	}
}
