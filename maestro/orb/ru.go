package orb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/maestro-go/maestro/maestro/clsv"
	"github.com/maestro-go/maestro/maestro/csx"
	"github.com/maestro-go/maestro/maestro/iiop"
)

// ReplicatedUpdates is the Replicated Updates ORB of §3.4: every process
// holds a replica of each bound object, the processes form one group, and
// a request that reaches any replica is relayed to all of them by a
// totally ordered cast (Safe with ProgressInPrimaryOnly; a FIFO,
// view-synchronous one with RequestsCommute), applied by each in the same
// order, and answered by the replica that received it once its own
// delivery produced the reply. Its downcalls are safe from any goroutine.
type ReplicatedUpdates struct {
	opts ReplicatedUpdatesOptions
	log  *slog.Logger

	mu           sync.Mutex
	active       bool
	done         bool // deactivated: the dispatcher's server is shut down
	objects      map[ObjectKey]*bound[RUObjectAdaptor]
	m            *csx.Member
	me           csx.EndpID // m's endpoint, once it has joined
	view         *csx.ViewData
	next         uint64                    // number of this replica's next relayed request
	pending      map[uint64]pendingRequest // relayed two-way requests awaiting their delivery here
	relays       map[uint64]int            // relayed requests aborted by view changes: how often each was aborted
	again        []relayAgain              // aborted requests queued to be relayed again
	relaying     bool                      // relayQueued is casting again
	addrs        map[csx.EndpID]iiop.Addr  // the IIOP addresses of the group's replicas
	forwardTo    []iiop.Addr               // replicas of the last serving view, for forwards
	published    string                    // the address list last published
	savedForward string                    // the address list last saved for forwards (ru_forward.go)

	// answer sends the ORB's replies: the Dispatcher, or a simulation's
	// recorder.
	answer replier
	// addr, if set, replaces the Dispatcher's address (simulations).
	addr *iiop.Addr

	// objMu serializes everything that touches the objects: Update,
	// PushState, GetState and local reads.
	objMu    sync.Mutex
	retained *retained
}

// replier is what the ORB answers clients through.
type replier interface {
	RequestReply(id RequestID, status iiop.ReplyStatus, body []byte) error
	ReplySystemException(id RequestID, exc *iiop.SystemException) error
	LocateReply(id RequestID, status iiop.LocateStatus, body []byte) error
}

// pendingRequest is a two-way request this replica relayed: it answers it
// when the cast comes back (or is aborted), or when a transferred state
// holds its reply.
type pendingRequest struct {
	id    RequestID
	ident requestIdent
}

// retainedPerOrigin bounds the replies kept per receiving replica for
// requests of clients that are not FT-aware. They are needed only while
// that replica may get their effect by state transfer instead of by
// delivery: the requests it relayed that were ordered after the first one
// it missed, all of them awaiting their answer there. So a replica keeps
// at most this many requests awaiting their answer, and refuses more
// with TRANSIENT, COMPLETED_NO. (A variable only so that a test can make
// it small; every replica of a group must use the same.)
var retainedPerOrigin = 4096

// NewReplicatedUpdates returns an inactive ORB.
func NewReplicatedUpdates(opts ReplicatedUpdatesOptions) (*ReplicatedUpdates, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	return &ReplicatedUpdates{
		opts:     o,
		log:      o.Logger,
		objects:  map[ObjectKey]*bound[RUObjectAdaptor]{},
		pending:  map[uint64]pendingRequest{},
		relays:   map[uint64]int{},
		addrs:    map[csx.EndpID]iiop.Addr{},
		retained: newRetained(o.RetainedClients, o.RetainedPerClient, retainedPerOrigin),
		answer:   o.Dispatcher,
	}, nil
}

// Bind attaches obj, implementing the interface with repository id typeID,
// under key. Only while the ORB is inactive (ErrActive otherwise): every
// replica must serve the same objects from its first request on.
func (o *ReplicatedUpdates) Bind(key ObjectKey, typeID string, obj RUObjectAdaptor) error {
	if obj == nil || typeID == "" {
		return errors.New("orb: Bind needs an object and a type id")
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.active {
		return ErrActive
	}
	return bindObject(o.opts.Dispatcher, o, o.objects, key, &bound[RUObjectAdaptor]{typeID: typeID, obj: obj})
}

// Unbind detaches the object bound as key; only while inactive.
func (o *ReplicatedUpdates) Unbind(key ObjectKey) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.active {
		return ErrActive
	}
	return unbindObject(o.opts.Dispatcher, o.objects, key)
}

