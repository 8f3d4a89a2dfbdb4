package iiop

import (
	"net"
	"sync/atomic"
	"time"
)

// ServerStats is a snapshot of a Server's connection and message counters
// (Server.Stats). Counters only grow; Open is the present count.
type ServerStats struct {
	// Open is the number of connections open now (including ones being
	// closed whose reader has not finished yet).
	Open int
	// Accepted counts connections accepted and kept.
	Accepted uint64
	// Refused counts connections closed at once on accept because
	// MaxConns or MaxConnsPerHost was reached and no connection was idle.
	Refused uint64
	// Evicted counts idle connections closed with CloseConnection to make
	// room for a new one (MaxConns, MaxConnsPerHost) or to free a
	// descriptor after an accept failed.
	Evicted uint64
	// ClosedIdle counts connections closed by IdleTimeout.
	ClosedIdle uint64
	// ClosedSlow counts connections closed because a message took longer
	// than MessageTimeout to arrive.
	ClosedSlow uint64
	// TooLarge counts messages refused for exceeding MaxMessageSize (their
	// connections were closed).
	TooLarge uint64
	// PendingRefused counts requests refused with TRANSIENT because their
	// connection already had MaxPendingPerConn requests in flight.
	PendingRefused uint64
	// AcceptErrors counts failed accepts (EMFILE and the like); after each
	// the accept loop backs off, from 5 ms up to a second.
	AcceptErrors uint64
}

type serverStats struct {
	accepted, refused, evicted, closedIdle, closedSlow, tooLarge, pendingRefused, acceptErrors atomic.Uint64
}

// Stats returns the server's counters. It is safe to call from any
// goroutine at any time, also after Close; it takes the connection table's
// lock briefly.
func (s *Server) Stats() ServerStats {
	s.mu.RLock()
	open := len(s.conns)
	s.mu.RUnlock()
	return ServerStats{
		Open:           open,
		Accepted:       s.stats.accepted.Load(),
		Refused:        s.stats.refused.Load(),
		Evicted:        s.stats.evicted.Load(),
		ClosedIdle:     s.stats.closedIdle.Load(),
		ClosedSlow:     s.stats.closedSlow.Load(),
		TooLarge:       s.stats.tooLarge.Load(),
		PendingRefused: s.stats.pendingRefused.Load(),
		AcceptErrors:   s.stats.acceptErrors.Load(),
	}
}

// ServerLimits are the limits a Server applies, after defaults; zero means
// no limit.
type ServerLimits struct {
	IdleTimeout       time.Duration
	MessageTimeout    time.Duration
	MaxConns          int
	MaxConnsPerHost   int
	MaxPendingPerConn int
	MaxMessageSize    int
}

// Limits reports the limits in force (ServerOptions with the defaults
// filled in). Safe from any goroutine.
func (s *Server) Limits() ServerLimits {
	return ServerLimits{
		IdleTimeout:       s.idle,
		MessageTimeout:    s.msgTimeout,
		MaxConns:          s.maxConns,
		MaxConnsPerHost:   s.maxPerHost,
		MaxPendingPerConn: s.maxPending,
		MaxMessageSize:    s.max,
	}
}

