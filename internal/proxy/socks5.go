package proxy

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"strconv"
)

// Auth holds the credentials of the username/password method of RFC 1929.
// Each must be 1 to 255 bytes long (RFC 1929 §2).
type Auth struct {
	Username, Password string
}

// Fixed values of RFC 1928 and RFC 1929.
const (
	socksVersion       = 0x05 // RFC 1928 §3: VER of every SOCKS5 message
	passwordVersion    = 0x01 // RFC 1929 §2: VER of the username/password subnegotiation
	methodNone         = 0x00 // RFC 1928 §3: no authentication required
	methodPassword     = 0x02 // RFC 1928 §3: username/password
	methodNoAcceptable = 0xFF // RFC 1928 §3: no acceptable methods
	commandConnect     = 0x01 // RFC 1928 §4: CONNECT
	atypIPv4           = 0x01 // RFC 1928 §5: a 4-byte IPv4 address
	atypDomain         = 0x03 // RFC 1928 §5: a length byte, then a name
	atypIPv6           = 0x04 // RFC 1928 §5: a 16-byte IPv6 address
)

// replyMessages says in words what each failure code of RFC 1928 §6 means.
var replyMessages = [...]string{
	1: "general SOCKS server failure",
	2: "connection not allowed by the proxy's rules",
	3: "network unreachable",
	4: "host unreachable",
	5: "connection refused by destination host",
	6: "TTL expired",
	7: "command not supported",
	8: "address type not supported",
}

// replyMessage returns the message for a SOCKS5 reply code other than 0.
func replyMessage(code byte) string {
	if int(code) < len(replyMessages) && replyMessages[code] != "" {
		return replyMessages[code]
	}
	return "unassigned reply code"
}

// SOCKS5 runs a SOCKS5 CONNECT (RFC 1928) for target, a "host:port" with
// IPv6 literals in brackets, on conn.
//
// With auth nil it offers only "no authentication required"; with auth it
// offers that and username/password, and runs the RFC 1929 subnegotiation
// if the proxy picks the latter. A host name is sent as a name (ATYP 3), so
// the proxy resolves it; IP literals are sent as addresses (ATYP 1 or 4,
// an IPv4-mapped IPv6 address as IPv4). A host name over 255 bytes, or a
// username or password that is empty or over 255 bytes, fails before any
// I/O.
//
// SOCKS5 reads exactly the bytes of the proxy's messages, never past them,
// so on success the next byte read from conn is the first of the tunnel.
// The proxy's bound address in its reply is read and dropped.
//
// A failure reply is an *Error of KindRefused with its code in Reply; the
// rest of that reply is not read, as the proxy closes the connection after
// it (RFC 1928 §6). A proxy that accepts none of the offered methods or
// rejects the credentials gives KindAuthRequired.
func SOCKS5(conn net.Conn, target string, auth *Auth) error {
	req, err := socksRequest(target)
	if err != nil {
		return err
	}
	if auth != nil {
		if err := auth.check(); err != nil {
			return err
		}
	}
	if err := selectMethod(conn, auth); err != nil {
		return err
	}
	if _, err := conn.Write(req); err != nil {
		return ioFailure("socks5", "during the request", err)
	}
	return readReply(conn)
}

// check reports credentials RFC 1929 §2 cannot carry.
func (a *Auth) check() error {
	if len(a.Username) == 0 || len(a.Username) > 255 {
		return errors.New("proxy: SOCKS5 username must be 1 to 255 bytes long")
	}
	if len(a.Password) == 0 || len(a.Password) > 255 {
		return errors.New("proxy: SOCKS5 password must be 1 to 255 bytes long")
	}
	return nil
}

// socksRequest checks target and returns the CONNECT request of RFC 1928
// §4 for it.
func socksRequest(target string) ([]byte, error) {
	host, port, err := splitTarget(target)
	if err != nil {
		return nil, err
	}
	b := []byte{socksVersion, commandConnect, 0x00}
	if a, err := netip.ParseAddr(host); err == nil {
		if a = a.Unmap(); a.Is4() {
			b = append(b, atypIPv4)
		} else {
			b = append(b, atypIPv6)
		}
		b = append(b, a.AsSlice()...)
	} else {
		// RFC 1928 §5: one length byte, so at most 255 bytes of name.
		if len(host) > 255 {
			return nil, errors.New("proxy: SOCKS5 host name longer than 255 bytes")
		}
		b = append(b, atypDomain, byte(len(host)))
		b = append(b, host...)
	}
	return binary.BigEndian.AppendUint16(b, port), nil
}

