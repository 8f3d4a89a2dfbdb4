package safe

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/layertest"
	"github.com/maestro-go/maestro/stack/primary"
	"github.com/maestro-go/maestro/stack/wire"
)

var members = layertest.Members(3)

func ids(rs ...int) []stack.EndpID {
	var out []stack.EndpID
	for _, r := range rs {
		out = append(out, members[r].ID())
	}
	return out
}

// view builds the annotations of a view: the Primary verdict (3 replicas,
// all voters) and, if c is not nil, the chosen log.
func view(primaryNum uint64, c *choice) stack.Annotations {
	return annotations(primary.ViewInfo{Primary: primaryNum > 0, Number: primaryNum, UpToDate: ids(0, 1, 2), Replicas: 3, Counted: 3}, c)
}

// annotations builds the annotations of a view: its Primary verdict
// and, if c is not nil, the chosen log.
func annotations(info primary.ViewInfo, c *choice) stack.Annotations {
	ann := stack.Annotations{}
	info.Put(ann)
	if c != nil {
		ann[annKey] = c.encode()
	}
	return ann
}

func newHarness(p *Protocol, rank int, ann stack.Annotations) *layertest.Harness {
	h := layertest.New(p, layertest.Options{Members: members, Rank: rank, ViewAnn: ann})
	h.Start()
	return h
}

func cast(h *layertest.Harness, from int, text string) {
	h.Up(&stack.Event{Type: stack.ECast, Peer: from, Msg: wire.NewMsg([]byte(text))})
}

func ack(h *layertest.Harness, from int, pos uint64) { ackDelivered(h, from, pos, 0) }

// ackDelivered is an acknowledgement that also says how far the sender
// has delivered.
func ackDelivered(h *layertest.Harness, from int, pos, delivered uint64) {
	ackSafe(h, from, pos, delivered, 0)
}

// ackSafe is an acknowledgement that also says how far the sender has
// delivered and how far it knows a majority holds.
func ackSafe(h *layertest.Harness, from int, pos, delivered, safe uint64) {
	var w wire.Writer
	w.Byte(kindStable)
	w.Uvarint(pos)
	w.Uvarint(delivered)
	w.Uvarint(safe)
	h.Up(&stack.Event{Type: stack.ECtrl, Peer: from, Msg: wire.NewMsg(w.B)})
}

func delivered(h *layertest.Harness) []string {
	var out []string
	for _, ev := range layertest.Of(h.TakeUps(), stack.ECast) {
		out = append(out, string(ev.Msg.Bytes()))
	}
	return out
}

// A cast is delivered only once a majority of the replicas holds it.
func TestDeliveredOnceMajorityHolds(t *testing.T) {
	h := newHarness(New(false), 0, view(5, &choice{}))
	cast(h, 1, "a")
	cast(h, 2, "b")
	require.Empty(t, delivered(h), "only this member holds them")
	ack(h, 2, 1)
	require.Equal(t, []string{"a"}, delivered(h), "two of three hold a")
	ack(h, 1, 2)
	require.Equal(t, []string{"b"}, delivered(h))
}

// The layer acknowledges what it holds, once per batch.
func TestAcknowledgesAtIdle(t *testing.T) {
	h := newHarness(New(false), 0, view(5, &choice{}))
	h.TakeDowns()
	cast(h, 1, "a")
	cast(h, 1, "b")
	require.Empty(t, layertest.Of(h.TakeDowns(), stack.ECtrl))
	h.Layer.(stack.Idler).Idle()
	acks := layertest.Of(h.TakeDowns(), stack.ECtrl)
	require.Len(t, acks, 1)
	m := layertest.Wire(acks[0])
	k, _ := m.PopByte()
	require.Equal(t, byte(kindStable), k)
	require.Equal(t, uint64(2), m.Reader().Uvarint())
}

// Acknowledgements are best effort, so a member repeats its own while
// another member has not delivered all it holds: the other may have lost
// the acknowledgements that make its casts safe, and once the group falls
// silent nothing else would make it deliver them (RU seed 160: a replica
// held two acknowledged requests for 25 s of quiet).
func TestRepeatsAckWhileAnotherHasNotDelivered(t *testing.T) {
	h := newHarness(New(false), 0, view(5, &choice{}))
	cast(h, 1, "a")
	ackDelivered(h, 1, 1, 1)
	require.Equal(t, []string{"a"}, delivered(h), "two of three hold a")
	h.Layer.(stack.Idler).Idle()
	h.TakeDowns()
	h.Advance(time.Second)
	require.Len(t, layertest.Of(h.TakeDowns(), stack.ECtrl), 1, "member 2 has delivered nothing it told of: repeat")
	ackDelivered(h, 2, 1, 1)
	h.Advance(time.Second)
	require.Empty(t, layertest.Of(h.TakeDowns(), stack.ECtrl), "everyone delivered what this member holds")
}