// UnbindAll detaches every object; only while inactive.
func (o *ReplicatedUpdates) UnbindAll() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.active {
		return ErrActive
	}
	for key := range o.objects {
		if err := unbindObject(o.opts.Dispatcher, o.objects, key); err != nil {
			return err
		}
	}
	return nil
}

// Activate joins the ORB group and starts serving the bound objects. A
// request that arrives while this replica takes the state waits in the
// order until it has it; one that arrives before the replica is a server
// at all (its first view, before it meets the group) or, with
// ProgressInPrimaryOnly, outside the primary partition is forwarded or
// refused with TRANSIENT/COMPLETED_NO. An ORB is activated once:
// Deactivate shuts its dispatcher down.
func (o *ReplicatedUpdates) Activate(ctx context.Context) error {
	o.mu.Lock()
	switch {
	case o.active:
		o.mu.Unlock()
		return errors.New("orb: the ORB is already active")
	case o.done:
		o.mu.Unlock()
		return errors.New("orb: the ORB was deactivated; its dispatcher is shut down")
	case len(o.objects) == 0:
		o.mu.Unlock()
		return errors.New("orb: no object is bound")
	}
	if o.forwardTo == nil {
		o.forwardTo = o.loadForward()
	}
	o.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	m, err := csx.New(csx.Options{
		Options:   clsv.Options{Options: o.opts.Group, Mode: clsv.Server, Xfer: clsv.Atomic, Commute: !o.opts.totallyOrdered(), AfterFunc: o.opts.AfterFunc},
		Scheduler: o.opts.Scheduler,
	}, (*ruHandler)(o))
	if err != nil {
		return fmt.Errorf("orb: %w", err)
	}
	m.Annotate(o.annotate)
	o.mu.Lock()
	o.m, o.active = m, true
	o.mu.Unlock()
	if err := m.Join(ctx); err != nil {
		o.mu.Lock()
		o.m, o.active = nil, false
		o.mu.Unlock()
		return fmt.Errorf("orb: joining %s: %w", o.opts.Name, err)
	}
	o.mu.Lock()
	o.me = m.ID()
	o.mu.Unlock()
	return nil
}

// Deactivate stops accepting connections, waits until the requests in
// flight are answered (or ctx ends), sends CloseConnection on every
// connection so that clients move to another replica without noticing,
// and then leaves the group. If ctx has ended by then (a drain that used
// it all), it leaves all the same, bounded by the group's leave and flush
// timeouts instead, so that the others go on at once rather than after
// their suspicion timeout. It returns the leave's error, else the drain's.
func (o *ReplicatedUpdates) Deactivate(ctx context.Context) error {
	o.mu.Lock()
	m := o.m
	if !o.active {
		o.mu.Unlock()
		return ErrInactive
	}
	o.done = true
	o.mu.Unlock()
	serr := o.opts.Dispatcher.Shutdown(ctx)
	leaveCtx := ctx
	if ctx.Err() != nil {
		// Without a deadline, Leave sets its own bound.
		leaveCtx = context.WithoutCancel(ctx)
	}
	lerr := m.Leave(leaveCtx)
	o.mu.Lock()
	o.active = false
	o.mu.Unlock()
	m.Close()
	if lerr != nil {
		return fmt.Errorf("orb: leaving %s: %w", o.opts.Name, lerr)
	}
	return serr
}

// Close stops the ORB at once, as a crash would: no CloseConnection, no
// leave (the others exclude this replica after their suspicion timeout).
func (o *ReplicatedUpdates) Close() error {
	o.mu.Lock()
	m := o.m
	o.active, o.done = false, true
	o.mu.Unlock()
	err := o.opts.Dispatcher.Close()
	if m != nil {
		m.Close()
	}
	return err
}

// View returns the ORB group's current view (nil before the first).
func (o *ReplicatedUpdates) View() *csx.ViewData {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.view
}

// Serving reports whether this replica applies updates now: it is up to
// date and, with ProgressInPrimaryOnly, in the primary partition.
func (o *ReplicatedUpdates) Serving() bool {
	return o.serving(o.View())
}

