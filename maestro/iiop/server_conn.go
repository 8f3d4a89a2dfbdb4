package iiop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// conn is one accepted connection: a reader goroutine that decodes messages
// and calls the handler, and a write lock so that replies from any goroutine
// go out whole.
type conn struct {
	s  *Server
	id ConnID
	nc net.Conn // as accepted; closed if the connection moves to blocking reads
	// io moves the bytes. Only the reader goroutine replaces it, holding
	// wmu and mu; writers read it under wmu, others under mu.
	io   connIO
	done chan struct{} // closed when the reader goroutine exits

	wmu  sync.Mutex
	wbuf []byte // reply message buffer, reused under wmu

	mu       sync.Mutex
	pending  map[uint32]Syntax // two-way requests delivered and not yet answered
	draining bool              // shutting down: deliver no new requests
	drained  chan struct{}     // closed when draining and pending is empty
	version  Version           // highest GIOP version seen, for CloseConnection
	closed   bool
	codeSets CodeSets // negotiated; reader goroutine only

	// replying counts replies taken out of pending and still being
	// written; drainFlag mirrors draining. Both are atomic so that a reply
	// takes mu once: it rechecks for a drain after writing only if one has
	// begun (drain sets drainFlag before reading replying).
	replying  atomic.Int32
	drainFlag atomic.Bool
	removed   atomic.Bool // taken out of the server's table
	ops       opCache     // operation names; reader goroutine only
	ownClient bool        // the peer is this process's Client; reader goroutine only
	deadline  time.Time   // idle deadline of the current read; reader goroutine only
	armed     time.Time   // deadline armed on io (zero: none); reader goroutine only

	host    string       // client IP address, for MaxConnsPerHost; set before the reader starts
	counted bool         // counted against the connection limits; under s.mu
	active  atomic.Int64 // when last accepted or a whole message arrived, in ns since s.start
	served  atomic.Bool  // a whole message has arrived
}

func newConn(s *Server, id ConnID, nc net.Conn) *conn {
	return &conn{
		s:        s,
		id:       id,
		nc:       nc,
		io:       s.newIO(nc),
		done:     make(chan struct{}),
		pending:  make(map[uint32]Syntax),
		version:  GIOP10,
		codeSets: CodeSets{Char: CodeSetISO8859_1, WChar: CodeSetUTF16},
	}
}

