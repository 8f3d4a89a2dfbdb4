package safe

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/layertest"
	"github.com/maestro-go/maestro/stack/primary"
)

// The chosen lineage of the tests below: primary view 5 ordered positions
// 11..16 as r0#1 r1#1 r0#2 r2#1 r1#2 r2#2; the most advanced state, r1's,
// ends at 13, inside that run (r0's first two casts and r1's first).
var (
	run5       = epoch{primary: 5, first: 11, counts: []uint64{2, 2, 2}}
	lineage5   = history{since: 5, runs: []epoch{run5}}
	choice5    = &choice{holder: members[0].ID(), last: 5, est: 5, end: 16, base: 13, hist: lineage5}
	stale2View = annotations(primary.ViewInfo{UpToDate: ids(0, 1), Stale: ids(2), Replicas: 3, Counted: 3}, choice5)
)

// upToDateAt13 is r1, which delivered view 5's run up to 13.
func upToDateAt13() *Protocol {
	p := New(false)
	p.last, p.est = 5, 5
	p.base, p.logStart, p.histEnd = 10, 10, 10
	deliverAll(p, msgID{5, 0, 1}, msgID{5, 1, 1}, msgID{5, 0, 2})
	return p
}

// deliverAll has p deliver the casts ids (of a 3-member view), in order, at
// the positions after its base.
func deliverAll(p *Protocol, ids ...msgID) {
	for _, id := range ids {
		p.base++
		p.logStart++
		p.noteDelivered(id)
		p.hist.add(id.primary, id.rank, id.index, p.base, 3)
	}
	p.histEnd = p.base
}

// takeState hands m's member (rank 2) the counts told (from rank 1) and
// its state, in either order.
func takeState(m *layertest.Harness, told []*stack.Event, stateFirst bool) {
	tell := func() {
		for _, ev := range told {
			if ev.Peer == 2 {
				m.Up(&stack.Event{Type: stack.ESend, Peer: 1, Msg: layertest.Wire(ev)})
			}
		}
	}
	if !stateFirst {
		tell()
	}
	m.Down(&stack.Event{Type: stack.EUpToDate})
	if stateFirst {
		tell()
	}
}

// staleOfAnOlderLineage is r2, which followed primary view 3 and delivered
// up to 8: it adopts view 5's lineage, which its log is not a prefix of.
func staleOfAnOlderLineage() *Protocol {
	p := New(false)
	p.last, p.base, p.logStart = 3, 8, 8
	p.log = []entry{{id: msgID{3, 2, 1}, from: members[2]}}
	p.hist.add(3, 2, 1, 9, 3)
	p.histEnd = 9
	return p
}

// baseCounts returns the counts at the base h's member sent.
func baseCounts(h *layertest.Harness) []*stack.Event {
	var out []*stack.Event
	for _, ev := range layertest.Of(h.TakeDowns(), stack.ESend) {
		if b := ev.Msg.Bytes(); len(b) > 0 && b[0] == kindBase {
			out = append(out, ev)
		}
	}
	return out
}

// A member that took the chosen state by transfer, whose base lies inside
// a run, and whose fetch of the rest of the chosen log never completed
// (its holder crashed), still counts the run up to its base: an up-to-date
// member told it the counts there. So it judges the fate of the view's
// casts exactly, where it used to mark the run split and leave their fate
// unknown.
func TestStateInsideARunIsCountedFromTheBase(t *testing.T) {
	for _, stateFirst := range []bool{false, true} {
		up := newHarness(upToDateAt13(), 1, stale2View)
		told := baseCounts(up)
		require.Len(t, told, 2, "the up-to-date member tells both others")

		p := staleOfAnOlderLineage()
		takeState(newHarness(p, 2, stale2View), told, stateFirst)
		require.Equal(t, uint64(13), p.base)
		require.Equal(t, uint64(13), p.end(), "nothing fetched")
		held := p.heldHistory()
		require.Equal(t, []epoch{{primary: 5, first: 11, counts: []uint64{2, 1, 0}}}, held.runs, "state first: %v", stateFirst)
		require.True(t, held.cut)
		require.Equal(t, inLog, held.fateOf(5, msgID{5, 1, 1}, true))
		require.Equal(t, dead, held.fateOf(5, msgID{5, 2, 1}, true), "r2's first cast of view 5 lies beyond the state")
		require.Equal(t, dead, held.fateOf(5, msgID{5, 1, 2}, true))
	}
}

// Without the counts (nobody up to date told it), such a member marks the
// run split, as before: the fate of the view's casts is unknown to it.
func TestStateInsideARunWithoutTheCountsIsSplit(t *testing.T) {
	p := staleOfAnOlderLineage()
	m := newHarness(p, 2, stale2View)
	m.Down(&stack.Event{Type: stack.EUpToDate})
	held := p.heldHistory()
	require.Len(t, held.runs, 1)
	require.True(t, held.runs[0].split)
	require.Equal(t, unknown, held.fateOf(5, msgID{5, 2, 1}, true))
}

