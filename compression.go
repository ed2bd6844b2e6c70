package websocket

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/wsx-go/websocket/internal/deflate"
	"github.com/wsx-go/websocket/internal/frame"
	"github.com/wsx-go/websocket/internal/handshake"
)

// CompressionOptions turn on permessage-deflate (RFC 7692), which compresses
// each message with DEFLATE. Set Options.Compression to a CompressionOptions,
// on the Dialer or the AcceptOptions; the zero value compresses at level 1,
// messages of 128 bytes or more, with context takeover both ways. Whether
// the connection compresses depends on the other end too: see
// Conn.Compressed.
//
// The four fields on context takeover and windows map to RFC 7692's
// parameters and mean the same on both ends. A Dialer offers them; a
// server imposes them. "Server" and "Client" name the sending direction
// they restrict.
//
// Memory: wsx holds no encoder or decoder between messages. With context
// takeover a connection keeps the last 8 KiB it sent and the last 32 KiB
// (or 1<<ClientMaxWindowBits on a server) it received, about 41 KB; without
// it, about 300 bytes. See docs/compression.md, also for when not to
// compress: secrets and attacker-chosen text in one compressed message leak
// the secret through the message size (CRIME, BREACH).
type CompressionOptions struct {
	// Level is the DEFLATE level, 1 (fastest) to 9 (smallest). Default 1.
	Level int
	// Threshold is the smallest message that is compressed: shorter ones
	// are sent as they are, as compressing them saves little. Default 128
	// bytes; negative compresses every message.
	Threshold int

	// ServerNoContextTakeover makes the server compress every message on
	// its own (server_no_context_takeover): the client then keeps no
	// history of received messages.
	ServerNoContextTakeover bool
	// ClientNoContextTakeover makes the client compress every message on
	// its own (client_no_context_takeover): the server then keeps no
	// history of received messages, saving 32 KiB per connection.
	ClientNoContextTakeover bool
	// ServerMaxWindowBits limits the server's compression window to
	// 1<<ServerMaxWindowBits bytes (server_max_window_bits), 8 to 15.
	// 0 means 15, no limit.
	ServerMaxWindowBits int
	// ClientMaxWindowBits limits the client's compression window
	// (client_max_window_bits), 8 to 15; on a server, the history it keeps
	// per connection. 0 means 15, no limit. A server can limit only a
	// client that offers the parameter, as browsers do; from one that does
	// not, it declines compression.
	ClientMaxWindowBits int
}

// DefaultCompressionThreshold is the default CompressionOptions.Threshold.
const DefaultCompressionThreshold = 128

// check reports an option out of range.
func (o *CompressionOptions) check() error {
	if o.Level != 0 && (o.Level < 1 || o.Level > 9) {
		return fmt.Errorf("websocket: compression level %d outside 1 to 9", o.Level)
	}
	for _, bits := range []int{o.ServerMaxWindowBits, o.ClientMaxWindowBits} {
		if bits != 0 && (bits < deflate.MinWindowBits || bits > deflate.MaxWindowBits) {
			return fmt.Errorf("websocket: compression window bits %d outside 8 to 15", bits)
		}
	}
	return nil
}

// offer returns the permessage-deflate offer a client sends.
func (o *CompressionOptions) offer() deflate.Params {
	p := deflate.Params{
		ServerNoContextTakeover: o.ServerNoContextTakeover,
		ClientNoContextTakeover: o.ClientNoContextTakeover,
		ServerMaxWindowBits:     o.ServerMaxWindowBits,
		ClientMaxWindowBits:     o.ClientMaxWindowBits,
	}
	if p.ClientMaxWindowBits == 0 {
		// Without a value: the client can honour whatever limit the
		// server sets (RFC 7692 §7.1.2.2).
		p.ClientMaxWindowBits = -1
	}
	return p
}

// serverConfig returns what a server is willing to accept.
func (o *CompressionOptions) serverConfig() deflate.ServerConfig {
	return deflate.ServerConfig{
		ServerNoContextTakeover: o.ServerNoContextTakeover,
		ClientNoContextTakeover: o.ClientNoContextTakeover,
		ServerMaxWindowBits:     o.ServerMaxWindowBits,
		ClientMaxWindowBits:     o.ClientMaxWindowBits,
	}
}

