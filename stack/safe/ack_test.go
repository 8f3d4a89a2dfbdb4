package safe

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/layertest"
	"github.com/maestro-go/maestro/stack/primary"
)

// viewOf builds the annotations of a primary view of the 3 members, with
// replicas configured and ranks upToDate up to date (the voters).
func viewOf(replicas int, upToDate ...int) stack.Annotations {
	return annotations(primary.ViewInfo{Primary: true, Number: 5, UpToDate: ids(upToDate...), Replicas: replicas, Counted: len(upToDate)}, &choice{})
}

// acksAfterIdle runs Idle and returns to whom the acknowledgements went.
func acksAfterIdle(h *layertest.Harness) []int {
	h.Layer.(stack.Idler).Idle()
	return acksSent(h)
}

// acksSent returns to whom the acknowledgements passed down since the
// last look went.
func acksSent(h *layertest.Harness) []int {
	var to []int
	for _, ev := range layertest.Of(h.TakeDowns(), stack.ECtrl) {
		to = append(to, ev.Peer)
	}
	return to
}

// With a majority of two, a member that did not order a cast tells only
// the orderer — the sequencer at rank 0 and the cast's sender — at once.
func TestAckGoesToTheOrdererWithAMajorityOfTwo(t *testing.T) {
	h := newHarness(New(false), 1, viewOf(3, 0, 1, 2))
	require.Equal(t, []int{stack.AllPeers}, acksAfterIdle(h), "a new view is acknowledged to everyone")
	cast(h, 0, "a")
	require.Equal(t, []int{0}, acksAfterIdle(h), "the sequencer's cast: only it waits for this acknowledgement")
	cast(h, 2, "b")
	require.Equal(t, []int{0, 2}, acksAfterIdle(h), "another's cast: the sequencer and, under a token, its sender")
	cast(h, 1, "c")
	require.Equal(t, []int{stack.AllPeers}, acksAfterIdle(h), "its own cast: it may have ordered it, and the others wait for it")
	require.Empty(t, acksAfterIdle(h), "nothing new, nothing sent")
}

// The sequencer's acknowledgement is what the others wait for.
func TestSequencerAcksToEveryone(t *testing.T) {
	h := newHarness(New(false), 0, viewOf(3, 0, 1, 2))
	acksAfterIdle(h)
	cast(h, 1, "a")
	require.Equal(t, []int{stack.AllPeers}, acksAfterIdle(h))
}

// A view with a member that is not a voter cannot count on the orderer's
// acknowledgement: everyone is told everything at once.
func TestAckGoesToEveryoneWhenNotAllVote(t *testing.T) {
	h := newHarness(New(false), 1, viewOf(3, 1, 2))
	acksAfterIdle(h)
	cast(h, 0, "a")
	require.Equal(t, []int{stack.AllPeers}, acksAfterIdle(h))
}

// stableFields decodes an acknowledgement: how far its sender's log
// reaches, how far it delivered, and how far it knows a majority holds.
func stableFields(t *testing.T, ev *stack.Event) (pos, delivered, safe uint64) {
	m := layertest.Wire(ev)
	k, err := m.PopByte()
	require.NoError(t, err)
	require.Equal(t, byte(kindStable), k)
	r := m.Reader()
	pos, delivered, safe = r.Uvarint(), r.Uvarint(), r.Uvarint()
	require.NoError(t, r.Err())
	return pos, delivered, safe
}

// With a majority of three (5 replicas configured, 3 members), the
// others hear only the orderer: it tells everyone at once when
// acknowledgements teach it that a majority holds more, and only then.
func TestOrdererRelaysWhatAMajorityHolds(t *testing.T) {
	h := newHarness(New(false), 0, viewOf(5, 0, 1, 2))
	acksAfterIdle(h)
	cast(h, 0, "a")
	require.Equal(t, []int{stack.AllPeers}, acksAfterIdle(h), "its own cast")
	ack(h, 1, 1)
	require.Empty(t, delivered(h), "two of the three a majority takes")
	require.Empty(t, acksAfterIdle(h), "nothing learnt")
	ack(h, 2, 1)
	require.Equal(t, []string{"a"}, delivered(h))
	h.Layer.(stack.Idler).Idle()
	acks := layertest.Of(h.TakeDowns(), stack.ECtrl)
	require.Len(t, acks, 1)
	require.Equal(t, stack.AllPeers, acks[0].Peer)
	_, _, safe := stableFields(t, acks[0])
	require.Equal(t, uint64(1), safe, "the relay says a majority holds position 1")
	ack(h, 2, 1)
	require.Empty(t, acksAfterIdle(h), "a repeated acknowledgement teaches nothing")
}

