package iiop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"
)

// ClientOptions configure a Client; the zero value works.
type ClientOptions struct {
	// MaxMessageSize bounds a reply after reassembly (default DefaultMaxMessageSize).
	MaxMessageSize int
	// DialTimeout bounds each connection attempt (default 10s).
	DialTimeout time.Duration
	// MaxForwards bounds how many LOCATION_FORWARD replies one call follows
	// (default 8); one more fails the call with TRANSIENT, COMPLETED_NO —
	// replicas outside the primary partition may forward to each other —
	// which an FT-aware client resends.
	MaxForwards int
	// Logger receives diagnostics; nil means silence.
	Logger *slog.Logger
	// FTClientID makes the client FT-aware: every two-way call carries an
	// FT_REQUEST service context (this id, a retention id of its own and
	// the call's expiration), and the call is sent again with that same
	// context — so that a replicated server executes it at most once and
	// returns its recorded reply — when its connection fails before the
	// reply (COMM_FAILURE; at most FTRetries times) and when a server
	// refuses it with TRANSIENT (a replica outside the primary partition,
	// a request a view change aborted, too many forwards; until FTRetryFor
	// has passed, pausing between attempts). When the resends run out, a
	// call an attempt of which may have run reports COMM_FAILURE,
	// COMPLETED_MAYBE, wrapping the last attempt's error; otherwise the
	// last attempt's error is the call's. The id must be unique among the
	// server's clients.
	FTClientID string
	// FTRetries bounds the resends of one call after failed connections
	// (default 4): a request that crashes every server it reaches is not
	// carried to every replica in turn.
	FTRetries int
	// FTRetryFor is how long after it starts an FT-aware call may still be
	// sent again after a refusal (default 15s); it is also the expiration
	// its FT_REQUEST announces. The call's context bounds it too.
	FTRetryFor time.Duration
	// FTWindow bounds how many calls apart an FT-aware call may be from
	// the oldest call still in flight (default 16, the Replicated Updates
	// ORB's RetainedPerClient default): a call waits, within its context,
	// until it fits. A server that keeps the last FTWindow replies of each
	// client then still holds the reply of every call the client resends,
	// however many goroutines share the client. It must not exceed what
	// the server keeps.
	FTWindow int
}

// Client is the client side of the IIOP bridge (§3.3.2): it invokes
// operations on objects named by IORs, reusing one connection per address.
// It tries the IIOP profiles of a reference in order and, within a profile,
// the main address then the TAG_ALTERNATE_IIOP_ADDRESS ones; it follows
// LOCATION_FORWARD (up to MaxForwards times; more give TRANSIENT,
// COMPLETED_NO). Like omniORB it never resends a request that may have
// run (a connection lost mid-call gives COMM_FAILURE, COMPLETED_MAYBE) unless
// it is FT-aware (ClientOptions.FTClientID), but resends requests the
// server abandoned with CloseConnection. A Client is safe for concurrent
// use.
type Client struct {
	opts   ClientOptions
	log    *slog.Logger
	mu     sync.Mutex
	conns  map[string]*clientConn
	closed bool
	window *ftWindow // FT retention ids
	parsed *targetCache
}

