//go:build unix && !(linux && !race && !msan && !asan)

package websocket

import "syscall"

// readSocket reads from the non-blocking socket fd into p through
// syscall.Read, which the race detector and the sanitizers see.
func readSocket(fd uintptr, p []byte) (int, syscall.Errno) {
	n, err := syscall.Read(int(fd), p)
	return n, errnoOf(err)
}

// writeSocket writes p to the non-blocking socket fd through syscall.Write.
func writeSocket(fd uintptr, p []byte) (int, syscall.Errno) {
	n, err := syscall.Write(int(fd), p)
	return n, errnoOf(err)
}

// errnoOf returns the error number of err, which syscall.Read and
// syscall.Write return as a syscall.Errno or nil.
func errnoOf(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	return err.(syscall.Errno)
}