// A sender that is not rank 0 hears every acknowledgement of its cast
// and delivers it, but leaves the relay to rank 0.
func TestOnlyRankZeroRelays(t *testing.T) {
	h := newHarness(New(false), 1, viewOf(5, 0, 1, 2))
	acksAfterIdle(h)
	cast(h, 1, "a")
	require.Equal(t, []int{stack.AllPeers}, acksAfterIdle(h), "its own cast")
	ack(h, 0, 1)
	ack(h, 2, 1)
	require.Equal(t, []string{"a"}, delivered(h))
	require.Empty(t, acksAfterIdle(h))
}

// A member that did not order a cast delivers it when the orderer tells
// it a majority holds it, takes that as proof that a majority installed
// the view, and does not relay what it was told.
func TestRelayedPositionIsDelivered(t *testing.T) {
	h := newHarness(New(false), 2, viewOf(5, 0, 1, 2))
	acksAfterIdle(h)
	cast(h, 0, "a")
	require.Equal(t, []int{0}, acksAfterIdle(h), "only the orderer waits for it")
	ackSafe(h, 0, 1, 0, 0)
	require.Empty(t, delivered(h), "two of three")
	require.False(t, h.Layer.(*layer).established)
	ackSafe(h, 0, 1, 1, 1)
	require.Equal(t, []string{"a"}, delivered(h))
	require.True(t, h.Layer.(*layer).established)
	require.Empty(t, acksAfterIdle(h), "what it was told is not news to anyone")
}

// Acknowledgements to the orderer alone do not stand for the periodic one
// to everyone: a member that waits for this one gets it every Status.
func TestPartialAcksDoNotReplaceTheRepeat(t *testing.T) {
	h := newHarness(New(false), 1, viewOf(3, 0, 1, 2))
	acksAfterIdle(h)
	status := h.Env.Config.Status
	for i := 0; i < 2; i++ {
		h.Advance(status / 3)
		cast(h, 0, "x")
		require.Equal(t, []int{0}, acksAfterIdle(h))
	}
	h.Advance(status / 3)
	require.Equal(t, []int{stack.AllPeers}, acksSent(h), "member 2 has not said it delivered what this member holds")
	h.Advance(time.Millisecond)
	require.Empty(t, acksSent(h), "told everyone just now")
}

// A member of a group of three whose sequencer casts delivers with the
// sequencer's acknowledgement alone, so the others' need not reach it.
func TestSequencersAckSuffices(t *testing.T) {
	h := newHarness(New(false), 2, viewOf(3, 0, 1, 2))
	cast(h, 0, "a")
	require.Empty(t, delivered(h))
	ack(h, 0, 1)
	require.Equal(t, []string{"a"}, delivered(h))
}

// What a member that is not a voter says a majority holds is not taken:
// an observer starts a view taking every voter to hold what it delivered
// itself, which may lie beyond the chosen log's state, in positions a
// voter that never installed the view may lack.
func TestANonVotersSafePositionIsIgnored(t *testing.T) {
	h := newHarness(New(false), 1, viewOf(3, 0, 1))
	acksAfterIdle(h)
	cast(h, 0, "a")
	ackSafe(h, 2, 1, 1, 1)
	require.Empty(t, delivered(h), "member 2 is not a voter")
	require.False(t, h.Layer.(*layer).established)
	ackSafe(h, 0, 1, 0, 0)
	require.Equal(t, []string{"a"}, delivered(h), "two voters hold it")
}
