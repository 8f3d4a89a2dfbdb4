package gmp

import (
	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/wire"
)

// startFlush begins a flush coordinated by this member: every member not
// suspected survives (those leaving take part but do not enter the next
// view).
func (l *layer) startFlush() {
	l.flushNum++
	f := &flushMsg{num: l.flushNum}
	for r := 0; r < l.n; r++ {
		switch {
		case l.suspects[r]:
			f.failed = append(f.failed, r)
		default:
			f.survivors = append(f.survivors, r)
			if l.leaving[r] {
				f.leavers = append(f.leavers, r)
			}
		}
	}
	now := l.now()
	tag := stack.FlushTag{Coord: l.me, Num: f.num}
	q := &stack.Event{Type: stack.EFlushAnn, Control: &stack.Control{Ann: stack.Annotations{}, Flush: tag, Survivors: f.survivors}}
	l.env.PassUp(q)
	if len(q.Ann) > 0 {
		f.ann = q.Ann
	}
	l.coord = &coordFlush{
		tag: tag, msg: f,
		ok: make(map[int]stack.Annotations), started: now, lastSend: now,
	}
	l.env.Metrics.Flushes.Add(1)
	l.env.Log.Debug("flush", "num", f.num, "failed", f.failed, "leavers", f.leavers)
	body := f.encode()
	for _, s := range f.survivors {
		if s != l.me {
			l.ctrlTo(s, body)
		}
	}
	l.accept(l.me, f)
}

// flushUp decides whether to take part in a flush started by from.
func (l *layer) flushUp(from int, f *flushMsg) {
	if !contains(f.survivors, l.me) {
		// from has excluded us; it will never include us again in this view.
		l.suspect([]int{from})
		return
	}
	if l.suspects[from] || contains(f.failed, from) {
		return
	}
	if cur := l.follow; cur != nil {
		switch {
		case cur.tag.Coord == from && f.num <= cur.tag.Num:
			if f.num == cur.tag.Num && cur.synced {
				l.sendFlushOK()
			}
			return
		case cur.tag.Coord != from && !contains(f.failed, cur.tag.Coord) && from > cur.tag.Coord:
			return
		}
	}
	if l.coord != nil && from > l.me {
		return
	}
	if from != l.me {
		l.coord, l.mergeTo, l.mergeFrom = nil, nil, nil
	}
	l.accept(from, f)
}

// accept joins the flush: adopt its view of who failed and who leaves,
// stop sending, freeze the failed, and synchronise deliveries.
func (l *layer) accept(from int, f *flushMsg) {
	for _, r := range f.failed {
		if r != l.me {
			l.suspects[r] = true
		}
	}
	for _, r := range f.leavers {
		l.leaving[r] = true
	}
	now := l.now()
	l.follow = &follow{
		tag: stack.FlushTag{Coord: from, Num: f.num}, failed: f.failed,
		survivors: f.survivors, leavers: f.leavers, since: now,
	}
	if !l.blocked {
		l.blocked = true
		l.env.PassUp(&stack.Event{Type: stack.EBlock})
	}
	tag := l.follow.tag
	l.env.PassUp(&stack.Event{Type: stack.EFlush, Control: &stack.Control{Flush: tag, Ranks: f.failed, Survivors: f.survivors, Ann: f.ann}})
	if l.follow == nil || l.follow.tag != tag {
		return
	}
	l.env.PassDown(&stack.Event{Type: stack.EFail, Control: &stack.Control{Ranks: f.failed, Survivors: f.survivors, Flush: tag}})
	if !l.p.Sync && l.follow != nil && l.follow.tag == tag {
		l.synced()
	}
}

// synced runs when this member has delivered the flush's cut: gather the
// layers' annotations and answer the coordinator.
func (l *layer) synced() {
	f := l.follow
	q := &stack.Event{Type: stack.EAnnotate, Control: &stack.Control{Ann: stack.Annotations{}, Flush: f.tag}}
	l.env.PassUp(q)
	if l.follow != f {
		return
	}
	f.synced, f.ann = true, q.Ann
	l.sendFlushOK()
}

