package token

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/layertest"
)

const rt = 30 * time.Millisecond // the default Config.Retransmit

func newLayer(n, rank int) *layertest.Harness {
	return layertest.New(Protocol{}, layertest.Options{Members: layertest.Members(n), Rank: rank})
}

// loopback hands the casts the layer passed down back to it, as Nak does
// with a member's own casts.
func loopback(h *layertest.Harness, me int) {
	for _, ev := range layertest.Of(h.TakeDowns(), stack.ECast) {
		h.Up(&stack.Event{Type: stack.ECast, Peer: me, Msg: layertest.Wire(ev)})
	}
}

// The holder stamps casts with consecutive numbers of the view, in the
// order the application handed them over.
func TestHolderStampsConsecutiveNumbers(t *testing.T) {
	h := newLayer(3, 0) // rank 0 starts with the token
	for _, s := range []string{"a", "b", "c"} {
		h.Down(cast(s))
	}
	downs := layertest.Of(h.Downs, stack.ECast)
	require.Len(t, downs, 3)
	for i, ev := range downs {
		kind, g, rest := header(t, ev.Msg)
		require.Equal(t, byte(kindOrdered), kind)
		require.Equal(t, uint64(i+1), g)
		require.Equal(t, []string{"a", "b", "c"}[i], string(rest))
		require.Equal(t, stack.AllPeers, ev.Peer)
	}
	loopback(h, 0)
	require.Equal(t, []string{"0:a", "0:b", "0:c"}, contents(h.TakeUps(), stack.ECast))
}

// Every member delivers casts in number order, whoever stamped them; a
// gap waits for the missing number.
func TestGapsWait(t *testing.T) {
	h := newLayer(3, 1)
	h.Up(&stack.Event{Type: stack.ECast, Peer: 2, Msg: ordered(2, "y")})
	h.Up(&stack.Event{Type: stack.ECast, Peer: 0, Msg: ordered(3, "z")})
	require.Empty(t, layertest.Of(h.TakeUps(), stack.ECast), "number 1 is missing")
	h.Up(&stack.Event{Type: stack.ECast, Peer: 2, Msg: ordered(1, "x")})
	require.Equal(t, []string{"2:x", "2:y", "0:z"}, contents(h.TakeUps(), stack.ECast))
	h.Up(&stack.Event{Type: stack.ECast, Peer: 0, Msg: ordered(2, "again")})
	require.Empty(t, h.TakeUps(), "a number already delivered is dropped")
}

// A cast handed over without the token waits; the member asks everyone
// for the token, and stamps the cast with the token's next number once the
// giver commits the token to it. It keeps the token a while (it may cast
// again), then passes it to the next rank.
func TestCastWaitsForToken(t *testing.T) {
	h := newLayer(3, 1)
	for g := uint64(1); g <= 4; g++ {
		h.Up(&stack.Event{Type: stack.ECast, Peer: 0, Msg: ordered(g, "from 0")})
	}
	h.Down(cast("w"))
	idle(h)
	downs := h.TakeDowns()
	require.Empty(t, layertest.Of(downs, stack.ECast), "no token, no cast")
	require.Equal(t, []string{"request>-1"}, ctrlKinds(downs))

	tok := newToken(3, 2, 5, 0)
	tok.visitOf[0] = 1
	h.Up(&stack.Event{Type: stack.ECtrl, Peer: 0, Msg: tokenMsg(tok)})
	downs = h.TakeDowns()
	require.Equal(t, []string{"ack>0"}, ctrlKinds(downs))
	require.Empty(t, layertest.Of(downs, stack.ECast), "an offered token is not used before the commit")

	h.Up(&stack.Event{Type: stack.ECtrl, Peer: 0, Msg: visitMsg(kindCommit, 2)})
	casts := layertest.Of(h.Downs, stack.ECast)
	require.Len(t, casts, 1)
	_, g, rest := header(t, casts[0].Msg)
	require.Equal(t, uint64(5), g)
	require.Equal(t, "w", string(rest))
	loopback(h, 1)
	idle(h)
	require.Empty(t, h.TakeDowns(), "lingering")
	h.Advance(rt)
	idle(h)
	downs = h.TakeDowns()
	require.Equal(t, []string{"token>2"}, ctrlKinds(downs))
	r := layertest.Wire(layertest.Of(downs, stack.ECtrl)[0]).Reader()
	require.Equal(t, byte(kindToken), r.Byte())
	passed, ok := decodeToken(r, 3)
	require.True(t, ok)
	require.Equal(t, uint64(3), passed.visit)
	require.Equal(t, uint64(6), passed.next)
	require.Equal(t, 1, passed.park, "the last stamper is where the token parks")
	require.Equal(t, []uint64{0, 5, 0}, passed.stable, "the holder's delivered count rides on the token")
	require.Equal(t, []uint64{1, 2, 0}, passed.visitOf)
}

