package sockfd

import (
	"net"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// FD is the descriptor of a socket out of the poller. Its life is its
// own: every system call on it holds a reference (Acquire, Release);
// Close marks it closed and shuts the socket down, which wakes a call
// blocked in the kernel; the last reference out closes the descriptor,
// so that its number is never used once it may have been reused. Its
// methods are safe for concurrent use.
type FD struct {
	fd    int
	state atomic.Int64 // closed | number of references
}

const closed = 1 << 62

// Conn is what Detach takes a socket from: a *net.UDPConn or *net.TCPConn.
type Conn interface {
	syscall.Conn
	Close() error
}

// Detach takes c's socket out of the poller: a duplicate of its
// descriptor (close-on-exec) is set up by setup (if not nil) and put in
// blocking mode, then c is closed, which removes the original from the
// runtime's epoll set — else every arrival would still wake a thread
// blocked in epoll_wait, for nothing. On error c is left open, as it was.
func Detach(c Conn, setup func(fd int) error) (*FD, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	fd, derr := -1, error(nil)
	if err := rc.Control(func(s uintptr) { fd, derr = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, derr
	}
	if setup != nil {
		if err := setup(fd); err != nil {
			unix.Close(fd)
			return nil, err
		}
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, err
	}
	c.Close()
	return &FD{fd: fd}, nil
}

// Acquire returns the descriptor for one system call, and false once f
// is closed. Each successful Acquire needs its Release.
func (f *FD) Acquire() (int, bool) {
	for {
		s := f.state.Load()
		if s&closed != 0 {
			return -1, false
		}
		if f.state.CompareAndSwap(s, s+1) {
			return f.fd, true
		}
	}
}

// Release ends what Acquire began; the last release after Close closes
// the descriptor.
func (f *FD) Release() {
	if f.state.Add(-1) == closed {
		unix.Close(f.fd)
	}
}

// Closed reports whether Close (or Forget) was called: a call that
// returned early may have been woken by it.
func (f *FD) Closed() bool { return f.state.Load()&closed != 0 }

// Close marks f closed and shuts the socket down, which wakes a read or
// write blocked in the kernel (an unconnected UDP socket answers ENOTCONN
// and is shut down all the same). It reports false if f was closed
// already.
func (f *FD) Close() bool {
	if !f.markClosed() {
		return false
	}
	unix.Shutdown(f.fd, unix.SHUT_RDWR)
	f.Release()
	return true
}

// Forget marks f closed without shutting the socket down: for a socket
// that lives on through a duplicate (Dup).
func (f *FD) Forget() {
	if f.markClosed() {
		f.Release()
	}
}

// markClosed sets the closed bit, holding a reference, unless it was set.
func (f *FD) markClosed() bool {
	for {
		s := f.state.Load()
		if s&closed != 0 {
			return false
		}
		if f.state.CompareAndSwap(s, (s|closed)+1) {
			return true
		}
	}
}

// Dup returns a new close-on-exec descriptor of the socket.
func (f *FD) Dup() (int, error) {
	fd, ok := f.Acquire()
	if !ok {
		return -1, net.ErrClosed
	}
	defer f.Release()
	return unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
}

// Refs returns how many system calls hold the descriptor (for tests).
func (f *FD) Refs() int { return int(f.state.Load() &^ closed) }

// Sysfd returns the descriptor's number (for diagnostics and tests; a
// system call must Acquire it).
func (f *FD) Sysfd() int { return f.fd }
