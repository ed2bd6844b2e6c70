package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/flate"
	"github.com/wsx-go/websocket/internal/frame"
	"github.com/wsx-go/websocket/internal/handshake"
)

// deflateScenario measures closed-loop echo round trips with
// permessage-deflate (RFC 7692): every connection sends a compressed
// 64 KiB JSON-like text message and waits for its echo, which the server
// has decompressed and compressed again, before sending the next.
//
// Two modes, one cell each:
//
//   - takeover: the client offers plain "permessage-deflate", so both
//     directions may keep their compression context from message to
//     message; an answer with server_no_context_takeover or
//     client_no_context_takeover fails the measurement. The client
//     inflates each echo with the history of the echoes before it.
//   - notakeover: the client offers server_no_context_takeover and
//     client_no_context_takeover, and the answer must carry
//     server_no_context_takeover; every echo is inflated on its own.
//
// The client is the same for every server and does as little as it can:
// its messages are compressed once per run, each on its own (valid in
// both modes: a sender need not use the history it may use), and masked
// once, so each round trip writes a prepared frame. It inflates every
// echo with klauspost/compress and compares it with what it sent, checks
// that every echo has RSV1 set, and counts the bytes the server sent.
// A library that cannot negotiate a mode has no row in that cell (see
// deflateServers); no library is made to pretend.
//
// Servers compress at level 1, every library's default (gobwas/ws, which
// leaves the codec to its user, is given klauspost/compress at level 1).
// After the measuring window, with the connections open and idle, the
// server reports its memory as in the idle scenario; the growth over the
// memory before the first connection, divided by the connections, is
// mem/conn.
var deflateScenario = Scenario{
	Name: "deflate",
	Doc: "Closed-loop echo with permessage-deflate: each of 16 connections sends a 64 KiB JSON-like text " +
		"message (records with repeating keys and varying values; about 20% of its size after level-1 DEFLATE), " +
		"compressed, and waits for the echo, which the server decompresses and compresses again, at level 1 " +
		"(every library's default; gobwas/ws's wsflate is given klauspost/compress at level 1). " +
		"takeover: the client offers plain permessage-deflate, and an answer that turns context takeover off " +
		"in either direction fails; the client inflates each echo with the history of the ones before. " +
		"notakeover: the client offers server_no_context_takeover and client_no_context_takeover. The client " +
		"sends messages compressed once per run, each on its own, inflates and compares every echo, and checks " +
		"RSV1 on each. msg/s counts completed round trips; mem/conn is the growth of the server's HeapInuse + " +
		"StackInuse after runtime.GC, with the connections open after the measuring window, over the memory " +
		"before the first connection, divided by the connections (as in idle; pooled memory a collection " +
		"frees is not counted). It includes what each echo handler keeps between messages (the reused message " +
		"buffers of wsx's ReadInto and of the gobwas handler, coder's 32 KiB copy buffer) and, for gws, the " +
		"encoder state of its process-wide pool of 32 compressors, allocated on first use, one per connection " +
		"here. wire is the bytes the server sent (frame headers included) over the payload " +
		"echoed; latencies are per round trip. There is no raw row: ×best peer compares with the fastest " +
		"library other than wsx. — in the summary: the library cannot do that mode, so it is not measured: " +
		"gorilla and nbio answer every offer with server_no_context_takeover; client_no_context_takeover, and " +
		"gobwas/ws's wsflate resets its compressor and decompressor for every message. gws answers the takeover " +
		"offer with server_max_window_bits=12; client_max_window_bits=12 (its default window for takeover; the " +
		"client then compresses with a 4 KiB window); every other takeover answer is plain permessage-deflate.",
	Cells: []Cell{
		{Name: "16conn-64KiB-notakeover", Conns: 16, Size: 64 << 10, Mode: deflateNoTakeover},
		{Name: "16conn-64KiB-takeover", Conns: 16, Size: 64 << 10, Mode: deflateTakeover},
	},
	Metrics: []Metric{
		{Name: "msg/s", HigherBetter: true, Format: fmtCount},
		{Name: "mem/conn", Format: fmtBytes},
		{Name: "wire", Format: func(v float64) string { return fmt.Sprintf("%.1f%%", v) }},
		{Name: "p50", Format: fmtMicros},
		{Name: "p99", Format: fmtMicros},
	},
	ServerArgs:    func(cell Cell, _ *Config) []string { return []string{"-deflate", cell.Mode} },
	Subjects:      deflateSubjects,
	RefName:       "best peer",
	RefBestExcept: "wsx",
	Run:           runDeflate,
}

