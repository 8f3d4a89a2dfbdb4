package clsv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/maestro-go/maestro/maestro/groupmember"
	"github.com/maestro-go/maestro/maestro/message"
	"github.com/maestro-go/maestro/stack"
)

// Errors callers branch on.
var (
	// ErrNotXfer: XferDone from a member that is not an xfer server.
	ErrNotXfer = errors.New("clsv: not an xfer server in this view")
	// ErrNotServer: AskState to a member that is not an up-to-date server.
	ErrNotServer = errors.New("clsv: not an up-to-date server")
	// ErrFixedReplicas: BecomeServer with the Primary property.
	ErrFixedReplicas = errors.New("clsv: with the Primary property the replicas are the server-mode members; a client cannot become one")
	// ErrNotPrimary: a cast outside a primary view (Primary property).
	ErrNotPrimary = groupmember.ErrNotPrimary
	// ErrNotJoined, ErrNotMember: as in groupmember.
	ErrNotJoined = groupmember.ErrNotJoined
	ErrNotMember = groupmember.ErrNotMember
)

// Member is a client or server of a group (Maestro_ClSv). Its downcalls are
// safe from any goroutine, including its callbacks.
type Member struct {
	opts Options
	h    Handler
	gm   *groupmember.Member
	log  *slog.Logger

	mu         sync.Mutex
	view       *ViewData
	wantServer bool
	mayFound   bool
	held       []heldMsg // messages waiting for the transfer to end
	releasing  bool      // held messages are being sent
	late       []func()  // sensitive deliveries waiting for the transfer to end
	done       map[EndpID]bool
	batching   bool
}

// heldMsg is a message held back during a state transfer: the
// application's message and how to send it.
type heldMsg struct {
	app  *message.Message
	send func() error
}

// New returns a member that has not joined yet.
func New(opts Options, h Handler) (*Member, error) {
	if h == nil {
		h = Callbacks{}
	}
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	m := &Member{opts: opts, h: h, wantServer: opts.Mode == Server, log: opts.Logger}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	gm, err := groupmember.New(opts.Options, (*gmHandler)(m))
	if err != nil {
		return nil, err
	}
	m.gm = gm
	gm.Annotate(m.annotate)
	return m, nil
}

// Join joins the group as a client; a Server-mode member then becomes an
// xfer server and, after XferDone, a server (Figure 2.6).
func (m *Member) Join(ctx context.Context) error {
	m.mu.Lock()
	m.view, m.held, m.late, m.done, m.batching = nil, nil, nil, nil, false
	m.mu.Unlock()
	if err := m.gm.Join(ctx); err != nil {
		return err
	}
	if err := m.gm.SetInfo(m.info("")); err != nil {
		return err
	}
	if m.wantServer && !m.opts.primary {
		m.opts.AfterFunc(m.opts.JoinGrace, m.foundIfAlone)
	}
	return nil
}

func (m *Member) info(xferDoneIn string) *message.Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	return info{wantServer: m.wantServer, xferDoneIn: xferDoneIn, mayFound: m.mayFound}.encode()
}

// foundIfAlone runs JoinGrace after joining: a server-mode member still
// alone and without state may now found the group's state.
func (m *Member) foundIfAlone() {
	m.mu.Lock()
	v := m.view
	alone := v != nil && len(v.Members) == 1 && v.MyState == StateClient && m.wantServer
	m.mu.Unlock()
	if alone {
		m.allowFounding(v.ID)
	}
}

// allowFounding tells the coordinator that this member has waited in vain
// for an up-to-date server (in view id) and asks for a new view.
func (m *Member) allowFounding(id string) {
	m.mu.Lock()
	if m.view == nil || m.view.ID != id {
		m.mu.Unlock()
		return
	}
	m.mayFound = true
	m.mu.Unlock()
	if m.gm.SetInfo(m.info("")) == nil {
		_ = m.gm.Reconfigure()
	}
}

// ID returns this member's identifier.
func (m *Member) ID() EndpID { return m.gm.ID() }

// View returns the current view with roles (nil before the first).
func (m *Member) View() *ViewData {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.view
}

// Metrics returns the protocol counters.
func (m *Member) Metrics() stack.MetricsSnapshot { return m.gm.Metrics() }

// Leave leaves the group (see groupmember.Member.Leave).
func (m *Member) Leave(ctx context.Context) error { return m.gm.Leave(ctx) }

// Close stops at once, like a crash.
func (m *Member) Close() error { return m.gm.Close() }

// Suspect reports suspected members.
func (m *Member) Suspect(ids ...EndpID) error { return m.gm.Suspect(ids...) }

// Cast sends msg to every member (ReceiveCast), totally ordered.
func (m *Member) Cast(msg *message.Message, s Safety) error {
	return m.submit(s, msg, func() error { return m.gm.Cast(envelope(kindCast, s.held(m.opts.Xfer), nil, msg)) })
}

// Scast sends msg to the servers and xfer servers, and to the listed
// clients (ReceiveScast), totally ordered with the casts.
func (m *Member) Scast(msg *message.Message, s Safety, clients ...EndpID) error {
	return m.submit(s, msg, func() error { return m.gm.Cast(envelope(kindScast, s.held(m.opts.Xfer), clients, msg)) })
}

// Lsend sends msg to the listed members (ReceiveLsend), totally ordered
// with the casts.
func (m *Member) Lsend(dests []EndpID, msg *message.Message, s Safety) error {
	dests = slices.Clone(dests)
	return m.submit(s, msg, func() error { return m.gm.Cast(envelope(kindLsend, s.held(m.opts.Xfer), dests, msg)) })
}

