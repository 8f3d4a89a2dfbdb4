package udp

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"unsafe"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"

	"github.com/maestro-go/maestro/internal/sockfd"
)

// blockingSocket reads and writes a UDP socket in blocking system calls,
// as a C program does: the reader's thread sleeps in recvmmsg, and a
// datagram's arrival wakes that thread, whose goroutine resumes on the
// system call's return path. Through Go's poller the same arrival wakes a
// thread blocked in epoll_wait, which hands the goroutine over to the
// scheduler, and the read that had parked it failed once with EAGAIN
// first. Measured on a 2-CPU VM (two processes, a 1 KiB ping-pong, 20,000
// round trips, 6 runs each way, otherwise idle): p50 12–15 µs and 7.5–11
// µs of CPU a round trip this way, against 58–80 µs and 27–40 µs through
// the poller. In a Replicated Updates group of 3 (bench/orbbench, one
// client, 64 B), the replica a client calls went from 46 to 37 µs of CPU
// a call, and the two others from 16–18 to 12 each.
//
// The socket is taken away from the poller (internal/sockfd, as
// maestro/iiop's blocking connections are), which gives it a life of its
// own: every system call holds a reference, and close shuts the socket
// down, which wakes a recvmmsg or a send blocked in the kernel.
type blockingSocket struct {
	f *sockfd.FD

	// The reader's message headers, kept from one read to the next (one
	// reader at a time).
	rhs   []unix.Mmsghdr
	riov  []unix.Iovec
	rname []unix.RawSockaddrInet4
	reads int // how many reads it has made

	// The writers' message headers.
	wmu   sync.Mutex
	whs   []unix.Mmsghdr
	wiov  []unix.Iovec
	wname []unix.RawSockaddrInet4
}

// takeSocket returns the socket the transport uses for c once it is set
// up: a blockingSocket that has taken c's place (c is then closed) if
// blocking is set, the process runs goroutines on more than one P, and the
// descriptor can be taken over; else c itself through the poller. With a
// single P (GOMAXPROCS=1) a reader asleep in the kernel would hold it, and
// every other goroutine — the IIOP connections of a replica, the ticker —
// would wait for sysmon to take it back, 20 µs to 10 ms later.
func takeSocket(c *net.UDPConn, blocking bool) socket {
	if !blocking || runtime.GOMAXPROCS(0) < 2 {
		return newPollSocket(c)
	}
	f, err := sockfd.Detach(c, nil)
	if err != nil {
		return newPollSocket(c)
	}
	return &blockingSocket{f: f}
}

// yieldEvery is how many reads a blocking reader makes between yields to
// the scheduler.
const yieldEvery = 256

func (s *blockingSocket) readBatch(ms []ipv4.Message) (int, error) {
	if s.reads++; s.reads%yieldEvery == 0 {
		// A goroutine that only ever blocks in system calls never passes
		// through the scheduler, so after 10 ms sysmon takes it for a long
		// runner: it takes the P away in mid call, then polls at 20 µs for
		// a while. Yielding now and then avoids both (as maestro/iiop's
		// blocking readers do).
		runtime.Gosched()
	}
	fd, ok := s.f.Acquire()
	if !ok {
		return 0, net.ErrClosed
	}
	defer s.f.Release()
	if len(s.rhs) < len(ms) {
		s.rhs = make([]unix.Mmsghdr, len(ms))
		s.riov = make([]unix.Iovec, len(ms))
		s.rname = make([]unix.RawSockaddrInet4, len(ms))
	}
	for i := range ms {
		b := ms[i].Buffers[0]
		s.riov[i].Base = unsafe.SliceData(b)
		s.riov[i].SetLen(len(b))
		h := &s.rhs[i]
		*h = unix.Mmsghdr{}
		h.Hdr.Name = (*byte)(unsafe.Pointer(&s.rname[i]))
		h.Hdr.Namelen = unix.SizeofSockaddrInet4
		h.Hdr.Iov = &s.riov[i]
		h.Hdr.SetIovlen(1)
		if len(ms[i].OOB) > 0 {
			h.Hdr.Control = unsafe.SliceData(ms[i].OOB)
			h.Hdr.SetControllen(len(ms[i].OOB))
		}
	}
	var n uintptr
	var errno unix.Errno
	for {
		// MSG_WAITFORONE: wait for the first datagram only, then take
		// what else has arrived.
		n, _, errno = unix.Syscall6(unix.SYS_RECVMMSG, uintptr(fd), uintptr(unsafe.Pointer(&s.rhs[0])), uintptr(len(ms)), unix.MSG_WAITFORONE, 0, 0)
		if errno != unix.EINTR {
			break
		}
	}
	switch {
	case s.f.Closed():
		// close woke us: a socket shut down for reading reads as one
		// empty datagram from nowhere.
		return 0, net.ErrClosed
	case errno != 0:
		return 0, os.NewSyscallError("recvmmsg", errno)
	}
	for i := range int(n) {
		h := &s.rhs[i]
		ms[i].N, ms[i].NN, ms[i].Flags = int(h.Len), int(h.Hdr.Controllen), int(h.Hdr.Flags)
		ms[i].Addr = nil // no IPv4 source (the kernel wrote none): the reader skips it
		if sa := &s.rname[i]; h.Hdr.Namelen >= unix.SizeofSockaddrInet4 && sa.Family == unix.AF_INET {
			p := (*[2]byte)(unsafe.Pointer(&sa.Port)) // network byte order
			ms[i].Addr = net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(p[0])<<8|uint16(p[1])))
		}
	}
	return int(n), nil
}