// The modes of the deflate cells, as the serve subcommand's -deflate
// takes them.
const (
	deflateTakeover   = "takeover"
	deflateNoTakeover = "notakeover"
)

// deflateServer is one library's echo server with permessage-deflate.
type deflateServer struct {
	// Serve starts echoing on ln, as Impl.Serve does, negotiating
	// permessage-deflate with context takeover in both directions if
	// takeover is set and with none otherwise.
	Serve func(ln net.Listener, takeover bool) (stop func())
	// NoTakeover, if set, is why the library cannot do context takeover:
	// it then has no row in the takeover cell.
	NoTakeover string
}

// deflateServers holds the implementations that speak permessage-deflate;
// each is defined in its impl_*.go file.
var deflateServers = map[string]deflateServer{
	"wsx":     wsxDeflate,
	"gorilla": gorillaDeflate,
	"coder":   coderDeflate,
	"gobwas":  gobwasDeflate,
	"gws":     gwsDeflate,
	"nbio":    nbioDeflate,
}

// serveDeflate starts im's permessage-deflate echo on ln in mode.
func serveDeflate(im Impl, ln net.Listener, mode string) (stop func(), err error) {
	ds, ok := deflateServers[im.Name]
	if !ok {
		return nil, fmt.Errorf("%s has no permessage-deflate echo", im.Name)
	}
	switch mode {
	case deflateTakeover:
		if ds.NoTakeover != "" {
			return nil, fmt.Errorf("%s cannot do context takeover: %s", im.Name, ds.NoTakeover)
		}
		return ds.Serve(ln, true), nil
	case deflateNoTakeover:
		return ds.Serve(ln, false), nil
	}
	return nil, fmt.Errorf("unknown deflate mode %q (want %s or %s)", mode, deflateTakeover, deflateNoTakeover)
}

// deflateSubjects returns the implementations of list that can serve the
// cell's mode: no raw row, and none for a mode a library cannot do.
func deflateSubjects(cell Cell, list []Impl) []Impl {
	var out []Impl
	for _, im := range list {
		ds, ok := deflateServers[im.Name]
		if im.Raw || !ok || (cell.Mode == deflateTakeover && ds.NoTakeover != "") {
			continue
		}
		out = append(out, im)
	}
	return out
}

// runDeflate measures one deflate cell: msg/s, memory per connection,
// wire bytes as a percentage of the payload, p50 and p99 in µs.
func runDeflate(srv *serverProc, im Impl, cell Cell, cfg *Config) ([]float64, error) {
	base, err := srv.stats()
	if err != nil {
		return nil, err
	}
	cs := make([]*deflateConn, 0, cell.Conns)
	defer func() {
		for _, c := range cs {
			c.Close()
		}
	}()
	for i := range cell.Conns {
		c, err := dialDeflate(srv.Addr, cell.Mode, cell.Size, i)
		if err != nil {
			return nil, fmt.Errorf("connection %d: %w", i, err)
		}
		cs = append(cs, c)
	}
	logNegotiated(cell, im, cs[0].ext)

	var phase atomic.Int32
	var wg sync.WaitGroup
	lats := make([][]time.Duration, len(cs))
	errs := make([]error, len(cs))
	for i, c := range cs {
		wg.Go(func() {
			var lat []time.Duration
			for phase.Load() != phaseStop {
				t0 := time.Now()
				if err := c.roundTrip(); err != nil {
					errs[i] = fmt.Errorf("connection %d: %w", i, err)
					phase.Store(phaseStop)
					break
				}
				if phase.Load() == phaseMeasure {
					lat = append(lat, time.Since(t0))
				}
			}
			lats[i] = lat
		})
	}
	time.Sleep(cfg.Warm)
	phase.CompareAndSwap(phaseWarm, phaseMeasure)
	start := time.Now()
	time.Sleep(cfg.Measure)
	phase.Store(phaseStop)
	elapsed := time.Since(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	// Every round trip has ended, so the server's connections wait in
	// their reads; let them settle there before the memory is read.
	time.Sleep(100 * time.Millisecond)
	st, err := srv.stats()
	if err != nil {
		return nil, err
	}
	n := float64(cell.Conns)
	mem := (float64(st.HeapInuse+st.StackInuse) - float64(base.HeapInuse+base.StackInuse)) / n

	var all []time.Duration
	var wire, echoed int64
	for i, c := range cs {
		all = append(all, lats[i]...)
		wire += c.wire
		echoed += c.echoed
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("no round trip completed in %v", elapsed)
	}
	ratio := float64(wire) / (float64(echoed) * float64(cell.Size))
	if ratio >= 0.5 {
		// The JSON-like messages deflate to about a fifth of their size;
		// half means the echoes were not really compressed.
		return nil, fmt.Errorf("server sent %d bytes for %d echoes of %d bytes (%.0f%%): not compressed", wire, echoed, cell.Size, 100*ratio)
	}
	slices.Sort(all)
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	return []float64{
		float64(len(all)) / elapsed.Seconds(),
		mem,
		100 * ratio,
		us(percentile(all, 50)),
		us(percentile(all, 99)),
	}, nil
}

// logged holds the cells and implementations whose negotiated extension
// was written to stderr, to write each once.
var logged sync.Map

// logNegotiated writes what im's server answered in cell to stderr, once.
func logNegotiated(cell Cell, im Impl, ext string) {
	key := cell.Name + " " + im.Name
	if _, dup := logged.LoadOrStore(key, true); !dup {
		fmt.Fprintf(os.Stderr, "deflate/%s %s: Sec-WebSocket-Extensions: %s\n", cell.Name, im.Name, ext)
	}
}

// deflateMessages is the number of different messages a run sends; each
// connection goes through them in turn, so that with context takeover a
// message follows a similar but not equal one.
const deflateMessages = 8

// deflateWindow is the largest DEFLATE window, 32 KiB (RFC 1951).
const deflateWindow = 1 << 15

// deflateTail ends every compressed payload before it is inflated: the
// 4 bytes of the empty stored block RFC 7692 §7.2.2 has the sender
// remove, then a final empty stored block, so that the inflater ends
// with io.EOF rather than waiting for more.
var deflateTail = []byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}

