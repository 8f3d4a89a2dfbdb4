package gmp

import "github.com/maestro-go/maestro/stack"

// installed is the newest view an incarnation of an address is known to
// have installed.
type installed struct {
	inc uint64
	id  stack.ViewID
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
		from := l.v.ID
		if !containsEndpoint(l.v.Members, e) {
			if others != 1 {
				continue // which other component it comes from is unknown
			}
			from = other
		}
		if old, known := l.p.seen[e.Addr]; known && (old.inc > e.Inc || old.inc == e.Inc && !old.id.Less(from)) {
			continue
		}
		l.p.seen[e.Addr] = installed{inc: e.Inc, id: from}
	}
}

// superseded reports whether a component's view from, with survivors, is
// one some survivor has already moved on from: a member only installs
// views newer than its current one, so once it is known to have installed
// view W, a component of it at a view up to W (or holding an older
// incarnation of its address) is gone. A merge request of such a
// component is a late or replayed datagram — its coordinator may have
// merged, left or crashed since — and merging it would bring back members
// that are no longer there. (A component whose coordinator crashed after
// merging may, in principle, ask again from the same view; refusing it
// costs one round: it installs a view of its own and asks again.)
func (p *Protocol) superseded(from stack.ViewID, survivors []stack.Endpoint) bool {
	for _, e := range survivors {
		w, ok := p.seen[e.Addr]
		if !ok {
			continue
		}
		if w.inc > e.Inc || w.inc == e.Inc && !w.id.Less(from) {
			return true
		}
	}
	return false
}
