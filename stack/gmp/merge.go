package gmp

import (
	"time"

	"github.com/maestro-go/maestro/stack"
)

// mergeRequested is Heal's request to join the component of ev.From.
func (l *layer) mergeRequested(ev *stack.Event) {
	if l.coordRank() != l.me || l.needsFlush() || l.coord != nil || l.selfLeave {
		return
	}
	if !l.v.ID.Less(ev.TargetID) {
		return
	}
	l.mergeTo = &mergeTarget{coord: ev.From, addr: ev.Addr, into: ev.TargetID}
	l.env.Log.Debug("merging", "into", ev.TargetID)
	l.startFlush()
}

// askMerge sends the merge request once this component is flushed.
func (l *layer) askMerge(mt *mergeTarget) {
	cf := l.coord
	mt.req = &mergeReq{
		from:      l.v.ID,
		into:      mt.into,
		members:   l.v.Members,
		survivors: l.survivorEndpoints(),
		leavers:   l.leaverEndpoints(),
		prev:      cf.own,
		ltime:     l.nextLtime() - 1,
		viewMsg:   l.env.ViewMsg,
	}
	mt.sentAt, mt.last = l.now(), l.now()
	l.env.PassDown(&stack.Event{Type: stack.EGlobal, Control: &stack.Control{Addr: mt.addr, Target: target, Bytes: mt.req.encode()}})
}

// mergeReqUp handles a request from a flushed component to join this one.
// A request that passes the checks is granted, not yet served: the
// coordinator asks the requester to confirm (mergeGrant, with a fresh
// nonce) and flushes only once it has. A request is a datagram anyone may
// have recorded, and one that arrives late — or is replayed — after its
// sender merged elsewhere, left or crashed would otherwise put members
// that are gone into the view; the confirmation proves the requester is
// there and still waiting for this very merge.
func (l *layer) mergeReqUp(from stack.Endpoint, req *mergeReq) {
	if cur := l.mergeFrom; cur != nil && cur.from == req.from && cur.prev.tag == req.prev.tag {
		return // a retransmission of the request being served
	}
	if g := l.granted; g != nil && g.grant.names(req) {
		l.sendGrant(g) // the requester asks again: the grant may be lost
		return
	}
	if !l.mayMerge(req) || l.granted != nil {
		l.env.PassDown(&stack.Event{Type: stack.EGlobal, Control: &stack.Control{Addr: from.Addr, Target: target, Bytes: encodeMergeDeny(req.from)}})
		return
	}
	l.granted = &pendingGrant{
		req: req, to: from, since: l.now(),
		grant: mergeGrant{from: req.from, tag: req.prev.tag, nonce: l.env.Rand()},
	}
	l.sendGrant(l.granted)
}

// mayMerge tells whether this member can serve the request now.
func (l *layer) mayMerge(req *mergeReq) bool {
	return l.coordRank() == l.me && !l.needsFlush() && l.coord == nil && !l.selfLeave &&
		req.from.Less(l.v.ID) && len(req.survivors) > 0 &&
		!overlap(req.members, l.v.Members) && !l.p.superseded(req.from, req.survivors)
}

// pendingGrant is a merge request granted and not yet confirmed.
type pendingGrant struct {
	req   *mergeReq
	to    stack.Endpoint
	grant mergeGrant
	since time.Time
}

func (l *layer) sendGrant(g *pendingGrant) {
	l.env.PassDown(&stack.Event{Type: stack.EGlobal, Control: &stack.Control{Addr: g.to.Addr, Target: target, Bytes: g.grant.encode(globalMergeGrant)}})
}

// grantUp: the coordinator asked to merge into grants it; confirm if this
// member still waits for that merge (else it is a stale or replayed grant).
func (l *layer) grantUp(from stack.Endpoint, g mergeGrant) {
	mt := l.mergeTo
	if mt == nil || !g.names(mt.req) || from != mt.coord {
		l.env.Metrics.Drop("gmp-stale-grant")
		return
	}
	l.env.PassDown(&stack.Event{Type: stack.EGlobal, Control: &stack.Control{Addr: mt.addr, Target: target, Bytes: g.encode(globalMergeConfirm)}})
}

// confirmUp: the requester confirmed a grant; serve the request if this
// member still can.
func (l *layer) confirmUp(from stack.Endpoint, g mergeGrant) {
	pg := l.granted
	if pg == nil || g != pg.grant || from != pg.to {
		l.env.Metrics.Drop("gmp-stale-confirm")
		return
	}
	l.granted = nil
	if !l.mayMerge(pg.req) {
		l.env.PassDown(&stack.Event{Type: stack.EGlobal, Control: &stack.Control{Addr: from.Addr, Target: target, Bytes: encodeMergeDeny(pg.req.from)}})
		return
	}
	l.p.proven(pg.to, pg.req.from)
	l.env.Metrics.Merges.Add(1)
	l.mergeFrom = pg.req
	l.startFlush()
}

// expireGrant forgets a grant the requester has not confirmed within half
// a flush timeout (it gives up after a whole one): it is gone, or the
// request was not its own.
func (l *layer) expireGrant(now time.Time) {
	if g := l.granted; g != nil && now.Sub(g.since) > l.env.Config.FlushTimeout/2 {
		l.env.Log.Debug("merge grant not confirmed", "from", g.req.from)
		l.granted = nil
	}
}

// proposeMerged proposes the view holding both components.
func (l *layer) proposeMerged(req *mergeReq) {
	cf := l.coord
	mine := l.survivorEndpoints()
	members := append(mine, req.survivors...)
	leavers := append(l.leaverEndpoints(), req.leavers...)
	from := make(map[stack.Endpoint]stack.ViewID, len(members))
	for _, e := range mine {
		from[e] = l.v.ID
	}
	for _, e := range req.survivors {
		from[e] = req.from
	}
	l.propose(&viewMsg{
		id:       stack.ViewID{Ltime: l.nextLtime(req.ltime), Coord: l.env.Me},
		members:  members,
		leavers:  leavers,
		prevs:    []prev{cf.own, req.prev},
		from:     from,
		prevMsgs: map[stack.ViewID][]byte{l.v.ID: l.env.ViewMsg, req.from: req.viewMsg},
	})
}