// deflateLoad is what every connection of a run sends: the messages, and
// each as a compressed, masked frame, by client window bits.
type deflateLoad struct {
	msgs   [][]byte
	frames [][]byte
}

var (
	loadsMu sync.Mutex
	loads   = map[[2]int]*deflateLoad{} // by message size and window bits
)

// loadFor returns the messages of size bytes and their frames compressed
// with a window of 1<<bits bytes, built on first use.
func loadFor(size, bits int) (*deflateLoad, error) {
	loadsMu.Lock()
	defer loadsMu.Unlock()
	if l := loads[[2]int{size, bits}]; l != nil {
		return l, nil
	}
	l := &deflateLoad{}
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	for i := range deflateMessages {
		msg := jsonLike(size, uint64(i+1))
		var buf bytes.Buffer
		var fw *flate.Writer
		var err error
		if bits == 15 {
			// A browser's level, once per run; the server's cost of
			// inflating hardly depends on it.
			fw, err = flate.NewWriter(&buf, flate.DefaultCompression)
		} else {
			fw, err = flate.NewWriterWindow(&buf, 1<<bits)
		}
		if err != nil {
			return nil, err
		}
		if _, err := fw.Write(msg); err != nil {
			return nil, err
		}
		if err := fw.Flush(); err != nil {
			return nil, err
		}
		p := buf.Bytes()
		if !bytes.HasSuffix(p, deflateTail[:4]) {
			return nil, errors.New("compressed message does not end with a sync flush")
		}
		p = p[:len(p)-4]
		f := frame.Append(nil, frame.Header{Fin: true, RSV: frame.RSV1, Opcode: frame.OpText, Masked: true, Mask: key, Length: int64(len(p))})
		n := len(f)
		f = append(f, p...)
		frame.Mask(key, 0, f[n:])
		l.msgs = append(l.msgs, msg)
		l.frames = append(l.frames, f)
	}
	loads[[2]int{size, bits}] = l
	return l, nil
}