// A total order's stability vector acknowledges for others, but a zero
// says nothing: that member may never have installed the view.
func TestStabilityVector(t *testing.T) {
	p := New(false)
	p.log = []entry{{id: msgID{primary: 4, rank: 0, index: 1}, msg: []byte("inherited")}}
	p.last = 4
	h := newHarness(p, 0, view(5, &choice{last: 4, end: 1}))
	h.Up(&stack.Event{Type: stack.EStable, Control: &stack.Control{Vector: []uint64{0, 0, 0}}})
	require.Empty(t, delivered(h), "zeros acknowledge nothing, not even what the view inherited")
	h.Up(&stack.Event{Type: stack.EStable, Control: &stack.Control{Vector: []uint64{0, 1, 0}}})
	require.Equal(t, []string{"inherited"}, delivered(h), "a member that delivered a cast of the view holds what it inherited")
}

// At a view's end, a member delivers what it knows a majority holds and
// reports it, so that every survivor delivers as far as the member that
// knew most.
func TestViewEnd(t *testing.T) {
	h := newHarness(New(false), 1, view(5, &choice{}))
	cast(h, 0, "a")
	cast(h, 0, "b")
	cast(h, 0, "c")
	ack(h, 2, 1)
	require.Equal(t, []string{"a"}, delivered(h))
	h.Up(&stack.Event{Type: stack.EBlock})
	ack(h, 2, 2) // learnt during the flush: reported, not delivered yet
	require.Empty(t, delivered(h))
	ann := stack.Annotations{}
	q := &stack.Event{Type: stack.EAnnotate, Control: &stack.Control{Ann: ann, EndCasts: 4}}
	h.Up(q)
	require.Equal(t, uint64(1), q.EndCasts, "this member knows one more is safe")
	r, ok := decodeReport(ann[reportKey(members[1].ID())])
	require.True(t, ok)
	require.Equal(t, uint64(2), r.base)
	require.Equal(t, uint64(7), r.end, "its log ends 4 further once the final order is in")
	// Another survivor knew that all three were safe.
	other := report{view: r.view, voter: true, inPrimary: true, last: 5, base: 3, end: 7}
	ann[reportKey(members[0].ID())] = other.encode()
	h.Up(&stack.Event{Type: stack.EViewEnd, Control: &stack.Control{Ann: ann}})
	require.Equal(t, []string{"b", "c"}, delivered(h))
}

// The coordinator names the most advanced log (the newest primary view
// it follows, then the longest), the most advanced state, the replicas
// that have it, and vetoes the view's being primary while members differ.
func TestChoose(t *testing.T) {
	h := newHarness(New(false), 0, view(0, nil))
	rep := func(last, base, end uint64) report {
		return report{view: 1, voter: true, last: last, base: base, end: end, synced: true}
	}
	prop := func(rs ...report) *stack.Event {
		ann := stack.Annotations{}
		for i, r := range rs {
			ann[reportKey(members[i].ID())] = r.encode()
		}
		v := stack.NewView(stack.ViewID{Ltime: 9, Coord: members[0]}, members, members[0])
		ev := &stack.Event{Type: stack.EViewAnn, Control: &stack.Control{View: v, Ann: ann, ViewAnn: stack.Annotations{}}}
		h.Up(ev)
		return ev
	}
	// Fig 4.15: members 0 and 1 delivered more (base 10), member 2 holds
	// the longest log of the same order (up to 12).
	ev := prop(rep(7, 10, 10), rep(7, 10, 11), rep(7, 8, 12))
	c, ok := decodeChoice(ev.ViewAnn[annKey])
	require.True(t, ok)
	require.Equal(t, members[2].ID(), c.holder)
	require.Equal(t, uint64(12), c.end)
	require.Equal(t, uint64(10), c.base)
	require.Contains(t, string(ev.ViewAnn[stack.VetoPrimary]), "not yet hold")
	r := wire.NewReader(ev.ViewAnn[stack.UpToDateKey])
	require.Equal(t, members[:2], stack.GetEndpoints(r), "the state goes from the members that delivered most")

	// A newer order wins even if shorter.
	ev = prop(rep(7, 10, 12), rep(8, 9, 9), rep(7, 9, 9))
	c, _ = decodeChoice(ev.ViewAnn[annKey])
	require.Equal(t, members[1].ID(), c.holder)

	// Equal everywhere: no veto.
	ev = prop(rep(7, 10, 12), rep(7, 10, 12), rep(7, 10, 12))
	require.NotContains(t, ev.ViewAnn, stack.VetoPrimary)

	// A member that has not synced with the holder's epochs vetoes.
	unsynced := rep(7, 10, 12)
	unsynced.synced = false
	ev = prop(rep(7, 10, 12), unsynced, rep(7, 10, 12))
	require.Contains(t, ev.ViewAnn, stack.VetoPrimary)
}

