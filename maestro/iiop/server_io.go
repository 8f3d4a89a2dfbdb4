package iiop

import (
	"errors"
	"net"
	"time"
)

// errQuiet is what a ReadDefault connection's blocking read returns when
// nothing arrived for quietAfter: the reader then moves it back to the
// poller and reads again.
var errQuiet = errors.New("iiop: connection quiet")

// connIO moves a server connection's bytes: through Go's network poller
// (pollIO) or, with ReadBlocking, through system calls that block in the
// kernel (blockingIO, Linux only).
type connIO interface {
	// Read reads into p; reader goroutine only.
	Read(p []byte) (int, error)
	// armIdle sets the deadline of the reads that follow (the idle or
	// message deadline; zero for none); reader goroutine only.
	armIdle(deadline time.Time)
	// write writes a whole message; the caller serialises writes.
	write(msg []byte) error
	// tryWrite writes a short message if the socket can take it without
	// waiting long for the peer (see closeGracefully); the caller
	// serialises writes. Nothing follows it but close.
	tryWrite(msg []byte) error
	// closeWrite sends FIN after the last message (graceful shutdown).
	closeWrite()
	// lingerOnClose makes the close that follows deliver what was
	// written and end with a FIN: connections are accepted set to reset
	// instead, so that a process that dies resets them (acceptLoop).
	lingerOnClose()
	// close wakes a blocked read or write and closes the socket; the
	// caller calls it once.
	close()
	// blocking reports whether the reader holds an OS thread while it waits.
	blocking() bool
}

type pollIO struct{ nc net.Conn }

func (p pollIO) Read(b []byte) (int, error) { return p.nc.Read(b) }
func (p pollIO) armIdle(t time.Time)        { p.nc.SetReadDeadline(t) }
func (p pollIO) blocking() bool             { return false }
func (p pollIO) close()                     { p.nc.Close() }

func (p pollIO) write(msg []byte) error {
	_, err := p.nc.Write(msg)
	return err
}

func (p pollIO) tryWrite(msg []byte) error {
	_ = p.nc.SetWriteDeadline(time.Now().Add(closeWriteTimeout))
	_, err := p.nc.Write(msg)
	return err
}

func (p pollIO) lingerOnClose() {
	if tc, ok := p.nc.(*net.TCPConn); ok {
		_ = tc.SetLinger(-1)
	}
}

func (p pollIO) closeWrite() {
	if tc, ok := p.nc.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
}
