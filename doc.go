// Package websocket implements the WebSocket protocol (RFC 6455) for clients
// and servers.
//
// A client connects with Dial; a server upgrades an HTTP request with Accept
// inside any net/http handler. Both give a *Conn, which reads whole messages
// (Read, ReadInto), streams them (Reader, Writer), reads single frames
// (NextFrame), pings and closes with the close handshake. One goroutine may
// read while any number of goroutines write: messages never interleave on
// the wire, and pings, pongs and close frames may go out between the
// fragments of a long message.
//
// Every limit has a bounded default (see Options): incoming messages are
// capped at 32 MiB, the close handshake waits at most 5 seconds, and
// cross-origin browser handshakes are refused unless allowed.
//
// The protocol rules live in internal packages that do no I/O; Conn is a
// thin blocking driver over them.
package websocket
