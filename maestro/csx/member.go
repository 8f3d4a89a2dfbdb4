package csx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/maestro-go/maestro/maestro/clsv"
	"github.com/maestro-go/maestro/maestro/message"
	"github.com/maestro-go/maestro/stack"
)

// Errors callers branch on.
var (
	// ErrXferTerminated: the transaction ended (view change: source crash,
	// partition, merge) or is not the current one.
	ErrXferTerminated = errors.New("csx: state transfer terminated")
	// ErrReentrant: GetState called while another GetState of the same
	// transaction is waiting (requests are linearly ordered, §2.4.2).
	ErrReentrant = errors.New("csx: GetState is not reentrant")
	// ErrNoSource: there is no up-to-date server to ask.
	ErrNoSource = errors.New("csx: no up-to-date server")
)

// Options configure a CSX member.
type Options struct {
	clsv.Options
	// Scheduler runs StateTransfer goroutines (default: plain goroutines).
	Scheduler Scheduler `yaml:"-"`
}

// Member is a client or server with pull-style state transfer
// (Maestro_CSX). Its downcalls are safe from any goroutine.
type Member struct {
	cs    *clsv.Member
	h     Handler
	sched Scheduler
	after func(time.Duration, func()) // clsv's AfterFunc: virtual time in simulations
	log   *slog.Logger

	mu        sync.Mutex
	cur       *xfer
	counter   uint64
	discarded uint64
}

// xfer is the transaction in progress at an xfer server.
type xfer struct {
	id         XferID
	terminated bool
	getting    bool
	req        uint64        // number of the outstanding request
	wake       chan struct{} // closed when the reply arrives or the transaction ends
	reply      *message.Message
}

// New returns a member that has not joined yet.
func New(opts Options, h Handler) (*Member, error) {
	if h == nil {
		h = Callbacks{}
	}
	m := &Member{h: h, sched: opts.Scheduler, after: opts.AfterFunc, log: opts.Logger}
	if m.sched == nil {
		m.sched = goroutines{}
	}
	if m.after == nil {
		m.after = func(d time.Duration, f func()) { time.AfterFunc(d, f) }
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	cs, err := clsv.New(opts.Options, (*csHandler)(m))
	if err != nil {
		return nil, err
	}
	m.cs = cs
	return m, nil
}

// Join joins the group (see clsv.Member.Join).
func (m *Member) Join(ctx context.Context) error { return m.cs.Join(ctx) }

// Leave leaves the group.
func (m *Member) Leave(ctx context.Context) error { return m.cs.Leave(ctx) }

// Close stops at once, like a crash.
func (m *Member) Close() error {
	m.terminate()
	return m.cs.Close()
}

// ID returns this member's identifier.
func (m *Member) ID() EndpID { return m.cs.ID() }

// View returns the current view with roles.
func (m *Member) View() *ViewData { return m.cs.View() }

// Metrics returns the protocol counters.
func (m *Member) Metrics() stack.MetricsSnapshot { return m.cs.Metrics() }

// Cast, Scast, Lsend, Send, Suspect and BecomeServer are those of clsv.
func (m *Member) Cast(msg *message.Message, s clsv.Safety) error { return m.cs.Cast(msg, s) }

// Withdraw takes back the messages held for the end of a state transfer
// (see clsv.Member.Withdraw).
func (m *Member) Withdraw() []*message.Message { return m.cs.Withdraw() }

// Scast sends to servers, xfer servers and the listed clients.
func (m *Member) Scast(msg *message.Message, s clsv.Safety, clients ...EndpID) error {
	return m.cs.Scast(msg, s, clients...)
}

// Lsend sends to the listed members.
func (m *Member) Lsend(dests []EndpID, msg *message.Message, s clsv.Safety) error {
	return m.cs.Lsend(dests, msg, s)
}

// Send sends to one member.
func (m *Member) Send(dest EndpID, msg *message.Message, s clsv.Safety) error {
	return m.cs.Send(dest, msg, s)
}

// Suspect reports suspected members.
func (m *Member) Suspect(ids ...EndpID) error { return m.cs.Suspect(ids...) }

// BecomeServer asks for this client to become a server.
func (m *Member) BecomeServer() error { return m.cs.BecomeServer() }

// Discarded reports how many state messages of terminated transactions
// were thrown away.
func (m *Member) Discarded() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.discarded
}