// Adopting a newer order turns the held messages of the older one into
// undecided ones, and takes the chosen log's epochs as far as the
// member's state reaches: the fetch brings the rest.
func TestAdoptNewerOrder(t *testing.T) {
	p := New(false)
	p.last, p.base, p.logStart = 3, 5, 5
	p.log = []entry{{id: msgID{3, 1, 2}, msg: []byte("x")}}
	p.hist.add(3, 1, 2, 6, 3)
	chosen := history{runs: []epoch{{primary: 2, first: 1, counts: []uint64{3, 2, 0}}, {primary: 4, first: 6, counts: []uint64{1, 1, 0}}}}
	ch := &choice{holder: members[0].ID(), last: 4, end: 7, base: 5, hist: chosen}
	newHarness(p, 1, view(0, ch))
	require.Equal(t, uint64(4), p.last)
	require.Empty(t, p.log)
	require.Len(t, p.undecided, 1, "x may still be in some log (no established primary view rules it out)")
	require.Equal(t, chosen, p.hist, "the member's own runs described its old log")
	require.Equal(t, chosen.runs[:1], p.heldHistory().runs, "it holds the chosen log up to its state")
}

// A held message of an older order that the chosen log also holds stays
// undecided until this member has fetched it — neither aborted nor
// forgotten (seed 20015 of the replica simulation aborted casts the
// chosen log held beyond the member's state).
func TestChosenButNotFetched(t *testing.T) {
	p := New(false)
	p.last, p.base, p.logStart = 5, 5, 5
	p.appendOrdered(entry{id: msgID{5, 0, 1}, from: members[0], msg: []byte("a")}, 3)
	chosen := history{runs: []epoch{{primary: 5, first: 6, counts: []uint64{1, 0, 0}}, {primary: 6, first: 7, counts: []uint64{0, 1, 0}}}}
	h := newHarness(p, 2, view(0, &choice{holder: members[0].ID(), last: 6, est: 6, end: 7, base: 5, hist: chosen}))
	require.Empty(t, layertest.Of(h.TakeUps(), stack.EAbort), "the chosen log holds it")
	require.Empty(t, p.undecided, "its log is a prefix of the chosen one: it holds the cast there already")
	require.Len(t, p.log, 1)
}

