package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/maestro-go/maestro/internal/sockfd"
)

// The acknowledged floor, "Simple+UDP N acked": the servant sends each
// request's argument to N reader processes in one sendmmsg, as the
// relaying floor does, and then waits, asleep in a blocking read, until
// one reader has sent back that it holds it. That is the least a group
// that answers only once a majority of 3 holds the request (progress in
// the primary partition only, Safe delivery) costs here: the request and
// one acknowledgement on the way, the wake-ups of the readers and of the
// server included, and no ordering, logging, delivery or apply.

// ackTimeout bounds the wait for an acknowledgement, so that a dead
// reader fails the call instead of hanging the benchmark (a variable for
// the tests).
var ackTimeout = 5 * time.Second

// seqSize is the size of the sequence number that leads each relayed
// datagram and makes up each acknowledgement (little-endian).
const seqSize = 8

// ackedRelay sends each datagram to every reader, numbered, and returns
// once some reader has acknowledged it. Its caller serialises calls (the
// servant's lock).
type ackedRelay struct {
	fd    *sockfd.FD
	addrs []unix.RawSockaddrInet4
	hs    []unix.Mmsghdr // one per reader, all sending iov
	iov   unix.Iovec
	seq   uint64
	buf   []byte
	ack   [64]byte
}

// newAckedRelay binds a socket, out of Go's poller, to send to readers
// (a comma-separated list of host:port) and to read their
// acknowledgements.
func newAckedRelay(readers string) (*ackedRelay, error) {
	r := &ackedRelay{}
	for _, a := range strings.Split(readers, ",") {
		ua, err := net.ResolveUDPAddr("udp4", a)
		if err != nil || ua.IP.To4() == nil {
			return nil, fmt.Errorf("reader address %q: not an IPv4 host:port", a)
		}
		sa := unix.RawSockaddrInet4{Family: unix.AF_INET}
		copy(sa.Addr[:], ua.IP.To4())
		binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:], uint16(ua.Port))
		r.addrs = append(r.addrs, sa)
	}
	r.hs = make([]unix.Mmsghdr, len(r.addrs))
	for i := range r.hs {
		r.hs[i].Hdr.Name = (*byte)(unsafe.Pointer(&r.addrs[i]))
		r.hs[i].Hdr.Namelen = unix.SizeofSockaddrInet4
		r.hs[i].Hdr.Iov = &r.iov
		r.hs[i].Hdr.SetIovlen(1)
	}
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	tv := unix.NsecToTimeval(ackTimeout.Nanoseconds())
	r.fd, err = sockfd.Detach(conn, func(fd int) error { return unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv) })
	if err != nil {
		conn.Close()
		return nil, err
	}
	return r, nil
}

// relayValue sends b, numbered, to every reader in one system call and
// waits until one acknowledges it (or ackTimeout passes).
func (r *ackedRelay) relayValue(b []byte) error {
	fd, ok := r.fd.Acquire()
	if !ok {
		return net.ErrClosed
	}
	defer r.fd.Release()
	r.seq++
	r.buf = binary.LittleEndian.AppendUint64(r.buf[:0], r.seq)
	r.buf = append(r.buf, b...)
	r.iov.Base = &r.buf[0]
	r.iov.SetLen(len(r.buf))
	for sent := 0; sent < len(r.hs); {
		n, _, errno := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(fd), uintptr(unsafe.Pointer(&r.hs[sent])), uintptr(len(r.hs)-sent), 0, 0, 0)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return fmt.Errorf("relay: sendmmsg: %w", errno)
		}
		sent += int(n)
	}
	for {
		n, _, err := unix.Recvfrom(fd, r.ack[:], 0)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return fmt.Errorf("relay: waiting for an acknowledgement of %d: %w", r.seq, err)
		case n >= seqSize && binary.LittleEndian.Uint64(r.ack[:]) >= r.seq:
			return nil
		}
	}
}

// acker is an acknowledging reader's answer to one batch: to each
// source, the highest sequence number it sent in the batch.
type acker struct {
	to   []unix.RawSockaddrInet4
	seqs []uint64
}

// note records that the datagram d came from from.
func (a *acker) note(from unix.RawSockaddrInet4, d []byte) {
	if len(d) < seqSize {
		return
	}
	seq := binary.LittleEndian.Uint64(d)
	for i := range a.to {
		if a.to[i] == from {
			a.seqs[i] = max(a.seqs[i], seq)
			return
		}
	}
	a.to = append(a.to, from)
	a.seqs = append(a.seqs, seq)
}

// send acknowledges the batch to every source, one datagram each, and
// forgets it.
func (a *acker) send(fd int) {
	var b [seqSize]byte
	for i := range a.to {
		binary.LittleEndian.PutUint64(b[:], a.seqs[i])
		_, _, _ = unix.Syscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), seqSize, 0,
			uintptr(unsafe.Pointer(&a.to[i])), unix.SizeofSockaddrInet4)
	}
	a.to, a.seqs = a.to[:0], a.seqs[:0]
}
