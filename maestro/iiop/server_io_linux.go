package iiop

import (
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/maestro-go/maestro/internal/sockfd"
)

// blockingIO serves a connection like a thread-per-connection C++ ORB
// does: the socket is in blocking mode and the reader goroutine sleeps in
// read(2), so when a request arrives the kernel wakes that thread directly
// and the goroutine resumes on the system call's return path, instead of
// epoll waking some thread and the scheduler handing the goroutine over.
//
// The socket is taken away from Go's poller (internal/sockfd): the
// net.Conn is closed at once, which removes it from the runtime's epoll set
// (otherwise every arriving segment would still wake a thread blocked in
// epoll_wait for nothing), and blockingIO owns a duplicate of the
// descriptor, whose life sockfd.FD manages: every system call holds a
// reference, and close shuts the socket down, which wakes a read or write
// blocked in the kernel.
//
// Blocked system calls do not see Go's deadlines, so the idle and message
// deadlines are checked when the socket's SO_RCVTIMEO (the shorter of
// MessageTimeout and IdleTimeout) expires — a blocked read fails with EAGAIN
// and is retried if the deadline is still ahead — and after each read. The same timer tells a ReadDefault reader that its
// connection has gone quiet (errQuiet), so that it can return to the poller.
type blockingIO struct {
	f        *sockfd.FD
	idle     time.Duration // SO_RCVTIMEO for the deadlines (Server.rcvTimeout)
	deadline time.Time
	quiet    time.Duration // if positive, a read waiting this long fails with errQuiet
}

// newBlockingIO takes nc's socket over in blocking mode (quiet: see
// blockingIO.quiet). On failure, or if nc is not a *net.TCPConn, it reports
// false and leaves nc as it was.
func newBlockingIO(nc net.Conn, idle, quiet time.Duration) (connIO, bool) {
	// Only a plain TCP connection: a wrapper from a custom Listener may
	// transform or buffer bytes, which reading the descriptor would bypass.
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return nil, false
	}
	f, err := sockfd.Detach(tc, func(fd int) error { return setRecvTimeout(fd, recvTimeout(idle, quiet)) })
	if err != nil {
		return nil, false
	}
	return &blockingIO{f: f, idle: idle, quiet: quiet}, true
}

// recvTimeout is the SO_RCVTIMEO for the idle timeout and the quiet check
// (zero: none).
func recvTimeout(idle, quiet time.Duration) time.Duration {
	switch {
	case idle <= 0:
		return quiet
	case quiet <= 0:
		return idle
	}
	return min(idle, quiet)
}

// setRecvTimeout sets the socket's SO_RCVTIMEO (none for zero).
func setRecvTimeout(fd int, timeout time.Duration) error {
	if timeout <= 0 {
		return nil
	}
	tv := syscall.NsecToTimeval(max(timeout, time.Microsecond).Nanoseconds())
	return syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)
}

func (b *blockingIO) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		fd, ok := b.f.Acquire()
		if !ok {
			return 0, net.ErrClosed
		}
		var n int
		var err error
		for {
			n, err = recvFD(fd, p)
			if err != syscall.EINTR { // SO_RCVTIMEO makes reads fail with EINTR on signals
				break
			}
		}
		b.f.Release()
		switch {
		case err == syscall.EAGAIN: // SO_RCVTIMEO expired
			if b.deadline.IsZero() || time.Now().Before(b.deadline) {
				if b.quiet > 0 {
					return 0, errQuiet
				}
				continue // the timer only checks the deadline: wait on
			}
			return 0, os.ErrDeadlineExceeded
		case err != nil:
			return 0, os.NewSyscallError("read", err)
		case n == 0:
			if b.f.Closed() {
				return 0, net.ErrClosed
			}
			return 0, io.EOF
		}
		// Each read restarts SO_RCVTIMEO; a peer trickling bytes is caught here.
		if !b.deadline.IsZero() && time.Now().After(b.deadline) {
			return 0, os.ErrDeadlineExceeded
		}
		return n, nil
	}
}

func (b *blockingIO) armIdle(t time.Time) { b.deadline = t }

func (b *blockingIO) write(msg []byte) error {
	fd, ok := b.f.Acquire()
	if !ok {
		return net.ErrClosed
	}
	defer b.f.Release()
	for len(msg) > 0 {
		n, err := sendFD(fd, msg)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return os.NewSyscallError("write", err)
		}
		msg = msg[n:]
	}
	return nil
}

// tryWrite sends without blocking (MSG_DONTWAIT): a peer that does not read
// gets nothing rather than stalling the caller.
func (b *blockingIO) tryWrite(msg []byte) error {
	fd, ok := b.f.Acquire()
	if !ok {
		return net.ErrClosed
	}
	defer b.f.Release()
	for {
		n, err := syscall.SendmsgN(fd, msg, nil, nil, syscall.MSG_DONTWAIT|syscall.MSG_NOSIGNAL)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return os.NewSyscallError("sendmsg", err)
		}
		if n < len(msg) {
			return io.ErrShortWrite
		}
		return nil
	}
}

func (b *blockingIO) lingerOnClose() {
	if fd, ok := b.f.Acquire(); ok {
		_ = syscall.SetsockoptLinger(fd, syscall.SOL_SOCKET, syscall.SO_LINGER, &syscall.Linger{})
		b.f.Release()
	}
}

func (b *blockingIO) closeWrite() {
	if fd, ok := b.f.Acquire(); ok {
		syscall.Shutdown(fd, syscall.SHUT_WR)
		b.f.Release()
	}
}

func (b *blockingIO) close() { b.f.Close() }

func (b *blockingIO) blocking() bool { return true }

// toNetConn hands the socket back to Go's poller: a net.Conn over a
// duplicate of the descriptor (net.FileConn makes the socket non-blocking
// again and registers it), after which b lets go of its own descriptor
// without shutting the socket down. No read or write may be in progress.
func (b *blockingIO) toNetConn() (net.Conn, error) {
	fd, err := b.f.Dup()
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "iiop")
	nc, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	if b.idle > 0 || b.quiet > 0 { // the poller's deadlines take over
		var zero syscall.Timeval
		if rc, err := nc.(syscall.Conn).SyscallConn(); err == nil {
			rc.Control(func(s uintptr) { syscall.SetsockoptTimeval(int(s), syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &zero) })
		}
	}
	b.f.Forget() // closed now unless some call still holds it
	return nc, nil
}