// A member that adopted a lineage but has not fetched it reports only
// what it holds: a primary view built on its log orders after its end,
// and the casts of the lineage beyond it are dead (seed 23581 of the
// replica simulation: the casts of a primary view that only their sender
// installed were counted as delivered, and never reported aborted).
func TestAdoptedLineageWithoutFetch(t *testing.T) {
	lineage3 := history{runs: []epoch{{primary: 3, first: 1, counts: []uint64{4, 0, 0}}}}
	p := New(false)
	h := newHarness(p, 1, view(0, &choice{holder: members[0].ID(), last: 3, end: 4, hist: lineage3}))
	ann := stack.Annotations{}
	h.Up(&stack.Event{Type: stack.EAnnotate, Control: &stack.Control{Ann: ann}})
	r, _ := decodeReport(ann[reportKey(members[1].ID())])
	require.Equal(t, uint64(3), r.last)
	require.Equal(t, uint64(0), r.end)
	require.Empty(t, r.hist.runs, "it holds none of lineage 3")

	// Primary view 10 is built on that report: it orders from position 1,
	// and this member's epochs no longer mention lineage 3.
	h = newHarness(p, 1, view(10, &choice{holder: members[1].ID(), last: 3, end: 0}))
	cast(h, 0, "first of view 10")
	require.Equal(t, []epoch{{primary: 10, first: 1, counts: []uint64{1, 0, 0}}}, p.hist.runs)

	// The sender of lineage 3's casts learns of primary view 10, built on
	// that report and established: its casts are dead.
	q := New(false)
	q.last = 3
	for i := uint64(1); i <= 4; i++ {
		q.appendOrdered(entry{id: msgID{3, 0, i}, from: members[0], msg: []byte{byte(i)}}, 3)
	}
	lineage10 := history{runs: []epoch{{primary: 10, first: 1, counts: []uint64{0, 1, 0}}}}
	qh := newHarness(q, 0, view(0, &choice{holder: members[1].ID(), last: 10, est: 10, end: 1, hist: lineage10}))
	require.Len(t, layertest.Of(qh.TakeUps(), stack.EAbort), 4)
}

// A member that adopted a lineage without fetching it reports the history
// of what it holds: a cut of the lineage's. When that report is chosen
// for a non-primary view (its lineage is the newest), the members that
// adopt it must not take the cut for the whole lineage: casts they hold
// may sit in the part cut off, delivered by the lineage's primary views
// (seed 39183: a sender was told AbortCast for three casts that primary
// view 10 had delivered).
func TestCutHistoryDecidesNothingBeyondTheCut(t *testing.T) {
	q := New(false)
	q.last = 6
	for i := uint64(1); i <= 3; i++ {
		q.appendOrdered(entry{id: msgID{3, 0, i}, from: members[0], msg: []byte{byte(i)}}, 3)
	}
	q.last = 6
	lineage10 := history{runs: []epoch{{primary: 3, first: 1, counts: []uint64{3, 0, 0}}, {primary: 10, first: 4, counts: []uint64{0, 2, 0}}}}
	cut := lineage10.upTo(0, heldLog{})
	qh := newHarness(q, 0, view(0, &choice{holder: members[1].ID(), last: 10, est: 10, end: 0, hist: cut}))
	require.Empty(t, layertest.Of(qh.TakeUps(), stack.EAbort), "the cut says nothing of what lies beyond it")
	require.Len(t, q.undecided, 3)

	// The whole lineage, once a member that holds it is chosen, decides:
	// the casts are in it.
	qh = newHarness(q, 0, view(0, &choice{holder: members[2].ID(), last: 10, est: 10, end: 5, hist: lineage10}))
	require.Empty(t, layertest.Of(qh.TakeUps(), stack.EAbort))
}

// A member whose log is a prefix of the chosen lineage's keeps it when it
// adopts that lineage: the casts it holds are in the lineage, at the same
// positions (one primary view orders its casts once). Made undecided, they
// could only be cut off with the member's report, and a primary view built
// on that report could then not tell them dead from delivered (seed 12781:
// five casts neither delivered nor aborted).
func TestAdoptsALineageItsLogIsAPrefixOf(t *testing.T) {
	p := New(false)
	p.last, p.base, p.logStart = 2, 2, 2
	p.hist = history{runs: []epoch{{primary: 2, first: 1, counts: []uint64{2, 5, 0}}}}
	for i := uint64(1); i <= 5; i++ {
		p.log = append(p.log, entry{id: msgID{2, 1, i}, from: members[1], msg: []byte{byte(i)}})
	}
	p.histEnd = 7
	lineage5 := history{runs: []epoch{{primary: 2, first: 1, counts: []uint64{2, 5, 0}}, {primary: 5, first: 8, counts: []uint64{6, 0, 0}}}}
	h := newHarness(p, 2, view(0, &choice{holder: members[0].ID(), last: 5, base: 2, end: 13, est: 2, hist: lineage5}))
	require.Empty(t, layertest.Of(h.TakeUps(), stack.EAbort))
	require.Empty(t, p.undecided, "its casts are in the lineage")
	require.Len(t, p.log, 5)
	require.Equal(t, uint64(5), p.last)
	held := p.heldHistory()
	require.Equal(t, []epoch{lineage5.runs[0]}, held.runs, "it holds all of view 2's run")
	require.True(t, held.cut)

	// A log that is not a prefix (another order of view 2) goes undecided.
	q := New(false)
	q.last, q.base, q.logStart = 2, 2, 2
	q.hist = history{runs: []epoch{{primary: 2, first: 1, counts: []uint64{3, 1, 0}}}}
	q.log = []entry{{id: msgID{2, 0, 3}, from: members[0]}, {id: msgID{2, 1, 1}, from: members[1]}}
	q.histEnd = 4
	newHarness(q, 2, view(0, &choice{holder: members[0].ID(), last: 5, base: 2, end: 13, est: 2, hist: lineage5}))
	require.Len(t, q.undecided, 2)
}

