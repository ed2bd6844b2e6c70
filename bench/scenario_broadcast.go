package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/wsx-go/websocket/peers"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	coder "github.com/coder/websocket"
	"github.com/gobwas/ws"
	gorilla "github.com/gorilla/websocket"
	"github.com/lesismal/nbio/logging"
	"github.com/lesismal/nbio/nbhttp"
	nbws "github.com/lesismal/nbio/nbhttp/websocket"
	"github.com/lxzan/gws"
	wsx "github.com/wsx-go/websocket"
)

// broadcastScenario measures fan-out: the server sends Msgs binary
// messages of Size bytes to each of Conns connections, as fast as the
// library lets it, and the client counts the deliveries.
//
// The server runs in broadcast mode (serve -broadcast Msgs -size Size
// -conns Conns). A data message from any client is the trigger: the
// server waits until all Conns connections are registered, then sends
// message 1 to every connection, then message 2, and so on, from the
// goroutine (or callback) that read the trigger. The client sends the
// trigger on its first connection, which also receives the broadcast,
// and a round ends when every connection has read all Msgs messages. One
// untimed round warms the buffers and pools, then rounds follow one
// another until the measuring window is spent.
//
// What each adapter sends with, the most efficient way each library
// offers for sending one message to many connections:
//
//   - raw: the length-prefixed frame built once per message and queued on
//     each connection; a goroutine per connection, running while frames
//     wait, writes all that wait with one vectored write.
//   - wsx: one PreparedMessage per message (the frame is built once),
//     SendPrepared per connection; each connection's send queue writes
//     the frames waiting in it in batches, one vectored write each.
//   - gorilla: one PreparedMessage per message (the frame is built once),
//     WritePreparedMessage per connection.
//   - coder: Conn.Write per connection; no broadcast API.
//   - gobwas: ws.CompileFrame once per message, net.Conn.Write of the
//     compiled frame per connection.
//   - gws: one Broadcaster per message, Broadcast per connection, Close
//     after the last; the writes run asynchronously in each connection's
//     write queue, one write per frame.
//   - nbio: Conn.WriteMessage per connection, from the OnMessage callback;
//     nbio has no broadcast API, and queues what a socket does not take.
//
// Write errors are ignored; a connection that misses messages makes the
// client time out and the measurement fail.
var broadcastScenario = Scenario{
	Name: "broadcast",
	Doc: "Broadcast: on a trigger message from one client, the server sends each message, one after another, " +
		"to every connection, with the library's most efficient way to send one message to many connections " +
		"(wsx: PreparedMessage queued with SendPrepared, each connection's queue writing what waits in it in batches; " +
		"gorilla: PreparedMessage; gws: Broadcaster, queued, one write per frame; gobwas: a frame compiled once with ws.CompileFrame; " +
		"coder, nbio: a plain write per connection; raw: one length-prefixed frame queued per connection, " +
		"each queue writing what waits in it with one vectored write). " +
		"The client counts the messages every connection reads; deliveries/s is messages × connections over " +
		"the time from sending each round's trigger to its last delivery, summed over the rounds, MB/s the payload delivered per second (10⁶ bytes). " +
		"200 messages per connection a round (quick: 250); one untimed round, then rounds until the measuring window is spent. " +
		"When the server writes one frame per system call, the client, on one CPU, reads about one message per read and sets the pace; " +
		"a server whose queues gather the frames waiting in them lets it read many per read.",
	Cells:      []Cell{{Name: "1000conn-1KiB", Conns: 1000, Size: 1 << 10, Msgs: 200}},
	QuickCells: []Cell{{Name: "200conn-1KiB", Conns: 200, Size: 1 << 10, Msgs: 250}},
	Metrics: []Metric{
		{Name: "deliveries/s", HigherBetter: true, Format: fmtCount},
		{Name: "MB/s", HigherBetter: true, Format: func(v float64) string { return fmt.Sprintf("%.1f", v) }},
		{Name: "time/round", Format: fmtMicros},
	},
	ServerArgs: func(cell Cell, _ *Config) []string {
		return []string{"-broadcast", fmt.Sprint(cell.Msgs), "-size", fmt.Sprint(cell.Size), "-conns", fmt.Sprint(cell.Conns)}
	},
	Run: runBroadcast,
}

