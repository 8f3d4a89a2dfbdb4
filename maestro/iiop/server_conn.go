package iiop

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// conn is one accepted connection: a reader goroutine that decodes messages
// and calls the handler, and a write lock so that replies from any goroutine
// go out whole.
type conn struct {
	s    *Server
	id   ConnID
	nc   net.Conn
	wmu  sync.Mutex
	done chan struct{} // closed when the reader goroutine exits

	mu       sync.Mutex
	pending  map[uint32]Syntax // two-way requests delivered and not yet answered
	draining bool              // shutting down: deliver no new requests
	drained  chan struct{}     // closed when draining and pending is empty
	version  Version           // highest GIOP version seen, for CloseConnection
	closed   bool
	codeSets CodeSets // negotiated; reader goroutine only
}

func newConn(s *Server, id ConnID, nc net.Conn) *conn {
	return &conn{
		s:        s,
		id:       id,
		nc:       nc,
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
	r := bufio.NewReaderSize(c.nc, 32<<10)
	reasm := newReassembler(c.s.max)
	var hb [HeaderSize]byte
	for {
		c.setDeadline()
		if _, err := io.ReadFull(r, hb[:]); err != nil {
			if isTimeout(err) && c.idle() {
				c.s.log.Debug("iiop: closing idle connection", "conn", c.id)
				c.sendClose()
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
		c.setDeadline()
		h, err := ParseHeader(hb[:])
		if err != nil {
			c.protocolError(GIOP10, err)
			return
		}
		if int64(h.Size) > int64(c.s.max) {
			c.protocolError(h.Version, fmt.Errorf("%w: %d bytes (limit %d)", ErrMessageTooLarge, h.Size, c.s.max))
			return
		}
		body := make([]byte, h.Size)
		if _, err := io.ReadFull(r, body); err != nil {
			c.s.log.Debug("iiop: read body", "conn", c.id, "err", err)
			return
		}
		c.noteVersion(h.Version)
		if h.MoreFragments || h.Type == MsgFragment {
			c.s.log.Debug("iiop: fragment", "conn", c.id, "type", h.Type, "version", h.Version, "size", h.Size, "more", h.MoreFragments)
		}
		h, body, complete, err := reasm.add(h, body)
		if err != nil {
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

// setDeadline arms the idle timer before each read.
func (c *conn) setDeadline() {
	if c.s.idle > 0 {
		c.nc.SetReadDeadline(time.Now().Add(c.s.idle))
	}
}

// idle reports whether no delivered request awaits a reply.
func (c *conn) idle() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending) == 0
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
	rh, args, err := DecodeRequest(h, body, c.codeSets)
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
	if c.draining && len(c.pending) == 0 && c.drained != nil {
		close(c.drained)
		c.drained = nil
	}
}

func (c *conn) reply(id uint32, status ReplyStatus, body []byte) error {
	c.mu.Lock()
	syn, ok := c.pending[id]
	delete(c.pending, id)
	c.mu.Unlock()
	if !ok {
		return fmt.Errorf("request %d on connection %d: %w", id, c.id, ErrUnknownRequest)
	}
	// Shutdown learns the connection is drained only after the reply is
	// written, so its CloseConnection cannot overtake the reply.
	defer func() {
		c.mu.Lock()
		c.checkDrained()
		c.mu.Unlock()
	}()
	msg, err := EncodeReply(syn, &ReplyHeader{RequestID: id, Status: status}, body)
	if err != nil {
		return err
	}
	return c.write(msg)
}

func (c *conn) locateReply(id uint32, status LocateStatus, body []byte) error {
	c.mu.Lock()
	v := c.version
	c.mu.Unlock()
	return c.write(EncodeLocateReply(Syntax{Version: v}, &LocateReplyHeader{RequestID: id, Status: status}, body))
}

func (c *conn) write(msg []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if _, err := c.nc.Write(msg); err != nil {
		return fmt.Errorf("iiop: connection %d: %w", c.id, err)
	}
	return nil
}

// drain stops delivery of new requests and waits until every delivered
// two-way request has been answered or ctx ends.
func (c *conn) drain(ctx context.Context) error {
	c.mu.Lock()
	c.draining = true
	var wait chan struct{}
	if len(c.pending) > 0 {
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

func (c *conn) sendClose() {
	c.mu.Lock()
	v := c.version
	c.mu.Unlock()
	c.write(EncodeCloseConnection(Syntax{Version: v}))
}

func (c *conn) closeWrite() {
	if tc, ok := c.nc.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
}

func (c *conn) close() {
	c.mu.Lock()
	already := c.closed
	c.closed = true
	c.pending = map[uint32]Syntax{}
	c.checkDrained()
	c.mu.Unlock()
	if !already {
		c.nc.Close()
	}
}