func (l *layer) sendFlushOK() {
	f := l.follow
	f.lastOK = l.now()
	if f.tag.Coord == l.me {
		l.flushOK(l.me, f.tag, f.ann)
		return
	}
	var w wire.Writer
	w.Byte(kindFlushOK)
	w.Uvarint(uint64(f.tag.Coord))
	w.Uvarint(f.tag.Num)
	stack.PutAnnotations(&w, f.ann)
	l.ctrlTo(f.tag.Coord, w.B)
}

// flushOK collects the survivors' answers; when all are in, the flush is
// complete and the next view can be proposed.
func (l *layer) flushOK(from int, tag stack.FlushTag, ann stack.Annotations) {
	cf := l.coord
	if cf == nil || cf.complete || tag != cf.tag || !contains(cf.msg.survivors, from) {
		return
	}
	if _, dup := cf.ok[from]; dup {
		return
	}
	cf.ok[from] = ann
	if len(cf.ok) < len(cf.msg.survivors) {
		return
	}
	cf.complete = true
	merged := stack.Annotations{}
	for _, s := range cf.msg.survivors { // lowest rank wins a shared key
		for k, v := range cf.ok[s] {
			if _, taken := merged[k]; !taken {
				merged[k] = v
			}
		}
	}
	cf.own = prev{id: l.v.ID, tag: cf.tag, ann: merged}
	if mt := l.mergeTo; mt != nil && len(l.survivorEndpoints()) > 0 {
		l.askMerge(mt)
		return
	}
	if req := l.mergeFrom; req != nil {
		l.proposeMerged(req)
		return
	}
	l.proposeOwn()
}

// survivorEndpoints are the members entering the next view.
func (l *layer) survivorEndpoints() []stack.Endpoint {
	var es []stack.Endpoint
	for _, s := range l.coord.msg.survivors {
		if !contains(l.coord.msg.leavers, s) {
			es = append(es, l.v.Members[s])
		}
	}
	return es
}

func (l *layer) leaverEndpoints() []stack.Endpoint {
	var es []stack.Endpoint
	for _, s := range l.coord.msg.leavers {
		es = append(es, l.v.Members[s])
	}
	return es
}

func (l *layer) nextLtime(others ...uint64) uint64 {
	t := l.p.maxLtime
	if l.v.ID.Ltime > t {
		t = l.v.ID.Ltime
	}
	for _, o := range others {
		if o > t {
			t = o
		}
	}
	return t + 1
}

// proposeOwn proposes the next view of this component alone.
func (l *layer) proposeOwn() {
	cf := l.coord
	members := l.survivorEndpoints()
	from := make(map[stack.Endpoint]stack.ViewID, len(members))
	for _, e := range members {
		from[e] = l.v.ID
	}
	l.propose(&viewMsg{
		id:       stack.ViewID{Ltime: l.nextLtime(), Coord: l.env.Me},
		members:  members,
		leavers:  l.leaverEndpoints(),
		prevs:    []prev{cf.own},
		from:     from,
		prevMsgs: map[stack.ViewID][]byte{l.v.ID: l.env.ViewMsg},
	})
}

// propose asks the application for the view message, then sends the
// proposal. A coordinator that is leaving asks its application too: the
// next view's message (roles, for example) must not depend on who
// proposed it.
func (l *layer) propose(m *viewMsg) {
	cf := l.coord
	if m.id.Ltime > l.p.maxLtime {
		l.p.maxLtime = m.id.Ltime
	}
	l.annotateView(m)
	if l.coord != cf {
		return
	}
	if len(m.members) == 0 {
		l.sendView(m)
		return
	}
	cf.proposal = m
	cf.propDue = l.now().Add(l.env.Config.FlushTimeout / 2)
	l.env.PassUp(&stack.Event{Type: stack.EViewMsgReq, Control: &stack.Control{
		View: stack.NewView(m.id, m.members, l.env.Me), Ann: m.flushAnn(), Prevs: m.from, PrevMsgs: m.prevMsgs, ViewAnn: m.viewAnn,
	}})
}