func (c *conn) readLoop() {
	defer c.s.wg.Done()
	defer close(c.done)
	defer c.s.removeConn(c)
	defer c.close()
	m := msgReader{rd: c.io}
	blocking := c.io.blocking() // holding one of the server's blocking slots
	busy := false               // counted in the server's busy connections
	defer func() {
		if blocking {
			c.s.releaseBlocking()
		}
		if busy {
			c.s.nBusy.Add(-1)
		}
	}()
	adaptive := c.s.readMode == ReadDefault
	var window time.Time // when the current run of busyWindow messages began
	// quiet: a blocking read waited quietAfter for nothing, so the
	// connection is no longer busy; it gives its thread and slot back.
	quiet := func() {
		if busy {
			busy = false
			c.s.nBusy.Add(-1)
		}
		if blocking && c.toPoll() {
			blocking = false
			c.s.releaseBlocking()
			m.rd = c.io
		}
		window = time.Time{}
	}
	resumed := false          // reading on after a quiet move: the idle deadline stands
	var msgDeadline time.Time // when the message being received must be whole; zero between messages
	reasm := newReassembler(c.s.max)
	seen := GIOP10 // highest version noted, so noteVersion locks only on a change
	for n := uint(1); ; n++ {
		if adaptive && n%c.s.busyWindow == 0 {
			// Every busyWindow messages: is the connection busy (messages
			// not far apart on average)? Blocking reads pay only while few
			// connections are busy: each blocked reader keeps a P, and
			// without a spare one sysmon takes Ps from readers in mid call.
			now := time.Now()
			isBusy := !window.IsZero() && now.Sub(window) < time.Duration(c.s.busyWindow)*c.s.busyGap
			window = now
			if isBusy != busy {
				busy = isBusy
				if busy {
					c.s.nBusy.Add(1)
				} else {
					c.s.nBusy.Add(-1)
				}
			}
			few := int(c.s.nBusy.Load()) <= c.s.blockingLimit()
			switch {
			case !blocking && busy && few && c.toBlocking():
				blocking = true
				m.rd = c.io
			case blocking && (!busy || !few) && c.toPoll():
				blocking = false
				c.s.releaseBlocking()
				m.rd = c.io
			}
		}
		if blocking && n%yieldEvery == 0 {
			// A goroutine that only ever blocks in system calls never passes
			// through the scheduler, so after 10 ms sysmon takes it for a
			// long runner: it forcibly takes the P away in mid call and then
			// polls at 20 µs for a while. Yielding now and then avoids both.
			runtime.Gosched()
		}
		if m.buffered() == 0 {
			// Between messages: the idle deadline applies.
			c.setDeadline(!resumed)
			if err := m.fill(1); err != nil {
				if err == errQuiet {
					quiet()
					resumed = true // keep the idle deadline across the move
					continue
				}
				if isTimeout(err) && c.idle() {
					c.s.stats.closedIdle.Add(1)
					c.s.log.Debug("iiop: closing idle connection", "conn", c.id, "idle_timeout", c.s.idle)
					c.closeGracefully()
					return
				}
				if isTimeout(err) {
					continue // requests still await replies: not idle
				}
				if !isEOF(err) {
					c.s.log.Debug("iiop: read", "conn", c.id, "err", err)
				}
				return
			}
		}
		// A message has begun: unless it is already buffered whole, it
		// must arrive by msgDeadline (which stands across quiet moves).
		if m.buffered() < HeaderSize {
			if again, stop := c.fillMessage(&m, HeaderSize, &msgDeadline); stop {
				return
			} else if again {
				quiet()
				resumed = true
				continue
			}
		}
		h, err := ParseHeader(m.peek(HeaderSize))
		if err != nil {
			c.protocolError(GIOP10, err)
			return
		}
		if int64(h.Size) > int64(c.s.max) {
			c.s.stats.tooLarge.Add(1)
			c.protocolError(h.Version, fmt.Errorf("%w: %d bytes (limit %d)", ErrMessageTooLarge, h.Size, c.s.max))
			return
		}
		if m.buffered() < HeaderSize+int(h.Size) {
			if again, stop := c.fillMessage(&m, HeaderSize+int(h.Size), &msgDeadline); stop {
				return
			} else if again {
				quiet()
				resumed = true
				continue // the bytes read so far stay buffered
			}
		}
		body := m.take(HeaderSize + int(h.Size))[HeaderSize:]
		resumed = false
		msgDeadline = time.Time{}
		c.delivered()
		if seen.Less(h.Version) {
			seen = h.Version
			c.noteVersion(h.Version)
		}
		if h.MoreFragments || h.Type == MsgFragment {
			c.s.log.Debug("iiop: fragment", "conn", c.id, "type", h.Type, "version", h.Version, "size", h.Size, "more", h.MoreFragments)
		}
		h, body, complete, err := reasm.add(h, body)
		if err != nil {
			if errors.Is(err, ErrMessageTooLarge) {
				c.s.stats.tooLarge.Add(1)
			}
			c.protocolError(h.Version, err)
			return
		}
		if !complete {
			continue
		}
		if stop, err := c.dispatch(h, body); err != nil {
			c.protocolError(h.Version, err)
			return
		} else if stop {
			return
		}
	}
}

// A ReadDefault connection is busy when busyWindow messages in a row
// arrived at most busyGap apart on average (4000 a second); it reads in
// blocking mode while busy and while no more connections are busy than may
// block.
// A Server copies them when it starts (tests change them, and
// pollOwnClients, to move every connection early).
var (
	busyWindow     uint = 64
	busyGap             = 250 * time.Microsecond
	pollOwnClients      = true
	// quietAfter is how long a busy connection's blocking read may wait
	// before the connection is deemed quiet and returns to the poller.
	quietAfter = 50 * time.Millisecond
)

// toBlocking switches a polled connection to blocking reads if one of the
// server's slots is free. Reader goroutine only; it swaps c.io holding both
// wmu (no write in progress) and mu (against close).
func (c *conn) toBlocking() bool {
	if c.ownClient {
		return false
	}
	if _, own := ownClientAddrs.Load(c.nc.RemoteAddr().String()); own && c.s.pollOwnClients {
		// A client goroutine of this process: through the poller one
		// thread can run both ends of a call, while a blocking reader
		// costs a thread switch each way.
		c.ownClient = true
		return false
	}
	if !c.s.takeBlockingSlot() {
		return false
	}
	ok := c.swapIO(func() (connIO, bool) { return newBlockingIO(c.nc, c.s.rcvTimeout(), c.s.quietAfter) })
	if !ok {
		c.s.releaseBlocking()
	}
	return ok
}

