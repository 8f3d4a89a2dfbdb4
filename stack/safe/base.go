package safe

import (
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
// somewhere would stay unknown. The chosen epochs may even stop short of
// the base: the holder reports them before the casts its view's end
// delivers, which the chosen state may hold. Every member whose state is
// the chosen one knows the counts at its base (it delivered the run, or
// was told them in turn), so at the start of a view that is not primary
// it tells every other member; a member that takes the state counts the
// run from them, and completes the epochs with them where they stop
// short. An observer, which skips to the chosen state's position, takes
// them too.

// tellBase sends the counts of the run this member's state ends inside to
// every other member of a view some member of which lacks the chosen
// state: a stale replica, or an observer, which skips to the chosen
// state's position.
func (l *layer) tellBase() {
	p := l.p
	if p.observer || !p.baseKnown || p.base != l.ch.base || l.n == 1 || len(l.info.UpToDate) == l.n {
		return
	}
	if !fitsEpochs(l.ch.hist, p.base, p.baseRun) {
		return // older than the chosen epochs: nothing they would count
	}
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
// they fit the chosen epochs.
func (l *layer) baseTold(r *wire.Reader) {
	pos := r.Uvarint()
	e := epoch{primary: r.Uvarint(), first: r.Uvarint()}
	e.counts = make([]uint64, r.Count(stack.MaxMembers, 1))
	for i := range e.counts {
		e.counts[i] = r.Uvarint()
	}
	if r.Err() != nil || r.Remaining() != 0 {
		l.env.Metrics.Drop("safe-malformed")
		return
	}
	if !l.hasC || pos != l.ch.base || !fitsEpochs(l.ch.hist, pos, e) {
		l.env.Metrics.Drop("safe-stale-base")
		return
	}
	l.baseAt, l.hasBaseAt = e, true
	p := l.p
	if p.base == pos && !p.baseKnown && (p.baseRun.primary == 0 || p.baseRun.primary == e.primary) {
		// The state arrived first.
		p.baseRun, p.baseKnown = e.clone(), true
		p.completeRun()
	}
}

// fitsEpochs reports whether e can count, up to pos, a run of the lineage
// h describes: its casts are exactly the positions from its first to pos,
// and h's run of its view starts where it does and is a prefix of it or
// the other way round — or, where h has no run of its view, it is the run
// that follows h's last one. A holder reports its epochs before the casts
// its view's end delivers, so the chosen state may end beyond the last
// run the chosen epochs describe, or in a run they do not have yet.
func fitsEpochs(h history, pos uint64, e epoch) bool {
	var total uint64
	for _, c := range e.counts {
		total += c
	}
	if e.primary == 0 || e.first == 0 || pos < e.first || total != pos-e.first+1 {
		return false
	}
	if other, ok := h.runAt(pos); ok && other.primary != e.primary {
		return false
	}
	if run, ok := h.run(e.primary); ok {
		return !run.split && run.first == e.first && len(e.counts) <= len(run.counts) &&
			(countsWithin(e.counts, run.counts) || countsWithin(run.counts, e.counts))
	}
	n := len(h.runs)
	if n == 0 {
		return false
	}
	last := h.runs[n-1]
	return !last.split && e.primary > last.primary && e.first == last.first+last.length()
}

// countsWithin reports whether every count of a is at most b's (a missing
// count is 0).
func countsWithin(a, b []uint64) bool {
	for i, c := range a {
		if c > 0 && (i >= len(b) || c > b[i]) {
			return false
		}
	}
	return true
}
