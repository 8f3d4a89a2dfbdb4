package groupmember

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/maestro-go/maestro/maestro/message"
	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/auth"
	"github.com/maestro-go/maestro/stack/primary"
	"github.com/maestro-go/maestro/stack/props"
	"github.com/maestro-go/maestro/stack/transport/udp"
)

// Sentinel errors callers branch on.
var (
	// ErrNotJoined: the member has not joined (or has left).
	ErrNotJoined = errors.New("groupmember: not joined")
	// ErrJoined: Join called twice.
	ErrJoined = errors.New("groupmember: already joined")
	// ErrNotMember: a Send destination that is not in the current view.
	ErrNotMember = stack.ErrNotMember
	// ErrTooLarge: a message above the stack's limit.
	ErrTooLarge = stack.ErrTooLarge
	// ErrNotPrimary: a cast outside a primary view (Primary property).
	ErrNotPrimary = stack.ErrNotPrimary
)

// Member is a group member (Maestro_GroupMember). Its downcalls are safe to
// call from any goroutine, including from its own callbacks.
type Member struct {
	opts Options
	pr   props.Properties
	h    Handler

	keyMu sync.Mutex  // guards keys and guard
	keys  auth.Keys   // the key ring (Auth)
	guard *auth.Guard // the running stack's guard (Auth)

	mu     sync.Mutex
	st     stack.Driver
	id     EndpID // st.Me().ID(), made once: callbacks compare it on every message
	unlock func() // releases the state directory

	// views is closed and replaced at every view (CastWait waits on it).
	// It has a lock of its own: upcalls may run inside Join (the
	// simulator calls them synchronously) while mu is held.
	viewMu sync.Mutex
	views  chan struct{}

	view atomic.Pointer[ViewData]

	adm adminState // the admin endpoint (Options.AdminAddr)
}

// New validates the options and returns a member that has not joined yet.
func New(opts Options, h Handler) (*Member, error) {
	if h == nil {
		h = Callbacks{}
	}
	pr, err := opts.validate()
	if err != nil {
		return nil, err
	}
	pr, keys, err := opts.withKey(pr)
	if err != nil {
		return nil, err
	}
	return &Member{opts: opts, pr: pr, keys: keys, h: h, views: make(chan struct{})}, nil
}

