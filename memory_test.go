package websocket

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsx-go/websocket/internal/frame"
	"github.com/wsx-go/websocket/internal/handshake"
)

// idleConns is the number of connections BenchmarkIdleMemory holds open.
const idleConns = 2000

// idleClientEnv names the environment variable that makes
// TestIdleMemoryClients the client process of BenchmarkIdleMemory: it holds
// the server's address and the number of connections to open.
const idleClientEnv = "WSX_IDLE_MEMORY_CLIENTS"

// BenchmarkIdleMemory measures the memory an idle server connection costs
// in the goroutine-per-connection mode: idleConns Conns made by Accept, each
// with a goroutine blocked in ReadInto after one 16-byte echo has warmed its
// buffers. It reports, per connection, the growth of HeapInuse and
// StackInuse over a baseline taken before the connections were opened:
//
//	bytes/conn   heap + stacks
//	heap/conn    HeapInuse alone
//	stack/conn   StackInuse alone
//
// The client ends live in a child process (this test binary, running
// TestIdleMemoryClients), so only the server side is counted: the Conn, its
// net.Conn, the handshake request it keeps for Conn.Request, and the
// goroutine with its stack. In the first run of a process the goroutines are
// new; later runs (-count) reuse the g structures the earlier run left, so
// their heap figure is about 0.5 KiB lower.
//
// The measurement runs once per -count; ns/op is meaningless.
func BenchmarkIdleMemory(b *testing.B) {
	srv, accepted := acceptServer(b, false, nil, nil)
	ctx := context.Background()
	var servers []*Conn
	var wg sync.WaitGroup
	defer func() {
		for _, c := range servers {
			c.Abort()
		}
		wg.Wait()
	}()

	before := idleMemStats()
	cmd := exec.Command(os.Args[0], "-test.run=^TestIdleMemoryClients$", "-test.count=1")
	cmd.Env = append(os.Environ(), idleClientEnv+"="+srv.Listener.Addr().String()+" "+strconv.Itoa(idleConns))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Skipf("cannot start the client process: %v", err)
	}
	defer func() {
		stdin.Close() // the clients close their connections and exit
		cmd.Wait()
	}()
	ready := make(chan error, 1)
	go func() {
		// The client process prints "ready" once every echo has come back.
		out, err := bufio.NewReader(stdout).ReadString('\n')
		if err == nil && !strings.Contains(out, "ready") {
			err = errors.New(strings.TrimSpace(out))
		}
		if err != nil {
			err = fmt.Errorf("client process: %v", err)
		}
		ready <- err
		io.Copy(io.Discard, stdout)
	}()

	for range idleConns {
		var c *Conn
		select {
		case c = <-accepted:
		case err := <-ready:
			b.Fatalf("client process ended early: %v", err)
		case <-time.After(testTimeout):
			b.Fatal("no connection accepted")
		}
		if c == nil {
			b.FailNow()
		}
		servers = append(servers, c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for {
				typ, p, err := c.ReadInto(ctx, buf)
				if err != nil {
					return
				}
				buf = p
				if err := c.Write(ctx, typ, p); err != nil {
					return
				}
			}
		}()
	}
	select {
	case err := <-ready:
		if err != nil {
			b.Fatal(err)
		}
	case <-time.After(testTimeout):
		b.Fatal("client process not ready")
	}
	after := idleMemStats()

	heap := float64(int64(after.HeapInuse)-int64(before.HeapInuse)) / idleConns
	stack := float64(int64(after.StackInuse)-int64(before.StackInuse)) / idleConns
	for b.Loop() {
	}
	b.ReportMetric(heap+stack, "bytes/conn")
	b.ReportMetric(heap, "heap/conn")
	b.ReportMetric(stack, "stack/conn")
}

