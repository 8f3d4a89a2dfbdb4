package clsv

import (
	"github.com/maestro-go/maestro/maestro/groupmember"
	"github.com/maestro-go/maestro/maestro/message"
)

// gmHandler is the Member seen as a handler of the group member below: it
// turns group-member callbacks into client/server callbacks.
type gmHandler Member

func (g *gmHandler) m() *Member { return (*Member)(g) }

func (g *gmHandler) AcceptedView(gv *groupmember.ViewData, msg *message.Message) {
	m := g.m()
	roles, app, ok := decodeView(msg)
	if !ok {
		roles = map[EndpID]State{}
		if len(gv.Members) > 1 {
			// The coordinator published no roles (its application did not
			// answer in time): ask for a view that has them.
			defer func() { _ = m.gm.Reconfigure() }()
		}
	}
	// Sensitive messages that reached us during a transfer in the view
	// that is ending are delivered now, at its end, in the order they came:
	// every member of that view does the same at the same point, after
	// every state request of the view has been answered.
	m.mu.Lock()
	late := m.late
	m.late = nil
	m.mu.Unlock()
	for _, f := range late {
		f()
	}
	m.mu.Lock()
	v := newViewData(gv, roles, m.view)
	m.view, m.done, m.batching = v, nil, false
	reset := m.mayFound
	m.mayFound = false
	m.mu.Unlock()
	if reset {
		_ = m.gm.SetInfo(m.info(""))
	}
	if v.MyState == StateXfer && len(v.Servers) == 0 && !m.opts.primary {
		// Nobody here has the state: wait for a server to turn up, then
		// let the group found a new one.
		id := v.ID
		m.opts.AfterFunc(m.opts.JoinGrace, func() { m.allowFounding(id) })
	}
	m.h.AcceptedView(v, app)
	if !v.XferView() && v.Primary {
		// Held messages go out in their original order; messages the
		// application sends meanwhile queue up behind them.
		m.release()
	}
	if v.MyState == StateClient && m.wantServerNow() && len(v.Members) > 1 && ok {
		// A view was installed without honouring our wish (we asked after
		// the flush began): ask again.
		_ = m.gm.Reconfigure()
	}
}

func (m *Member) wantServerNow() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.wantServer
}

func (g *gmHandler) ViewMsg(next *groupmember.ViewData) *message.Message {
	m := g.m()
	roles := assignRoles(next, m.opts.primary)
	m.mu.Lock()
	v := newViewData(next, roles, m.view)
	m.mu.Unlock()
	return encodeView(roles, next.Members, m.h.ViewMsg(v))
}

func (g *gmHandler) ReceiveCast(from EndpID, msg *message.Message) {
	m := g.m()
	o, err := open(msg)
	if err != nil {
		m.log.Warn("dropping message", "from", from, "err", err)
		return
	}
	me := m.gm.ID()
	switch o.kind {
	case kindCast:
		m.deliver(o, func() { m.h.ReceiveCast(from, o.app) })
	case kindScast:
		if v := m.View(); v != nil && (v.MyState != StateClient || contains(o.dests, me)) {
			m.deliver(o, func() { m.h.ReceiveScast(from, o.app) })
		}
	case kindLsend:
		if contains(o.dests, me) {
			m.deliver(o, func() { m.h.ReceiveLsend(from, o.app) })
		}
	}
}

// deliver hands a message to the application, unless it is sensitive and
// a state transfer is going on: then it waits for the transfer to end.
// (Senders hold such messages back themselves; one sent just before the
// transfer view began can still arrive in it.)
func (m *Member) deliver(o opened, f func()) {
	m.mu.Lock()
	if v := m.view; o.sensitive && v != nil && v.XferView() {
		m.late = append(m.late, f)
		m.mu.Unlock()
		return
	}
	m.mu.Unlock()
	f()
}

func (g *gmHandler) ReceiveSend(from EndpID, msg *message.Message) {
	m := g.m()
	o, err := open(msg)
	if err != nil {
		m.log.Warn("dropping message", "from", from, "err", err)
		return
	}
	switch o.kind {
	case kindSend:
		m.deliver(o, func() { m.h.ReceiveSend(from, o.app) })
	case kindAskState:
		m.h.AskState(from, o.app)
	case kindState:
		m.h.RcvState(from, o.app)
	case kindXferDone:
		m.xferDone(from, o.view)
	}
}

func (g *gmHandler) AbortCast(from EndpID, msg *message.Message) {
	m := g.m()
	o, err := open(msg)
	if err != nil {
		return
	}
	me := m.gm.ID()
	switch o.kind {
	case kindCast:
		m.h.AbortCast(from, o.app)
	case kindScast:
		if v := m.View(); v != nil && (v.MyState != StateClient || contains(o.dests, me)) {
			m.h.AbortCast(from, o.app)
		}
	case kindLsend:
		if contains(o.dests, me) {
			m.h.AbortCast(from, o.app)
		}
	}
}

func (g *gmHandler) Block() { g.m().h.Block() }
func (g *gmHandler) Exit()  { g.m().h.Exit() }

func contains(ids []EndpID, id EndpID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