// Join binds the member's socket and joins the group: the member first
// installs a singleton view (reported by AcceptedView), then merges with
// the other members as it discovers them. Join returns once the singleton
// view is installed, without waiting for other members; ctx bounds what it
// does wait for (resolving seed names). After Leave, Join may be called
// again (as a new incarnation).
func (m *Member) Join(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("groupmember: join %q: %w", m.opts.Group, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.st != nil {
		select {
		case <-m.st.Exited():
		default:
			return ErrJoined
		}
	}
	m.view.Store(nil)
	protocols, err := m.protocols()
	if err != nil {
		return fmt.Errorf("groupmember: join %q: %w", m.opts.Group, err)
	}
	so := stack.Options{
		Group: m.opts.Group, Protocols: protocols, Config: m.opts.Stack,
		Log: m.opts.Logger, OnUpcall: m.upcall, NewGuard: m.newGuard(),
		InlineUpcalls: m.opts.InlineUpcalls, RequestDriven: m.opts.RequestDriven,
	}
	var st stack.Driver
	if m.opts.Start != nil {
		st, err = m.opts.Start(so)
	} else {
		st, err = m.startStack(ctx, so)
	}
	if err != nil {
		m.release()
		return fmt.Errorf("groupmember: join %q: %w", m.opts.Group, err)
	}
	if err := m.startAdmin(); err != nil {
		st.Close()
		m.release()
		return fmt.Errorf("groupmember: join %q: %w", m.opts.Group, err)
	}
	m.st, m.id = st, st.Me().ID()
	return nil
}

// protocols builds the stack's layers; with the Primary property it reads
// and sets the reincarnation mark first (§4.4.4), and keeps the state
// directory locked until the member stops.
func (m *Member) protocols() ([]stack.Protocol, error) {
	set := props.Settings{Replicas: m.opts.Replicas, Observer: m.opts.Observer}
	if m.pr.Has("Primary") && !m.opts.Observer {
		var err error
		switch {
		case m.opts.Reincarnate != nil:
			set.Zombie, err = m.opts.Reincarnate(m.opts.Group)
		default:
			m.release()
			set.Zombie, m.unlock, err = primary.Reincarnate(m.opts.StateDir, m.opts.Group)
		}
		if err != nil {
			return nil, err
		}
	}
	return m.pr.Build(set)
}

// release unlocks the state directory (caller holds mu).
func (m *Member) release() {
	if m.unlock != nil {
		m.unlock()
		m.unlock = nil
	}
}

func (m *Member) startStack(ctx context.Context, so stack.Options) (stack.Driver, error) {
	tr, err := m.transport(ctx)
	if err != nil {
		return nil, err
	}
	so.Transport = tr
	m.warnUnauthenticated(tr.LocalAddr())
	st, err := stack.Start(so)
	if err != nil {
		tr.Close()
		return nil, err
	}
	return st, nil
}

func (m *Member) transport(ctx context.Context) (stack.Transport, error) {
	if m.opts.Transport != nil {
		return m.opts.Transport(m.opts)
	}
	tr, err := udp.NewContext(ctx, m.udpConfig())
	if err != nil {
		return nil, fmt.Errorf("groupmember: %w", err)
	}
	return tr, nil
}

// udpConfig is the configuration of the member's UDP transport.
func (m *Member) udpConfig() udp.Config {
	return udp.Config{
		Group: m.opts.Group, Listen: m.opts.Listen, Seeds: m.opts.Seeds,
		SeedRefresh: m.opts.SeedRefresh, Resolver: m.opts.Resolver, Advertise: m.opts.Advertise,
		Multicast: m.opts.Multicast, MulticastInterface: m.opts.MulticastInterface,
		NoMulticastData: m.opts.NoMulticastData, PortBase: m.opts.PortBase, PortCount: m.opts.PortCount,
		MaxPacket: m.opts.MaxPacket, NoOffload: m.opts.NoOffload, Log: m.opts.Logger,
		BlockingReads: m.opts.InlineUpcalls && m.opts.RequestDriven,
	}
}

func (m *Member) stack() (stack.Driver, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.st == nil {
		return nil, ErrNotJoined
	}
	return m.st, nil
}

// upcall translates the stack's upcalls into callbacks (delivery goroutine).
func (m *Member) upcall(u stack.Upcall) []byte {
	switch u.Kind {
	case stack.UpView:
		vd := newViewData(u.View, m.view.Load(), u.View.Members[u.View.Rank], m.primaryInfo(u.Ann))
		m.view.Store(vd)
		m.viewMu.Lock()
		close(m.views)
		m.views = make(chan struct{})
		m.viewMu.Unlock()
		m.h.AcceptedView(vd, message.FromBytes(u.Payload))
	case stack.UpCast:
		m.h.ReceiveCast(u.FromID, message.FromBytes(u.Payload))
	case stack.UpSend:
		m.h.ReceiveSend(u.FromID, message.FromBytes(u.Payload))
	case stack.UpAbort:
		m.h.AbortCast(u.FromID, message.FromBytes(u.Payload))
	case stack.UpBlock:
		m.h.Block()
	case stack.UpExit:
		m.h.Exit()
	case stack.UpViewMsgReq:
		// The coordinator may be leaving: it is then not in the view.
		me := u.View.Members[0]
		if cur := m.view.Load(); cur != nil {
			me, _ = stack.ParseEndpID(cur.Me)
		}
		next := newViewData(u.View, m.view.Load(), me, m.primaryInfo(u.Ann))
		next.Infos = make(map[EndpID]*message.Message, len(u.Infos))
		for id, b := range u.Infos {
			next.Infos[id] = message.FromBytes(b)
		}
		next.Prev = make(map[EndpID]string, len(u.Prev))
		for id, v := range u.Prev {
			next.Prev[id] = v.String()
		}
		next.PrevMsgs = make(map[string]*message.Message, len(u.PrevMsgs))
		for v, b := range u.PrevMsgs {
			next.PrevMsgs[v.String()] = message.FromBytes(b)
		}
		if msg := m.h.ViewMsg(next); msg != nil {
			return msg.Bytes()
		}
	}
	return nil
}

// ID returns this member's endpoint identifier (empty before Join).
func (m *Member) ID() EndpID {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.id
}

// View returns the last view reported to AcceptedView (nil before).
func (m *Member) View() *ViewData { return m.view.Load() }

// primaryInfo decodes a view's primary verdict; without the Primary
// property every view may cast.
func (m *Member) primaryInfo(ann stack.Annotations) *primary.ViewInfo {
	if !m.pr.Has("Primary") {
		return nil
	}
	info, ok := primary.Info(ann)
	if !ok {
		info = primary.ViewInfo{Replicas: m.opts.Replicas}
		info.Reason = fmt.Sprintf("a member starts alone: a primary view needs %d of the %d replicas", info.Majority(), info.Replicas)
	}
	return &info
}

// Cast sends msg to every member of the view (ReceiveCast at each,
// including this one). It blocks only while the stack's backlog is full
// (flow control, a flush); CastWait bounds that wait with a context. With
// the Primary property it returns an error wrapping ErrNotPrimary when the
// current view is not primary (see CastWait); a cast accepted in a primary
// view that ends before it goes out waits for the next primary view.
func (m *Member) Cast(msg *message.Message) error { return m.cast(context.Background(), msg) }

func (m *Member) cast(ctx context.Context, msg *message.Message) error {
	st, err := m.stack()
	if err != nil {
		return err
	}
	if v := m.view.Load(); v != nil && !v.Primary {
		return fmt.Errorf("groupmember: cast in view %s: %w (%s)", v.ID, ErrNotPrimary, v.NotPrimary)
	}
	return m.wrap(st.Cast(ctx, msg.Bytes()))
}

// CastWait is Cast that waits, until ctx is done, for what Cast would
// refuse or block on: a primary view (then the error wraps both
// ErrNotPrimary and ctx's error) and room in the stack's backlog.
func (m *Member) CastWait(ctx context.Context, msg *message.Message) error {
	for {
		m.viewMu.Lock()
		next := m.views
		m.viewMu.Unlock()
		err := m.cast(ctx, msg)
		if !errors.Is(err, ErrNotPrimary) {
			return err
		}
		select {
		case <-next:
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", err, ctx.Err())
		}
	}
}

// UpToDate reports that this member has installed the state of the
// view's up-to-date members (ViewData.UpToDate), which it was told it
// lacked (ViewData.Stale): with the Primary property, once every stale
// member has, the view is reinstalled as primary (Fig 4.10). Call it from
// any goroutine once the state is in place.
func (m *Member) UpToDate() error {
	st, err := m.stack()
	if err != nil {
		return err
	}
	return m.wrap(st.UpToDate())
}

// Send sends msg to one member of the current view (ReceiveSend there).
func (m *Member) Send(dest EndpID, msg *message.Message) error {
	st, err := m.stack()
	if err != nil {
		return err
	}
	e, err := stack.ParseEndpID(dest)
	if err != nil {
		return fmt.Errorf("groupmember: send: %w", err)
	}
	return m.wrap(st.Send(context.Background(), e, msg.Bytes()))
}

// Suspect reports members this member believes have failed; the group
// excludes them at the next view change (§2.2.4).
func (m *Member) Suspect(ids ...EndpID) error {
	st, err := m.stack()
	if err != nil {
		return err
	}
	var es []stack.Endpoint
	for _, id := range ids {
		e, err := stack.ParseEndpID(id)
		if err != nil {
			return fmt.Errorf("groupmember: suspect: %w", err)
		}
		es = append(es, e)
	}
	return m.wrap(st.Suspect(es...))
}

// SetInfo sets this member's info: a small message that every view change
// carries to the coordinator, whose ViewMsg callback finds the infos of all
// members of the next view in ViewData.Infos. Higher levels use it to agree
// on roles (ClSv publishes who is a server this way).
func (m *Member) SetInfo(msg *message.Message) error {
	st, err := m.stack()
	if err != nil {
		return err
	}
	return m.wrap(st.SetInfo(msg.Bytes()))
}

// Reconfigure asks the coordinator to install a new view even though the
// membership has not changed: AcceptedView follows everywhere, with a view
// message from the coordinator's ViewMsg.
func (m *Member) Reconfigure() error {
	st, err := m.stack()
	if err != nil {
		return err
	}
	return m.wrap(st.Reconfigure())
}

// Leave leaves the group and waits for the Exit callback until ctx is done
// (a ctx without a deadline waits at most the stack's LeaveTimeout plus
// FlushTimeout), then releases the socket, whether or not the group
// confirmed.
func (m *Member) Leave(ctx context.Context) error {
	st, err := m.stack()
	if err != nil {
		return err
	}
	if _, ok := ctx.Deadline(); !ok {
		// A group that never confirms must not hold the caller forever.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, st.Config().LeaveTimeout+st.Config().FlushTimeout)
		defer cancel()
	}
	err = st.Leave(ctx)
	st.Close()
	m.mu.Lock()
	m.release()
	m.mu.Unlock()
	m.stopAdmin()
	return m.wrap(err)
}

// Close stops the member at once without leaving; the others see it as a
// crash and exclude it after their suspicion timeout.
func (m *Member) Close() error {
	st, err := m.stack()
	if err != nil {
		return nil
	}
	err = st.Close()
	m.mu.Lock()
	m.release()
	m.mu.Unlock()
	m.stopAdmin()
	return err
}

// Metrics returns the member's protocol counters.
func (m *Member) Metrics() stack.MetricsSnapshot {
	st, err := m.stack()
	if err != nil {
		return stack.MetricsSnapshot{}
	}
	return st.Metrics().Snapshot()
}

func (m *Member) wrap(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, stack.ErrClosed):
		return fmt.Errorf("groupmember: %w", ErrNotJoined)
	default:
		return fmt.Errorf("groupmember: %w", err)
	}
}