// The giver resends the token until the receiver acknowledges it, then
// commits it; a repeated acknowledgement (the commit was lost) gets the
// commit again, and the token is not resent any more.
func TestTokenRetransmittedUntilAcked(t *testing.T) {
	h := newLayer(3, 0)
	h.Down(cast("a"))
	loopback(h, 0)
	h.Advance(rt)
	idle(h)
	first := layertest.Of(h.TakeDowns(), stack.ECtrl)
	require.Len(t, first, 1)
	require.Equal(t, 1, first[0].Peer)

	h.Advance(rt / 2)
	require.Empty(t, h.TakeDowns(), "not yet")
	h.Advance(rt / 2)
	again := h.TakeDowns()
	require.Equal(t, []string{"token>1"}, ctrlKinds(again))
	require.Equal(t, first[0].Msg.Bytes(), again[0].Msg.Bytes(), "the same token, same visit")

	h.Up(&stack.Event{Type: stack.ECtrl, Peer: 2, Msg: visitMsg(kindAck, 2)})
	require.Empty(t, h.TakeDowns(), "an acknowledgement from another member is not the receiver's")
	h.Up(&stack.Event{Type: stack.ECtrl, Peer: 1, Msg: visitMsg(kindAck, 2)})
	require.Equal(t, []string{"commit>1"}, ctrlKinds(h.TakeDowns()))
	h.Advance(3 * rt)
	require.Empty(t, ctrlKinds(h.TakeDowns()), "acknowledged: no more resends")
	h.Up(&stack.Event{Type: stack.ECtrl, Peer: 1, Msg: visitMsg(kindAck, 2)})
	require.Equal(t, []string{"commit>1"}, ctrlKinds(h.TakeDowns()))
}

// The receiver of an offered token repeats its acknowledgement until the
// commit comes.
func TestOfferedTokenReacknowledged(t *testing.T) {
	h := newLayer(3, 1)
	h.Up(&stack.Event{Type: stack.ECtrl, Peer: 0, Msg: tokenMsg(newToken(3, 2, 1, 0))})
	require.Equal(t, []string{"ack>0"}, ctrlKinds(h.TakeDowns()))
	h.Advance(rt)
	require.Equal(t, []string{"ack>0"}, ctrlKinds(h.TakeDowns()))
	h.Up(&stack.Event{Type: stack.ECtrl, Peer: 2, Msg: visitMsg(kindCommit, 2)})
	h.Up(&stack.Event{Type: stack.ECtrl, Peer: 0, Msg: visitMsg(kindCommit, 9)})
	h.Down(cast("x"))
	require.Empty(t, layertest.Of(h.TakeDowns(), stack.ECast), "commits from elsewhere or for other visits are ignored")
	h.Up(&stack.Event{Type: stack.ECtrl, Peer: 0, Msg: visitMsg(kindCommit, 2)})
	require.Len(t, layertest.Of(h.TakeDowns(), stack.ECast), 1)
	h.Advance(rt)
	require.NotContains(t, ctrlKinds(h.TakeDowns()), "ack>0", "committed: no more acknowledgements")
}

// Duplicate and stale tokens (a visit not above the highest seen) are
// acknowledged, so their giver stops resending, and otherwise ignored.
func TestDuplicateAndStaleTokensIgnored(t *testing.T) {
	h := newLayer(3, 1)
	tok := newToken(3, 4, 7, 0)
	h.Up(&stack.Event{Type: stack.ECtrl, Peer: 0, Msg: tokenMsg(tok)})
	h.Up(&stack.Event{Type: stack.ECtrl, Peer: 0, Msg: visitMsg(kindCommit, 4)})
	idle(h) // passes it on: visit 5 to rank 2
	h.TakeDowns()

	for _, visit := range []uint64{4, 3, 2} {
		old := newToken(3, visit, 7, 0)
		h.Up(&stack.Event{Type: stack.ECtrl, Peer: 0, Msg: tokenMsg(old)})
		require.Equal(t, []string{"ack>0"}, ctrlKinds(h.TakeDowns()), "visit %d", visit)
		h.Up(&stack.Event{Type: stack.ECtrl, Peer: 0, Msg: visitMsg(kindCommit, visit)})
	}
	h.Down(cast("x"))
	idle(h)
	downs := h.TakeDowns()
	require.Empty(t, layertest.Of(downs, stack.ECast), "a stale token is never used")
	require.Equal(t, uint64(3), h.Env.Metrics.Snapshot().Drops["token-stale"])
}