// Cutting a history keeps the runs before the cut, counts a split run
// again from the held log, or from the member's own history where state
// covers the run's start, and marks it split when neither can.
func TestHistoryUpTo(t *testing.T) {
	h := history{runs: []epoch{{primary: 4, first: 1, counts: []uint64{2, 1}}, {primary: 6, first: 4, counts: []uint64{1, 1}}}}
	require.Equal(t, h.runs[:1], h.upTo(3, heldLog{start: 3}).runs)
	cut := h.upTo(4, heldLog{start: 4})
	require.True(t, cut.runs[1].split)
	require.Equal(t, unknown, cut.fateOf(0, msgID{6, 1, 1}, true), "which of view 6's casts precede position 4 is not known")
	require.Equal(t, inLog, cut.fateOf(0, msgID{4, 0, 2}, true))
	recount := h.upTo(4, heldLog{entries: []entry{{id: msgID{6, 0, 1}}}, start: 3})
	require.Equal(t, []uint64{1, 0}, recount.runs[1].counts)
	require.Equal(t, dead, recount.fateOf(0, msgID{6, 1, 1}, true))
	require.Equal(t, h, h.upTo(5, heldLog{start: 5}))
	last := history{runs: h.runs[:1]}
	require.Equal(t, last, last.upTo(3, heldLog{start: 1}), "a run that ends at the cut stays whole, though only state covers it (seed 18429 split it, and a dead cast's fate became unknown)")

	// The member's own history counts the part of a run that state covers,
	// and the log what follows it.
	own := history{runs: []epoch{h.runs[0], {primary: 6, first: 4, counts: []uint64{1, 0}}}}
	require.Equal(t, []uint64{1, 0}, h.upTo(4, heldLog{start: 4, own: own, ownEnd: 4}).runs[1].counts)
	longer := history{runs: []epoch{h.runs[0], {primary: 6, first: 4, counts: []uint64{1, 2}}}}
	fromOwn := longer.upTo(5, heldLog{entries: []entry{{id: msgID{6, 1, 1}}}, start: 4, own: own, ownEnd: 4})
	require.Equal(t, []uint64{1, 1}, fromOwn.runs[1].counts)
	require.True(t, h.upTo(4, heldLog{start: 4, own: own, ownEnd: 3}).runs[1].split, "own history that stops short of the log")
}

// The last run of a cut history may be a prefix of the run its lineage
// holds: a cast of that run's view beyond it stays undecided, though a
// later primary view is established, until a primary view is built on the
// history itself (seed 7471: a member whose history was cut inside view
// 5's run aborted casts of view 5 that the others had delivered).
func TestCutHistorysLastRunDecidesNothingBeyondIt(t *testing.T) {
	cut := history{runs: []epoch{{primary: 5, first: 1, counts: []uint64{6, 9}}}, cut: true}
	require.Equal(t, undecided, cut.fateOf(7, msgID{5, 1, 10}, false))
	require.Equal(t, inLog, cut.fateOf(7, msgID{5, 1, 9}, false))
	require.Equal(t, dead, cut.fateOf(7, msgID{5, 1, 10}, true), "a primary view built on the cut history ends view 5's run there")
	whole := history{runs: cut.runs}
	require.Equal(t, dead, whole.fateOf(7, msgID{5, 1, 10}, false), "a whole history holds all of view 5's run, and view 7 is established")
}