// Counts that do not fit the chosen epochs are dropped: another run, more
// casts than the positions up to the base, more of a sender than the run
// holds.
func TestBaseCountsThatDoNotFitAreDropped(t *testing.T) {
	for _, bad := range []epoch{
		{primary: 4, first: 11, counts: []uint64{2, 1}},
		{primary: 5, first: 12, counts: []uint64{1, 1}},
		{primary: 5, first: 11, counts: []uint64{2, 2}},
		{primary: 5, first: 11, counts: []uint64{0, 0, 3}},
	} {
		src := upToDateAt13()
		src.baseRun = bad
		up := newHarness(src, 1, stale2View)
		p := staleOfAnOlderLineage()
		takeState(newHarness(p, 2, stale2View), baseCounts(up), false)
		require.True(t, p.heldHistory().runs[0].split, "counts %v", bad)
	}
}

// Delivering keeps the counts of the run the base lies in; a state that
// moves the base without them leaves them unknown until a run starts.
func TestBaseRunFollowsDeliveries(t *testing.T) {
	p := New(false)
	deliver := func(ids ...msgID) {
		for _, id := range ids {
			p.base++
			p.noteDelivered(id)
		}
	}
	deliver(msgID{2, 0, 1}, msgID{2, 1, 1}, msgID{2, 0, 2})
	require.True(t, p.baseKnown)
	require.Equal(t, epoch{primary: 2, first: 1, counts: []uint64{2, 1}}, p.baseRun)
	deliver(msgID{4, 2, 1})
	require.Equal(t, epoch{primary: 4, first: 4, counts: []uint64{0, 0, 1}}, p.baseRun)

	p.jumpTo(9, epoch{}, false, history{runs: []epoch{{primary: 6, first: 7, counts: []uint64{2, 2}}}})
	require.False(t, p.baseKnown)
	require.Equal(t, uint64(6), p.baseRun.primary, "the epochs name the run position 9 lies in")
	deliver(msgID{6, 1, 2})
	require.False(t, p.baseKnown, "the run started before what this member delivered")
	deliver(msgID{7, 0, 1})
	require.True(t, p.baseKnown, "a new run starts where a cast of another view follows")
	require.Equal(t, epoch{primary: 7, first: 11, counts: []uint64{1}}, p.baseRun)

	p.jumpTo(20, epoch{}, false, history{})
	deliver(msgID{7, 0, 5})
	require.False(t, p.baseKnown, "the view of position 20 is unknown: this may continue its run")
	deliver(msgID{8, 0, 1})
	require.True(t, p.baseKnown)
}

// A cut before the base cannot be counted from the counts at the base.
func TestCutBeforeTheBaseIsSplit(t *testing.T) {
	run := epoch{primary: 9, first: 11, counts: []uint64{15, 15}} // positions 11..40
	held := heldLog{start: 38, base: 38, baseKnown: true, baseRun: epoch{primary: 9, first: 11, counts: []uint64{14, 14}}}
	require.True(t, run.splitAt(35, held).split)
	require.Equal(t, epoch{primary: 9, first: 11, counts: []uint64{14, 14}}, run.splitAt(38, held), "cut at the base")
}

// The chosen holder reports its epochs before the casts its view's end
// delivers, so the chosen state may end beyond the last run it reported —
// here view 5's run is reported up to 15, or not at all, while the primary
// component delivered up to 16 as the view ended. A member that takes that
// state and never fetches the rest learns the run up to 16 from an
// up-to-date member, and does not judge the casts its state holds dead.
func TestStateBeyondTheReportedRunCompletesIt(t *testing.T) {
	run4 := epoch{primary: 4, first: 1, counts: []uint64{5, 5}}
	for _, reported := range []history{
		{since: 4, runs: []epoch{run4, {primary: 5, first: 11, counts: []uint64{2, 2, 1}}}},
		{since: 4, runs: []epoch{run4}},
	} {
		for _, stateFirst := range []bool{false, true} {
			ch := &choice{holder: members[0].ID(), last: 5, est: 5, end: 16, base: 16, hist: reported}
			ann := annotations(primary.ViewInfo{UpToDate: ids(0, 1), Stale: ids(2), Replicas: 3, Counted: 3}, ch)
			src := upToDateAt13()
			deliverAll(src, msgID{5, 2, 1}, msgID{5, 1, 2}, msgID{5, 2, 2})
			up := newHarness(src, 1, ann)
			p := staleOfAnOlderLineage()
			takeState(newHarness(p, 2, ann), baseCounts(up), stateFirst)
			require.Equal(t, uint64(16), p.base)
			held := p.heldHistory()
			require.Equal(t, []epoch{run4, run5}, held.runs, "reported %v, state first %v", reported.runs, stateFirst)
			require.Equal(t, inLog, held.fateOf(5, msgID{5, 2, 2}, true), "the cast at 16 is in the state")
			require.Equal(t, dead, held.fateOf(5, msgID{5, 2, 3}, true))
		}
	}
}

// Completing the last run leaves the epochs it shares its runs with (the
// choice's) as they were.
func TestCompleteRunLeavesSharedEpochsAlone(t *testing.T) {
	chosen := history{runs: []epoch{{primary: 5, first: 11, counts: []uint64{2, 2, 1}}}}
	p := New(false)
	p.hist = chosen
	p.base, p.baseRun, p.baseKnown = 16, run5, true
	p.completeRun()
	require.Equal(t, []epoch{run5}, p.hist.runs)
	require.Equal(t, []uint64{2, 2, 1}, chosen.runs[0].counts)
}