// broadcastTimeout bounds one broadcast round.
const broadcastTimeout = 60 * time.Second

// runBroadcast measures one broadcast cell: deliveries/s, MB/s, and the
// mean time of a round in µs. After one untimed round, rounds follow one
// another until the measuring window is spent, at least one of them.
func runBroadcast(srv *serverProc, im Impl, cell Cell, cfg *Config) ([]float64, error) {
	cs, err := dialMany(srv.Addr, im.Raw, cell.Conns, cell.Size, 16<<10, false)
	defer func() {
		for _, c := range cs {
			if c != nil {
				c.Close()
			}
		}
	}()
	if err != nil {
		return nil, err
	}
	if _, err := broadcastRound(cs, cell.Msgs); err != nil {
		return nil, fmt.Errorf("warm-up round: %w", err)
	}
	var total time.Duration
	rounds := 0
	for rounds == 0 || total < cfg.Measure {
		d, err := broadcastRound(cs, cell.Msgs)
		if err != nil {
			return nil, fmt.Errorf("round %d: %w", rounds+1, err)
		}
		total += d
		rounds++
	}
	n := float64(rounds) * float64(cell.Conns) * float64(cell.Msgs)
	perRound := float64(total) / float64(rounds) / float64(time.Microsecond)
	return []float64{n / total.Seconds(), n * float64(cell.Size) / total.Seconds() / 1e6, perRound}, nil
}

// broadcastRound triggers one broadcast on cs[0] and waits until every
// connection has read msgs messages.
func broadcastRound(cs []*echoConn, msgs int) (time.Duration, error) {
	deadline := time.Now().Add(broadcastTimeout)
	errs := make([]error, len(cs))
	var wg sync.WaitGroup
	for i, c := range cs {
		c.nc.SetReadDeadline(deadline)
		wg.Go(func() {
			for k := range msgs {
				var err error
				if c.raw {
					err = c.readRaw()
				} else {
					err = c.readMessage()
				}
				if err != nil {
					errs[i] = fmt.Errorf("connection %d, message %d: %w", i, k, err)
					return
				}
			}
		})
	}
	t0 := time.Now()
	if _, err := cs[0].nc.Write(cs[0].req); err != nil {
		return 0, err
	}
	wg.Wait()
	d := time.Since(t0)
	return d, errors.Join(errs...)
}

