package websocket

import (
	"context"
	"fmt"
	"testing"
)

// benchSizes are the message sizes the benchmarks send.
var benchSizes = []struct {
	name string
	n    int
}{
	{"16B", 16},
	{"1KiB", 1 << 10},
	{"64KiB", 64 << 10},
	{"1MiB", 1 << 20},
}

// benchMessage returns a message of n bytes.
func benchMessage(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i)
	}
	return p
}

// benchEnds returns the sending and the receiving end of a new pair: the
// client sends when from is "client", the server when it is "server".
func benchEnds(b *testing.B, from string) (sender, receiver *Conn) {
	client, server := newPair(b, nil, nil)
	if from == "server" {
		return server, client
	}
	return client, server
}

// benchReadN reads n messages of size bytes each with ReadInto, reusing
// buf, and returns the grown buffer.
func benchReadN(c *Conn, n, size int, buf []byte) ([]byte, error) {
	ctx := context.Background()
	for range n {
		_, p, err := c.ReadInto(ctx, buf)
		if err != nil {
			return buf, err
		}
		if len(p) != size {
			return p, fmt.Errorf("read %d bytes, want %d", len(p), size)
		}
		buf = p
	}
	return buf, nil
}

// benchWriteN writes msg n times.
func benchWriteN(c *Conn, n int, msg []byte) error {
	ctx := context.Background()
	for range n {
		if err := c.Write(ctx, MessageBinary, msg); err != nil {
			return err
		}
	}
	return nil
}

// The goroutines the benchmarks start handle a known number of messages and
// then end; if the benchmark fails first, the pair is aborted by newPair's
// cleanup, which ends them too.

// BenchmarkWrite measures Write, from the client (masked) and from the
// server (unmasked), while the peer reads with ReadInto.
func BenchmarkWrite(b *testing.B) {
	for _, from := range []string{"client", "server"} {
		for _, size := range benchSizes {
			b.Run(from+"/"+size.name, func(b *testing.B) {
				w, r := benchEnds(b, from)
				msg := benchMessage(size.n)
				warm := make(chan error, 1)
				done := make(chan error, 1)
				go func() {
					buf, err := benchReadN(r, 1, size.n, nil)
					warm <- err
					if err != nil {
						done <- err
						return
					}
					_, err = benchReadN(r, b.N, size.n, buf)
					done <- err
				}()
				// One message first, so that buffers have grown.
				if err := benchWriteN(w, 1, msg); err != nil {
					b.Fatal(err)
				}
				if err := <-warm; err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(size.n))
				b.ReportAllocs()
				b.ResetTimer()
				if err := benchWriteN(w, b.N, msg); err != nil {
					b.Fatal(err)
				}
				if err := <-done; err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}

// BenchmarkRead measures ReadInto, on the client (unmasked frames) and on
// the server (masked frames), while the peer writes.
func BenchmarkRead(b *testing.B) {
	for _, to := range []string{"client", "server"} {
		for _, size := range benchSizes {
			b.Run(to+"/"+size.name, func(b *testing.B) {
				from := "client"
				if to == "client" {
					from = "server"
				}
				w, r := benchEnds(b, from)
				msg := benchMessage(size.n)
				warm := make(chan error, 1)
				done := make(chan error, 1)
				go func() {
					err := benchWriteN(w, 1, msg)
					warm <- err
					if err != nil {
						done <- err
						return
					}
					done <- benchWriteN(w, b.N, msg)
				}()
				buf, err := benchReadN(r, 1, size.n, nil)
				if err != nil {
					b.Fatal(err)
				}
				if err := <-warm; err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(size.n))
				b.ReportAllocs()
				b.ResetTimer()
				if _, err := benchReadN(r, b.N, size.n, buf); err != nil {
					b.Fatal(err)
				}
				if err := <-done; err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}

// BenchmarkEcho measures a round trip: the client writes a message and
// reads it back from a server that echoes it.
func BenchmarkEcho(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(size.name, func(b *testing.B) {
			client, server := newPair(b, nil, nil)
			ctx := context.Background()
			done := make(chan error, 1)
			go func() {
				var buf []byte
				for range b.N + 1 {
					typ, p, err := server.ReadInto(ctx, buf)
					if err != nil {
						done <- err
						return
					}
					buf = p
					if err := server.Write(ctx, typ, p); err != nil {
						done <- err
						return
					}
				}
				done <- nil
			}()
			msg := benchMessage(size.n)
			echo := func(buf []byte) []byte {
				if err := client.Write(ctx, MessageBinary, msg); err != nil {
					b.Fatal(err)
				}
				typ, p, err := client.ReadInto(ctx, buf)
				if err != nil {
					b.Fatal(err)
				}
				if typ != MessageBinary || len(p) != size.n {
					b.Fatalf("echo: got %v of %d bytes, want binary of %d", typ, len(p), size.n)
				}
				return p
			}
			// One round trip first, so that buffers have grown.
			buf := echo(nil)
			b.SetBytes(int64(size.n))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				buf = echo(buf)
			}
			b.StopTimer()
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		})
	}
}
