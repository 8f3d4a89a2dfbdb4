package safe

import (
	"slices"

	"github.com/maestro-go/maestro/stack"
)

// Protocol is the safe-delivery protocol of one member. What it holds
// survives view changes (not crashes: a restarted member is a zombie and
// fetches everything it needs).
type Protocol struct {
	observer bool

	last     uint64  // the primary view whose order the log follows
	est      uint64  // the newest primary view of that lineage known to be established
	base     uint64  // position of the last message delivered to the application
	logStart uint64  // the log holds positions logStart+1 .. (logStart ≥ base; above it while a state transfer is due)
	log      []entry // held, undelivered messages
	hist     history // the epochs of the lineage up to histEnd
	histEnd  uint64  // hist's last position: the log's end, or the chosen log's until fetched
	// own is this member's history as it was when it adopted a longer
	// log its own is a prefix of, exact up to ownEnd: while hist
	// describes more than it holds, the held part of a run that its state
	// covers cannot be recounted from the log, and own still counts it.
	own    history
	ownEnd uint64
	// baseRun counts the run that position base belongs to, up to base:
	// exactly when baseKnown — this member delivered the run from its
	// first position, or was told the counts with the state that brought
	// it there (base.go) — so that a log starting at base inside the run
	// can be counted even when the rest of the run never arrives. Its
	// primary is that of position base whenever known (0 if not).
	baseRun   epoch
	baseKnown bool
	// undecided holds messages whose fate a later view decides: casts the
	// total order aborted (never ordered here), and held messages of an
	// older order than the chosen log's.
	undecided []entry
}

// New returns the protocol of a member; an observer holds no application
// state, so it never needs a state transfer.
func New(observer bool) *Protocol { return &Protocol{observer: observer, baseKnown: true} }

// Name returns "Safe".
func (*Protocol) Name() string { return "Safe" }

// NewLayer returns the layer for a view.
func (p *Protocol) NewLayer(env *stack.Env) stack.Layer {
	return newLayer(p, env)
}

// end returns the position of the last held message.
func (p *Protocol) end() uint64 { return p.logStart + uint64(len(p.log)) }

// Delivered returns the position, in the group's history, of the last
// message this member delivered. Read it on the goroutine driving the
// stack.
func (p *Protocol) Delivered() uint64 { return p.base }

// Held returns how many messages this member holds undelivered.
func (p *Protocol) Held() int { return len(p.log) }

// appendOrdered adds a message ordered in the current primary view (of
// views members) to the log.
func (p *Protocol) appendOrdered(e entry, views int) {
	p.holdOnlyLog()
	p.hist.add(e.id.primary, e.id.rank, e.id.index, p.end()+1, views)
	p.log = append(p.log, e)
	p.histEnd = max(p.histEnd, p.end())
}

// holdOnlyLog forgets what hist describes beyond the log: a primary view
// orders from the log's end on, whatever the chosen log held beyond it.
func (p *Protocol) holdOnlyLog() {
	if p.histEnd > p.end() {
		p.hist, p.histEnd = p.heldHistory(), p.end()
	}
}

// heldHistory describes what this member holds: its log and state. hist
// may describe more (the chosen log, until the fetch completes), and
// another member must never take that for held — a primary view built on
// this member's log orders after its end, and the rest is then dead.
func (p *Protocol) heldHistory() history {
	if p.histEnd <= p.end() {
		return p.hist
	}
	return p.hist.upTo(p.end(), p.held())
}

// held returns what this member holds, for upTo: its log, and its own
// history where that covers runs the log does not.
func (p *Protocol) held() heldLog {
	return heldLog{entries: p.log, start: p.logStart, own: p.own, ownEnd: p.ownEnd, base: p.base, baseRun: p.baseRun, baseKnown: p.baseKnown}
}

// trimTo drops held messages at positions up to pos (covered by a state
// the application installed or will install), and makes the log start
// there.
func (p *Protocol) trimTo(pos uint64) {
	if pos <= p.logStart {
		return
	}
	n := min(pos-p.logStart, uint64(len(p.log)))
	clear(p.log[:n])
	p.log = p.log[n:]
	if len(p.log) == 0 {
		p.log = nil
	}
	p.logStart = pos
}

// noteDelivered keeps baseRun as base advances to the position of the
// delivered cast id. A cast of another primary view than the position
// before it starts a run there; one of the same view extends it.
func (p *Protocol) noteDelivered(id msgID) {
	if id.primary != p.baseRun.primary && (p.baseKnown || p.baseRun.primary != 0) {
		p.baseRun, p.baseKnown = epoch{primary: id.primary, first: p.base}, true
	}
	if !p.baseKnown {
		p.baseRun.primary = id.primary
		return
	}
	if id.rank >= len(p.baseRun.counts) {
		p.baseRun.counts = append(p.baseRun.counts, make([]uint64, id.rank+1-len(p.baseRun.counts))...)
	}
	p.baseRun.counts[id.rank] = max(p.baseRun.counts[id.rank], id.index)
}

// jumpTo makes base pos, reached by a state rather than by delivering:
// run, if known, counts the run pos belongs to up to pos; otherwise h
// names at least the run's primary view, when it describes pos.
func (p *Protocol) jumpTo(pos uint64, run epoch, known bool, h history) {
	if p.base == pos {
		return
	}
	p.base = pos
	if known {
		p.baseRun, p.baseKnown = run.clone(), true
		return
	}
	p.baseRun, p.baseKnown = epoch{}, false
	if e, ok := h.runAt(pos); ok {
		p.baseRun.primary = e.primary
	}
}

// completeRun makes hist describe every position up to base where the
// counts at base (known) describe more than it: its last run, reported
// before the casts its view's end delivered, is replaced by the longer
// prefix baseRun counts, or baseRun is the run that follows it.
func (p *Protocol) completeRun() {
	b := p.baseRun
	n := len(p.hist.runs)
	if !p.baseKnown || b.primary == 0 || n == 0 {
		return
	}
	last := p.hist.runs[n-1]
	switch {
	case last.split:
	case last.primary == b.primary && last.first == b.first && last.first+last.length()-1 < p.base && countsWithin(last.counts, b.counts):
		counts := make([]uint64, max(len(last.counts), len(b.counts)))
		copy(counts, b.counts)
		// hist may share its runs with the choice it came from.
		p.hist.runs = slices.Clone(p.hist.runs)
		p.hist.runs[n-1].counts = counts
	case b.primary > last.primary && b.first == last.first+last.length():
		p.hist.runs = append(slices.Clone(p.hist.runs), b.clone())
		p.hist.trim(maxEpochs)
	}
}
