package gmp

import "github.com/maestro-go/maestro/stack"

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
func (l *layer) mergeReqUp(from stack.Endpoint, req *mergeReq) {
	if cur := l.mergeFrom; cur != nil && cur.from == req.from && cur.prev.tag == req.prev.tag {
		return // a retransmission of the request being served
	}
	ok := l.coordRank() == l.me && !l.needsFlush() && l.coord == nil && !l.selfLeave &&
		req.from.Less(l.v.ID) && len(req.survivors) > 0 &&
		!overlap(req.members, l.v.Members) && !l.p.superseded(req.from, req.survivors)
	if !ok {
		l.env.PassDown(&stack.Event{Type: stack.EGlobal, Control: &stack.Control{Addr: from.Addr, Target: target, Bytes: encodeMergeDeny(req.from)}})
		return
	}
	l.env.Metrics.Merges.Add(1)
	l.mergeFrom = req
	l.startFlush()
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