// toPoll moves a blocking connection back to the poller; the caller
// releases its slot. Reader goroutine only.
func (c *conn) toPoll() bool {
	b, ok := c.io.(*blockingIO)
	if !ok {
		return false
	}
	return c.swapIO(func() (connIO, bool) {
		nc, err := b.toNetConn()
		if err != nil {
			return nil, false
		}
		c.nc = nc
		return pollIO{nc}, true
	})
}

// swapIO replaces c.io by what next returns, holding wmu (no write in
// progress) and mu (against close). A write stuck on a slow peer holds
// wmu: then it gives up, to try again later.
func (c *conn) swapIO(next func() (connIO, bool)) bool {
	if !c.wmu.TryLock() {
		return false
	}
	defer c.wmu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	io, ok := next()
	if ok {
		c.io = io
		c.armed = time.Time{} // the new io has no deadline yet
	}
	return ok
}

// yieldEvery is how many messages a blocking reader handles between yields
// to the scheduler.
const yieldEvery = 256

// msgReader frames messages out of a connection's byte stream. It reads
// into a slab and hands out each message as a slice of it, so a message
// costs neither an allocation nor a copy: the kernel copies the bytes to
// where the request's arguments will be decoded from. A full slab is
// replaced by a fresh one (the unread tail moves over); bodies handed out
// keep theirs alive only as long as they are referenced.
type msgReader struct {
	rd   io.Reader
	buf  []byte
	r, w int // unread bytes are buf[r:w]; buf[w:] is free
}

// slabSize is the size of a connection's read slabs (larger messages get a
// slab of their own size).
const slabSize = 32 << 10

func (m *msgReader) buffered() int { return m.w - m.r }

// peek returns the next n buffered bytes without consuming them.
func (m *msgReader) peek(n int) []byte { return m.buf[m.r : m.r+n] }

// take consumes the next n buffered bytes; the slice's capacity ends at its
// length, so appending to it cannot overwrite the following message.
func (m *msgReader) take(n int) []byte {
	b := m.buf[m.r : m.r+n : m.r+n]
	m.r += n
	return b
}