// selectMethod offers the authentication methods (RFC 1928 §3) and runs
// the one the proxy picks.
func selectMethod(conn net.Conn, auth *Auth) error {
	offer := []byte{socksVersion, 1, methodNone}
	if auth != nil {
		offer = []byte{socksVersion, 2, methodNone, methodPassword}
	}
	if _, err := conn.Write(offer); err != nil {
		return ioFailure("socks5", "during method selection", err)
	}
	var b [2]byte
	if _, err := io.ReadFull(conn, b[:]); err != nil {
		return ioFailure("socks5", "during method selection", err)
	}
	if b[0] != socksVersion {
		return protocolError("method selection has version " + strconv.Itoa(int(b[0])))
	}
	switch b[1] {
	case methodNone:
		return nil
	case methodPassword:
		if auth != nil {
			return authenticate(conn, auth)
		}
	case methodNoAcceptable:
		return &Error{Protocol: "socks5", Kind: KindAuthRequired, Msg: "proxy accepts none of the offered authentication methods"}
	}
	return protocolError("proxy chose authentication method " + strconv.Itoa(int(b[1])) + ", which was not offered")
}

// authenticate runs the username/password subnegotiation of RFC 1929 §2.
func authenticate(conn net.Conn, auth *Auth) error {
	msg := make([]byte, 0, 3+len(auth.Username)+len(auth.Password))
	msg = append(msg, passwordVersion, byte(len(auth.Username)))
	msg = append(msg, auth.Username...)
	msg = append(msg, byte(len(auth.Password)))
	msg = append(msg, auth.Password...)
	if _, err := conn.Write(msg); err != nil {
		return ioFailure("socks5", "during authentication", err)
	}
	var b [2]byte
	if _, err := io.ReadFull(conn, b[:]); err != nil {
		return ioFailure("socks5", "during authentication", err)
	}
	if b[0] != passwordVersion {
		return protocolError("authentication reply has version " + strconv.Itoa(int(b[0])))
	}
	// RFC 1929 §2: any status but 0 is a failure.
	if b[1] != 0 {
		return &Error{Protocol: "socks5", Kind: KindAuthRequired, Msg: "username and password rejected (status " + strconv.Itoa(int(b[1])) + ")"}
	}
	return nil
}

// readReply reads the proxy's reply to the request (RFC 1928 §6), exactly
// to its last byte on success.
func readReply(conn net.Conn) error {
	// VER, REP, RSV, ATYP. A failure reply is judged on these alone, so
	// that a proxy that cuts the rest short still reads as a refusal.
	var head [4]byte
	if _, err := io.ReadFull(conn, head[:]); err != nil {
		return ioFailure("socks5", "during the reply", err)
	}
	if head[0] != socksVersion {
		return protocolError("reply has version " + strconv.Itoa(int(head[0])))
	}
	if head[1] != 0 {
		return &Error{Protocol: "socks5", Kind: KindRefused, Reply: head[1], Msg: replyMessage(head[1])}
	}
	// BND.ADDR, then the two bytes of BND.PORT. RSV is not checked: it
	// carries nothing.
	var rest int
	switch head[3] {
	case atypIPv4:
		rest = 4 + 2
	case atypIPv6:
		rest = 16 + 2
	case atypDomain:
		var n [1]byte
		if _, err := io.ReadFull(conn, n[:]); err != nil {
			return ioFailure("socks5", "during the reply", err)
		}
		rest = int(n[0]) + 2
	default:
		return protocolError("reply has address type " + strconv.Itoa(int(head[3])))
	}
	var tail [255 + 2]byte
	if _, err := io.ReadFull(conn, tail[:rest]); err != nil {
		return ioFailure("socks5", "during the reply", err)
	}
	return nil
}

// protocolError returns an *Error of KindProtocol for SOCKS5.
func protocolError(msg string) error {
	return &Error{Protocol: "socks5", Kind: KindProtocol, Msg: msg}
}
