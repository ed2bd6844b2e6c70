//go:build !unix

package websocket

// setupRawRead does nothing here: every connection is read through
// net.Conn.Read and the small buffer.
func (c *Conn) setupRawRead() {}