// TestIdleMemoryClients is the client process of BenchmarkIdleMemory, and
// does nothing unless idleClientEnv is set. It opens the connections, echoes
// one message on each, prints "ready", and holds them until its standard
// input ends.
func TestIdleMemoryClients(t *testing.T) {
	env := os.Getenv(idleClientEnv)
	if env == "" {
		t.Skip("the client process of BenchmarkIdleMemory")
	}
	addr, count, _ := strings.Cut(env, " ")
	n, err := strconv.Atoi(count)
	if err != nil {
		t.Fatal(err)
	}
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, nc := range conns {
			nc.Close()
		}
	}()
	for range n {
		nc, err := rawHandshake(addr)
		if err != nil {
			fmt.Println(err)
			t.Fatal(err)
		}
		conns = append(conns, nc)
		if err := rawEcho(nc); err != nil {
			fmt.Println(err)
			t.Fatal(err)
		}
		nc.SetDeadline(time.Time{})
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
}

// idleMemStats returns the memory statistics once garbage has been collected
// and the pools emptied.
func idleMemStats() runtime.MemStats {
	var ms runtime.MemStats
	for range 3 {
		runtime.GC()
	}
	runtime.ReadMemStats(&ms)
	return ms
}

// rawHandshake opens a client connection to addr by hand, keeping no
// buffer: the server sends nothing after its answer until asked.
func rawHandshake(addr string) (net.Conn, error) {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	nc.SetDeadline(time.Now().Add(testTimeout))
	_, err = io.WriteString(nc, "GET / HTTP/1.1\r\nHost: "+addr+
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "+handshake.NewKey()+
		"\r\nSec-WebSocket-Version: 13\r\n\r\n")
	var resp [512]byte
	n := 0
	for err == nil && !bytes.Contains(resp[:n], []byte("\r\n\r\n")) {
		if n == len(resp) {
			err = errors.New("handshake answer too long")
			break
		}
		var m int
		m, err = nc.Read(resp[n:])
		n += m
	}
	if err == nil && !strings.HasPrefix(string(resp[:n]), "HTTP/1.1 101 ") {
		err = errors.New("handshake refused: " + string(resp[:n]))
	}
	if err == nil && !bytes.HasSuffix(resp[:n], []byte("\r\n\r\n")) {
		err = errors.New("bytes after the handshake answer")
	}
	if err != nil {
		nc.Close()
		return nil, err
	}
	return nc, nil
}

// rawEcho sends a masked 16-byte binary message on nc and reads the echo.
func rawEcho(nc net.Conn) error {
	h := frame.Header{Fin: true, Opcode: frame.OpBinary, Masked: true, Mask: [4]byte{1, 2, 3, 4}, Length: 16}
	var out [frame.MaxHeaderSize + 16]byte
	n := frame.Put(out[:], h)
	frame.Mask(h.Mask, 0, out[n:n+16])
	if _, err := nc.Write(out[:n+16]); err != nil {
		return err
	}
	var in [2 + 16]byte
	if _, err := io.ReadFull(nc, in[:]); err != nil {
		return err
	}
	if in[0] != 0x82 || in[1] != 16 {
		return errors.New("unexpected echo header")
	}
	return nil
}

// TestReadBufferSwitch reads messages of lengths around the small read
// buffer and the pooled one, with pings of every control size between
// them, as the bytes arrive in chunks of many sizes and partly with the
// handshake: the Conn must move bytes between its buffers without losing
// or reordering any, and hold no pooled buffer once a message is read and
// nothing more is buffered.
func TestReadBufferSwitch(t *testing.T) {
	wire, want := bufferSwitchScript()
	for _, rbs := range []int{0, 256} {
		for _, chunk := range []int{0, 1, 7, 71, 72, 73, 300, 5000} {
			for _, buffered := range []int{0, 10, 72, 100, 256, 5000} {
				opts := (&Options{ReadBufferSize: rbs, CloseTimeout: time.Second}).withDefaults()
				nc := &scriptedConn{data: wire[buffered:], chunk: chunk}
				c := newConn(nc, false, opts, wire[:buffered])
				readBufferSwitchScript(t, c, want, fmt.Sprintf("rbs %d chunk %d buffered %d", rbs, chunk, buffered))
				pongs := 0
				for rest := nc.sent(); len(rest) > 0; {
					h, n, err := frame.Parse(rest)
					if err != nil {
						t.Fatal(err)
					}
					if h.Opcode == frame.OpPong {
						pongs++
					}
					rest = rest[n+int(h.Length):]
				}
				if pongs != len(want) {
					t.Fatalf("rbs %d chunk %d buffered %d: %d pongs, want %d", rbs, chunk, buffered, pongs, len(want))
				}
				c.Abort()
			}
		}
	}
}