// With nothing to do the token parks: a group that casts nothing sends
// nothing, however long it runs.
func TestIdleGroupIsSilent(t *testing.T) {
	b := newBus(t, 4)
	b.run()
	for i := 0; i < 100; i++ {
		b.tick(10 * time.Millisecond)
	}
	require.Zero(t, b.ctrls)
}

// A member casting keeps the token; a while after its last cast the
// token makes a quiet round (so every member's stability entry catches
// up), parks at the last stamper, and the group goes silent again; that
// member's next cast is ordered at once, with no message about the token.
func TestTokenParksAtLastStamper(t *testing.T) {
	b := newBus(t, 3)
	b.cast(2, "first")
	for _, m := range b.ms {
		require.Equal(t, []string{"first"}, m.got)
	}
	require.True(t, b.ms[2].l.(*layer).holding, "the sender keeps the token")
	for i := 0; i < 5; i++ {
		b.tick(10 * time.Millisecond)
	}
	require.True(t, b.ms[2].l.(*layer).holding, "parked at the last stamper")
	for _, m := range b.ms {
		require.Equal(t, []uint64{1, 1, 1}, m.stable[len(m.stable)-1])
	}
	before := b.ctrls
	for i := 0; i < 50; i++ {
		b.tick(10 * time.Millisecond)
	}
	require.Equal(t, before, b.ctrls, "no traffic once parked")

	b.ms[2].l.Down(cast("second"))
	require.Equal(t, []string{"first", "second"}, b.ms[2].got, "stamped and delivered at once")
	require.Equal(t, before, b.ctrls)
	b.run()
	for _, m := range b.ms {
		require.Equal(t, []string{"first", "second"}, m.got)
	}
}

// A member with casts waiting asks the park place, which hands the token
// straight to it (not round the ring).
func TestParkedTokenGoesToRequester(t *testing.T) {
	h := newLayer(4, 0) // holds the parked token of a new view
	idle(h)
	require.Empty(t, h.TakeDowns(), "parked")
	h.Up(&stack.Event{Type: stack.ECtrl, Peer: 2, Msg: visitMsg(kindRequest, 0)})
	idle(h)
	require.Equal(t, []string{"token>2"}, ctrlKinds(h.TakeDowns()))

	// A request from a member that has held the token since is stale.
	h2 := newLayer(4, 0)
	l := h2.Layer.(*layer)
	l.tok.visitOf[3] = 1
	h2.Up(&stack.Event{Type: stack.ECtrl, Peer: 3, Msg: visitMsg(kindRequest, 0)})
	idle(h2)
	require.Empty(t, h2.TakeDowns())
}

// A member that cannot be sure the token will come back asks for it again
// every retransmission interval while it waits.
func TestRequestRepeated(t *testing.T) {
	h := newLayer(3, 2)
	h.Down(cast("x"))
	idle(h)
	require.Equal(t, []string{"request>-1"}, ctrlKinds(h.TakeDowns()))
	idle(h)
	require.Empty(t, h.TakeDowns(), "one request per wait")
	h.Advance(rt)
	require.Equal(t, []string{"request>-1"}, ctrlKinds(h.TakeDowns()))
}

// A visit stamps at most maxVisitCasts casts or maxVisitBytes bytes (but
// at least one cast); the rest wait for the next visit.
func TestVisitBounded(t *testing.T) {
	h := newLayer(2, 1)
	for i := 0; i < maxVisitCasts+10; i++ {
		h.Down(cast(fmt.Sprint(i)))
	}
	h.Up(&stack.Event{Type: stack.ECtrl, Peer: 0, Msg: tokenMsg(newToken(2, 2, 1, 0))})
	h.Up(&stack.Event{Type: stack.ECtrl, Peer: 0, Msg: visitMsg(kindCommit, 2)})
	require.Len(t, layertest.Of(h.TakeDowns(), stack.ECast), maxVisitCasts)

	big := strings.Repeat("x", maxVisitBytes*2/3)
	h2 := newLayer(2, 1)
	h2.Down(cast(big))
	h2.Down(cast(big))
	h2.Up(&stack.Event{Type: stack.ECtrl, Peer: 0, Msg: tokenMsg(newToken(2, 2, 1, 0))})
	h2.Up(&stack.Event{Type: stack.ECtrl, Peer: 0, Msg: visitMsg(kindCommit, 2)})
	require.Len(t, layertest.Of(h2.TakeDowns(), stack.ECast), 1, "the second would exceed the byte bound")

	h3 := newLayer(2, 1)
	huge := strings.Repeat("x", maxVisitBytes*2)
	h3.Down(cast(huge))
	h3.Up(&stack.Event{Type: stack.ECtrl, Peer: 0, Msg: tokenMsg(newToken(2, 2, 1, 0))})
	h3.Up(&stack.Event{Type: stack.ECtrl, Peer: 0, Msg: visitMsg(kindCommit, 2)})
	require.Len(t, layertest.Of(h3.TakeDowns(), stack.ECast), 1, "one cast always goes")
}

