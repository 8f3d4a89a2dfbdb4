package gmp

import "github.com/maestro-go/maestro/stack"

// installed is the newest view the latest incarnation of an address is
// known to have installed. An incarnation is its process's start time, so
// a later one is normally larger, and the largest seen is taken for the
// latest — unless a smaller one proved it is alive (proven), after a
// clock stepped back; replaced then keeps the one it replaced.
type installed struct {
	inc      uint64
	id       stack.ViewID
	replaced uint64 // an incarnation known to be gone (0: none)
}

// noteInstalled records, as view m is installed here, the view each of its
// members comes from, which that member has certainly installed (it
// answered that view's flush): this member's view for those that shared
// it, the other component's for the rest of a merged view. One entry per
// address, so the record stays as small as the set of addresses seen.
func (l *layer) noteInstalled(m *viewMsg) {
	var other stack.ViewID
	others := 0
	for _, p := range m.prevs {
		if p.id != l.v.ID {
			other = p.id
			others++
		}
	}
	if l.p.seen == nil {
		l.p.seen = make(map[string]installed)
	}
	for _, e := range m.members {
		if containsEndpoint(l.v.Members, e) {
			// It answered this view's flush: it is the process at its
			// address now.
			l.p.proven(e, l.v.ID)
			continue
		}
		if others != 1 {
			continue // which other component it comes from is unknown
		}
		if old, known := l.p.seen[e.Addr]; known && (old.inc > e.Inc || old.inc == e.Inc && !old.id.Less(other)) {
			continue
		}
		l.p.seen[e.Addr] = installed{inc: e.Inc, id: other}
	}
}

// proven records that incarnation e, in view from, has just answered (a
// flush, or a merge grant's nonce): it is the process at its address now,
// whatever incarnation was recorded for it before, which is gone.
func (p *Protocol) proven(e stack.Endpoint, from stack.ViewID) {
	if p.seen == nil {
		p.seen = make(map[string]installed)
	}
	old, known := p.seen[e.Addr]
	switch {
	case !known:
		p.seen[e.Addr] = installed{inc: e.Inc, id: from}
	case old.inc != e.Inc:
		p.seen[e.Addr] = installed{inc: e.Inc, id: from, replaced: old.inc}
	case old.id.Less(from):
		old.id = from
		p.seen[e.Addr] = old
	}
}

// superseded reports whether a component's view from, with survivors, is
// one some survivor has already moved on from: a member only installs
// views newer than its current one, so once it is known to have installed
// view W, a component of it at a view up to W (or holding an incarnation
// of its address known to be gone) is gone. A merge request of such a
// component is a late or replayed datagram — its coordinator may have
// merged, left or crashed since — and merging it would bring back members
// that are no longer there. (A component whose coordinator crashed after
// merging may, in principle, ask again from the same view; refusing it
// costs one round: it installs a view of its own and asks again.)
//
// An incarnation merely smaller than the recorded one is not refused: it
// is an older process only if clocks never step back. A process restarted
// after its clock stepped back is smaller, and refusing it kept its whole
// component out for good wherever the larger one had been seen. A request
// naming a gone process is stopped by the grant's confirmation instead
// (its requester is not waiting for it), or, confirmed, costs a view
// change when that process fails the merge's flush.
func (p *Protocol) superseded(from stack.ViewID, survivors []stack.Endpoint) bool {
	for _, e := range survivors {
		w, ok := p.seen[e.Addr]
		if !ok {
			continue
		}
		if e.Inc == w.inc && !w.id.Less(from) || w.replaced != 0 && e.Inc == w.replaced {
			return true
		}
	}
	return false
}