// errNotIPv4 is the error for a destination the IPv4 socket cannot reach.
var errNotIPv4 = errors.New("udp: not an IPv4 address")

// sockaddr fills sa with to, reporting false for a non-IPv4 address.
func sockaddr(sa *unix.RawSockaddrInet4, to netip.AddrPort) bool {
	a := to.Addr().Unmap()
	if !a.Is4() {
		return false
	}
	sa.Family = unix.AF_INET
	p := (*[2]byte)(unsafe.Pointer(&sa.Port))
	p[0], p[1] = byte(to.Port()>>8), byte(to.Port())
	sa.Addr = a.As4()
	return true
}

func (s *blockingSocket) writeBatch(ms []ipv4.Message) (int, error) {
	fd, ok := s.f.Acquire()
	if !ok {
		return 0, net.ErrClosed
	}
	defer s.f.Release()
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if len(s.whs) < len(ms) {
		s.whs = make([]unix.Mmsghdr, len(ms))
		s.wname = make([]unix.RawSockaddrInet4, len(ms))
	}
	iovs := 0
	for _, m := range ms {
		iovs += len(m.Buffers)
	}
	if len(s.wiov) < iovs {
		s.wiov = make([]unix.Iovec, iovs)
	}
	// Messages up to the first one that cannot be sent go; that one's
	// error is returned, as sendmmsg returns the one that stopped it.
	var bad error
	k, iov := 0, 0
	for _, m := range ms {
		h := &s.whs[k]
		*h = unix.Mmsghdr{}
		if m.Addr != nil {
			ua, ok := m.Addr.(*net.UDPAddr)
			if !ok || !sockaddr(&s.wname[k], ua.AddrPort()) {
				bad = errNotIPv4
				break
			}
			h.Hdr.Name = (*byte)(unsafe.Pointer(&s.wname[k]))
			h.Hdr.Namelen = unix.SizeofSockaddrInet4
		}
		if len(m.Buffers) > 0 {
			h.Hdr.Iov = &s.wiov[iov]
			h.Hdr.SetIovlen(len(m.Buffers))
		}
		for _, b := range m.Buffers {
			s.wiov[iov].Base = unsafe.SliceData(b)
			s.wiov[iov].SetLen(len(b))
			iov++
		}
		if len(m.OOB) > 0 {
			h.Hdr.Control = unsafe.SliceData(m.OOB)
			h.Hdr.SetControllen(len(m.OOB))
		}
		k++
	}
	if k == 0 {
		return 0, bad
	}
	var n uintptr
	var errno unix.Errno
	for {
		n, _, errno = unix.Syscall6(unix.SYS_SENDMMSG, uintptr(fd), uintptr(unsafe.Pointer(&s.whs[0])), uintptr(k), 0, 0, 0)
		if errno != unix.EINTR {
			break
		}
	}
	clear(s.whs[:k]) // keep no buffer alive past the call
	clear(s.wiov[:iov])
	if errno != 0 {
		return 0, os.NewSyscallError("sendmmsg", errno)
	}
	if int(n) == k {
		return k, bad
	}
	return int(n), nil
}

func (s *blockingSocket) writeTo(b []byte, to netip.AddrPort) error {
	var sa unix.RawSockaddrInet4
	if !sockaddr(&sa, to) {
		return errNotIPv4
	}
	fd, ok := s.f.Acquire()
	if !ok {
		return net.ErrClosed
	}
	defer s.f.Release()
	var p unsafe.Pointer
	if len(b) > 0 {
		p = unsafe.Pointer(unsafe.SliceData(b))
	}
	for {
		_, _, errno := unix.Syscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(p), uintptr(len(b)), 0, uintptr(unsafe.Pointer(&sa)), unix.SizeofSockaddrInet4)
		switch errno {
		case 0:
			return nil
		case unix.EINTR:
			continue
		}
		return os.NewSyscallError("sendto", errno)
	}
}

func (s *blockingSocket) control(f func(fd uintptr)) error {
	fd, ok := s.f.Acquire()
	if !ok {
		return net.ErrClosed
	}
	defer s.f.Release()
	f(uintptr(fd))
	return nil
}

func (s *blockingSocket) close() error {
	if !s.f.Close() {
		return net.ErrClosed
	}
	return nil
}