// A member that adopts a longer lineage its log is a prefix of, with a
// state covering the whole of its last run, still describes that run
// exactly if it must fall back to what it holds (seed 21243: it marked
// the run split, the next member to adopt its lineage could tell neither
// delivered nor dead of three casts of that run, and reported them
// neither).
func TestAdoptedPrefixKeepsItsOwnCounts(t *testing.T) {
	p := New(false)
	p.last, p.base, p.logStart = 7, 19, 19
	mine := history{runs: []epoch{{primary: 3, first: 1, counts: []uint64{8, 4}}, {primary: 7, first: 13, counts: []uint64{3, 3, 1}}}}
	p.hist, p.histEnd = mine, 19
	longer := history{runs: []epoch{mine.runs[0], {primary: 7, first: 13, counts: []uint64{4, 3, 1}}, {primary: 8, first: 21, counts: []uint64{1, 0}}}}
	newHarness(p, 1, view(0, &choice{holder: members[2].ID(), last: 8, base: 19, end: 21, est: 7, hist: longer}))
	require.Equal(t, uint64(8), p.last, "its log is a prefix of the chosen lineage")
	held := p.heldHistory()
	require.Equal(t, mine.runs, held.runs, "what it holds of view 7's run, counted as before")
	require.True(t, held.cut)
	require.Equal(t, dead, held.fateOf(8, msgID{7, 0, 4}, true), "view 7's fourth cast of rank 0 lies beyond what it holds")
	require.Equal(t, inLog, held.fateOf(8, msgID{7, 0, 3}, true))
}

// An undecided cast is ruled out only against an established primary
// view, and then reported aborted.
func TestUndecidedFate(t *testing.T) {
	h := history{runs: []epoch{{primary: 4, first: 1, counts: []uint64{2, 1}}}}
	in := msgID{primary: 4, rank: 0, index: 2}
	out := msgID{primary: 4, rank: 1, index: 2}
	old := msgID{primary: 3, rank: 0, index: 1}
	require.Equal(t, inLog, h.fateOf(0, in, false))
	require.Equal(t, undecided, h.fateOf(0, out, false), "the log of primary view 4 may grow")
	require.Equal(t, undecided, h.fateOf(0, old, false), "no primary view is known established")
	require.Equal(t, dead, h.fateOf(4, old, false), "primary view 4 was established without it")
	require.Equal(t, dead, h.fateOf(0, out, true), "the view being established is the last word")
	h.since = 4
	require.Equal(t, unknown, h.fateOf(5, old, true), "older than the history remembers")
}

// A member of a new primary view delivers what the view inherited once a
// majority acknowledges holding it there; establishing the view aborts
// the undecided casts its log rules out.
func TestInheritedLogAndEstablishment(t *testing.T) {
	p := New(false)
	p.last, p.base, p.logStart = 4, 2, 2
	p.log = []entry{{id: msgID{4, 0, 3}, from: members[0], msg: []byte("inherited")}}
	p.hist.add(4, 0, 3, 3, 3)
	p.undecided = []entry{{id: msgID{4, 1, 1}, from: members[1], msg: []byte("lost")}}
	h := newHarness(p, 0, view(6, &choice{holder: members[0].ID(), last: 4, end: 3, base: 2, hist: p.hist}))
	require.Empty(t, h.TakeUps(), "nothing before a majority acknowledges the view")
	ack(h, 1, 3)
	ups := h.TakeUps()
	aborts := layertest.Of(ups, stack.EAbort)
	require.Len(t, aborts, 1)
	require.Equal(t, members[1], aborts[0].From)
	casts := layertest.Of(ups, stack.ECast)
	require.Len(t, casts, 1)
	require.Equal(t, stack.AllPeers, casts[0].Peer, "a cast of an earlier view is delivered with its sender's endpoint")
	require.Equal(t, members[0], casts[0].From)
	require.Equal(t, uint64(6), p.est)
}