// dialMany opens n connections to addr, a few at a time, with read
// buffers of bufSize bytes, for size-byte messages; with echo set each
// completes one round trip. The connections opened are returned even on
// error, for the caller to close.
func dialMany(addr string, raw bool, n, size, bufSize int, echo bool) ([]*echoConn, error) {
	const dialers = 8
	cs := make([]*echoConn, n)
	errs := make([]error, dialers)
	var wg sync.WaitGroup
	for w := range dialers {
		wg.Go(func() {
			for i := w; i < n; i += dialers {
				c, err := dialEchoBuf(addr, raw, size, bufSize)
				if err == nil {
					cs[i] = c
					if echo {
						err = c.roundTrip()
					}
				}
				if err != nil {
					errs[w] = fmt.Errorf("connection %d: %w", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	return cs, errors.Join(errs...)
}

// broadcastPayload returns the size-byte message the server broadcasts.
func broadcastPayload(size int) []byte {
	p := make([]byte, size)
	for i := range p {
		p[i] = byte(i * 7)
	}
	return p
}

// broadcastConfig is what a broadcast server needs to know.
type broadcastConfig struct {
	Conns   int    // connections to wait for before broadcasting
	Msgs    int    // messages per trigger
	Payload []byte // every message's payload
}

// broadcastServers holds each implementation's broadcast mode: serve
// bc on ln, and return a function that stops the server.
var broadcastServers = map[string]func(ln net.Listener, bc broadcastConfig) (stop func()){
	rawName:   rawBroadcast,
	"wsx":     wsxBroadcast,
	"gorilla": gorillaBroadcast,
	"coder":   coderBroadcast,
	"gobwas":  gobwasBroadcast,
	"gws":     gwsBroadcast,
	"nbio":    nbioBroadcast,
}

// hub is the set of a broadcast server's connections.
type hub[T any] struct {
	mu    sync.Mutex
	conns []T
}

// add registers c.
func (h *hub[T]) add(c T) {
	h.mu.Lock()
	h.conns = append(h.conns, c)
	h.mu.Unlock()
}

// wait returns the connections once there are n of them: a client may
// send its trigger before the server has registered the last connection
// it has answered the handshake of.
func (h *hub[T]) wait(n int) []T {
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(time.Millisecond) {
		h.mu.Lock()
		cs := h.conns
		h.mu.Unlock()
		if len(cs) >= n {
			return cs
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.conns
}

func rawBroadcast(ln net.Listener, bc broadcastConfig) func() {
	var h hub[*rawQueue]
	return acceptLoop(ln, func(c net.Conn) {
		defer c.Close()
		h.add(&rawQueue{c: c})
		br := bufio.NewReaderSize(c, 4096)
		var hdr [4]byte
		for {
			if _, err := io.ReadFull(br, hdr[:]); err != nil {
				return
			}
			if _, err := br.Discard(int(binary.BigEndian.Uint32(hdr[:]))); err != nil {
				return
			}
			queues := h.wait(bc.Conns)
			for range bc.Msgs {
				f := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(bc.Payload)), uint32(len(bc.Payload)))
				f = append(f, bc.Payload...)
				for _, q := range queues {
					q.send(f)
				}
			}
		}
	})
}

// rawQueue is the raw broadcast's send queue for one connection: frames
// wait in it, and a goroutine, started when the first one comes and ended
// when none is left, writes all that wait with one vectored write.
type rawQueue struct {
	c       net.Conn
	mu      sync.Mutex
	frames  net.Buffers
	running bool
}

// send queues the frame f, which is shared and never modified.
func (q *rawQueue) send(f []byte) {
	q.mu.Lock()
	q.frames = append(q.frames, f)
	start := !q.running
	q.running = true
	q.mu.Unlock()
	if start {
		go q.drain()
	}
}

// drain writes what waits until nothing does. A failed write closes the
// connection; the client then times out and the measurement fails.
func (q *rawQueue) drain() {
	var out net.Buffers
	for {
		q.mu.Lock()
		if len(q.frames) == 0 {
			q.running = false
			q.mu.Unlock()
			return
		}
		out, q.frames = q.frames, out[:0]
		q.mu.Unlock()
		v := out
		if _, err := v.WriteTo(q.c); err != nil {
			q.c.Close()
		}
		clear(out)
	}
}

func wsxBroadcast(ln net.Listener, bc broadcastConfig) func() {
	var h hub[*wsx.Conn]
	return serveHTTP(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := wsx.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.Abort()
		h.add(c)
		ctx := context.Background()
		var buf []byte
		for {
			_, msg, err := c.ReadInto(ctx, buf)
			if err != nil {
				return
			}
			buf = msg
			conns := h.wait(bc.Conns)
			for range bc.Msgs {
				m, err := wsx.NewPreparedMessage(wsx.MessageBinary, bc.Payload)
				if err != nil {
					return
				}
				for _, c := range conns {
					c.SendPrepared(m)
				}
			}
		}
	}))
}

func gorillaBroadcast(ln net.Listener, bc broadcastConfig) func() {
	var h hub[*gorilla.Conn]
	return serveHTTP(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := peers.GorillaUpgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		h.add(c)
		for {
			_, rd, err := c.NextReader()
			if err != nil {
				return
			}
			if _, err := io.Copy(io.Discard, rd); err != nil {
				return
			}
			conns := h.wait(bc.Conns)
			for range bc.Msgs {
				pm, err := gorilla.NewPreparedMessage(gorilla.BinaryMessage, bc.Payload)
				if err != nil {
					return
				}
				for _, c := range conns {
					c.WritePreparedMessage(pm)
				}
			}
		}
	}))
}

func coderBroadcast(ln net.Listener, bc broadcastConfig) func() {
	var h hub[*coder.Conn]
	return serveHTTP(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := coder.Accept(w, r, &coder.AcceptOptions{InsecureSkipVerify: true})
		if err != nil {
			return
		}
		defer c.CloseNow()
		h.add(c)
		ctx := context.Background()
		for {
			_, rd, err := c.Reader(ctx)
			if err != nil {
				return
			}
			if _, err := io.Copy(io.Discard, rd); err != nil {
				return
			}
			conns := h.wait(bc.Conns)
			for range bc.Msgs {
				for _, c := range conns {
					c.Write(ctx, coder.MessageBinary, bc.Payload)
				}
			}
		}
	}))
}

