package udp

import (
	"net"
	"net/netip"

	"golang.org/x/net/ipv4"
)

// socket is how the transport reads and writes one bound UDP socket once
// it is set up: through Go's network poller (pollSocket), or, on Linux
// with Config.BlockingReads, in blocking system calls (blockingSocket). Its
// methods may be called from several goroutines, one reader at a time;
// close wakes a read or write blocked in it, and every call after close
// fails with net.ErrClosed.
type socket interface {
	// readBatch reads at least one datagram, waiting for it, and at most
	// len(ms), filling each message's N, NN, Flags and Addr (a
	// *net.UDPAddr); each message has one buffer.
	readBatch(ms []ipv4.Message) (int, error)
	// writeBatch sends the messages (sendmmsg where the platform has it),
	// as ipv4.PacketConn.WriteBatch does: how many went, and the error
	// that stopped the rest.
	writeBatch(ms []ipv4.Message) (int, error)
	// writeTo sends one datagram.
	writeTo(b []byte, to netip.AddrPort) error
	// control runs f with the socket's descriptor (for socket options),
	// unless the socket is closed.
	control(f func(fd uintptr)) error
	// close closes the socket.
	close() error
}

// pollSocket waits in Go's network poller: a read that finds nothing
// parks its goroutine, and epoll wakes it through the scheduler. Idle, it
// costs no thread.
type pollSocket struct {
	c *net.UDPConn
	p *ipv4.PacketConn
}

func newPollSocket(c *net.UDPConn) *pollSocket {
	return &pollSocket{c: c, p: ipv4.NewPacketConn(c)}
}

func (s *pollSocket) readBatch(ms []ipv4.Message) (int, error) { return s.p.ReadBatch(ms, 0) }

func (s *pollSocket) writeBatch(ms []ipv4.Message) (int, error) { return s.p.WriteBatch(ms, 0) }

func (s *pollSocket) writeTo(b []byte, to netip.AddrPort) error {
	_, err := s.c.WriteToUDPAddrPort(b, to)
	return err
}

func (s *pollSocket) control(f func(fd uintptr)) error {
	rc, err := s.c.SyscallConn()
	if err != nil {
		return err
	}
	return rc.Control(f)
}

func (s *pollSocket) close() error { return s.c.Close() }
