package gmp

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/layertest"
	"github.com/maestro-go/maestro/stack/wire"
)

// Regression (sim seed 401095): a merge request from a component holding
// an earlier incarnation of a member of this view — here it arrived two
// seconds late, after that incarnation had exited and its address had
// rejoined as a new one — must be refused. Merging it would put two
// incarnations of one address in a view: datagrams for the dead one reach
// the live one, which then delivers point-to-point messages meant for the
// other as its own.
func TestMergeRefusesAnotherIncarnationOfAMember(t *testing.T) {
	coord := stack.Endpoint{Addr: "n2", Inc: 1}
	reborn := stack.Endpoint{Addr: "n1", Inc: 2}
	old := stack.Endpoint{Addr: "n1", Inc: 1}
	h := layertest.New(&Protocol{Sync: true}, layertest.Options{Members: []stack.Endpoint{coord, reborn}, Ltime: 14})
	askAlone(h, old, 8)
	require.Empty(t, layertest.Of(h.Ups, stack.EBlock), "the coordinator started a flush to merge")
	refused(t, h, "the request was not refused")

	// A component with no address in common is welcome.
	other := stack.Endpoint{Addr: "n3", Inc: 1}
	askAlone(h, other, 8)
	confirm(t, h, other)
	require.NotEmpty(t, layertest.Of(h.Ups, stack.EBlock), "the merge did not start")
}

// askToMerge hands h a merge request from requester's component: view
// from, with survivors, flushed by its first flush.
func askToMerge(h *layertest.Harness, requester stack.Endpoint, from stack.ViewID, survivors []stack.Endpoint) {
	req := &mergeReq{
		from: from, into: h.Env.View.ID,
		members: survivors, survivors: survivors,
		prev: prev{id: from, tag: stack.FlushTag{Coord: 0, Num: 1}}, ltime: from.Ltime,
	}
	h.Up(&stack.Event{Type: stack.EGlobal, Control: &stack.Control{From: requester, Target: target, Bytes: req.encode(), Addr: requester.Addr}})
}

// refused checks that the only datagram h sent is a merge denial.
// askAlone has e ask h to merge from a view of its own, numbered ltime.
func askAlone(h *layertest.Harness, e stack.Endpoint, ltime uint64) {
	askToMerge(h, e, stack.ViewID{Ltime: ltime, Coord: e}, []stack.Endpoint{e})
}

// alone returns a harness for coord alone in its view, after ltime views,
// with p's memory of what other members installed.
func alone(p *Protocol, coord stack.Endpoint, ltime uint64) *layertest.Harness {
	return layertest.New(p, layertest.Options{Members: []stack.Endpoint{coord}, Ltime: ltime})
}

func refused(t *testing.T, h *layertest.Harness, msg string) {
	t.Helper()
	downs := layertest.Of(h.TakeDowns(), stack.EGlobal)
	require.Len(t, downs, 1)
	require.Equal(t, byte(globalMergeDeny), downs[0].Bytes[0], msg)
}

// mergedIn records in p, as coordinator coord would, that e's component
// (view ltime-2@e) merged into coord's in view ltime@coord.
func mergedIn(p *Protocol, coord, e stack.Endpoint, ltime uint64) {
	h := alone(p, coord, ltime-1)
	h.Layer.(*layer).noteInstalled(&viewMsg{
		id: stack.ViewID{Ltime: ltime, Coord: coord}, members: []stack.Endpoint{coord, e},
		prevs: []prev{{id: h.Env.View.ID}, {id: stack.ViewID{Ltime: ltime - 2, Coord: e}}},
	})
}

// confirm answers the grant h just sent to requester, as the requester
// would if it still waits for the merge.
func confirm(t *testing.T, h *layertest.Harness, requester stack.Endpoint) {
	t.Helper()
	g := grantSent(t, h, requester)
	h.Up(&stack.Event{Type: stack.EGlobal, Control: &stack.Control{From: requester, Target: target, Bytes: g.encode(globalMergeConfirm), Addr: requester.Addr}})
}

// grantSent returns the grant h sent to requester (the only datagram
// expected from it).
func grantSent(t *testing.T, h *layertest.Harness, requester stack.Endpoint) mergeGrant {
	t.Helper()
	require.Empty(t, layertest.Of(h.Ups, stack.EBlock), "the coordinator flushed before the requester confirmed")
	downs := layertest.Of(h.TakeDowns(), stack.EGlobal)
	require.Len(t, downs, 1)
	require.Equal(t, requester.Addr, downs[0].Addr)
	r := wire.NewReader(downs[0].Bytes)
	require.Equal(t, byte(globalMergeGrant), r.Byte(), "the request was not granted")
	g, err := decodeMergeGrant(r)
	require.NoError(t, err)
	return g
}