// Several busy members share the order: each visit stamps a bounded batch
// and every member delivers the same sequence, each sender's casts in the
// order it sent them.
func TestBusyMembersShareTheOrder(t *testing.T) {
	b := newBus(t, 3)
	for i := 0; i < 2000; i++ {
		r := i % 3
		b.ms[r].l.Down(cast(fmt.Sprintf("%d-%04d", r, i/3)))
		if i%100 == 99 {
			b.run()
		}
	}
	b.run()
	require.Len(t, b.ms[0].got, 2000)
	for _, m := range b.ms {
		require.Equal(t, b.ms[0].got, m.got)
	}
	last := map[byte]string{}
	for _, s := range b.ms[0].got {
		require.Greater(t, s, last[s[0]], "FIFO per sender")
		last[s[0]] = s
	}
}

// The token carries the stability vector: after a burst every member
// learns, through EStable, that every member delivered everything. The
// vectors passed up only ever advance.
func TestStabilityVector(t *testing.T) {
	b := newBus(t, 3)
	for i := 0; i < 5; i++ {
		b.ms[1].l.Down(cast(fmt.Sprint("s", i)))
	}
	b.run()
	b.tick(rt)
	for _, m := range b.ms {
		require.NotEmpty(t, m.stable, "member %d", m.rank)
		require.Equal(t, []uint64{5, 5, 5}, m.stable[len(m.stable)-1], "member %d", m.rank)
		for i := 1; i < len(m.stable); i++ {
			adv := false
			for r := range m.stable[i] {
				require.GreaterOrEqual(t, m.stable[i][r], m.stable[i-1][r])
				adv = adv || m.stable[i][r] > m.stable[i-1][r]
			}
			require.True(t, adv, "EStable only when the vector advances")
		}
	}
}

// A member whose entry lags (a cast reached it after the token's last
// round) asks for the token so that its entry catches up.
func TestLaggingStabilityAsksForToken(t *testing.T) {
	b := newBus(t, 3)
	b.cut = func(p packet) bool { return p.from == 0 && p.to == 2 && p.typ == stack.ECast } // rank 2 misses rank 0's cast
	b.cast(0, "a")
	for i := 0; i < 3; i++ {
		b.tick(rt)
	}
	require.Empty(t, b.ms[2].got)
	require.True(t, b.ms[0].l.(*layer).holding, "parked")
	require.Equal(t, []uint64{1, 1, 0}, b.ms[0].stable[len(b.ms[0].stable)-1])
	b.cut = func(packet) bool { return false }
	// The cast reaches rank 2 late (Nak would retransmit it).
	b.ms[2].l.Up(&stack.Event{Type: stack.ECast, Peer: 0, Msg: ordered(1, "a")})
	b.run()
	before := b.kinds[kindRequest]
	b.tick(rt)
	require.Equal(t, before+1, b.kinds[kindRequest])
	b.tick(rt)
	for _, m := range b.ms {
		require.Equal(t, []uint64{1, 1, 1}, m.stable[len(m.stable)-1], "member %d", m.rank)
	}
}

// In a view of one, casts are ordered and delivered at once, and stable.
func TestSingleton(t *testing.T) {
	b := newBus(t, 1)
	b.cast(0, "a")
	b.cast(0, "b")
	require.Equal(t, []string{"a", "b"}, b.ms[0].got)
	require.Equal(t, []uint64{2}, b.ms[0].stable[len(b.ms[0].stable)-1])
	require.Zero(t, b.ctrls)
}

// Point-to-point messages and the control messages of layers above pass
// through with a header of their own.
func TestPassThrough(t *testing.T) {
	h := newLayer(3, 1)
	h.Down(&stack.Event{Type: stack.ESend, Peer: 2, Msg: layertest.Msg([]byte("p2p"))})
	h.Down(&stack.Event{Type: stack.ECtrl, Peer: 0, Msg: layertest.Msg([]byte("ctl"))})
	downs := h.TakeDowns()
	require.Len(t, downs, 2)
	for _, ev := range downs {
		h.Up(&stack.Event{Type: ev.Type, Peer: 0, Msg: layertest.Wire(ev)})
	}
	ups := h.TakeUps()
	require.Equal(t, []string{"0:p2p"}, contents(ups, stack.ESend))
	require.Equal(t, []string{"0:ctl"}, contents(ups, stack.ECtrl))
}