// NewClient returns a client with no connections yet.
func NewClient(opts ClientOptions) *Client {
	if opts.MaxMessageSize <= 0 {
		opts.MaxMessageSize = DefaultMaxMessageSize
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = 10 * time.Second
	}
	if opts.MaxForwards <= 0 {
		opts.MaxForwards = 8
	}
	if opts.FTRetries <= 0 {
		opts.FTRetries = 4
	}
	if opts.FTRetryFor <= 0 {
		opts.FTRetryFor = 15 * time.Second
	}
	if opts.FTWindow <= 0 {
		opts.FTWindow = 16
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{opts: opts, log: log, conns: make(map[string]*clientConn), parsed: newTargetCache(), window: newFTWindow(opts.FTWindow)}
}

// Reply is the outcome of a call that returned normally or with a user
// exception.
type Reply struct {
	Status          ReplyStatus // NoException or UserException
	ServiceContexts []ServiceContext
	// Body holds the results, or for UserException the repository id and
	// members of the exception.
	Body Body
}

// errAbandoned means the server sent CloseConnection before answering, so the
// request did not run and may be resent.
var errAbandoned = errors.New("iiop: server closed the connection before replying")

// target is one address to try for a call.
type target struct {
	addr     Addr
	version  Version
	key      []byte
	codeSets *CodeSetComponent
}

func targets(ref *IOR) ([]target, error) {
	ps, err := ref.IIOPProfiles()
	if err != nil {
		return nil, err
	}
	var out []target
	for _, p := range ps {
		v := p.Version
		if GIOP12.Less(v) {
			v = GIOP12
		}
		var cs *CodeSetComponent
		if c, ok := p.Component(TagCodeSets); ok && v != GIOP10 {
			if parsed, err := ParseCodeSetComponent(c.Data); err == nil {
				cs = &parsed
			}
		}
		for _, a := range p.Addrs() {
			out = append(out, target{addr: a, version: v, key: p.ObjectKey, codeSets: cs})
		}
	}
	return out, nil
}

// Invoke calls operation op on the object ref and waits for the reply. args
// writes the in and inout arguments (nil for none). A system exception reply
// is returned as a *SystemException error; failures to reach any address,
// and more than MaxForwards forwards, give TRANSIENT; a lost connection
// with the request in flight gives COMM_FAILURE. An FT-aware client resends
// as ClientOptions.FTClientID says, and may first wait for room in its
// FTWindow. ctx bounds the whole call (a cancelled call sends
// CancelRequest).
func (c *Client) Invoke(ctx context.Context, ref *IOR, op string, args func(*Encoder)) (*Reply, error) {
	var ft *ftCall
	if c.opts.FTClientID != "" {
		var err error
		if ft, err = c.newFTCall(ctx, op); err != nil {
			return nil, err
		}
		defer ft.done()
	}
	given := ref
	for forwards := 0; ; {
		rep, fwd, err := c.invokeOnce(ctx, ref, op, args, true, ft.contexts())
		if err == nil && fwd != nil && forwards >= c.opts.MaxForwards {
			// Every reply so far was a forward: no server ran it.
			err = fmt.Errorf("%w: %q: more than %d LOCATION_FORWARD replies", NewSystemException(ExcTransient, 0, CompletedNo), op, c.opts.MaxForwards)
		}
		if err != nil {
			if ft == nil || !ft.resend(ctx, err) {
				return nil, ft.outcome(err)
			}
			// A resend starts again from the reference the caller gave:
			// where the forwards led may be what failed.
			ref, forwards = given, 0
			continue
		}
		if fwd == nil {
			return rep, nil
		}
		forwards++
		c.log.Debug("iiop: following LOCATION_FORWARD", "op", op)
		ref = fwd
	}
}

// InvokeOneway sends a request that expects no reply.
func (c *Client) InvokeOneway(ctx context.Context, ref *IOR, op string, args func(*Encoder)) error {
	_, _, err := c.invokeOnce(ctx, ref, op, args, false, nil)
	return err
}

func (c *Client) invokeOnce(ctx context.Context, ref *IOR, op string, args func(*Encoder), twoway bool, extra []ServiceContext) (*Reply, *IOR, error) {
	ts, err := c.parsed.targets(ref)
	if err != nil {
		return nil, nil, err
	}
	var lastErr error
	for _, t := range ts {
		cc, err := c.connect(ctx, t.addr)
		if err != nil {
			lastErr = err
			continue
		}
		rep, fwd, err := cc.call(ctx, t, op, args, twoway, extra)
		if errors.Is(err, errAbandoned) {
			lastErr = err
			continue
		}
		return rep, fwd, err
	}
	if ctx.Err() != nil {
		return nil, nil, ctx.Err()
	}
	exc := NewSystemException(ExcTransient, OMGMinorBase|2, CompletedNo)
	return nil, nil, fmt.Errorf("%w: no address of the reference answered (last: %v)", exc, lastErr)
}

// Locate sends a LocateRequest to the first reachable address of ref.
// For the forward statuses it also returns the new reference.
func (c *Client) Locate(ctx context.Context, ref *IOR) (LocateStatus, *IOR, error) {
	ts, err := c.parsed.targets(ref)
	if err != nil {
		return 0, nil, err
	}
	var lastErr error
	for _, t := range ts {
		cc, err := c.connect(ctx, t.addr)
		if err != nil {
			lastErr = err
			continue
		}
		st, fwd, err := cc.locate(ctx, t)
		if errors.Is(err, errAbandoned) {
			lastErr = err
			continue
		}
		return st, fwd, err
	}
	exc := NewSystemException(ExcTransient, OMGMinorBase|2, CompletedNo)
	return 0, nil, fmt.Errorf("%w: %v", exc, lastErr)
}

func (c *Client) connect(ctx context.Context, a Addr) (*clientConn, error) {
	key := a.String()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	if cc := c.conns[key]; cc != nil && !cc.isClosed() {
		c.mu.Unlock()
		return cc, nil
	}
	c.mu.Unlock()
	d := net.Dialer{Timeout: c.opts.DialTimeout}
	nc, err := d.DialContext(ctx, "tcp", key)
	if err != nil {
		return nil, fmt.Errorf("iiop: dial %s: %w", key, err)
	}
	cc := newClientConn(c, nc)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		cc.shutdown(ErrClosed)
		return nil, ErrClosed
	}
	if old := c.conns[key]; old != nil && !old.isClosed() {
		cc.shutdown(ErrClosed)
		return old, nil
	}
	c.conns[key] = cc
	go cc.readLoop()
	return cc, nil
}

// Close closes every connection; calls in flight fail with ErrClosed. GIOP
// 1.2 connections are told with CloseConnection first.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closed = true
	conns := c.conns
	c.conns = map[string]*clientConn{}
	c.mu.Unlock()
	for _, cc := range conns {
		cc.sendCloseIfIdle()
		cc.shutdown(ErrClosed)
	}
	return nil
}
