package iiop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// ClientOptions configure a Client; the zero value works.
type ClientOptions struct {
	// MaxMessageSize bounds a reply after reassembly (default DefaultMaxMessageSize).
	MaxMessageSize int
	// DialTimeout bounds each connection attempt (default 10s).
	DialTimeout time.Duration
	// MaxForwards bounds how many LOCATION_FORWARD replies one call follows (default 8).
	MaxForwards int
	// Logger receives diagnostics; nil means silence.
	Logger *slog.Logger
	// FTClientID makes the client FT-aware: every two-way call carries an
	// FT_REQUEST service context (this id and a retention id of its own),
	// and a call whose connection is lost before the reply (COMM_FAILURE,
	// COMPLETED_MAYBE) is sent again with the same retention id, up to
	// FTRetries times, so that a replicated server executes it at most
	// once and returns its recorded reply. A retry refused with TRANSIENT
	// or lost too leaves the call COMM_FAILURE, COMPLETED_MAYBE: the first
	// attempt may still have run. The id must be unique among the
	// server's clients.
	FTClientID string
	// FTRetries bounds the retries of one call (default 4).
	FTRetries int
}

// Client is the client side of the IIOP bridge (§3.3.2): it invokes
// operations on objects named by IORs, reusing one connection per address.
// It tries the IIOP profiles of a reference in order and, within a profile,
// the main address then the TAG_ALTERNATE_IIOP_ADDRESS ones; it follows
// LOCATION_FORWARD. Like omniORB it never resends a request that may have
// run (a connection lost mid-call gives COMM_FAILURE, COMPLETED_MAYBE), but
// resends requests the server abandoned with CloseConnection. A Client is
// safe for concurrent use.
type Client struct {
	opts      ClientOptions
	log       *slog.Logger
	mu        sync.Mutex
	conns     map[string]*clientConn
	closed    bool
	retention atomic.Int32 // the last FT retention id used
	parsed    *targetCache
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
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{opts: opts, log: log, conns: make(map[string]*clientConn), parsed: newTargetCache()}
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
// is returned as a *SystemException error; failures to reach any address
// give TRANSIENT; a lost connection with the request in flight gives
// COMM_FAILURE. ctx bounds the whole call (a cancelled call sends
// CancelRequest).
func (c *Client) Invoke(ctx context.Context, ref *IOR, op string, args func(*Encoder)) (*Reply, error) {
	var extra []ServiceContext
	if c.opts.FTClientID != "" {
		ft := FTRequest{ClientID: c.opts.FTClientID, RetentionID: c.retention.Add(1)}
		extra = []ServiceContext{ft.Context()}
	}
	retries := 0
	var lost error // an earlier attempt's lost connection: that attempt may have run
	for forwards := 0; ; forwards++ {
		rep, fwd, err := c.invokeOnce(ctx, ref, op, args, true, extra)
		if err != nil && extra != nil && retries < c.opts.FTRetries && mayHaveRun(err) && ctx.Err() == nil {
			retries++
			forwards--
			lost = err
			c.log.Debug("iiop: connection lost mid-call; retrying with the same FT retention id", "op", op, "err", err)
			continue
		}
		if err != nil && lost != nil && !settles(err) {
			// The retry did not run, or its fate is unknown; the first
			// attempt's still is.
			return nil, fmt.Errorf("%w; retried: %w", lost, err)
		}
		if err != nil {
			return nil, err
		}
		if fwd == nil {
			return rep, nil
		}
		if forwards >= c.opts.MaxForwards {
			return nil, fmt.Errorf("iiop: %q: more than %d LOCATION_FORWARD replies", op, c.opts.MaxForwards)
		}
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

// settles reports whether a retried call's error says what became of the
// request: a system exception a server answered it with (the recorded
// reply, or the same answer again), not TRANSIENT (the retry did not run
// there) nor a lost connection.
func settles(err error) bool {
	var exc *SystemException
	return errors.As(err, &exc) && exc.Name() != ExcTransient && !mayHaveRun(err)
}

// mayHaveRun reports a call lost with its connection: COMM_FAILURE,
// COMPLETED_MAYBE.
func mayHaveRun(err error) bool {
	var exc *SystemException
	return errors.As(err, &exc) && exc.Name() == ExcCommFailure && exc.Completed == CompletedMaybe
}