// At EAnnotate the member that holds the token reports, in EndCasts, the
// casts its component will deliver at the view's end (those sent
// unordered); the others report nothing. Each member reports its token
// state under its own key.
func TestEndCasts(t *testing.T) {
	holder, other := newLayer(3, 0), newLayer(3, 1)
	for _, h := range []*layertest.Harness{holder, other} {
		h.Up(&stack.Event{Type: stack.ECast, Peer: 1, Msg: unorderedMsg("u1")})
		h.Up(&stack.Event{Type: stack.ECast, Peer: 2, Msg: unorderedMsg("u2")})
		h.Up(&stack.Event{Type: stack.EBlock})
	}
	ev := annotate(holder.Layer)
	require.Equal(t, uint64(2), ev.EndCasts)
	a, ok := decodeAnnotation(ev.Ann[stack.MemberKey("Token", holder.Env.View.MemberID(0))], 3)
	require.True(t, ok)
	require.True(t, a.holding)
	require.Equal(t, uint64(1), a.next)
	require.Equal(t, []uint64{0, 1, 1}, a.counts, "the final order: one unordered cast each from ranks 1 and 2")

	ev = annotate(other.Layer)
	require.Zero(t, ev.EndCasts)
	a, ok = decodeAnnotation(ev.Ann[stack.MemberKey("Token", other.Env.View.MemberID(1))], 3)
	require.True(t, ok)
	require.False(t, a.holding)

	// A holder missing a number below the token's next extends nothing.
	gap := newLayer(3, 0)
	gap.Layer.(*layer).tok.next = 3
	gap.Up(&stack.Event{Type: stack.ECast, Peer: 1, Msg: ordered(2, "two")})
	gap.Up(&stack.Event{Type: stack.ECast, Peer: 1, Msg: unorderedMsg("u1")})
	gap.Up(&stack.Event{Type: stack.EBlock})
	require.Zero(t, annotate(gap.Layer).EndCasts)
}

// View end, the token's holder among the survivors: the component
// delivers the casts sent unordered at the flush, by sender rank and in
// each sender's order, after the numbered ones; EndCasts predicted it.
func TestViewEndHolderSurvives(t *testing.T) {
	b := newBus(t, 3)
	b.cast(0, "a") // the token parks at rank 0
	b.ms[2].l.Down(cast("c1"))
	b.ms[2].l.Down(cast("c2"))
	b.ms[1].l.Down(cast("b1"))
	// Nobody runs the bus before the flush: those casts wait.
	ends := b.endView([]int{0, 1, 2})
	for _, m := range b.ms {
		require.Equal(t, []string{"a", "b1", "c1", "c2"}, m.got, "member %d", m.rank)
		require.Empty(t, m.aborted)
	}
	require.Equal(t, []uint64{3, 0, 0}, ends, "the holder knows; the others give a lower bound")
}

// View end without the holder: the component delivers the numbered
// prefix it has without a gap and aborts everything else — numbered casts
// beyond the gap, and the casts sent unordered — at every member that has
// them, their senders included.
func TestViewEndHolderFailed(t *testing.T) {
	b := newBus(t, 4)
	b.cast(0, "a")
	// Rank 3 takes the token and stamps two casts; only the second
	// reaches the others, then rank 3 fails holding the token.
	b.ms[3].l.Down(cast("d1"))
	b.run()
	b.cut = func(p packet) bool { return p.from == 3 || p.to == 3 }
	b.ms[3].l.Down(cast("d2"))
	b.ms[3].l.Down(cast("d3"))
	raw := b.ms[3].l.(*layer)
	require.True(t, raw.holding)
	for r := 0; r < 3; r++ {
		b.ms[r].l.Up(&stack.Event{Type: stack.ECast, Peer: 3, Msg: ordered(4, "d3")})
	}
	b.ms[1].l.Down(cast("b1"))
	b.run()
	ends := b.endView([]int{0, 1, 2})
	for r := 0; r < 3; r++ {
		m := b.ms[r]
		require.Equal(t, []string{"a", "d1"}, m.got, "member %d", r)
		require.Equal(t, []string{"d3", "b1"}, m.aborted, "member %d", r)
	}
	require.Equal(t, []uint64{0, 0, 0}, ends)
}