// bufferSwitchScript returns the frames the buffer-switch tests send:
// binary messages of lengths around the small read buffer and the pooled
// one, each followed by a ping of a growing size, then a close with 1000;
// and the messages a reader must get.
func bufferSwitchScript() (wire []byte, want [][]byte) {
	lengths := []int{0, 1, 16, 50, 58, 59, 60, 65, 66, 71, 72, 73, 125, 126, 200, 255, 256, 257, 1000, 4095, 4096, 4097, 9000, 70000}
	for i, n := range lengths {
		p := make([]byte, n)
		for j := range p {
			p[j] = byte(i + j)
		}
		want = append(want, p)
		wire = appendMaskedFrame(wire, frame.OpBinary, p)
		ping := bytes.Repeat([]byte{'p'}, i*125/len(lengths)+1)
		wire = appendMaskedFrame(wire, frame.OpPing, ping)
	}
	wire = appendMaskedFrame(wire, frame.OpClose, frame.AppendClose(nil, 1000, ""))
	return wire, want
}

// readBufferSwitchScript reads the messages of bufferSwitchScript from c
// and then the peer's close, checking after each message that c holds no
// empty pooled buffer.
func readBufferSwitchScript(t *testing.T, c *Conn, want [][]byte, label string) {
	t.Helper()
	var buf []byte
	for i, w := range want {
		_, p, err := c.ReadInto(context.Background(), buf)
		if err != nil {
			t.Fatalf("%s: message %d: %v", label, i, err)
		}
		if !bytes.Equal(p, w) {
			t.Fatalf("%s: message %d differs", label, i)
		}
		if c.rpooled != nil && c.rpos == c.rend {
			t.Fatalf("%s: message %d: a pooled buffer is held with nothing in it", label, i)
		}
		buf = p
	}
	if _, _, err := c.ReadInto(context.Background(), buf); CloseStatus(err) != CloseNormal {
		t.Fatalf("%s: got %v, want the peer's close", label, err)
	}
}

// appendMaskedFrame appends a final, masked frame carrying p.
func appendMaskedFrame(b []byte, op frame.Opcode, p []byte) []byte {
	h := frame.Header{Fin: true, Opcode: op, Masked: true, Mask: [4]byte{9, 8, 7, 6}, Length: int64(len(p))}
	b = frame.Append(b, h)
	n := len(b)
	b = append(b, p...)
	frame.Mask(h.Mask, 0, b[n:])
	return b
}

// TestRawReadBufferSwitch is TestReadBufferSwitch over a TCP connection,
// which the Conn reads through its raw socket: the bytes arrive in chunks of
// many sizes, often making reads wait part-way through a header or payload,
// where the Conn gives its pooled buffer back and takes one again.
func TestRawReadBufferSwitch(t *testing.T) {
	wire, want := bufferSwitchScript()
	for _, chunk := range []int{7, 71, 73, 300, 5000} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		peer, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		nc, err := ln.Accept()
		ln.Close()
		if err != nil {
			t.Fatal(err)
		}
		c := newConn(nc, false, (&Options{CloseTimeout: time.Second}).withDefaults(), nil)
		if c.raw == nil && runtime.GOOS != "windows" && runtime.GOOS != "plan9" {
			t.Fatal("a TCP connection is not read through its raw socket")
		}
		go io.Copy(io.Discard, peer) // the pongs and the close
		go func() {
			for i, rest := 0, wire; len(rest) > 0; i++ {
				n := min(chunk, len(rest))
				if _, err := peer.Write(rest[:n]); err != nil {
					return
				}
				rest = rest[n:]
				if i%16 == 0 {
					time.Sleep(50 * time.Microsecond)
				}
			}
			peer.(*net.TCPConn).CloseWrite()
		}()
		readBufferSwitchScript(t, c, want, fmt.Sprintf("chunk %d", chunk))
		c.Abort()
		peer.Close()
	}
}
