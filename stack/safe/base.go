package safe

import (
	"slices"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/wire"
)

// A member that takes the chosen state by transfer reaches the chosen base
// without delivering the casts before it. When the base lies inside a run
// and the member's log then starts there, the run's counts up to the base
// are the one thing neither its log nor the chosen epochs (which count
// the whole run) tell it: should the fetch of the rest of the log fail —
// its holder crashed — the member could not tell which of the run's casts
// its state holds, and the fate of the view's casts still undecided
// somewhere would stay unknown. Every member whose state is the chosen one
// knows those counts (it delivered the run, or was told them in turn), so
// at the start of a view that is not primary it tells every other member.
// An observer, which skips to the chosen state's position, takes them too.

// tellBase sends the counts of the run this member's state ends inside to
// every other member of a view some member of which lacks the chosen
// state: a stale replica, or an observer, which skips to the chosen
// state's position.
func (l *layer) tellBase() {
	p := l.p
	if p.observer || !p.baseKnown || p.base != l.ch.base || l.n == 1 || len(l.info.UpToDate) == l.n {
		return
	}
	if _, ok := l.ch.hist.runAt(p.base); !ok {
		return // older than the chosen epochs, or beyond them: nothing to count
	}
	// Even where the chosen epochs' run ends at the base, the run may go
	// on: a holder reports its last run before the casts the view's end
	// delivers.
	var w wire.Writer
	w.Byte(kindBase)
	w.Uvarint(p.base)
	w.Uvarint(p.baseRun.primary)
	w.Uvarint(p.baseRun.first)
	w.Uvarint(uint64(len(p.baseRun.counts)))
	for _, c := range p.baseRun.counts {
		w.Uvarint(c)
	}
	for r := 0; r < l.n; r++ {
		if r != l.me {
			l.sendTo(r, w.B)
		}
	}
}

// baseTold takes the counts of the run the chosen state ends inside, if
// they fit the chosen epochs: the run is theirs, and its casts up to the
// base are exactly the positions from its first.
func (l *layer) baseTold(r *wire.Reader) {
	pos := r.Uvarint()
	e := epoch{primary: r.Uvarint(), first: r.Uvarint()}
	e.counts = make([]uint64, r.Count(stack.MaxMembers, 1))
	var total uint64
	for i := range e.counts {
		e.counts[i] = r.Uvarint()
		total += e.counts[i]
	}
	if r.Err() != nil || r.Remaining() != 0 {
		l.env.Metrics.Drop("safe-malformed")
		return
	}
	run, ok := l.ch.hist.runAt(pos)
	if !l.hasC || pos != l.ch.base || !ok || run.primary != e.primary || run.first != e.first ||
		len(e.counts) > len(run.counts) || total != pos-e.first+1 {
		l.env.Metrics.Drop("safe-stale-base")
		return
	}
	for i, c := range e.counts {
		if c > run.counts[i] {
			l.env.Metrics.Drop("safe-stale-base")
			return
		}
	}
	l.baseAt, l.hasBaseAt = e, true
	p := l.p
	if p.base == pos && !p.baseKnown && (p.baseRun.primary == 0 || p.baseRun.primary == e.primary) {
		// The state arrived first.
		p.baseRun, p.baseKnown = epoch{primary: e.primary, first: e.first, counts: slices.Clone(e.counts)}, true
	}
}