// A cast still waiting for the token when the flush starts is sent
// unordered; without the holder it is aborted at its sender (and at every
// survivor that has it), with the sender's rank and the message.
func TestCastWaitingAtFlushAbortedAtSender(t *testing.T) {
	h := newLayer(3, 2)
	h.Down(cast("late"))
	h.Up(&stack.Event{Type: stack.EBlock})
	casts := layertest.Of(h.Downs, stack.ECast)
	require.Len(t, casts, 1)
	kind, _, rest := header(t, casts[0].Msg)
	require.Equal(t, byte(kindUnordered), kind)
	require.Equal(t, "late", string(rest))
	loopback(h, 2)
	h.Up(&stack.Event{Type: stack.EViewEnd, Control: &stack.Control{Ann: stack.Annotations{}}})
	require.Equal(t, []string{"2:late"}, contents(h.TakeUps(), stack.EAbort))
}

// A cast still waiting at the holder when the flush starts is stamped
// then, whatever the visit's bound: the holder's component delivers it.
func TestHolderStampsEverythingAtBlock(t *testing.T) {
	b := newBus(t, 2)
	for i := 0; i < maxVisitCasts+5; i++ {
		b.ms[0].l.Down(cast(fmt.Sprintf("%04d", i)))
	}
	// One visit's worth is stamped; the flush starts before the visit
	// ends: the rest is stamped too.
	ends := b.endView([]int{0, 1})
	require.Len(t, b.ms[0].got, maxVisitCasts+5)
	require.Equal(t, b.ms[0].got, b.ms[1].got)
	require.Equal(t, []uint64{0, 0}, ends, "nothing left for the view's end")
}

// The token on its way when the group partitions: the giver keeps the
// right to the token until the receiver's acknowledgement arrives, and
// the receiver may use it only once committed. Here the acknowledgement is
// lost, so the giver's side extends the order and the receiver's side
// aborts: Strong Prefix holds.
func TestTokenInFlightAtPartition(t *testing.T) {
	b := newBus(t, 4)
	b.cast(0, "a")
	b.cast(1, "b") // the token is at rank 1 now
	// Rank 2 asks for it; rank 1 offers it, but the acknowledgement from
	// rank 2 is lost, and the group splits {0,1} | {2,3}.
	b.cut = func(p packet) bool { return p.from == 2 && p.to == 1 && p.isCtrl(kindAck) }
	b.cast(2, "c")
	require.NotNil(t, b.ms[2].l.(*layer).offered, "rank 2 was offered the token")
	b.partition([]int{0, 1}, []int{2, 3})
	for _, r := range []int{0, 1, 2, 3} {
		b.ms[r].l.Down(cast(fmt.Sprint("w", r)))
	}
	b.run()
	ends := append(b.endView([]int{0, 1}), b.endView([]int{2, 3})...)
	b.requireStrongPrefix()
	require.Equal(t, []string{"a", "b", "w0", "w1"}, b.ms[0].got)
	require.Equal(t, []string{"a", "b"}, b.ms[2].got)
	require.Equal(t, []string{"c", "w2", "w3"}, b.ms[2].aborted)
	require.Equal(t, []uint64{0, 2, 0, 0}, ends)
}

// The same, but the acknowledgement arrives after the giver's flush has
// started: too late, the giver keeps the token and never commits it.
func TestAckAfterBlockKeepsToken(t *testing.T) {
	h := newLayer(3, 0)
	h.Down(cast("a"))
	loopback(h, 0)
	h.Advance(rt)
	idle(h)
	require.Equal(t, []string{"token>1"}, ctrlKinds(h.TakeDowns()))
	h.Up(&stack.Event{Type: stack.EBlock})
	h.Up(&stack.Event{Type: stack.ECtrl, Peer: 1, Msg: visitMsg(kindAck, 2)})
	require.Empty(t, ctrlKinds(h.TakeDowns()), "no commit after the flush started")
	a, ok := decodeAnnotation(annotate(h.Layer).Ann[stack.MemberKey("Token", h.Env.View.MemberID(0))], 3)
	require.True(t, ok)
	require.True(t, a.holding, "the giver still owns the token")
	require.Equal(t, uint64(2), a.next)
}

// A token committed after the flush started is held but not used: the
// casts waiting went out unordered at EBlock.
func TestTokenAfterBlockNotUsed(t *testing.T) {
	h := newLayer(3, 1)
	h.Down(cast("x"))
	h.Up(&stack.Event{Type: stack.EBlock})
	h.TakeDowns()
	h.Up(&stack.Event{Type: stack.ECtrl, Peer: 0, Msg: tokenMsg(newToken(3, 2, 4, 0))})
	h.Up(&stack.Event{Type: stack.ECtrl, Peer: 0, Msg: visitMsg(kindCommit, 2)})
	idle(h)
	downs := h.TakeDowns()
	require.Empty(t, layertest.Of(downs, stack.ECast))
	require.Equal(t, []string{"ack>0"}, ctrlKinds(downs))
	a, _ := decodeAnnotation(annotate(h.Layer).Ann[stack.MemberKey("Token", h.Env.View.MemberID(1))], 3)
	require.True(t, a.holding)
	require.Equal(t, uint64(4), a.next)
}