// negotiateServer picks the response to the client's offers, if any.
func negotiateServer(h http.Header, o *CompressionOptions) (deflate.Params, bool) {
	if o == nil {
		return deflate.Params{}, false
	}
	offers, err := deflate.ParseOffers(h.Values("Sec-WebSocket-Extensions"))
	if err != nil || len(offers) == 0 {
		// A malformed extensions header is only declined: the handshake
		// does not depend on extensions (RFC 6455 §9.1).
		return deflate.Params{}, false
	}
	return deflate.Accept(offers, o.serverConfig())
}

// negotiateClient reads the server's Sec-WebSocket-Extensions answer to
// the offer of z (nil: none), failing the handshake through fail if the
// answer is malformed or accepts what was not offered (RFC 6455 §9.1,
// RFC 7692 §5.2).
func negotiateClient(h http.Header, z *CompressionOptions, fail func(ErrorKind, string) (*deflate.Params, error)) (*deflate.Params, error) {
	if z == nil {
		if len(handshake.Tokens(h, "Sec-WebSocket-Extensions")) > 0 {
			return fail(KindUnrequestedExtension, "the server chose an extension the client did not offer")
		}
		return nil, nil
	}
	p, err := deflate.ParseResponse(h.Values("Sec-WebSocket-Extensions"), z.offer())
	switch {
	case err == nil:
		return &p, nil
	case errors.Is(err, deflate.ErrNotNegotiated):
		return nil, nil
	case errors.Is(err, handshake.ErrMalformedExtensions):
		return fail(KindBadExtension, "malformed Sec-WebSocket-Extensions: "+err.Error())
	case errors.Is(err, deflate.ErrUnrequestedExtension):
		return fail(KindUnrequestedExtension, err.Error())
	}
	return fail(KindBadExtension, err.Error())
}

// compression is the permessage-deflate state of a connection on which it
// was negotiated.
type compression struct {
	header    string // the negotiated Sec-WebSocket-Extensions value
	threshold int
	level     int  // of the compressor
	window    int  // the compressor's window, in bits
	takeover  bool // the compressor may refer back to earlier messages

	// Sending: guarded by Conn.msgMu, which is held for a whole message.
	comp *deflate.Compressor

	// Receiving: guarded by Conn.readMu.
	decomp   *deflate.Decompressor
	wire     wireReader // the compressed payload of the current message
	inflates bool       // a compressed message is being decompressed
	probe    [64]byte   // readInflated's look past a full buffer
}

// newCompression sets up compression with the negotiated params; client
// says which end c is.
func newCompression(params deflate.Params, o *CompressionOptions, client bool) *compression {
	level := o.Level
	if level == 0 {
		level = 1
	}
	threshold := o.Threshold
	switch {
	case threshold == 0:
		threshold = DefaultCompressionThreshold
	case threshold < 0:
		threshold = 0
	}
	sendServer := !client
	window, takeover := params.Window(sendServer), params.ContextTakeover(sendServer)
	if client {
		// A client keeps what it offered even if the answer leaves it
		// out: the server may rely on the offer (RFC 7692 §7.1.1.2,
		// §7.1.2.2).
		takeover = takeover && !o.ClientNoContextTakeover
		if o.ClientMaxWindowBits != 0 {
			window = min(window, o.ClientMaxWindowBits)
		}
	}
	// The parameters were checked when negotiated; NewCompressor fails
	// only on values out of range.
	comp, err := deflate.NewCompressor(level, window, takeover)
	if err != nil {
		panic("websocket: internal error: " + err.Error())
	}
	return &compression{
		header:    params.String(),
		threshold: threshold,
		level:     level,
		window:    window,
		takeover:  takeover,
		comp:      comp,
		decomp:    deflate.NewDecompressor(params.Window(client), params.ContextTakeover(client)),
	}
}

// useCompression turns on permessage-deflate with the negotiated params,
// before the connection is handed out.
func (c *Conn) useCompression(params deflate.Params, o *CompressionOptions) {
	c.z = newCompression(params, o, c.client)
	c.z.wire.c = c
	c.recv.AllowedRSV = frame.RSV1
}

// Compressed reports whether permessage-deflate was negotiated: then
// messages at least CompressionOptions.Threshold long are sent compressed,
// and the peer may send compressed messages, which wsx decompresses.
func (c *Conn) Compressed() bool { return c.z != nil }
