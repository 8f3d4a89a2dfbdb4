package safe

import (
	"slices"

	"github.com/maestro-go/maestro/stack"
)

// msgID identifies a cast for the whole life of the group: the primary
// view it was cast in, its sender's rank in that view, and its index among
// that sender's casts there (from 1).
type msgID struct {
	primary uint64
	rank    int
	index   uint64
}

// entry is a held message.
type entry struct {
	id   msgID
	from stack.Endpoint // its sender
	msg  []byte         // its content, as the layers above sent it
}

// epoch is a run of consecutive positions of the group's history ordered
// in one primary view. Since a total order keeps each sender's casts in
// sending order, the run holds, of each sender, its first counts[rank]
// casts of that view.
type epoch struct {
	primary uint64
	first   uint64   // position of its first message
	counts  []uint64 // by sender rank
	// split says the log ends inside the run, at a position the member
	// reached by state transfer: which of the run's casts precede it
	// cannot be told from counts, so the fate of the view's casts is
	// unknown to this history.
	split bool
}

// history describes a log by its epochs: it knows every primary view
// numbered since or later (one with no run ordered nothing that the log
// holds), and nothing of older ones (forgotten, or never learned).
type history struct {
	since uint64
	runs  []epoch
	// cut says the history describes only a prefix of its lineage (what
	// a member that adopted the lineage holds of it): primary views after
	// its last run may have ordered more, beyond the prefix.
	cut bool
}

// maxEpochs bounds the runs a member remembers: one per primary view that
// ordered a message, the oldest forgotten first.
const maxEpochs = 256

// add records a message of primary view prim from sender rank (index:
// its index among that sender's casts of the view) at position pos.
func (h *history) add(prim uint64, rank int, index, pos uint64, views int) {
	if n := len(h.runs); n == 0 || h.runs[n-1].primary != prim {
		h.runs = append(h.runs, epoch{primary: prim, first: pos, counts: make([]uint64, views)})
		h.trim(maxEpochs)
	}
	ep := &h.runs[len(h.runs)-1]
	if rank >= 0 && rank < len(ep.counts) {
		ep.counts[rank] = max(ep.counts[rank], index)
	}
}

// trim keeps the k most recent runs.
func (h *history) trim(k int) {
	if len(h.runs) > k {
		h.runs = h.runs[len(h.runs)-k:]
		h.since = max(h.since, h.runs[0].primary)
	}
}

// recent returns the history of the k most recent runs.
func (h history) recent(k int) history {
	out := history{since: h.since, runs: h.runs, cut: h.cut}
	out.trim(k)
	return out
}

// extend returns the history of a log that h's own log is a prefix of
// (the same lineage), as described by longer: longer's runs, preceded by
// h's runs of older primary views where longer has forgotten them (in one
// lineage they are the same).
func (h history) extend(longer history) history {
	out := history{since: min(h.since, longer.since), cut: longer.cut}
	for _, e := range h.runs {
		if e.primary >= longer.since {
			break
		}
		out.runs = append(out.runs, e)
	}
	out.runs = append(out.runs, longer.runs...)
	out.trim(maxEpochs)
	return out
}

// upTo returns the history of the prefix of h's log that ends at position
// end: a member that adopts another member's lineage holds only its
// state's prefix of it until the fetch completes, and must neither report
// nor judge fates by the rest (a later primary view may build on the
// prefix alone, and then the rest is dead). A run that end splits is
// counted again from what the member holds (splitAt) or, when it cannot
// be, marked split; runs that start beyond end go.
func (h history) upTo(end uint64, held heldLog) history {
	out := history{since: h.since, cut: h.cut}
	for _, e := range h.runs {
		if e.first > end {
			out.cut = true
			break
		}
		if !e.split && e.first+e.length()-1 > end {
			e = e.splitAt(end, held)
			out.cut = true
		}
		out.runs = append(out.runs, e)
	}
	return out
}

// heldLog is what a member holds of a lineage: its log (entries from
// position start+1) and, where a state covers the start of a run, its
// own history as it was when it adopted the lineage, exact up to ownEnd,
// and the counts of the run its state ends inside, up to base (exact if
// baseKnown).
type heldLog struct {
	entries   []entry
	start     uint64
	own       history
	ownEnd    uint64
	base      uint64
	baseRun   epoch
	baseKnown bool
}