// Malformed input from the network is dropped and counted.
func TestMalformedDropped(t *testing.T) {
	h := newLayer(3, 1)
	bad := [][]byte{
		{}, {99}, {kindOrdered}, {kindOrdered, 0}, {kindToken, 5}, {kindAck}, {kindRequest, 0xff},
		encodeToken(&token{visit: 1, next: 1, stable: make([]uint64, 3), visitOf: make([]uint64, 3)}),            // visit 1 is never passed
		encodeToken(&token{visit: 5, next: 2, stable: []uint64{0, 3, 0}, visitOf: make([]uint64, 3)}),            // delivered more than exists
		encodeToken(&token{visit: 5, next: 2, stable: make([]uint64, 2), visitOf: make([]uint64, 2)}),            // wrong view size
		append(encodeToken(&token{visit: 5, next: 2, stable: make([]uint64, 3), visitOf: make([]uint64, 3)}), 0), // trailing byte
	}
	for _, b := range bad {
		for _, typ := range []stack.EventType{stack.ECtrl, stack.ECast, stack.ESend} {
			h.Up(&stack.Event{Type: typ, Peer: 0, Msg: layertest.Wire(&stack.Event{Msg: layertest.Msg(b)})})
		}
	}
	ups := h.TakeUps()
	require.Empty(t, layertest.Of(ups, stack.ECast))
	require.Empty(t, layertest.Of(ups, stack.ECtrl))
	require.Empty(t, layertest.Of(ups, stack.ESend))
	require.Positive(t, h.Env.Metrics.Snapshot().Drops["token-malformed"])
}

// View end with the holder but a gap below the token's next number (the
// cast was lost with a member that failed): the component cannot extend
// the order either; it aborts what lies beyond the gap and what was sent
// unordered.
func TestViewEndHolderWithGap(t *testing.T) {
	h := newLayer(3, 1)
	h.Up(&stack.Event{Type: stack.ECast, Peer: 2, Msg: ordered(1, "one")})
	h.Up(&stack.Event{Type: stack.ECast, Peer: 2, Msg: ordered(3, "three")})
	h.Up(&stack.Event{Type: stack.ECast, Peer: 0, Msg: unorderedMsg("u")})
	h.Up(&stack.Event{Type: stack.EBlock})
	ann := stack.Annotations{
		stack.MemberKey("Token", h.Env.View.MemberID(0)): annotation{holding: true, visit: 9, next: 4, counts: []uint64{1, 0, 0}}.encode(),
		stack.MemberKey("Token", h.Env.View.MemberID(1)): annotate(h.Layer).Ann[stack.MemberKey("Token", h.Env.View.MemberID(1))],
	}
	h.Up(&stack.Event{Type: stack.EViewEnd, Control: &stack.Control{Ann: ann}})
	ups := h.TakeUps()
	require.Equal(t, []string{"2:one"}, contents(ups, stack.ECast))
	require.Equal(t, []string{"2:three", "0:u"}, contents(ups, stack.EAbort))

	// Without the gap the same annotations extend the order.
	h = newLayer(3, 1)
	for g, s := range []string{"one", "two", "three"} {
		h.Up(&stack.Event{Type: stack.ECast, Peer: 2, Msg: ordered(uint64(g+1), s)})
	}
	h.Up(&stack.Event{Type: stack.ECast, Peer: 0, Msg: unorderedMsg("u")})
	h.Up(&stack.Event{Type: stack.EBlock})
	h.Up(&stack.Event{Type: stack.EViewEnd, Control: &stack.Control{Ann: ann}})
	ups = h.TakeUps()
	require.Equal(t, []string{"2:one", "2:two", "2:three", "0:u"}, contents(ups, stack.ECast))
	require.Empty(t, contents(ups, stack.EAbort))

	// Two members claiming the token (impossible unless something is
	// broken): nobody extends.
	h = newLayer(3, 1)
	h.Up(&stack.Event{Type: stack.ECast, Peer: 0, Msg: unorderedMsg("u")})
	h.Up(&stack.Event{Type: stack.EBlock})
	two := stack.Annotations{
		stack.MemberKey("Token", h.Env.View.MemberID(0)): annotation{holding: true, visit: 9, next: 1, counts: []uint64{1, 0, 0}}.encode(),
		stack.MemberKey("Token", h.Env.View.MemberID(2)): annotation{holding: true, visit: 8, next: 1, counts: []uint64{1, 0, 0}}.encode(),
	}
	h.Up(&stack.Event{Type: stack.EViewEnd, Control: &stack.Control{Ann: two}})
	require.Equal(t, []string{"0:u"}, contents(h.TakeUps(), stack.EAbort))
}