// annotateView lets the layers above attach what the proposed view must
// carry to every member (EViewAnn), from every member's flush annotations.
func (l *layer) annotateView(m *viewMsg) {
	q := &stack.Event{Type: stack.EViewAnn, Control: &stack.Control{
		View: stack.NewView(m.id, m.members, l.env.Me), Ann: m.flushAnn(), Prevs: m.from, PrevMsgs: m.prevMsgs,
		ViewAnn: stack.Annotations{},
	}}
	l.env.PassUp(q)
	if len(q.ViewAnn) > 0 {
		m.viewAnn = q.ViewAnn
	}
}

// flushAnn merges the flush annotations of the components the view joins.
func (m *viewMsg) flushAnn() stack.Annotations {
	ann := stack.Annotations{}
	for _, p := range m.prevs {
		for k, v := range p.ann {
			ann[k] = v
		}
	}
	return ann
}

func (l *layer) viewMsgReady(id stack.ViewID, msg []byte) {
	cf := l.coord
	if cf == nil || cf.proposal == nil || cf.proposal.id != id {
		return
	}
	if len(msg) > l.env.Config.MaxViewMsg {
		l.env.Log.Warn("view message too large; dropped", "bytes", len(msg), "limit", l.env.Config.MaxViewMsg)
		l.env.Metrics.Drop("view-msg-too-large")
		msg = nil
	}
	cf.proposal.appMsg = msg
	l.sendView(cf.proposal)
}

// sendView sends the proposal to everyone concerned, keeps resending it to
// the members that have not acknowledged, and installs it here.
func (l *layer) sendView(m *viewMsg) {
	if l.coord != nil {
		l.coord.proposal = nil
	}
	body := m.encode()
	pending := make(map[stack.Endpoint]bool)
	var order []stack.Endpoint
	for _, group := range [][]stack.Endpoint{m.members, m.leavers} {
		for _, e := range group {
			if e == l.env.Me {
				continue
			}
			l.env.PassDown(&stack.Event{Type: stack.EGlobal, Control: &stack.Control{Addr: e.Addr, Target: target, Bytes: body}})
			if containsEndpoint(m.members, e) {
				pending[e] = true
				order = append(order, e)
			}
		}
	}
	if len(m.members) > 0 && m.members[0] == l.env.Me {
		l.p.resend = &resend{id: m.id, body: body, pending: pending, order: order, until: l.now().Add(l.env.Config.FlushTimeout), last: l.now()}
	}
	l.viewUp(m)
}

// viewUp installs a proposed view if it ends the flush this member
// completed; otherwise it is ignored.
func (l *layer) viewUp(m *viewMsg) {
	if m.id == l.v.ID {
		if l.me != 0 {
			l.ctrlTo(0, []byte{kindViewAck})
		}
		return
	}
	var mine *prev
	for i := range m.prevs {
		if m.prevs[i].id == l.v.ID {
			mine = &m.prevs[i]
		}
	}
	f := l.follow
	if mine == nil || f == nil || mine.tag != f.tag || !f.synced {
		return
	}
	if !l.v.ID.Less(m.id) {
		l.env.Metrics.Drop("gmp-view-not-newer")
		return
	}
	if m.id.Ltime > l.p.maxLtime {
		l.p.maxLtime = m.id.Ltime
	}
	l.noteInstalled(m)
	l.env.PassUp(&stack.Event{Type: stack.EViewEnd, Control: &stack.Control{Ann: mine.ann}})
	if !containsEndpoint(m.members, l.env.Me) {
		l.exit()
		return
	}
	l.env.PassUp(&stack.Event{Type: stack.EView, Control: &stack.Control{View: stack.NewView(m.id, m.members, l.env.Me), Bytes: m.appMsg, ViewAnn: m.viewAnn}})
}