// Send sends msg to one member (ReceiveSend).
func (m *Member) Send(dest EndpID, msg *message.Message, s Safety) error {
	return m.submit(s, msg, func() error { return m.gm.Send(dest, envelope(kindSend, s.held(m.opts.Xfer), nil, msg)) })
}

// AskState requests (a portion of) the state from an up-to-date server,
// which receives req in its AskState callback. It is an Xfer message.
func (m *Member) AskState(server EndpID, req *message.Message) error {
	if v := m.View(); v == nil || !v.IsServer(server) {
		return fmt.Errorf("ask state of %s: %w", server, ErrNotServer)
	}
	return m.gm.Send(server, envelope(kindAskState, false, nil, req))
}

// SendState sends (a portion of) the state to dest (RcvState there). It
// is an Xfer message.
func (m *Member) SendState(dest EndpID, state *message.Message) error {
	return m.gm.Send(dest, envelope(kindState, false, nil, state))
}

// XferDone tells the group that this xfer server has the state: it
// becomes a normal server in a following view.
func (m *Member) XferDone() error {
	m.mu.Lock()
	v := m.view
	m.mu.Unlock()
	if v == nil || v.MyState != StateXfer {
		return ErrNotXfer
	}
	if err := m.gm.SetInfo(m.info(v.ID)); err != nil {
		return err
	}
	if m.opts.primary {
		// The Primary layer counts this member up to date and reinstalls
		// the view as primary once every stale replica is.
		return m.gm.UpToDate()
	}
	return m.gm.Send(v.Coordinator, message.New().PutInt32(kindXferDone).PutString(v.ID))
}

// BecomeServer asks for this client to be upgraded to a server: it becomes
// an xfer server in the next view and goes through state transfer. With
// the Primary property the replicas are fixed (Replicas, and a state
// directory each): a client cannot become one, and BecomeServer returns
// ErrFixedReplicas.
func (m *Member) BecomeServer() error {
	if m.opts.primary {
		return ErrFixedReplicas
	}
	m.mu.Lock()
	m.wantServer = true
	m.mu.Unlock()
	if err := m.gm.SetInfo(m.info("")); err != nil {
		return err
	}
	return m.gm.Reconfigure()
}

// submit sends now, or holds the message back while a transfer of the
// configured type is going on. Once the transfer is over, a message never
// overtakes the held ones: it joins them until they have all gone out.
func (m *Member) submit(s Safety, app *message.Message, send func() error) error {
	m.mu.Lock()
	v := m.view
	inXfer := v != nil && v.XferView()
	if (inXfer && s.held(m.opts.Xfer)) || (!inXfer && (m.releasing || len(m.held) > 0) && s.held(m.opts.Xfer)) {
		m.held = append(m.held, heldMsg{app: app, send: send})
		m.mu.Unlock()
		return nil
	}
	m.mu.Unlock()
	return send()
}

// release sends the held messages, in their original order, including
// those submitted while it runs (delivery goroutine). A message the view
// refuses (not primary) is held again, with those behind it, for the next
// view that can take them.
func (m *Member) release() {
	m.mu.Lock()
	if m.releasing {
		m.mu.Unlock()
		return
	}
	m.releasing = true
	for len(m.held) > 0 && (m.view == nil || (!m.view.XferView() && m.view.Primary)) {
		held := m.held
		m.held = nil
		m.mu.Unlock()
		for i, h := range held {
			err := h.send()
			if errors.Is(err, ErrNotPrimary) {
				m.mu.Lock()
				m.held = append(held[i:], m.held...)
				m.releasing = false
				m.mu.Unlock()
				return
			}
			switch {
			case errors.Is(err, ErrNotMember):
				// Its destination left while it was held: sent, it would
				// have been dropped just the same.
				m.log.Debug("held message dropped", "err", err)
			case err != nil:
				m.log.Warn("held message dropped", "err", err)
			}
		}
		m.mu.Lock()
	}
	m.releasing = false
	m.mu.Unlock()
}

// Withdraw takes back every message held for the end of a state transfer:
// none of them will be sent. It returns their application messages, in
// the order they were submitted; a message already on its way is not among
// them. An application uses it when what it held messages for will not
// come soon — a replica whose view lost its majority, say — so that it can
// tell their senders that nothing was done.
func (m *Member) Withdraw() []*message.Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*message.Message, 0, len(m.held))
	for _, h := range m.held {
		out = append(out, h.app)
	}
	m.held = nil
	return out
}

// Held returns how many messages wait for the state transfer to end.
func (m *Member) Held() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.held)
}

// xferDone records, at the coordinator, an xfer server that finished; when
// all have, or XferBatch after the first, it asks for the next view.
func (m *Member) xferDone(from EndpID, view string) {
	m.mu.Lock()
	v := m.view
	if v == nil || v.ID != view || v.Me != v.Coordinator || v.Roles[from] != StateXfer {
		m.mu.Unlock()
		return
	}
	if m.done == nil {
		m.done = map[EndpID]bool{}
	}
	m.done[from] = true
	all := true
	for _, x := range v.XferServers {
		all = all && m.done[x]
	}
	start := !all && !m.batching
	m.batching = m.batching || start
	m.mu.Unlock()
	switch {
	case all:
		_ = m.gm.Reconfigure()
	case start:
		m.opts.AfterFunc(m.opts.XferBatch, func() {
			m.mu.Lock()
			same := m.view != nil && m.view.ID == view
			m.mu.Unlock()
			if same {
				_ = m.gm.Reconfigure()
			}
		})
	}
}