// jsonLike returns size bytes of JSON, an array of records with the same
// keys and values drawn from seed, padded with spaces before the closing
// bracket. Level-1 DEFLATE makes about a fifth of it.
func jsonLike(size int, seed uint64) []byte {
	cities := []string{"Lisbon", "Osaka", "Nairobi", "Toronto", "Lima", "Oslo", "Hanoi", "Perth", "Denver", "Tunis", "Quito", "Riga"}
	words := []string{"alpha", "bravo", "delta", "echo", "kilo", "lima", "oscar", "romeo", "sierra", "tango", "victor", "zulu"}
	statuses := []string{"active", "pending", "suspended", "closed"}
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	b := append(make([]byte, 0, size), '[')
	id := 100000 + r.IntN(100000)
	var rec []byte
	for {
		rec = rec[:0]
		if len(b) > 1 {
			rec = append(rec, ',')
		}
		id += 1 + r.IntN(3)
		u := strconv.Itoa(r.IntN(5000))
		rec = fmt.Appendf(rec, `{"id":%d,"user":"user_%s","email":"user_%s@example.com","status":%q,"score":%.2f,`,
			id, u, u, statuses[r.IntN(len(statuses))], float64(r.IntN(100000))/100)
		rec = fmt.Appendf(rec, `"tags":[%q,%q],"created":"2026-%02d-%02dT%02d:%02d:%02dZ",`,
			words[r.IntN(len(words))], words[r.IntN(len(words))], 1+r.IntN(12), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60))
		rec = fmt.Appendf(rec, `"location":{"city":%q,"lat":%.3f,"lon":%.3f},"verified":%t}`,
			cities[r.IntN(len(cities))], float64(r.IntN(180000))/1000-90, float64(r.IntN(360000))/1000-180, r.IntN(4) != 0)
		if len(b)+len(rec)+1 > size {
			break
		}
		b = append(b, rec...)
	}
	for len(b) < size-1 {
		b = append(b, ' ')
	}
	return append(b, ']')[:size]
}

// deflateConn is one connection of the deflate load client.
type deflateConn struct {
	nc       net.Conn
	br       *bufio.Reader
	load     *deflateLoad
	next     int    // the message to send next
	size     int    // the size of every message
	takeover bool   // the server keeps its context: inflate with the history
	ext      string // the server's Sec-WebSocket-Extensions

	wire   int64 // bytes read from the server since the handshake
	echoed int64 // echoes read and checked

	fr   io.ReadCloser // klauspost's inflater, reset for every echo
	src  bytes.Reader
	comp []byte // the compressed echo, then deflateTail
	out  []byte // the inflated echo, with room for one byte more
	hist []byte // with takeover: the last deflateWindow bytes inflated
}

// countingConn counts the bytes read from a net.Conn.
type countingConn struct {
	net.Conn
	n *int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	*c.n += int64(n)
	return n, err
}

// dialDeflate connects to addr, negotiates permessage-deflate in mode,
// and prepares round trips of size-byte messages, starting with message
// first.
func dialDeflate(addr, mode string, size, first int) (*deflateConn, error) {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	c := &deflateConn{nc: nc, size: size, out: make([]byte, size+1), fr: flate.NewReader(nil)}
	c.br = bufio.NewReaderSize(countingConn{nc, &c.wire}, 64<<10)
	p, err := c.handshake(addr, mode)
	if err != nil {
		nc.Close()
		return nil, err
	}
	if c.load, err = loadFor(size, p.clientBits); err != nil {
		nc.Close()
		return nil, err
	}
	c.takeover = !p.serverNoTakeover
	c.next = first % len(c.load.frames)
	c.wire = 0
	return c, nil
}

// deflateParams are the parameters of a permessage-deflate answer.
type deflateParams struct {
	serverNoTakeover, clientNoTakeover bool
	serverBits, clientBits             int // 15 when absent
}

// handshake performs the opening handshake with the offer of mode and
// checks that the server accepted it in that mode.
func (c *deflateConn) handshake(addr, mode string) (deflateParams, error) {
	offer := "permessage-deflate"
	if mode == deflateNoTakeover {
		offer += "; server_no_context_takeover; client_no_context_takeover"
	}
	key := handshake.NewKey()
	req := "GET / HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: " + offer + "\r\n\r\n"
	if _, err := io.WriteString(c.nc, req); err != nil {
		return deflateParams{}, err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return deflateParams{}, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return deflateParams{}, fmt.Errorf("handshake: status %s", resp.Status)
	}
	if resp.Header.Get("Sec-WebSocket-Accept") != handshake.AcceptKey(key) {
		return deflateParams{}, errors.New("handshake: wrong Sec-WebSocket-Accept")
	}
	c.ext = strings.Join(resp.Header.Values("Sec-WebSocket-Extensions"), ", ")
	p, err := parseDeflateAnswer(c.ext)
	if err != nil {
		return p, fmt.Errorf("handshake: Sec-WebSocket-Extensions %q: %w", c.ext, err)
	}
	switch {
	case mode == deflateNoTakeover && !p.serverNoTakeover:
		return p, fmt.Errorf("handshake: Sec-WebSocket-Extensions %q lacks the offered server_no_context_takeover", c.ext)
	case mode == deflateTakeover && (p.serverNoTakeover || p.clientNoTakeover):
		return p, fmt.Errorf("handshake: Sec-WebSocket-Extensions %q turns context takeover off: the takeover mode cannot be measured", c.ext)
	}
	return p, nil
}

