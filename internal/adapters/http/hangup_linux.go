package http

import (
	"syscall"

	"golang.org/x/sys/unix"
)

const canPollHangUp = true

// peerHungUp asks the kernel, without waiting, whether the peer closed
// or reset the connection. POLLRDHUP reports the peer's FIN even while
// unread bytes are buffered, which is the case net/http misses.
func peerHungUp(rc syscall.RawConn) bool {
	hung := false
	_ = rc.Control(func(fd uintptr) {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLRDHUP}}
		if n, err := unix.Poll(fds, 0); err == nil && n > 0 {
			hung = fds[0].Revents&(unix.POLLRDHUP|unix.POLLHUP|unix.POLLERR) != 0
		}
	})
	return hung
}
