package safe

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/layertest"
	"github.com/maestro-go/maestro/stack/primary"
)

// viewOf builds a primary view's annotations for a group of replicas
// configured replicas whose up-to-date members (the voters) are ranks
// upToDate of the 3 members.
func viewOf(replicas int, upToDate ...int) stack.Annotations {
	ann := stack.Annotations{}
	info := primary.ViewInfo{Primary: true, Number: 5, UpToDate: ids(upToDate...), Replicas: replicas, Counted: len(upToDate)}
	info.Put(ann)
	ann[annKey] = (&choice{}).encode()
	return ann
}

// acksAfterIdle runs Idle and returns to whom the acknowledgements went.
func acksAfterIdle(h *layertest.Harness) []int {
	h.Layer.(stack.Idler).Idle()
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

// A majority of three needs acknowledgements from members that did not
// order the cast, and a view with a member that is not a voter cannot
// count on the orderer's: everyone is told at once.
func TestAckGoesToEveryoneOtherwise(t *testing.T) {
	for name, ann := range map[string]stack.Annotations{
		"majority of three":  viewOf(5, 0, 1, 2),
		"member not a voter": viewOf(3, 1, 2),
	} {
		h := newHarness(New(false), 1, ann)
		acksAfterIdle(h)
		cast(h, 0, "a")
		require.Equal(t, []int{stack.AllPeers}, acksAfterIdle(h), name)
	}
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
	require.Empty(t, layertest.Of(h.TakeDowns(), stack.ECtrl))
	h.Advance(status / 3)
	var to []int
	for _, ev := range layertest.Of(h.TakeDowns(), stack.ECtrl) {
		to = append(to, ev.Peer)
	}
	require.Equal(t, []int{stack.AllPeers}, to, "member 2 has not said it delivered what this member holds")
	h.Advance(time.Millisecond)
	require.Empty(t, layertest.Of(h.TakeDowns(), stack.ECtrl), "told everyone just now")
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
