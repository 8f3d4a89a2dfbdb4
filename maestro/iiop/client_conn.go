package iiop

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// clientConn is one client connection: calls write under a lock and wait on
// a channel that the reader goroutine fills with the matching reply.
type clientConn struct {
	c   *Client
	nc  net.Conn
	wmu sync.Mutex

	mu           sync.Mutex
	nextID       uint32
	waiting      map[uint32]chan clientMsg
	err          error // set once the connection is dead
	codeSetsSent bool
	codeSets     CodeSets
	usedV12      bool
	local        string // nc's local address, in ownClientAddrs while open
}

type clientMsg struct {
	h    Header
	body []byte
	err  error
}

// ownClientAddrs holds the local addresses of this process's client
// connections, so that a Server in the same process can tell them apart:
// it keeps them on the poller (see ReadDefault).
var ownClientAddrs sync.Map // string → struct{}

func newClientConn(c *Client, nc net.Conn) *clientConn {
	cc := &clientConn{c: c, nc: nc, local: nc.LocalAddr().String(), waiting: make(map[uint32]chan clientMsg)}
	ownClientAddrs.Store(cc.local, struct{}{})
	return cc
}

func (cc *clientConn) isClosed() bool {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.err != nil
}

// register allocates a request id and a reply channel.
func (cc *clientConn) register() (uint32, chan clientMsg, error) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.err != nil {
		return 0, nil, cc.err
	}
	cc.nextID++
	id := cc.nextID
	ch := make(chan clientMsg, 1)
	cc.waiting[id] = ch
	return id, ch, nil
}

func (cc *clientConn) unregister(id uint32) {
	cc.mu.Lock()
	delete(cc.waiting, id)
	cc.mu.Unlock()
}

// send writes a message built by build under the write lock; build learns
// whether this is the connection's first request (to attach CodeSets).
func (cc *clientConn) send(build func(first bool) ([]byte, error)) error {
	cc.wmu.Lock()
	defer cc.wmu.Unlock()
	cc.mu.Lock()
	first := !cc.codeSetsSent
	cc.mu.Unlock()
	msg, err := build(first)
	if err != nil {
		return err
	}
	if _, err := cc.nc.Write(msg); err != nil {
		cc.shutdown(err)
		return fmt.Errorf("%w: %v", NewSystemException(ExcCommFailure, OMGMinorBase|3, CompletedNo), err)
	}
	return nil
}

func (cc *clientConn) call(ctx context.Context, t target, op string, args func(*Encoder), twoway bool, extra []ServiceContext) (*Reply, *IOR, error) {
	id, ch, err := cc.register()
	if err != nil {
		return nil, nil, errAbandoned
	}
	defer cc.unregister(id)
	var cs CodeSets
	flags := ResponseExpected
	if !twoway {
		flags = ResponseNone
	}
	err = cc.send(func(first bool) ([]byte, error) {
		rh := &RequestHeader{RequestID: id, ResponseFlags: flags, Operation: op,
			Target: TargetAddress{Disposition: KeyAddr, ObjectKey: t.key}}
		cs = CodeSets{Char: CodeSetISO8859_1, WChar: CodeSetUTF16}
		cc.mu.Lock()
		if cc.codeSetsSent {
			cs = cc.codeSets
		} else if t.codeSets != nil {
			cs = t.codeSets.Negotiate()
			rh.ServiceContexts = append(rh.ServiceContexts, CodeSetsContext(cs))
			cc.codeSets, cc.codeSetsSent = cs, true
		}
		if t.version == GIOP12 {
			cc.usedV12 = true
		}
		cc.mu.Unlock()
		rh.ServiceContexts = append(rh.ServiceContexts, extra...)
		return EncodeRequest(Syntax{Order: BigEndian, Version: t.version, CodeSets: cs}, rh, args)
	})
	if err != nil {
		return nil, nil, err
	}
	if !twoway {
		return nil, nil, nil
	}
	var m clientMsg
	select {
	case m = <-ch:
	case <-ctx.Done():
		cc.send(func(bool) ([]byte, error) {
			return EncodeCancelRequest(Syntax{Version: t.version}, id), nil
		})
		return nil, nil, ctx.Err()
	}
	if m.err != nil {
		return nil, nil, m.err
	}
	rh, body, err := DecodeReply(m.h, m.body, cs)
	if err != nil {
		return nil, nil, err
	}
	switch rh.Status {
	case NoException, UserException:
		return &Reply{Status: rh.Status, ServiceContexts: rh.ServiceContexts, Body: body}, nil, nil
	case SystemExceptionReply:
		exc, err := DecodeSystemException(body.Decoder())
		if err != nil {
			return nil, nil, err
		}
		return nil, nil, exc
	case LocationForward, LocationForwardPerm:
		d := body.Decoder()
		fwd := DecodeIOR(d)
		if err := d.Err(); err != nil {
			return nil, nil, fmt.Errorf("LOCATION_FORWARD body: %w", err)
		}
		return nil, fwd, nil
	}
	return nil, nil, fmt.Errorf("iiop: unsupported reply status %s", rh.Status)
}

