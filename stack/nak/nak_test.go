package nak

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/layertest"
	"github.com/maestro-go/maestro/stack/wire"
)

// recv builds what arrives from peer: a message with the given header
// fields and content.
func recv(peer int, content string, header ...uint64) *stack.Event {
	var w wire.Writer
	w.Byte(byte(header[0]))
	for _, v := range header[1:] {
		w.Uvarint(v)
	}
	m := wire.NewMsg([]byte(content))
	m.Push(w.B)
	return &stack.Event{Type: stack.ERecv, Peer: peer, Msg: wire.WrapMsg(m.Bytes())}
}

func delivered(h *layertest.Harness) []string {
	var out []string
	for _, ev := range layertest.Of(h.TakeUps(), stack.ECast) {
		out = append(out, string(ev.Msg.Bytes()))
	}
	return out
}

func queryVector(h *layertest.Harness) []uint64 {
	q := &stack.Event{Type: stack.EQueryVector, Control: &stack.Control{}}
	h.Down(q)
	return q.Vector
}

// A cast from a member that fails is delivered in order while the view
// lasts.
func TestCastsDeliveredInOrder(t *testing.T) {
	h := layertest.New(Protocol{}, layertest.Options{Members: layertest.Members(3)})
	h.Up(recv(1, "b", kindCast, 2))
	require.Empty(t, delivered(h), "seq 2 waits for seq 1")
	h.Up(recv(1, "a", kindCast, 1))
	require.Equal(t, []string{"a", "b"}, delivered(h))
	require.Equal(t, []uint64{0, 2, 0}, queryVector(h))
}

// A flush freezes a failed sender at what was delivered when it started.
func TestFailFreezesSender(t *testing.T) {
	h := layertest.New(Protocol{}, layertest.Options{Members: layertest.Members(3)})
	h.Up(recv(2, "x1", kindCast, 1))
	h.Down(&stack.Event{Type: stack.EFail, Control: &stack.Control{Ranks: []int{2}, Survivors: []int{0, 1}}})
	h.Up(recv(2, "x2", kindCast, 2))
	require.Equal(t, []string{"x1"}, delivered(h))
}

// Regression (csx seed 6543): a flush whose cut was delivered is
// superseded by a second flush that also excludes a sender whose limit the
// first cut had raised. The second flush must freeze that sender at what
// this member has delivered — the vector it reports — not at the first
// cut; otherwise casts retransmitted between the report and the second cut
// are delivered here and nowhere else among the survivors, and members
// moving to the same next view deliver different sets.
func TestRestartedFlushRefreezesRaisedLimits(t *testing.T) {
	h := layertest.New(Protocol{}, layertest.Options{Members: layertest.Members(4)})
	// Flush 1 excludes rank 3; its cut says rank 3 sent two casts.
	h.Down(&stack.Event{Type: stack.EFail, Control: &stack.Control{Ranks: []int{3}, Survivors: []int{0, 1, 2}}})
	h.Down(&stack.Event{Type: stack.ECut, Control: &stack.Control{Vector: []uint64{0, 0, 0, 2}}})
	h.Reset()
	// Flush 2 also excludes rank 1; this member still has none of rank 3's
	// casts and reports so.
	h.Down(&stack.Event{Type: stack.EFail, Control: &stack.Control{Ranks: []int{1, 3}, Survivors: []int{0, 2}}})
	require.Equal(t, []uint64{0, 0, 0, 0}, queryVector(h))
	// Rank 3's casts arrive late, retransmitted by rank 2.
	h.Up(recv(2, "late1", kindRetransC, 3, 1))
	h.Up(recv(2, "late2", kindRetransC, 3, 2))
	require.Empty(t, delivered(h), "delivered beyond the vector this member reported for flush 2")
	// The second cut, from reports of members that lack them too, ends the
	// view without them.
	h.Down(&stack.Event{Type: stack.ECut, Control: &stack.Control{Vector: []uint64{0, 0, 0, 0}}})
	require.Len(t, layertest.Of(h.TakeUps(), stack.ECutDone), 1)
}

// A cut makes the layer fetch what it lacks from a surviving holder and
// report ECutDone once everything up to the cut is delivered.
func TestCutFetchesFromHolder(t *testing.T) {
	h := layertest.New(Protocol{}, layertest.Options{Members: layertest.Members(3)})
	h.Down(&stack.Event{Type: stack.EFail, Control: &stack.Control{Ranks: []int{2}, Survivors: []int{0, 1}}})
	h.Down(&stack.Event{Type: stack.ECut, Control: &stack.Control{Vector: []uint64{0, 0, 1}}})
	naks := layertest.Of(h.TakeDowns(), stack.ECtrl)
	require.NotEmpty(t, naks)
	require.Equal(t, 1, naks[0].Peer, "the NAK goes to the surviving holder, not the failed sender")
	h.Up(recv(1, "y", kindRetransC, 2, 1))
	ups := h.TakeUps()
	require.Len(t, layertest.Of(ups, stack.ECast), 1)
	require.Len(t, layertest.Of(ups, stack.ECutDone), 1)
}

