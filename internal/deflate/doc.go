// Package deflate holds the pure parts of the permessage-deflate extension
// (RFC 7692): negotiating its parameters in the opening handshake, and
// compressing and decompressing message payloads. It does no I/O: the
// connection feeds it header values and payload bytes.
package deflate
