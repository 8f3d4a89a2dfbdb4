package udp

import (
	"net"
	"syscall"
)

// soRcvBufForce and soSndBufForce set a socket's buffers past the
// system's caps (net.core.rmem_max, wmem_max) for a process with
// CAP_NET_ADMIN.
const (
	soSndBufForce = 0x20
	soRcvBufForce = 0x21
)

// growBuffers asks for size bytes of receive and send buffer, past the
// system's caps where the process may, and returns the receive buffer
// granted, in the units asked for (Linux reports twice the size granted,
// half being its bookkeeping): with Debian's default cap of 212,992 bytes
// a socket gets 212,992 whatever it asks for.
func growBuffers(c *net.UDPConn, size int) (granted int) {
	_ = c.SetReadBuffer(size)
	_ = c.SetWriteBuffer(size)
	rc, err := c.SyscallConn()
	if err != nil {
		return 0
	}
	_ = rc.Control(func(fd uintptr) {
		get := func(opt int) int {
			v, err := syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, opt)
			if err != nil {
				return 0
			}
			return v / 2
		}
		if get(syscall.SO_SNDBUF) < size {
			_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, soSndBufForce, size)
		}
		if granted = get(syscall.SO_RCVBUF); granted < size {
			_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, soRcvBufForce, size)
			granted = get(syscall.SO_RCVBUF)
		}
	})
	return granted
}
