//go:build linux && !race && !msan && !asan

package websocket

import (
	"syscall"
	"unsafe"
)

// readSocket reads from the non-blocking socket fd into p, which is not
// empty. The system call goes without the scheduler's bookkeeping for a
// call that may block (syscall.RawSyscall6): a non-blocking socket answers
// at once, and that bookkeeping, two trips through the scheduler's state
// per call, costs more than the rest of the user-space work of reading a
// short message (docs/performance.md). Builds with the race detector or a
// sanitizer use syscall.Read, which those tools see.
func readSocket(fd uintptr, p []byte) (int, syscall.Errno) {
	n, _, errno := syscall.RawSyscall6(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), 0, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), 0
}

// writeSocket writes p, which is not empty and at most rawWriteMax bytes,
// to the non-blocking socket fd, as readSocket reads.
func writeSocket(fd uintptr, p []byte) (int, syscall.Errno) {
	n, _, errno := syscall.RawSyscall6(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), 0, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), 0
}