// fill reads until at least n bytes are buffered. On an error (such as a
// timeout) the bytes read so far stay buffered.
func (m *msgReader) fill(n int) error {
	for m.w-m.r < n {
		if len(m.buf)-m.r < n && (n <= slabSize || m.r > 0 || m.w == len(m.buf)) {
			// A new slab: the message does not fit in this one. A large
			// message's slab grows with the bytes that actually arrive
			// (doubling), so a header claiming a large size costs little
			// memory until the body comes.
			size := max(slabSize, n)
			if n > slabSize {
				size = min(n, max(slabSize, 2*(m.w-m.r)))
			}
			nb := make([]byte, size)
			m.w = copy(nb, m.buf[m.r:m.w])
			m.r = 0
			m.buf = nb
		}
		k, err := m.rd.Read(m.buf[m.w:])
		m.w += k
		if err != nil {
			if m.w-m.r >= n {
				return nil
			}
			if err == io.EOF && m.w > m.r {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// setDeadline arms the idle timer before a read between messages: afresh,
// or (after the connection moved between the poller and blocking reads)
// with the deadline already running. Re-arming a poller deadline costs, so
// a deadline set less than IdleTimeout/16 ago stands: a connection may be
// closed up to that much early.
func (c *conn) setDeadline(fresh bool) {
	if c.s.idle <= 0 {
		c.arm(time.Time{})
		return
	}
	if fresh || c.deadline.IsZero() {
		now := time.Now()
		if c.deadline.IsZero() || c.deadline.Sub(now) < c.s.idle-c.s.idle/16 {
			c.deadline = now.Add(c.s.idle)
		}
	}
	c.arm(c.deadline)
}

// arm sets the deadline of the reads that follow, if it changed. Reader
// goroutine only.
func (c *conn) arm(t time.Time) {
	if !t.Equal(c.armed) {
		c.armed = t
		c.io.armIdle(t)
	}
}

// fillMessage reads until n bytes of the message that has begun are
// buffered, by the message deadline (set now if the message has none yet).
// again means the connection went quiet and should move to the poller (the
// caller then reads on); stop means the connection is done: closed for
// taking longer than MessageTimeout, or failed.
func (c *conn) fillMessage(m *msgReader, n int, deadline *time.Time) (again, stop bool) {
	if deadline.IsZero() && c.s.msgTimeout > 0 {
		*deadline = time.Now().Add(c.s.msgTimeout)
	}
	c.arm(*deadline)
	err := m.fill(n)
	switch {
	case err == nil:
		return false, false
	case err == errQuiet:
		return true, false
	case isTimeout(err):
		c.s.stats.closedSlow.Add(1)
		c.s.log.Info("iiop: message not received whole in time, closing connection", "conn", c.id,
			"message_timeout", c.s.msgTimeout, "buffered", m.buffered(), "need", n)
		c.closeGracefully()
	case !isEOF(err):
		c.s.log.Debug("iiop: read message", "conn", c.id, "err", err)
	}
	return false, true
}

// idle reports whether no delivered request awaits a reply, nor has one
// being written: reply takes a request off pending before it writes, and
// an idle close in between would cut the reply off (or, finding the writer
// busy, close without CloseConnection).
func (c *conn) idle() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending) == 0 && c.replying.Load() == 0
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func (c *conn) noteVersion(v Version) {
	c.mu.Lock()
	if c.version.Less(v) {
		c.version = v
	}
	c.mu.Unlock()
}

// protocolError answers a malformed message with MessageError, tells the
// handler and lets the reader loop close the connection.
func (c *conn) protocolError(v Version, err error) {
	c.s.log.Info("iiop: protocol error, closing connection", "conn", c.id, "err", err)
	c.lingerOnClose()
	c.write(EncodeMessageError(Syntax{Version: v}))
	c.s.h.MessageError(c.id, err)
}

// dispatch handles one whole message. stop asks the reader to end quietly.
func (c *conn) dispatch(h Header, body []byte) (stop bool, err error) {
	switch h.Type {
	case MsgRequest:
		return false, c.onRequest(h, body)
	case MsgLocateRequest:
		lr, err := DecodeLocateRequest(h, body)
		if err != nil {
			return false, err
		}
		key, kerr := lr.Target.Key()
		if kerr != nil {
			return false, kerr
		}
		if c.isDraining() {
			return false, nil
		}
		c.s.h.LocateRequest(&LocateRequest{Ref: RequestRef{c.id, lr.RequestID}, Version: h.Version, ObjectKey: key})
		return false, nil
	case MsgCancelRequest:
		id, err := DecodeCancelRequest(h, body)
		if err != nil {
			return false, err
		}
		c.mu.Lock()
		_, was := c.pending[id]
		delete(c.pending, id)
		c.checkDrained()
		c.mu.Unlock()
		if was {
			c.s.h.CancelRequest(RequestRef{c.id, id})
		}
		return false, nil
	case MsgCloseConnection:
		return true, nil
	case MsgMessageError:
		c.s.h.MessageError(c.id, fmt.Errorf("%w: peer sent MessageError", ErrBadMessage))
		return true, nil
	default:
		return false, fmt.Errorf("%w: a client may not send %s", ErrBadMessage, h.Type)
	}
}

func (c *conn) onRequest(h Header, body []byte) error {
	// body is this message's own buffer, so the request's octet sequences
	// may alias it.
	var rh RequestHeader
	args, err := decodeRequest(h, body, c.codeSets, &rh, &c.ops, true)
	if err != nil {
		return err
	}
	c.codeSets = args.Syntax.CodeSets
	ref := RequestRef{c.id, rh.RequestID}
	key, kerr := rh.Target.Key()
	c.mu.Lock()
	if c.draining {
		c.mu.Unlock()
		return nil // never delivered: the client resends after CloseConnection
	}
	if rh.ResponseExpected() {
		if len(c.pending) >= c.s.maxPending {
			c.mu.Unlock()
			c.s.stats.pendingRefused.Add(1)
			c.s.log.Info("iiop: too many pending requests, refusing", "conn", c.id, "limit", c.s.maxPending)
			e := NewReplyEncoder(args.Syntax)
			NewSystemException(ExcTransient, OMGMinorBase|1, CompletedNo).Encode(e)
			if msg, err := EncodeReply(args.Syntax, &ReplyHeader{RequestID: rh.RequestID, Status: SystemExceptionReply}, e.Bytes()); err == nil {
				c.write(msg)
			}
			return nil
		}
		c.pending[rh.RequestID] = args.Syntax
	}
	c.mu.Unlock()
	if kerr != nil {
		if rh.ResponseExpected() {
			c.s.ReplySystemException(ref, NewSystemException(ExcMarshal, OMGMinorBase|1, CompletedNo))
		}
		return nil
	}
	c.s.h.Request(&Request{
		Ref:              ref,
		Version:          h.Version,
		ResponseExpected: rh.ResponseExpected(),
		ObjectKey:        key,
		Operation:        rh.Operation,
		Principal:        rh.Principal,
		ServiceContexts:  rh.ServiceContexts,
		Target:           rh.Target,
		Args:             args,
	})
	return nil
}

func (c *conn) isDraining() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.draining
}

func (c *conn) pendingSyntax(id uint32) (Syntax, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	syn, ok := c.pending[id]
	return syn, ok
}

// checkDrained must be called with mu held.
func (c *conn) checkDrained() {
	if c.draining && len(c.pending) == 0 && c.replying.Load() == 0 && c.drained != nil {
		close(c.drained)
		c.drained = nil
	}
}

func (c *conn) reply(id uint32, status ReplyStatus, body []byte) error {
	c.mu.Lock()
	syn, ok := c.pending[id]
	if ok {
		delete(c.pending, id)
		c.replying.Add(1)
	}
	c.mu.Unlock()
	if !ok {
		return fmt.Errorf("request %d on connection %d: %w", id, c.id, ErrUnknownRequest)
	}
	c.wmu.Lock()
	msg, err := appendReply(c.wbuf, syn, &ReplyHeader{RequestID: id, Status: status}, body)
	if err == nil {
		err = c.writeLocked(msg)
		if cap(msg) <= maxKeptReplyBuffer {
			c.wbuf = msg[:0]
		} else {
			c.wbuf = nil
		}
	}
	c.wmu.Unlock()
	// Shutdown learns the connection is drained only after the reply is
	// written (replying counts it until then), so its CloseConnection cannot
	// overtake the reply.
	if c.replying.Add(-1) == 0 && c.drainFlag.Load() {
		c.mu.Lock()
		c.checkDrained()
		c.mu.Unlock()
	}
	return err
}

// maxKeptReplyBuffer bounds the reply buffer a connection keeps for reuse.
const maxKeptReplyBuffer = 64 << 10

func (c *conn) locateReply(id uint32, status LocateStatus, body []byte) error {
	c.mu.Lock()
	v := c.version
	c.mu.Unlock()
	return c.write(EncodeLocateReply(Syntax{Version: v}, &LocateReplyHeader{RequestID: id, Status: status}, body))
}

func (c *conn) write(msg []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.writeLocked(msg)
}

// writeLocked writes a whole message; wmu must be held.
func (c *conn) writeLocked(msg []byte) error {
	if err := c.io.write(msg); err != nil {
		return fmt.Errorf("iiop: connection %d: %w", c.id, err)
	}
	return nil
}

// drain stops delivery of new requests and waits until every delivered
// two-way request has been answered or ctx ends.
func (c *conn) drain(ctx context.Context) error {
	c.mu.Lock()
	c.draining = true
	c.drainFlag.Store(true)
	var wait chan struct{}
	if len(c.pending) > 0 || c.replying.Load() > 0 {
		c.drained = make(chan struct{})
		wait = c.drained
	}
	c.mu.Unlock()
	if wait == nil {
		return nil
	}
	select {
	case <-wait:
		return nil
	case <-c.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sendClose starts a graceful close: CloseConnection, and the close that
// follows lingers so that the client reads it (see acceptLoop).
func (c *conn) sendClose() {
	c.lingerOnClose()
	c.mu.Lock()
	v := c.version
	c.mu.Unlock()
	c.write(EncodeCloseConnection(Syntax{Version: v}))
}

// lingerOnClose makes the coming close deliver what was written first.
func (c *conn) lingerOnClose() {
	c.mu.Lock()
	io := c.io
	c.mu.Unlock()
	io.lingerOnClose()
}

func (c *conn) closeWrite() {
	c.mu.Lock()
	io := c.io
	c.mu.Unlock()
	io.closeWrite()
}

func (c *conn) close() {
	c.mu.Lock()
	already := c.closed
	c.closed = true
	c.pending = map[uint32]Syntax{}
	c.checkDrained()
	io := c.io
	c.mu.Unlock()
	if !already {
		io.close()
	}
}