// A coordinator's flush carries what its layers add (EFlushAnn) to every
// member, which passes it up with the flush it accepts (EFlush).
func TestFlushCarriesCoordinatorAnnotations(t *testing.T) {
	ms := layertest.Members(3)
	coord := layertest.New(&Protocol{}, layertest.Options{Members: ms, Rank: 0})
	h := layertest.New(&Protocol{}, layertest.Options{Members: ms, Rank: 1})
	coord.Down(&stack.Event{Type: stack.ESuspect, Control: &stack.Control{Ranks: []int{2}}})
	ups := coord.TakeUps()
	q := layertest.Of(ups, stack.EFlushAnn)
	require.Len(t, q, 1, "the coordinator asks its layers what the flush carries")
	require.Equal(t, []int{0, 1}, q[0].Survivors)
	own := layertest.Of(ups, stack.EFlush)
	require.Len(t, own, 1, "the coordinator accepts its own flush")

	// Member 1 passes the flush up when it accepts it (with the
	// coordinator's annotations, which TestFlushMessageCarriesAnnotations
	// shows travel in the message).
	flushes := layertest.Of(coord.TakeDowns(), stack.ECtrl)
	require.NotEmpty(t, flushes)
	h.Up(&stack.Event{Type: stack.ECtrl, Peer: 0, Msg: layertest.Wire(flushes[0])})
	got := layertest.Of(h.TakeUps(), stack.EFlush)
	require.Len(t, got, 1)
	require.Equal(t, stack.FlushTag{Coord: 0, Num: 1}, got[0].Flush)
	require.Equal(t, []int{2}, got[0].Ranks)
}

// A flush message round-trips its annotations.
func TestFlushMessageCarriesAnnotations(t *testing.T) {
	f := &flushMsg{num: 3, failed: []int{2}, survivors: []int{0, 1}, leavers: []int{}, ann: stack.Annotations{"Primary": []byte{9}}}
	b := f.encode()
	r := wireReader(b[1:])
	got, err := decodeFlush(r, 3)
	require.NoError(t, err)
	require.Equal(t, f, got)
}

// A proposal carries what the proposer's layers attach (EViewAnn) to the
// members, whose EView has it; and a coordinator that leaves still asks
// its application for the next view's message.
func TestProposalCarriesViewAnnotationsAndLeavingCoordinatorAsksForViewMessage(t *testing.T) {
	ms := layertest.Members(2)
	h := layertest.New(&Protocol{}, layertest.Options{Members: ms, Rank: 0})
	h.Down(&stack.Event{Type: stack.ELeave})
	// The other member answers the flush.
	var w wireWriter
	w.Byte(kindFlushOK)
	w.Uvarint(0)
	w.Uvarint(1)
	stack.PutAnnotations(&w.Writer, stack.Annotations{})
	h.Up(&stack.Event{Type: stack.ECtrl, Peer: 1, Msg: msgOf(w.B)})
	ups := h.TakeUps()
	va := layertest.Of(ups, stack.EViewAnn)
	require.Len(t, va, 1, "the proposer's layers annotate the view")
	require.Equal(t, []stack.Endpoint{ms[1]}, va[0].View.Members)
	va[0].ViewAnn["Test"] = []byte("verdict")
	req := layertest.Of(ups, stack.EViewMsgReq)
	require.Len(t, req, 1, "the leaving coordinator's application writes the next view's message")
	require.Equal(t, -1, req[0].View.Rank)
}

func wireReader(b []byte) *wire.Reader { return wire.NewReader(b) }

type wireWriter struct{ wire.Writer }

func msgOf(b []byte) *wire.Msg { return wire.WrapMsg(b) }

// Regression (attack seeds 98, 846, 3172, 3228, 3728): a merge request of
// a component whose members have since installed a later view — a copy
// that was delayed or replayed after its sender merged and crashed — must
// be refused; merging it would put the crashed member back in the view.
// A request from a later view of the same members is welcome.
func TestMergeRefusesARequestItsMembersMovedOnFrom(t *testing.T) {
	coord := stack.Endpoint{Addr: "n0", Inc: 1}
	gone := stack.Endpoint{Addr: "n1", Inc: 1}
	p := &Protocol{Sync: true}
	before := stack.ViewID{Ltime: 2, Coord: gone}

	// n1's component (view 2@n1) merged into this member's: view 4@n0.
	mergedIn(p, coord, gone, 4)
	// n1 crashed; the coordinator is alone again, in view 5@n0.
	h := alone(p, coord, 5)
	askToMerge(h, gone, before, []stack.Endpoint{gone})
	require.Empty(t, layertest.Of(h.Ups, stack.EBlock), "the coordinator started a flush to merge a component that no longer exists")
	refused(t, h, "the request was not refused")

	// n1 was only cut off, and comes back from a view after 2@n1.
	askAlone(h, gone, 3)
	confirm(t, h, gone)
	require.NotEmpty(t, layertest.Of(h.Ups, stack.EBlock), "the merge did not start")
}