// A member of a non-primary view fetches the chosen log from its holder,
// who serves it with its exact epochs.
func TestFetchFromHolder(t *testing.T) {
	holder := New(false)
	holder.last, holder.base, holder.logStart = 4, 2, 2
	for i := uint64(1); i <= 3; i++ {
		holder.appendOrdered(entry{id: msgID{4, 0, i}, from: members[0], msg: []byte{byte('a' + i)}}, 3)
	}
	ch := &choice{holder: members[0].ID(), last: 4, end: 5, base: 2, hist: holder.hist}
	hh := newHarness(holder, 0, view(0, ch))
	require.Empty(t, layertest.Of(hh.TakeDowns(), stack.ESend), "the holder fetches nothing")

	p := New(false)
	p.last, p.base, p.logStart = 4, 2, 2
	m := newHarness(p, 2, view(0, ch))
	req := layertest.Of(m.TakeDowns(), stack.ESend)
	require.Len(t, req, 1)
	require.Equal(t, 0, req[0].Peer)
	hh.Up(&stack.Event{Type: stack.ESend, Peer: 2, Msg: layertest.Wire(req[0])})
	for _, ev := range layertest.Of(hh.TakeDowns(), stack.ESend) {
		m.Up(&stack.Event{Type: stack.ESend, Peer: 0, Msg: layertest.Wire(ev)})
	}
	require.Equal(t, uint64(5), p.end())
	require.Equal(t, holder.hist, p.hist)
	ann := stack.Annotations{}
	m.Up(&stack.Event{Type: stack.EAnnotate, Control: &stack.Control{Ann: ann}})
	r, _ := decodeReport(ann[reportKey(members[2].ID())])
	require.True(t, r.synced)
}

// The application's state transfer moves a stale replica's state to the
// chosen one; the held messages it covers go.
func TestUpToDate(t *testing.T) {
	p := New(false)
	p.last, p.base, p.logStart = 4, 1, 1
	p.log = []entry{{id: msgID{4, 0, 1}}, {id: msgID{4, 0, 2}}}
	newHarness(p, 2, view(0, &choice{holder: members[0].ID(), last: 4, end: 3, base: 3}))
	h := layertest.New(p, layertest.Options{Members: members, Rank: 2, ViewAnn: view(0, &choice{holder: members[0].ID(), last: 4, end: 3, base: 3})})
	h.Down(&stack.Event{Type: stack.EUpToDate})
	require.Equal(t, uint64(3), p.base)
	require.Empty(t, p.log)
	require.Equal(t, uint64(3), p.logStart)
}

// An observer holds no state: it skips to the chosen state and sets aside
// what it holds beyond the chosen log.
func TestObserverSkipsAhead(t *testing.T) {
	p := New(true)
	p.last, p.base, p.logStart = 4, 1, 1
	p.log = []entry{{id: msgID{4, 0, 1}}, {id: msgID{4, 0, 2}}, {id: msgID{4, 0, 3}}}
	newHarness(p, 2, view(0, &choice{holder: members[0].ID(), last: 4, end: 3, base: 2}))
	require.Equal(t, uint64(2), p.base)
	require.Equal(t, uint64(3), p.end())
	require.Len(t, p.undecided, 1)
}

// Nothing from the network crashes the layer.
func FuzzSafeUp(f *testing.F) {
	f.Add(byte(kindEntries), []byte{1, 2, 3})
	f.Add(byte(kindEnd), []byte{4, 5, 0, 0})
	f.Add(byte(kindStable), []byte{9})
	f.Add(byte(kindStable), []byte{9, 3, 200, 1})
	f.Add(byte(kindFetch), []byte{0})
	f.Add(byte(kindBase), []byte{2, 3, 1, 2, 1, 1})
	f.Add(byte(kindBase), []byte{5, 4, 5, 1, 1})
	f.Fuzz(func(t *testing.T, kind byte, body []byte) {
		p := New(false)
		hist := history{runs: []epoch{{primary: 3, first: 1, counts: []uint64{2, 2}}}}
		h := newHarness(p, 1, view(0, &choice{holder: members[0].ID(), last: 4, end: 9, base: 2, hist: hist}))
		msg := append([]byte{kind}, body...)
		for _, typ := range []stack.EventType{stack.ESend, stack.ECtrl} {
			h.Up(&stack.Event{Type: typ, Peer: 0, Msg: wire.NewMsg(msg)})
		}
		hp := newHarness(New(false), 1, view(5, &choice{}))
		hp.Up(&stack.Event{Type: stack.ECtrl, Peer: 2, Msg: wire.NewMsg(msg)})
		ann := stack.Annotations{annKey: body, reportKey(members[0].ID()): body}
		hp.Up(&stack.Event{Type: stack.EViewEnd, Control: &stack.Control{Ann: ann}})
		v := stack.NewView(stack.ViewID{Ltime: 9, Coord: members[0]}, members, members[0])
		hp.Up(&stack.Event{Type: stack.EViewAnn, Control: &stack.Control{View: v, Ann: ann, ViewAnn: stack.Annotations{}}})
		newHarness(New(false), 0, stack.Annotations{annKey: body})
		_ = time.Second
	})
}
