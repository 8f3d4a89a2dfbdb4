package safe

import (
	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/wire"
)

// fetch asks the holder of the view's chosen log for the held messages
// this member lacks, and for its epochs, which are exact where the view
// annotation's may not be (point-to-point messages are reliable within a
// view; a new view starts over from what was fetched so far).
func (l *layer) fetch() {
	p := l.p
	if !l.hasC || l.fetching || l.synced {
		return
	}
	if l.env.Me.ID() == l.ch.holder {
		l.synced = true
		return
	}
	if p.last != l.ch.last {
		return
	}
	holder := l.rank(l.ch.holder)
	if holder < 0 {
		return
	}
	from := p.end()
	if p.logStart > p.base {
		// A gap from an earlier view's state transfer that never came:
		// fetch it too.
		from = p.base
	}
	l.fetching, l.fetchStart, l.fetched = true, from, nil
	var w wire.Writer
	w.Byte(kindFetch)
	w.Uvarint(from)
	l.sendTo(holder, w.B)
}

func (l *layer) rank(id stack.EndpID) int {
	for r := 0; r < l.n; r++ {
		if l.env.View.MemberID(r) == id {
			return r
		}
	}
	return -1
}

func (l *layer) sendTo(rank int, b []byte) {
	l.env.PassDown(&stack.Event{Type: stack.ESend, Peer: rank, Msg: wire.NewMsg(b)})
}

// serve sends the held messages after a position, then the end marker.
func (l *layer) serve(to int, r *wire.Reader) {
	from := r.Uvarint()
	if r.Err() != nil || to < 0 || to >= l.n {
		l.env.Metrics.Drop("safe-malformed")
		return
	}
	p := l.p
	pos := max(from, p.logStart)
	for pos < p.end() {
		var w wire.Writer
		w.Byte(kindEntries)
		w.Uvarint(pos + 1)
		start := len(w.B)
		for pos < p.end() && len(w.B)-start < maxBatch {
			putEntry(&w, p.log[pos-p.logStart])
			pos++
		}
		l.sendTo(to, w.B)
	}
	var w wire.Writer
	w.Byte(kindEnd)
	w.Uvarint(p.last)
	w.Uvarint(p.end())
	putHistory(&w, p.heldHistory())
	l.sendTo(to, w.B)
}

// entries receives a batch of the fetched log.
func (l *layer) entries(from int, r *wire.Reader) {
	if !l.fetching || from != l.rank(l.ch.holder) {
		l.env.Metrics.Drop("safe-stale-fetch")
		return
	}
	first := r.Uvarint()
	var batch []entry
	for r.Err() == nil && r.Remaining() > 0 {
		batch = append(batch, getEntry(r, l.env.Config.MaxMessage+1024))
	}
	if r.Err() != nil {
		l.env.Metrics.Drop("safe-malformed")
		return
	}
	if len(l.fetched) == 0 {
		l.fetchStart = first - 1
	} else if first != l.fetchStart+uint64(len(l.fetched))+1 {
		l.env.Metrics.Drop("safe-malformed")
		return
	}
	l.fetched = append(l.fetched, batch...)
}

// fetchEnd installs the fetched messages.
func (l *layer) fetchEnd(from int, r *wire.Reader) {
	last, end := r.Uvarint(), r.Uvarint()
	hist := getHistory(r)
	if r.Err() != nil || r.Remaining() != 0 {
		l.env.Metrics.Drop("safe-malformed")
		return
	}
	if !l.fetching || from != l.rank(l.ch.holder) {
		l.env.Metrics.Drop("safe-stale-fetch")
		return
	}
	l.fetching = false
	if len(l.fetched) == 0 {
		l.fetchStart = end
	}
	if last != l.ch.last || end != l.ch.end || (len(l.fetched) > 0 && l.fetchStart+uint64(len(l.fetched)) != end) {
		l.env.Log.Error("fetched log differs from the chosen one", "last", last, "end", end)
		l.env.Metrics.Drop("safe-fetch-mismatch")
		return
	}
	p := l.p
	if p.logStart > p.base && l.fetchStart <= p.logStart {
		// The fetch covers this member's gap and its log (the same
		// lineage): the fetched log replaces its own.
		p.log, p.logStart = l.fetched, l.fetchStart
	} else if l.fetchStart >= end && p.end() >= end {
		// Nothing was missing (an observer may even hold more).
	} else if l.fetchStart == p.end() {
		p.log = append(p.log, l.fetched...)
	} else if l.fetchStart > p.end() {
		// The holder's log starts beyond ours: the gap is covered by the
		// state the application receives.
		p.log, p.logStart = l.fetched, l.fetchStart
	} else {
		// Overlap: keep ours, take the rest.
		p.log = append(p.log, l.fetched[p.end()-l.fetchStart:]...)
	}
	l.fetched = nil
	if p.logStart < p.base {
		p.trimTo(p.base)
	}
	p.hist, p.histEnd = p.hist.extend(hist), max(p.histEnd, end)
	l.synced = true
	l.resolve(false)
}