// A lone sender keeps the token while it casts: each cast is ordered at
// once, with no message about the token, as with a sequencer's own casts.
// Only the others' stability entries take the token away now and then
// (each asks once its entry has lagged for a retransmission interval).
func TestLoneSenderKeepsToken(t *testing.T) {
	b := newBus(t, 3)
	b.cast(1, "first") // asks for the token once
	before := b.ctrls
	for i := 0; i < 5; i++ {
		b.cast(1, fmt.Sprint(i))
		require.Len(t, b.ms[1].got, i+2, "ordered and delivered at once")
		b.tick(5 * time.Millisecond)
	}
	require.Equal(t, before, b.ctrls, "no token traffic while it casts")

	waited := 0
	for i := 0; i < 1000; i++ {
		k := len(b.ms[1].got)
		b.cast(1, fmt.Sprint("more", i))
		if len(b.ms[1].got) == k {
			waited++
		}
		b.tick(time.Millisecond)
	}
	require.Less(t, waited, 50, "casts that had to wait for the token")
	require.Equal(t, b.ms[1].got, b.ms[0].got)
	require.Equal(t, b.ms[1].got, b.ms[2].got)
	t.Logf("%d of 1000 casts waited; %d control messages", waited, b.ctrls-before)
}

// The holder yields to a member that asks, even while it has casts of
// its own waiting (one visit's worth at a time); when nobody else asks it
// goes on stamping.
func TestHolderYieldsToRequests(t *testing.T) {
	h := newLayer(2, 0)
	for i := 0; i < maxVisitCasts+3; i++ {
		h.Down(cast(fmt.Sprint(i)))
	}
	require.Len(t, layertest.Of(h.TakeDowns(), stack.ECast), maxVisitCasts)
	idle(h)
	require.Len(t, layertest.Of(h.TakeDowns(), stack.ECast), 3, "nobody else waits: the next visit's worth")

	h = newLayer(2, 0)
	for i := 0; i < maxVisitCasts+3; i++ {
		h.Down(cast(fmt.Sprint(i)))
	}
	h.TakeDowns()
	h.Up(&stack.Event{Type: stack.ECtrl, Peer: 1, Msg: visitMsg(kindRequest, 0)})
	idle(h)
	downs := h.TakeDowns()
	require.Empty(t, layertest.Of(downs, stack.ECast))
	require.Equal(t, []string{"token>1", "request>-1"}, ctrlKinds(downs), "it wants the token back")
}

// The owner's annotation is the final order: how many of each member's
// unordered casts it holds. A member that lacks one of them (which Sync
// prevents) stops there, and a cast the owner did not hold is aborted:
// either way its deliveries stay a prefix of the owner's.
func TestFinalOrderFromOwner(t *testing.T) {
	h := newLayer(3, 1)
	h.Up(&stack.Event{Type: stack.ECast, Peer: 0, Msg: unorderedMsg("a1")})
	h.Up(&stack.Event{Type: stack.ECast, Peer: 0, Msg: unorderedMsg("a2")})
	h.Up(&stack.Event{Type: stack.ECast, Peer: 0, Msg: unorderedMsg("a3")})
	h.Up(&stack.Event{Type: stack.ECast, Peer: 1, Msg: unorderedMsg("b1")})
	h.Up(&stack.Event{Type: stack.ECast, Peer: 2, Msg: unorderedMsg("c1")})
	h.Up(&stack.Event{Type: stack.EBlock})
	ann := stack.Annotations{
		stack.MemberKey("Token", h.Env.View.MemberID(0)): annotation{holding: true, visit: 4, next: 1, counts: []uint64{2, 2, 1}}.encode(),
	}
	h.Up(&stack.Event{Type: stack.EViewEnd, Control: &stack.Control{Ann: ann}})
	ups := h.TakeUps()
	require.Equal(t, []string{"0:a1", "0:a2", "1:b1"}, contents(ups, stack.ECast), "rank 1's second cast is missing here: stop")
	require.Equal(t, []string{"0:a3", "2:c1"}, contents(ups, stack.EAbort))
}
