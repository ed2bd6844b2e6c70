//go:build !unix

package websocket

import "syscall"

// writeSocket is never called here: connections have no raw socket (see
// readraw_other.go).
func writeSocket(fd uintptr, p []byte) (int, syscall.Errno) {
	return 0, syscall.EINVAL
}