// A merge request is served only once its sender confirms the grant, with
// the grant's nonce: a request recorded and replayed after its sender
// crashed (nothing confirms it) changes nothing, and the grant expires.
// (Attack seeds 4307, 6096, 8490.)
func TestMergeWaitsForTheRequesterToConfirm(t *testing.T) {
	coord := stack.Endpoint{Addr: "n0", Inc: 1}
	asker := stack.Endpoint{Addr: "n1", Inc: 1}
	h := layertest.New(&Protocol{Sync: true}, layertest.Options{Members: []stack.Endpoint{coord}, Ltime: 5})
	ask := func() { askAlone(h, asker, 4) }
	ask()
	g := grantSent(t, h, asker)
	ask() // the requester asks again: the same grant goes out again
	require.Equal(t, g, grantSent(t, h, asker))

	// A confirmation with another nonce (an old one, replayed) is ignored.
	wrong := g
	wrong.nonce++
	h.Up(&stack.Event{Type: stack.EGlobal, Control: &stack.Control{From: asker, Target: target, Bytes: wrong.encode(globalMergeConfirm), Addr: asker.Addr}})
	require.Empty(t, layertest.Of(h.Ups, stack.EBlock), "a confirmation with the wrong nonce started the merge")
	require.Equal(t, uint64(1), h.Env.Metrics.Snapshot().Drops["gmp-stale-confirm"])

	// Nobody confirms: the grant expires, and a late confirmation too is
	// ignored.
	h.Advance(h.Env.Config.FlushTimeout)
	h.Up(&stack.Event{Type: stack.EGlobal, Control: &stack.Control{From: asker, Target: target, Bytes: g.encode(globalMergeConfirm), Addr: asker.Addr}})
	require.Empty(t, layertest.Of(h.Ups, stack.EBlock), "an expired grant was served")
	require.Equal(t, uint64(2), h.Env.Metrics.Snapshot().Drops["gmp-stale-confirm"])
}

// The requester confirms a grant only for the merge it waits for, and
// only to the coordinator it asked.
func TestRequesterConfirmsOnlyItsOwnMerge(t *testing.T) {
	ms := layertest.Members(1)
	into := stack.Endpoint{Addr: "c", Inc: 1}
	h := layertest.New(&Protocol{}, layertest.Options{Members: ms, Ltime: 2})
	h.Down(&stack.Event{Type: stack.EMerge, Control: &stack.Control{From: into, Addr: into.Addr, TargetID: stack.ViewID{Ltime: 9, Coord: into}}})
	var req *mergeReq
	for _, ev := range layertest.Of(h.TakeDowns(), stack.EGlobal) {
		r := wire.NewReader(ev.Bytes)
		if r.Byte() == globalMergeReq {
			m, err := decodeMergeReq(r)
			require.NoError(t, err)
			req = m
		}
	}
	require.NotNil(t, req, "no merge request went out")
	g := mergeGrant{from: req.from, tag: req.prev.tag, nonce: 42}

	stranger := stack.Endpoint{Addr: "x", Inc: 1}
	h.Up(&stack.Event{Type: stack.EGlobal, Control: &stack.Control{From: stranger, Target: target, Bytes: g.encode(globalMergeGrant), Addr: stranger.Addr}})
	other := g
	other.tag.Num++
	h.Up(&stack.Event{Type: stack.EGlobal, Control: &stack.Control{From: into, Target: target, Bytes: other.encode(globalMergeGrant), Addr: into.Addr}})
	require.Empty(t, layertest.Of(h.TakeDowns(), stack.EGlobal), "a grant from a stranger, or for another request, was confirmed")

	h.Up(&stack.Event{Type: stack.EGlobal, Control: &stack.Control{From: into, Target: target, Bytes: g.encode(globalMergeGrant), Addr: into.Addr}})
	downs := layertest.Of(h.TakeDowns(), stack.EGlobal)
	require.Len(t, downs, 1)
	require.Equal(t, into.Addr, downs[0].Addr)
	require.Equal(t, g.encode(globalMergeConfirm), downs[0].Bytes, "the confirmation does not echo the grant")
}