func gobwasBroadcast(ln net.Listener, bc broadcastConfig) func() {
	var h hub[net.Conn]
	return acceptLoop(ln, func(c net.Conn) {
		defer c.Close()
		if _, err := ws.Upgrade(c); err != nil {
			return
		}
		h.add(c)
		br := bufio.NewReaderSize(c, 4096)
		for {
			hd, err := ws.ReadHeader(br)
			if err != nil {
				return
			}
			if _, err := br.Discard(int(hd.Length)); err != nil {
				return
			}
			if hd.OpCode.IsControl() {
				continue
			}
			conns := h.wait(bc.Conns)
			for range bc.Msgs {
				f, err := ws.CompileFrame(ws.NewBinaryFrame(bc.Payload))
				if err != nil {
					return
				}
				for _, c := range conns {
					c.Write(f)
				}
			}
		}
	})
}

// gwsBroadcaster registers connections and broadcasts on every message.
type gwsBroadcaster struct {
	gws.BuiltinEventHandler
	h  *hub[*gws.Conn]
	bc broadcastConfig
}

func (g gwsBroadcaster) OnOpen(c *gws.Conn) { g.h.add(c) }

func (g gwsBroadcaster) OnMessage(_ *gws.Conn, m *gws.Message) {
	m.Close()
	conns := g.h.wait(g.bc.Conns)
	for range g.bc.Msgs {
		b := gws.NewBroadcaster(gws.OpcodeBinary, g.bc.Payload)
		for _, c := range conns {
			b.Broadcast(c)
		}
		b.Close()
	}
}

func gwsBroadcast(ln net.Listener, bc broadcastConfig) func() {
	srv := gws.NewServer(gwsBroadcaster{h: new(hub[*gws.Conn]), bc: bc}, &gws.ServerOption{})
	return acceptLoop(ln, func(c net.Conn) {
		br := bufio.NewReaderSize(c, 4096)
		r, err := http.ReadRequest(br)
		if err != nil {
			c.Close()
			return
		}
		srv.OnRequest(c, br, r)
	})
}

func nbioBroadcast(ln net.Listener, bc broadcastConfig) func() {
	logging.SetLevel(logging.LevelNone)
	var h hub[*nbws.Conn]
	up := nbws.NewUpgrader()
	up.CheckOrigin = func(*http.Request) bool { return true }
	up.OnOpen(h.add)
	up.OnMessage(func(*nbws.Conn, nbws.MessageType, []byte) {
		conns := h.wait(bc.Conns)
		for range bc.Msgs {
			for _, c := range conns {
				c.WriteMessage(nbws.BinaryMessage, bc.Payload)
			}
		}
	})
	engine := nbhttp.NewEngine(nbhttp.Config{
		Network: "tcp",
		Addrs:   []string{ln.Addr().String()},
		Listen:  func(string, string) (net.Listener, error) { return ln, nil },
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			up.Upgrade(w, r, nil)
		}),
	})
	if err := engine.Start(); err != nil {
		panic(err)
	}
	return engine.Stop
}
