package orb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/maestro-go/maestro/maestro/iiop"
)

// Errors from Bind and Unbind.
var (
	ErrAlreadyBound = errors.New("orb: object key already bound")
	ErrNotBound     = errors.New("orb: object key not bound")
)

// Dispatcher is the IIOP dispatcher of §3.3.4: it owns an iiop.Server, looks
// up the ORB bound to each incoming message's object key and calls it. It
// answers by itself what every object must support: OBJECT_NOT_EXIST (and
// UNKNOWN_OBJECT for LocateRequest) for keys nobody bound, _non_existent,
// and _is_a (asking the ORB's IsA). Its downcalls are safe from any
// goroutine.
type Dispatcher struct {
	server *iiop.Server
	// ready is closed once server is set: the server accepts, and may
	// call the handler, before NewServer returns it.
	ready chan struct{}
	log   *slog.Logger

	mu       sync.RWMutex
	bindings map[string]binding // by key octets, so lookups need no allocation

	inflightMu sync.Mutex
	inflight   map[RequestID]ORB // two-way requests handed to an ORB, for CancelRequest
}

type binding struct {
	key ObjectKey
	orb ORB
}

// NewDispatcher starts an IIOP server with the given options and routes its
// messages. It accepts connections at once; requests for keys not yet bound
// get OBJECT_NOT_EXIST.
func NewDispatcher(opts iiop.ServerOptions) (*Dispatcher, error) {
	d := &Dispatcher{
		ready:    make(chan struct{}),
		log:      opts.Logger,
		bindings: make(map[string]binding),
		inflight: make(map[RequestID]ORB),
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	s, err := iiop.NewServer(opts, dispatchHandler{d})
	if err != nil {
		return nil, err
	}
	d.server = s
	close(d.ready)
	return d, nil
}

// Server returns the underlying IIOP server.
func (d *Dispatcher) Server() *iiop.Server { return d.server }

// Addr is the IIOP endpoint the dispatcher listens on.
func (d *Dispatcher) Addr() iiop.Addr { return d.server.IIOPAddr() }

// Bind routes requests for key to o.
func (d *Dispatcher) Bind(key ObjectKey, o ORB) error {
	if key.IsZero() || o == nil {
		return errors.New("orb: Bind needs a key and an ORB")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, dup := d.bindings[key.octets]; dup {
		return fmt.Errorf("%w: %s", ErrAlreadyBound, key)
	}
	d.bindings[key.octets] = binding{key, o}
	return nil
}

// Unbind removes the binding of key; later requests for it get
// OBJECT_NOT_EXIST.
func (d *Dispatcher) Unbind(key ObjectKey) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.bindings[key.octets]; !ok {
		return fmt.Errorf("%w: %s", ErrNotBound, key)
	}
	delete(d.bindings, key.octets)
	return nil
}

func (d *Dispatcher) lookup(key []byte) (ObjectKey, ORB) {
	d.mu.RLock()
	b, ok := d.bindings[string(key)]
	d.mu.RUnlock()
	if !ok {
		return KeyFromOctets(key), nil
	}
	return b.key, b.orb
}

func (d *Dispatcher) done(id RequestID) {
	d.inflightMu.Lock()
	delete(d.inflight, id)
	d.inflightMu.Unlock()
}

// RequestReply sends the reply to a request (downcall of §3.3.4). body is
// encoded with req.Args.ReplyEncoder().
func (d *Dispatcher) RequestReply(id RequestID, status iiop.ReplyStatus, body []byte) error {
	d.done(id)
	return d.server.RequestReply(id, status, body)
}

// ReplySystemException answers a request with a system exception.
func (d *Dispatcher) ReplySystemException(id RequestID, exc *iiop.SystemException) error {
	d.done(id)
	return d.server.ReplySystemException(id, exc)
}

// LocateReply answers a LocateRequest.
func (d *Dispatcher) LocateReply(id RequestID, status iiop.LocateStatus, body []byte) error {
	return d.server.LocateReply(id, status, body)
}

// Shutdown stops the IIOP server gracefully (see iiop.Server.Shutdown).
func (d *Dispatcher) Shutdown(ctx context.Context) error { return d.server.Shutdown(ctx) }

// Close stops the IIOP server at once.
func (d *Dispatcher) Close() error { return d.server.Close() }

// dispatchHandler keeps the iiop.Handler methods off Dispatcher's API.
type dispatchHandler struct{ d *Dispatcher }

// dispatcher returns the Dispatcher once its server is set (a connection's
// reader goroutine; a request may arrive while NewDispatcher runs).
func (h dispatchHandler) dispatcher() *Dispatcher {
	<-h.d.ready
	return h.d
}

// Request routes a request: built-in operations, unknown keys, or the bound ORB.
func (h dispatchHandler) Request(r *iiop.Request) {
	d := h.dispatcher()
	key, o := d.lookup(r.ObjectKey)
	switch r.Operation {
	case "_non_existent", "_not_existent":
		d.replyBool(r, o == nil)
		return
	}
	if o == nil {
		d.replyException(r, iiop.ExcObjectNotExist)
		return
	}
	if r.Operation == "_is_a" {
		dec := r.Args.Decoder()
		repoID := dec.ReadString()
		if dec.Err() != nil {
			d.replyException(r, iiop.ExcMarshal)
			return
		}
		d.replyBool(r, o.IsA(key, repoID) || repoID == "IDL:omg.org/CORBA/Object:1.0")
		return
	}
	if so, ok := o.(*SimpleORB); ok {
		// The Simple ORB answers before returning and ignores
		// CancelRequest: no in-flight entry, and the request can live on
		// this goroutine's stack.
		req := Request{
			ID:               r.Ref,
			Key:              key,
			ResponseExpected: r.ResponseExpected,
			Operation:        r.Operation,
			Principal:        r.Principal,
			ServiceContexts:  r.ServiceContexts,
			Args:             r.Args,
		}
		so.request(&req)
		return
	}
	if r.ResponseExpected {
		d.inflightMu.Lock()
		d.inflight[r.Ref] = o
		d.inflightMu.Unlock()
	}
	o.Request(&Request{
		ID:               r.Ref,
		Key:              key,
		ResponseExpected: r.ResponseExpected,
		Operation:        r.Operation,
		Principal:        r.Principal,
		ServiceContexts:  r.ServiceContexts,
		Args:             r.Args,
	})
}

// replyBool answers a built-in operation returning a boolean.
func (d *Dispatcher) replyBool(r *iiop.Request, v bool) {
	if !r.ResponseExpected {
		return
	}
	e := r.Args.ReplyEncoder()
	e.WriteBool(v)
	if err := d.server.RequestReply(r.Ref, iiop.NoException, e.Bytes()); err != nil {
		d.log.Debug("orb: reply", "err", err)
	}
}

// replyException answers a request the Dispatcher refuses by itself.
func (d *Dispatcher) replyException(r *iiop.Request, name string) {
	if !r.ResponseExpected {
		return
	}
	if err := d.server.ReplySystemException(r.Ref, iiop.NewSystemException(name, iiop.OMGMinorBase|1, iiop.CompletedNo)); err != nil {
		d.log.Debug("orb: reply", "err", err)
	}
}

// LocateRequest answers UNKNOWN_OBJECT for unbound keys, else asks the ORB.
func (h dispatchHandler) LocateRequest(r *iiop.LocateRequest) {
	d := h.dispatcher()
	key, o := d.lookup(r.ObjectKey)
	if o == nil {
		d.server.LocateReply(r.Ref, iiop.UnknownObject, nil)
		return
	}
	o.LocateRequest(&LocateRequest{ID: r.Ref, Key: key})
}

// CancelRequest tells the ORB that owns the request, if any.
func (h dispatchHandler) CancelRequest(ref iiop.RequestRef) {
	h.d.inflightMu.Lock()
	o := h.d.inflight[ref]
	delete(h.d.inflight, ref)
	h.d.inflightMu.Unlock()
	if o != nil {
		o.CancelRequest(ref)
	}
}

// MessageError forgets the requests of the closed connection.
func (h dispatchHandler) MessageError(conn iiop.ConnID, err error) {
	h.d.log.Info("orb: connection closed after a protocol error", "conn", conn, "err", err)
	h.d.inflightMu.Lock()
	for ref := range h.d.inflight {
		if ref.Conn == conn {
			delete(h.d.inflight, ref)
		}
	}
	h.d.inflightMu.Unlock()
}
