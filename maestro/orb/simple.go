package orb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/maestro-go/maestro/maestro/iiop"
)

// ObjectAdaptor is an object served by the Simple ORB (§3.3.4). Update
// performs operation: it reads the in/inout arguments from request, writes
// the return value and inout/out results (or an exception: repository id
// then members for UserException, iiop.SystemException.Encode for
// SystemExceptionReply) to reply, and returns the reply status. The Simple
// ORB calls Update for one object at a time, holding the ORB's lock.
type ObjectAdaptor interface {
	Update(operation string, request *iiop.Decoder, reply *iiop.Encoder) iiop.ReplyStatus
}

// Inheritor may be implemented by an ObjectAdaptor whose interface derives
// from others, so that _is_a answers true for the base interfaces too.
type Inheritor interface {
	IsA(repoID string) bool
}

// SimpleORBOptions configure a SimpleORB.
type SimpleORBOptions struct {
	// Dispatcher is the IIOP dispatcher the ORB binds its objects to (required).
	Dispatcher *Dispatcher
	// Etc, if set, receives <Interface>.ior for every bound object on Activate.
	Etc *Etc
	// IIOPVersion of the published profiles; zero means 1.2.
	IIOPVersion iiop.Version
	// Host published in IORs; empty means the dispatcher's listening host.
	Host string
	// Logger receives diagnostics; nil means silence.
	Logger *slog.Logger
}

// SimpleORB is the Simple ORB of §3.3.4: no replication; each request is
// executed by calling the target object's Update directly on the
// dispatcher's goroutine, under one lock, and answered at once. While not
// active it answers INV_OBJREF.
type SimpleORB struct {
	opts SimpleORBOptions
	log  *slog.Logger

	mu      sync.Mutex
	active  bool
	objects map[ObjectKey]*bound[ObjectAdaptor]
	// The binding last executed, under mu: the Dispatcher hands over the
	// bound key itself, so a repeat caller is found by comparing string
	// pointers rather than hashing the key.
	lastKey     ObjectKey
	lastBinding *bound[ObjectAdaptor]
}

// NewSimpleORB creates an inactive ORB.
func NewSimpleORB(opts SimpleORBOptions) (*SimpleORB, error) {
	if opts.Dispatcher == nil {
		return nil, errors.New("orb: SimpleORBOptions.Dispatcher is required")
	}
	if opts.IIOPVersion == (iiop.Version{}) {
		opts.IIOPVersion = iiop.GIOP12
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &SimpleORB{opts: opts, log: log, objects: make(map[ObjectKey]*bound[ObjectAdaptor])}, nil
}

// Bind attaches obj, implementing the interface with repository id typeID
// (e.g. "IDL:Grid:1.0"), under key, and binds the key to this ORB in the
// dispatcher.
func (o *SimpleORB) Bind(key ObjectKey, typeID string, obj ObjectAdaptor) error {
	if obj == nil || typeID == "" {
		return errors.New("orb: Bind needs an object and a type id")
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return bindObject(o.opts.Dispatcher, o, o.objects, key, &bound[ObjectAdaptor]{typeID: typeID, obj: obj})
}

// Unbind detaches the object with key.
func (o *SimpleORB) Unbind(key ObjectKey) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.lastKey, o.lastBinding = ObjectKey{}, nil
	return unbindObject(o.opts.Dispatcher, o.objects, key)
}

// Activate starts serving the bound objects and, if Etc is set, publishes
// each object's IOR as <Interface>.ior. It waits for nothing but the
// files; ctx (which may end before it starts) is there so that both ORBs
// are activated alike.
func (o *SimpleORB) Activate(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("orb: activate: %w", err)
	}
	o.mu.Lock()
	o.active = true
	pubs := refsOf(o.objects)
	o.mu.Unlock()
	if o.opts.Etc == nil {
		return nil
	}
	for _, p := range pubs {
		if err := o.opts.Etc.Publish(InterfaceName(p.typeID), o.ior(p.key, p.typeID)); err != nil {
			return err
		}
	}
	return nil
}

// Deactivate stops serving: requests get INV_OBJREF until Activate. It
// does not wait (the Dispatcher's Shutdown answers what is in flight and
// closes the connections); it takes ctx so that both ORBs are deactivated
// alike, and always returns nil.
func (o *SimpleORB) Deactivate(context.Context) error {
	o.mu.Lock()
	o.active = false
	o.mu.Unlock()
	return nil
}