// naksSent decodes the NAKs among what the layer sent down: for each, its
// destination and the runs of seqs it asks for ("first-last").
func naksSent(t *testing.T, h *layertest.Harness) []string {
	t.Helper()
	var out []string
	for _, ev := range layertest.Of(h.TakeDowns(), stack.ECtrl) {
		r := layertest.Wire(ev).Reader()
		if r.Byte() != kindNak {
			continue
		}
		r.Byte() // stream
		r.Uvarint()
		n := r.Int(maxNakRuns)
		s := fmt.Sprintf("to %d:", ev.Peer)
		for i := 0; i < n; i++ {
			s += fmt.Sprintf(" %d-%d", r.Uvarint(), r.Uvarint())
		}
		require.NoError(t, r.Err())
		out = append(out, s)
	}
	return out
}

// A receiver asks only for what it lacks: not the casts it holds ahead of
// a gap, and, within a Retransmit interval, not again for what it asked for
// already — casts arriving while a gap is open would otherwise each bring
// the whole range back (the storm that 64 KiB casts with a large flow
// window fell into). Once the interval has passed it asks for everything
// still missing.
func TestNaksAskOnlyForWhatIsMissingAndNotYetAskedFor(t *testing.T) {
	h := layertest.New(Protocol{}, layertest.Options{Members: layertest.Members(3)})
	h.Up(recv(1, "c2", kindCast, 2))
	require.Equal(t, []string{"to 1: 1-1"}, naksSent(t, h), "seq 1 is missing; seq 2 is held")
	h.Up(recv(1, "c3", kindCast, 3))
	require.Empty(t, naksSent(t, h), "nothing new is missing")
	h.Up(recv(1, "c6", kindCast, 6))
	require.Equal(t, []string{"to 1: 4-5"}, naksSent(t, h), "only the new gap")
	h.Up(recv(1, "c8", kindCast, 8))
	require.Equal(t, []string{"to 1: 7-7"}, naksSent(t, h))

	h.Advance(30 * time.Millisecond) // the default Retransmit interval
	require.Equal(t, []string{"to 1: 1-1 4-5 7-7"}, naksSent(t, h), "everything still missing, asked for again")
	h.Up(recv(1, "c1", kindCast, 1))
	require.Equal(t, []string{"c1", "c2", "c3"}, delivered(h))
}

// A NAK is answered with exactly the casts of its runs that are held, and
// a malformed one (runs out of order, overlapping, too wide) with nothing.
func TestNakAnswersItsRunsOnly(t *testing.T) {
	h := layertest.New(Protocol{}, layertest.Options{Members: layertest.Members(3)})
	for i := 1; i <= 6; i++ {
		h.Down(&stack.Event{Type: stack.ECast, Msg: layertest.Msg([]byte(fmt.Sprintf("m%d", i)))})
	}
	h.Reset()
	nak := func(runs ...uint64) *stack.Event {
		var w wire.Writer
		w.Byte(kindNak)
		w.Byte(streamCast)
		w.Uvarint(0) // origin: rank 0, this member
		w.Uvarint(uint64(len(runs) / 2))
		for _, v := range runs {
			w.Uvarint(v)
		}
		return &stack.Event{Type: stack.ERecv, Peer: 2, Msg: wire.WrapMsg(w.B)}
	}
	answered := func() []string {
		var out []string
		for _, ev := range layertest.Of(h.TakeDowns(), stack.ECtrl) {
			require.Equal(t, 2, ev.Peer, "to the member that asked")
			r := layertest.Wire(ev).Reader()
			require.Equal(t, byte(kindRetransC), r.Byte())
			r.Uvarint()
			out = append(out, fmt.Sprintf("%d:%s", r.Uvarint(), r.Rest()))
		}
		return out
	}
	h.Up(nak(2, 3, 5, 5, 9, 9))
	require.Equal(t, []string{"2:m2", "3:m3", "5:m5"}, answered(), "9 was never sent")
	for _, bad := range [][]uint64{{3, 3, 2, 2}, {2, 4, 4, 5}, {0, 1}, {3, 2}, {1, maxNakRange + 1}} {
		h.Up(nak(bad...))
		require.Empty(t, answered(), "runs %v", bad)
	}
}