// GetState asks the oldest up-to-date server for (a portion of) the state,
// described by req, and blocks until it arrives. It returns an error
// wrapping ErrXferTerminated if the transaction id is not the current one
// or ends while waiting, ErrReentrant if another GetState of the
// transaction is waiting, and ctx's error if ctx is done first (the
// transaction goes on; a late reply is discarded).
func (m *Member) GetState(ctx context.Context, id XferID, req *message.Message) (*message.Message, error) {
	m.mu.Lock()
	x := m.cur
	switch {
	case x == nil || x.id != id.transaction() || x.terminated:
		m.mu.Unlock()
		return nil, fmt.Errorf("get state %s: %w", id, ErrXferTerminated)
	case x.getting:
		m.mu.Unlock()
		return nil, fmt.Errorf("get state %s: %w", id, ErrReentrant)
	}
	v := m.cs.View()
	if v == nil || len(v.Servers) == 0 {
		m.mu.Unlock()
		return nil, fmt.Errorf("get state %s: %w", id, ErrNoSource)
	}
	x.getting = true
	x.req++
	x.reply = nil
	wake := make(chan struct{})
	x.wake = wake
	seq := x.req
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		x.getting = false
		m.mu.Unlock()
	}()

	source := v.Servers[0]
	ask := message.New().PutString(x.id.String()).PutUint64(seq).PutMessage(req)
	if err := m.cs.AskState(source, ask); err != nil {
		if errors.Is(err, clsv.ErrNotServer) {
			return nil, fmt.Errorf("get state %s from %s: %w", id, source, ErrXferTerminated)
		}
		return nil, fmt.Errorf("get state %s from %s: %w", id, source, err)
	}
	m.log.Info("csx: state transfer: asked for the state", "from", source, "transfer", id)
	stop := m.progress(func(waited time.Duration) {
		m.log.Info("csx: state transfer: waiting for the state", "from", source, "waited", waited)
	})
	err := m.sched.Wait(ctx, wake)
	stop()
	if err != nil {
		return nil, fmt.Errorf("get state %s: %w", id, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if x.terminated || x.reply == nil {
		return nil, fmt.Errorf("get state %s: %w", id, ErrXferTerminated)
	}
	m.log.Info("csx: state transfer: state received", "from", source, "bytes", x.reply.Len())
	return x.reply, nil
}

// SendState answers a state request (AskState callback) from origin.
func (m *Member) SendState(origin EndpID, id XferID, state *message.Message) error {
	reply := message.New().PutString(id.String()).PutUint64(id.req).PutMessage(state)
	return m.cs.SendState(origin, reply)
}

// XferDone ends the transaction: this member becomes a normal server in a
// following view. It fails with ErrXferTerminated if the transaction is
// no longer current.
func (m *Member) XferDone(id XferID) error {
	m.mu.Lock()
	x := m.cur
	ok := x != nil && x.id == id.transaction() && !x.terminated
	m.mu.Unlock()
	if !ok {
		return fmt.Errorf("xfer done %s: %w", id, ErrXferTerminated)
	}
	if err := m.cs.XferDone(); err != nil {
		if errors.Is(err, clsv.ErrNotXfer) {
			return fmt.Errorf("xfer done %s: %w", id, ErrXferTerminated)
		}
		return err
	}
	return nil
}

// terminate ends the current transaction, waking its GetState.
func (m *Member) terminate() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if x := m.cur; x != nil && !x.terminated {
		x.terminated = true
		if x.wake != nil {
			close(x.wake)
			x.wake = nil
		}
	}
	m.cur = nil
}