func (o *ReplicatedUpdates) serving(v *csx.ViewData) bool {
	return v != nil && v.MyState == clsv.StateServer && (!o.opts.ProgressInPrimaryOnly || v.Primary)
}

// inMajority reports a view that holds a majority of the replicas: primary,
// or about to be once its stale members have the state. No other view
// can apply an update meanwhile, so an up-to-date replica of it may answer
// reads, and updates may wait in it for the primary view.
func (o *ReplicatedUpdates) inMajority(v *csx.ViewData) bool {
	return v != nil && (v.Primary || (v.Replicas > 0 && v.Counted >= v.Replicas/2+1))
}

// readsLocally reports whether this replica may answer a read-only
// operation by itself.
func (o *ReplicatedUpdates) readsLocally(v *csx.ViewData) bool {
	return v != nil && v.MyState == clsv.StateServer && (!o.opts.ProgressInPrimaryOnly || o.inMajority(v))
}

// IOR returns the compound reference of the object bound as key: every
// replica of the current view whose address is known, this one first if
// none is.
func (o *ReplicatedUpdates) IOR(key ObjectKey) (*iiop.IOR, error) {
	o.mu.Lock()
	b := o.objects[key]
	addrs := o.viewAddrsLocked()
	o.mu.Unlock()
	if b == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotBound, key)
	}
	if len(addrs) == 0 {
		addrs = []iiop.Addr{o.ownAddr()}
	}
	return iiop.CompoundIOR(b.typeID, key.Octets(), addrs, o.opts.IIOPVersion), nil
}

// ownAddr is this replica's published IIOP address.
func (o *ReplicatedUpdates) ownAddr() iiop.Addr {
	if o.addr != nil {
		return *o.addr
	}
	a := o.opts.Dispatcher.Addr()
	if o.opts.Host != "" {
		a.Host = o.opts.Host
	}
	return a
}

// viewAddrsLocked lists the known addresses of the current view's
// members, in rank order (o.mu held).
func (o *ReplicatedUpdates) viewAddrsLocked() []iiop.Addr {
	if o.view == nil {
		return nil
	}
	var addrs []iiop.Addr
	for _, id := range o.view.Members {
		if a, ok := o.addrs[id]; ok {
			addrs = append(addrs, a)
		}
	}
	return addrs
}

// IsA reports whether the object bound as key implements repoID.
func (o *ReplicatedUpdates) IsA(key ObjectKey, repoID string) bool {
	o.mu.Lock()
	b := o.objects[key]
	o.mu.Unlock()
	return b.isA(repoID)
}

// LocateRequest answers OBJECT_HERE, or, outside the primary partition
// with ProgressInPrimaryOnly, OBJECT_FORWARD to the replicas that may be
// in it when there are any.
func (o *ReplicatedUpdates) LocateRequest(req *LocateRequest) {
	o.mu.Lock()
	b, v := o.objects[req.Key], o.view
	o.mu.Unlock()
	if b != nil && o.opts.ProgressInPrimaryOnly && (v == nil || !v.Primary) {
		if target := o.forwardTarget(req.Key, b.typeID); target != nil {
			e := iiop.NewEncoder(iiop.Syntax{}, 4) // see Forwarder.LocateRequest
			target.Encode(e)
			o.answer.LocateReply(req.ID, iiop.ObjectForward, e.Bytes())
			return
		}
	}
	o.answer.LocateReply(req.ID, iiop.ObjectHere, nil)
}

// CancelRequest does nothing: the request is in the group's order already
// and every replica applies it; only its reply is not wanted.
func (o *ReplicatedUpdates) CancelRequest(RequestID) {}

// forwardTarget is where a replica outside the primary partition sends a
// client: the replicas of the last serving view it saw that are not with
// it now, which are where a primary partition can be. Nil if there are
// none.
func (o *ReplicatedUpdates) forwardTarget(key ObjectKey, typeID string) *iiop.IOR {
	o.mu.Lock()
	var addrs []iiop.Addr
	here := map[iiop.Addr]bool{}
	for _, a := range o.viewAddrsLocked() {
		here[a] = true
	}
	for _, a := range o.forwardTo {
		if !here[a] {
			addrs = append(addrs, a)
		}
	}
	o.mu.Unlock()
	if len(addrs) == 0 {
		return nil
	}
	return iiop.CompoundIOR(typeID, key.Octets(), addrs, o.opts.IIOPVersion)
}