func (cc *clientConn) locate(ctx context.Context, t target) (LocateStatus, *IOR, error) {
	id, ch, err := cc.register()
	if err != nil {
		return 0, nil, errAbandoned
	}
	defer cc.unregister(id)
	err = cc.send(func(bool) ([]byte, error) {
		return EncodeLocateRequest(Syntax{Version: t.version},
			&LocateRequestHeader{RequestID: id, Target: TargetAddress{Disposition: KeyAddr, ObjectKey: t.key}})
	})
	if err != nil {
		return 0, nil, err
	}
	var m clientMsg
	select {
	case m = <-ch:
	case <-ctx.Done():
		return 0, nil, ctx.Err()
	}
	if m.err != nil {
		return 0, nil, m.err
	}
	lr, body, err := DecodeLocateReply(m.h, m.body)
	if err != nil {
		return 0, nil, err
	}
	switch lr.Status {
	case ObjectForward, ObjectForwardPerm:
		d := body.Decoder()
		fwd := DecodeIOR(d)
		if err := d.Err(); err != nil {
			return 0, nil, fmt.Errorf("OBJECT_FORWARD body: %w", err)
		}
		return lr.Status, fwd, nil
	case LocSystemException:
		exc, err := DecodeSystemException(body.Decoder())
		if err != nil {
			return 0, nil, err
		}
		return lr.Status, nil, exc
	}
	return lr.Status, nil, nil
}

func (cc *clientConn) readLoop() {
	r := bufio.NewReaderSize(cc.nc, 32<<10)
	reasm := newReassembler(cc.c.opts.MaxMessageSize)
	var hb [HeaderSize]byte
	for {
		if _, err := io.ReadFull(r, hb[:]); err != nil {
			cc.shutdown(err)
			return
		}
		h, err := ParseHeader(hb[:])
		if err == nil && int64(h.Size) > int64(cc.c.opts.MaxMessageSize) {
			err = fmt.Errorf("%w: reply of %d bytes", ErrMessageTooLarge, h.Size)
		}
		if err != nil {
			cc.send(func(bool) ([]byte, error) { return EncodeMessageError(Syntax{Version: GIOP10}), nil })
			cc.shutdown(err)
			return
		}
		body := make([]byte, h.Size)
		if _, err := io.ReadFull(r, body); err != nil {
			cc.shutdown(err)
			return
		}
		h, body, complete, err := reasm.add(h, body)
		if err != nil {
			cc.shutdown(err)
			return
		}
		if !complete {
			continue
		}
		switch h.Type {
		case MsgReply, MsgLocateReply:
			id, ok := replyRequestID(h, body)
			if !ok {
				cc.shutdown(fmt.Errorf("%w: reply without request id", ErrBadMessage))
				return
			}
			cc.mu.Lock()
			ch := cc.waiting[id]
			delete(cc.waiting, id)
			cc.mu.Unlock()
			if ch != nil {
				ch <- clientMsg{h: h, body: body}
			}
		case MsgCloseConnection:
			cc.shutdown(errAbandoned)
			return
		case MsgMessageError:
			cc.shutdown(fmt.Errorf("%w: server sent MessageError", ErrBadMessage))
			return
		default:
			cc.shutdown(fmt.Errorf("%w: a server may not send %s", ErrBadMessage, h.Type))
			return
		}
	}
}

// replyRequestID finds the request id of a Reply or LocateReply.
func replyRequestID(h Header, body []byte) (uint32, bool) {
	if h.Type == MsgLocateReply || h.Version == GIOP12 {
		if len(body) < 4 {
			return 0, false
		}
		return h.Order.Uint32(body), true
	}
	rh, _, err := DecodeReply(h, body, CodeSets{})
	if err != nil {
		return 0, false
	}
	return rh.RequestID, true
}

// shutdown marks the connection dead and fails every waiting call: with
// errAbandoned after CloseConnection (safe to resend), otherwise with
// COMM_FAILURE/COMPLETED_MAYBE (the request may have run).
func (cc *clientConn) shutdown(cause error) {
	cc.mu.Lock()
	if cc.err != nil {
		cc.mu.Unlock()
		return
	}
	cc.err = cause
	waiting := cc.waiting
	cc.waiting = map[uint32]chan clientMsg{}
	cc.mu.Unlock()
	cc.nc.Close()
	ownClientAddrs.Delete(cc.local)
	var callErr error
	switch {
	case errors.Is(cause, errAbandoned):
		callErr = errAbandoned
	case errors.Is(cause, ErrClosed):
		callErr = ErrClosed
	default:
		callErr = fmt.Errorf("%w: %v", NewSystemException(ExcCommFailure, OMGMinorBase|3, CompletedMaybe), cause)
	}
	for _, ch := range waiting {
		ch <- clientMsg{err: callErr}
	}
}

// sendCloseIfIdle tells a GIOP 1.2 server the client is leaving.
func (cc *clientConn) sendCloseIfIdle() {
	cc.mu.Lock()
	ok := cc.usedV12 && len(cc.waiting) == 0 && cc.err == nil
	cc.mu.Unlock()
	if ok {
		cc.send(func(bool) ([]byte, error) { return EncodeCloseConnection(Syntax{Version: GIOP12}), nil })
	}
}