// IOR returns the reference clients use to reach the object bound as key.
func (o *SimpleORB) IOR(key ObjectKey) (*iiop.IOR, error) {
	o.mu.Lock()
	b := o.objects[key]
	o.mu.Unlock()
	if b == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotBound, key)
	}
	return o.ior(key, b.typeID), nil
}

func (o *SimpleORB) ior(key ObjectKey, typeID string) *iiop.IOR {
	addr := o.opts.Dispatcher.Addr()
	if o.opts.Host != "" {
		addr.Host = o.opts.Host
	}
	return iiop.NewIOR(typeID, key.Octets(), addr, o.opts.IIOPVersion)
}

// callState is the decoder and reply encoder of one call, pooled so that a
// call allocates neither.
type callState struct {
	dec iiop.Decoder
	enc iiop.Encoder
}

var callStates = sync.Pool{New: func() any { return new(callState) }}

// maxPooledReply bounds the reply buffers kept for reuse.
const maxPooledReply = 64 << 10

// Request executes a request (ORB interface; called by the Dispatcher).
func (o *SimpleORB) Request(req *Request) {
	o.request(req)
	o.opts.Dispatcher.done(req.ID) // in case the request was tracked as in flight
}

// request executes a request and answers it; req does not escape (the
// Dispatcher passes one on its stack).
func (o *SimpleORB) request(req *Request) {
	cs := callStates.Get().(*callState)
	cs.dec.Reset(req.Args.Syntax, req.Args.Data, req.Args.Offset)
	cs.enc.Reset(req.Args.Syntax, 0)
	status, body := o.execute(req, &cs.dec, &cs.enc)
	if req.ResponseExpected {
		if err := o.opts.Dispatcher.server.RequestReply(req.ID, status, body); err != nil {
			o.log.Debug("orb: reply not sent", "op", req.Operation, "err", err)
		}
	}
	// The reply has been copied into the reply message: recycle.
	cs.dec.Reset(iiop.Syntax{}, nil, 0)
	if cap(cs.enc.Bytes()) > maxPooledReply {
		cs.enc = iiop.Encoder{}
	}
	callStates.Put(cs)
}

func (o *SimpleORB) execute(req *Request, dec *iiop.Decoder, reply *iiop.Encoder) (status iiop.ReplyStatus, body []byte) {
	exception := func(name string, completed iiop.CompletionStatus) (iiop.ReplyStatus, []byte) {
		e := req.Args.ReplyEncoder()
		iiop.NewSystemException(name, iiop.OMGMinorBase|1, completed).Encode(e)
		return iiop.SystemExceptionReply, e.Bytes()
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.active {
		return exception(iiop.ExcInvObjref, iiop.CompletedNo)
	}
	b := o.lastBinding
	if b == nil || req.Key != o.lastKey {
		if b = o.objects[req.Key]; b == nil {
			return exception(iiop.ExcInvObjref, iiop.CompletedNo)
		}
		o.lastKey, o.lastBinding = req.Key, b
	}
	defer func() {
		if p := recover(); p != nil {
			o.log.Error("orb: object panicked in Update", "op", req.Operation, "panic", p)
			status, body = exception(iiop.ExcUnknown, iiop.CompletedMaybe)
		}
	}()
	status = b.obj.Update(req.Operation, dec, reply)
	if err := dec.Err(); err != nil && status == iiop.NoException {
		o.log.Debug("orb: undecodable arguments", "op", req.Operation, "err", err)
		return exception(iiop.ExcMarshal, iiop.CompletedNo)
	}
	if err := reply.Err(); err != nil {
		o.log.Debug("orb: unencodable results", "op", req.Operation, "err", err)
		return exception(iiop.ExcDataConversion, iiop.CompletedYes)
	}
	return status, reply.Bytes()
}

// LocateRequest answers OBJECT_HERE for objects bound and active.
func (o *SimpleORB) LocateRequest(req *LocateRequest) {
	o.mu.Lock()
	here := o.active && o.objects[req.Key] != nil
	o.mu.Unlock()
	status := iiop.UnknownObject
	if here {
		status = iiop.ObjectHere
	}
	o.opts.Dispatcher.LocateReply(req.ID, status, nil)
}

// CancelRequest does nothing: the Simple ORB answers every request before
// reading the next one from the connection.
func (o *SimpleORB) CancelRequest(RequestID) {}

// IsA reports whether the object bound as key implements repoID.
func (o *SimpleORB) IsA(key ObjectKey, repoID string) bool {
	o.mu.Lock()
	b := o.objects[key]
	o.mu.Unlock()
	return b.isA(repoID)
}