// parseDeflateAnswer parses a server's Sec-WebSocket-Extensions, which
// must accept permessage-deflate and nothing else.
func parseDeflateAnswer(v string) (deflateParams, error) {
	p := deflateParams{serverBits: 15, clientBits: 15}
	if v == "" {
		return p, errors.New("permessage-deflate not negotiated")
	}
	if strings.Contains(v, ",") {
		return p, errors.New("more than one extension")
	}
	parts := strings.Split(v, ";")
	if strings.TrimSpace(parts[0]) != "permessage-deflate" {
		return p, errors.New("not permessage-deflate")
	}
	seen := map[string]bool{}
	for _, part := range parts[1:] {
		name, val, hasVal := strings.Cut(strings.TrimSpace(part), "=")
		if seen[name] {
			return p, fmt.Errorf("parameter %s repeated", name)
		}
		seen[name] = true
		switch name {
		case "server_no_context_takeover", "client_no_context_takeover":
			if hasVal {
				return p, fmt.Errorf("parameter %s with a value", name)
			}
			if name == "server_no_context_takeover" {
				p.serverNoTakeover = true
			} else {
				p.clientNoTakeover = true
			}
		case "server_max_window_bits", "client_max_window_bits":
			bits, err := strconv.Atoi(strings.Trim(val, `"`))
			if err != nil || bits < 8 || bits > 15 {
				return p, fmt.Errorf("parameter %s=%s", name, val)
			}
			if name == "server_max_window_bits" {
				p.serverBits = bits
			} else {
				p.clientBits = bits
			}
		default:
			return p, fmt.Errorf("unknown parameter %q", name)
		}
	}
	return p, nil
}

// roundTrip sends the next message and reads, inflates and checks its
// echo.
func (c *deflateConn) roundTrip() error {
	i := c.next
	c.next = (c.next + 1) % len(c.load.frames)
	if _, err := c.nc.Write(c.load.frames[i]); err != nil {
		return err
	}
	if err := c.readEcho(); err != nil {
		return err
	}
	if !bytes.Equal(c.out[:c.size], c.load.msgs[i]) {
		return fmt.Errorf("echo %d differs from message %d", c.echoed, i)
	}
	c.echoed++
	return nil
}

// readEcho reads the frames of one echoed message into c.comp, however
// the server fragmented it, skipping control frames, and inflates it to
// c.out[:c.size].
func (c *deflateConn) readEcho() error {
	c.comp = c.comp[:0]
	first := true
	for {
		h, err := nextDataHeader(c.br)
		if err != nil {
			return err
		}
		if h.Masked || h.Length > int64(2*c.size) || (first && h.Opcode != frame.OpText) || (!first && h.Opcode != frame.OpContinuation) {
			return fmt.Errorf("bad echo frame: %+v", h)
		}
		if first && h.RSV != frame.RSV1 {
			return fmt.Errorf("echo not compressed: first frame's RSV bits %#x", h.RSV)
		}
		if !first && h.RSV != 0 {
			return fmt.Errorf("continuation frame with RSV bits %#x", h.RSV)
		}
		first = false
		k := len(c.comp)
		c.comp = slices.Grow(c.comp, int(h.Length)+len(deflateTail))[:k+int(h.Length)]
		if _, err := io.ReadFull(c.br, c.comp[k:]); err != nil {
			return err
		}
		if h.Fin {
			break
		}
	}
	c.comp = append(c.comp, deflateTail...)
	c.src.Reset(c.comp)
	var dict []byte
	if c.takeover {
		dict = c.hist
	}
	if err := c.fr.(flate.Resetter).Reset(&c.src, dict); err != nil {
		return err
	}
	if _, err := io.ReadFull(c.fr, c.out[:c.size]); err != nil {
		return fmt.Errorf("inflating the echo: %w", err)
	}
	if n, err := c.fr.Read(c.out[c.size:]); n != 0 || err != io.EOF {
		return fmt.Errorf("inflating the echo: %d bytes more than the %d sent (%v)", n, c.size, err)
	}
	if c.takeover {
		c.hist = appendWindow(c.hist, c.out[:c.size])
	}
	return nil
}

// appendWindow appends p to the history h and keeps its last
// deflateWindow bytes.
func appendWindow(h, p []byte) []byte {
	if len(p) >= deflateWindow {
		return append(h[:0], p[len(p)-deflateWindow:]...)
	}
	h = append(h, p...)
	if extra := len(h) - deflateWindow; extra > 0 {
		copy(h, h[extra:])
		h = h[:deflateWindow]
	}
	return h
}

// Close closes the connection.
func (c *deflateConn) Close() error { return c.nc.Close() }