// prefixOf reports whether the log h describes, at positions from+1 to
// end, is a prefix of the log longer describes: each of h's runs there is
// one of longer's, at the same position, whole — the last may be shorter.
// One primary view orders its casts once, so such a log holds the first
// casts of longer's runs, and is a prefix of longer's log.
func (h history) prefixOf(longer history, from, end uint64) bool {
	for i, e := range h.runs {
		if e.first > end {
			break
		}
		if e.first+e.length()-1 <= from {
			continue // covered by the state, a prefix of every later lineage
		}
		f, ok := longer.run(e.primary)
		if e.split || !ok || f.split || f.first != e.first || len(f.counts) != len(e.counts) {
			return false
		}
		last := i == len(h.runs)-1 || h.runs[i+1].first > end
		for r, c := range e.counts {
			if c > f.counts[r] || (!last && c != f.counts[r]) {
				return false
			}
		}
	}
	return true
}

// runAt returns h's run that holds position pos.
func (h history) runAt(pos uint64) (epoch, bool) {
	for _, e := range h.runs {
		if !e.split && e.first <= pos && pos < e.first+e.length() {
			return e, true
		}
	}
	return epoch{}, false
}

// run returns h's run of primary view prim.
func (h history) run(prim uint64) (epoch, bool) {
	for _, e := range h.runs {
		if e.primary == prim {
			return e, true
		}
	}
	return epoch{}, false
}

// clone returns a copy of e that shares no counts with it.
func (e epoch) clone() epoch {
	e.counts = slices.Clone(e.counts)
	return e
}

// length returns how many positions the run covers: each sender's first
// counts[rank] casts of the view, every one of them.
func (e epoch) length() uint64 {
	var n uint64
	for _, c := range e.counts {
		n += c
	}
	return n
}

// splitAt returns the run cut after position end, counting its casts
// from the held log when that holds the whole cut run. When the log
// starts inside the run (a state covers its start), the counts up to
// where the log starts come from the member's own history of the run, up
// to ownEnd if the log reaches back to it, or from the counts of the run
// its state ends inside, if the log starts right there; the log's entries
// add the rest. Otherwise the run is marked split. One primary view
// orders a sender's casts in the order they were sent, so the counts of a
// prefix are the highest indices in it.
func (e epoch) splitAt(end uint64, held heldLog) epoch {
	out := epoch{primary: e.primary, first: e.first, counts: make([]uint64, len(e.counts))}
	from := e.first
	if e.first <= held.start {
		k, ok := held.own.run(e.primary)
		b := held.baseRun
		switch {
		case ok && k.first == e.first && !k.split && held.ownEnd >= held.start && held.ownEnd <= end:
			copy(out.counts, k.counts)
			from = held.ownEnd + 1
		case held.baseKnown && held.base == held.start && held.base <= end && b.primary == e.primary && b.first == e.first && len(b.counts) <= len(e.counts):
			copy(out.counts, b.counts)
			from = held.base + 1
		default:
			out.split = true
			return out
		}
	}
	if end > held.start+uint64(len(held.entries)) {
		out.split = true
		return out
	}
	for _, m := range held.entries[from-held.start-1 : end-held.start] {
		if m.id.primary == e.primary && m.id.rank >= 0 && m.id.rank < len(out.counts) {
			out.counts[m.id.rank] = max(out.counts[m.id.rank], m.id.index)
		}
	}
	return out
}

// fate is what a history says of a message.
type fate int

const (
	undecided fate = iota // the log may still grow to include it
	inLog                 // the log (or the state it extends) includes it
	dead                  // no primary view will ever deliver it
	unknown               // older than the history remembers
)

// fateOf says whether the log described by h includes id. est is the
// newest primary view known to be established (a majority installed it)
// in the log's lineage: every later primary view starts from a log that
// extends its start, so a cast of an older primary view that h does not
// hold is dead. final says the primary view being established is h's own:
// then nothing undecided remains.
func (h history) fateOf(est uint64, id msgID, final bool) fate {
	for i := len(h.runs) - 1; i >= 0; i-- {
		e := h.runs[i]
		if e.primary != id.primary {
			continue
		}
		if e.split {
			return unknown
		}
		if id.rank < len(e.counts) && id.index >= 1 && id.index <= e.counts[id.rank] {
			return inLog
		}
		break
	}
	switch {
	case id.primary < h.since:
		return unknown
	case final:
		return dead
	case h.cut && (len(h.runs) == 0 || id.primary >= h.runs[len(h.runs)-1].primary):
		return undecided // the part cut off may hold it, of the last run's view or a later one
	case id.primary < est:
		return dead
	}
	return undecided
}