// limitOr applies an option's convention: zero means def, negative means
// none (0).
func limitOr[T int | time.Duration](v, def T) T {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// hostOf is the client address a connection counts against for
// MaxConnsPerHost: its IP address without the port.
func hostOf(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	if a == nil {
		return ""
	}
	if h, _, err := net.SplitHostPort(a.String()); err == nil {
		return h
	}
	return a.String()
}

// makeRoomLocked decides whether a new connection from host may be kept:
// within the limits it may (victim nil); at a limit, the connection idle
// for longest (of host for MaxConnsPerHost, of all for MaxConns) is claimed
// for closing and no longer counted, and returned for the caller to close;
// if none is idle, ok is false. mu is held.
func (s *Server) makeRoomLocked(host string) (victim *conn, ok bool) {
	if s.maxPerHost > 0 && s.perHost[host] >= s.maxPerHost {
		if victim = s.claimOldestIdleLocked(host, true); victim == nil {
			return nil, false
		}
		return victim, true // one fewer in total as well
	}
	if s.maxConns > 0 && s.nOpen >= s.maxConns {
		if victim = s.claimOldestIdleLocked("", false); victim == nil {
			return nil, false
		}
	}
	return victim, true
}

// claimOldestIdleLocked finds the counted connection (of host, if byHost)
// that is idle — no request in flight — and least worth keeping: one that
// never delivered a whole message (an idle or slowloris connection, not a
// client between calls) before any that did, and among those the one whose
// acceptance or last whole message is oldest. It marks it draining so that
// no further request on it reaches the handler, and uncounts it. It returns
// nil if none is idle. mu is held. A connection that turns busy between the
// scan and the claim is skipped and the scan repeated, a few times at most.
func (s *Server) claimOldestIdleLocked(host string, byHost bool) *conn {
	for range 3 {
		var best *conn
		var bestAt int64
		bestServed := true
		for _, c := range s.conns {
			if !c.counted || (byHost && c.host != host) {
				continue
			}
			at, served := c.active.Load(), c.served.Load()
			better := best == nil || (!served && bestServed) || (served == bestServed && at < bestAt)
			if better && c.idle() {
				best, bestAt, bestServed = c, at, served
			}
		}
		if best == nil {
			return nil
		}
		if best.claimIdle() {
			s.uncountLocked(best)
			return best
		}
	}
	return nil
}

// evict closes a claimed connection gracefully and waits (up to
// evictWait) for its reader to let go of the descriptor, so that making
// room really frees one before the next accept: under a flood, closes
// that lag behind accepts would otherwise pile up descriptors. Accept
// loop only.
func (s *Server) evict(v *conn) {
	s.stats.evicted.Add(1)
	v.closeGracefully()
	select {
	case <-v.done:
	case <-time.After(evictWait):
	}
}

// evictWait bounds how long the accept loop waits for an evicted
// connection's reader to exit.
const evictWait = 100 * time.Millisecond

// evictForDescriptor closes the connection idle for longest after an accept
// failed (usually EMFILE), so that the next accept finds a descriptor.
// Accept loop only.
func (s *Server) evictForDescriptor() bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	v := s.claimOldestIdleLocked("", false)
	s.mu.Unlock()
	if v == nil {
		return false
	}
	s.evict(v)
	return true
}

// countLocked counts a new connection against the limits; mu is held.
func (s *Server) countLocked(c *conn) {
	c.counted = true
	s.nOpen++
	s.perHost[c.host]++
}

// uncountLocked stops counting a connection (closed, or claimed for
// closing); mu is held.
func (s *Server) uncountLocked(c *conn) {
	if !c.counted {
		return
	}
	c.counted = false
	s.nOpen--
	if s.perHost[c.host]--; s.perHost[c.host] <= 0 {
		delete(s.perHost, c.host)
	}
}

// touch records that the connection was active now: accepted, or a whole
// message received. Reader goroutine (or the accept loop before it starts).
func (c *conn) touch() {
	c.active.Store(int64(time.Since(c.s.start)))
}

// delivered notes a whole message received: the connection is active now,
// and a client's rather than an idler's (see claimOldestIdleLocked). Reader
// goroutine only.
func (c *conn) delivered() {
	c.touch()
	if !c.served.Load() {
		c.served.Store(true)
	}
}

// claimIdle marks the connection draining if no request on it is in flight
// or being answered, so that it can be closed without abandoning work; it
// reports whether it did. Any goroutine.
func (c *conn) claimIdle() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.draining || len(c.pending) > 0 || c.replying.Load() > 0 {
		return false
	}
	c.draining = true
	c.drainFlag.Store(true)
	return true
}

// closeGracefully sends CloseConnection, if it can without waiting for a
// slow reader (no write in progress, room in the socket's send buffer),
// and closes the connection; the close lets the kernel deliver the message
// and end with a FIN. Any goroutine; it never blocks on the peer for more
// than closeWriteTimeout.
func (c *conn) closeGracefully() {
	if c.wmu.TryLock() {
		io := c.io // stable under wmu
		c.mu.Lock()
		v, closed := c.version, c.closed
		c.mu.Unlock()
		if !closed {
			io.lingerOnClose()
			if err := io.tryWrite(EncodeCloseConnection(Syntax{Version: v})); err != nil {
				c.s.log.Debug("iiop: CloseConnection not sent", "conn", c.id, "err", err)
			}
		}
		c.wmu.Unlock()
	}
	c.close()
}

// closeWriteTimeout bounds how long closeGracefully waits for room in a
// polled connection's send buffer.
const closeWriteTimeout = 10 * time.Millisecond
