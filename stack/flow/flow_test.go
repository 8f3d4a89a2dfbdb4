package flow

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/layertest"
	"github.com/maestro-go/maestro/stack/wire"
)

// member is the flow layer of rank in a view of n members, with FlowBytes
// flowBytes and 1400-byte datagrams.
func member(n, rank, flowBytes int) *layertest.Harness {
	cfg := stack.Config{FlowBytes: flowBytes, MaxPacket: 1400}.Defaults()
	return layertest.New(Protocol{}, layertest.Options{Members: layertest.Members(n), Rank: rank, Config: cfg})
}

// credit is a credit from peer as it arrives: consumed casts and, unless
// budget is negative (a member that predates budgets), its FlowBytes.
func credit(peer int, consumed uint64, budget int) *stack.Event {
	var w wire.Writer
	w.Byte(kindCredit)
	w.Uvarint(consumed)
	if budget >= 0 {
		w.Uvarint(uint64(budget))
	}
	return &stack.Event{Type: stack.ECtrl, Peer: peer, Msg: wire.NewMsg(w.B)}
}

// readCredit decodes a credit the layer sent.
func readCredit(t *testing.T, ev *stack.Event) (consumed, budget uint64) {
	t.Helper()
	m := layertest.Wire(ev)
	k, err := m.PopByte()
	require.NoError(t, err)
	require.Equal(t, byte(kindCredit), k)
	r := m.Reader()
	consumed, budget = r.Uvarint(), r.Uvarint()
	require.NoError(t, r.Err())
	return consumed, budget
}

// castUntilBlocked casts size-byte messages until the layer blocks (at most
// max of them) and returns how many it took.
func castUntilBlocked(h *layertest.Harness, size, max int) int {
	for i := 1; i <= max; i++ {
		h.Down(&stack.Event{Type: stack.ECast, Msg: layertest.Msg(make([]byte, size))})
		if len(layertest.Of(h.TakeUps(), stack.EFlowBlock)) > 0 {
			return i
		}
	}
	return -1
}

// A member tells every other its FlowBytes at its first tick in a view,
// before it has consumed anything, and not again while nothing changes.
func TestFirstTickReportsTheBudgetToEveryMember(t *testing.T) {
	h := member(3, 1, 256<<10)
	h.Advance(h.Env.Config.Tick)
	credits := layertest.Of(h.TakeDowns(), stack.ECtrl)
	require.Len(t, credits, 2)
	for i, ev := range credits {
		require.Equal(t, []int{0, 2}[i], ev.Peer)
		consumed, budget := readCredit(t, ev)
		require.Zero(t, consumed)
		require.EqualValues(t, 256<<10, budget)
	}
	h.Advance(h.Env.Config.Tick)
	require.Empty(t, layertest.Of(h.TakeDowns(), stack.ECtrl), "nothing new to say")
}

// Credits carry the receiver's FlowBytes beside the casts it consumed.
func TestCreditsCarryTheReceiversBudget(t *testing.T) {
	h := member(2, 1, 300_000)
	for range 64 {
		m := layertest.Msg(make([]byte, 1024))
		m.PushByte(kindCast)
		h.Up(&stack.Event{Type: stack.ECast, Peer: 0, Msg: m})
	}
	h.TakeUps()
	h.Down(&stack.Event{Type: stack.EConsumed, Control: &stack.Control{Vector: []uint64{64, 0}}})
	credits := layertest.Of(h.TakeDowns(), stack.ECtrl)
	require.Len(t, credits, 1, "an eighth of a window consumed: due at once")
	consumed, budget := readCredit(t, credits[0])
	require.EqualValues(t, 64, consumed)
	require.EqualValues(t, 300_000, budget)
}

// A sender keeps within the smallest FlowBytes its receivers reported,
// whatever its own; a member that fails no longer counts; a member that
// reports nothing, or reports in the older form, leaves the sender's own.
func TestSenderKeepsWithinTheSmallestBudget(t *testing.T) {
	const kib = 1024
	own := member(3, 0, 2<<20)
	require.Equal(t, 1024, castUntilBlocked(own, kib, 4096), "FlowWindow binds first: 1024 casts of 1 KiB is half of 2 MiB")

	h := member(3, 0, 2<<20)
	h.Up(credit(1, 0, 64*kib))
	h.Up(credit(2, 0, -1))
	require.Equal(t, 64, castUntilBlocked(h, kib, 4096), "64 KiB from member 1")

	h.Down(&stack.Event{Type: stack.EFail, Control: &stack.Control{Ranks: []int{1}}})
	require.Len(t, layertest.Of(h.TakeUps(), stack.EFlowUnblock), 1, "member 1 failed: its budget no longer binds")
	require.Equal(t, 1024-64, castUntilBlocked(h, kib, 4096))
}

// Reported budgets are clamped: never below one datagram (a member that
// reports less still gets casts) and never past maxBudget; a shrinking
// budget closes the window at once.
func TestReportedBudgetsAreClamped(t *testing.T) {
	h := member(2, 0, 2<<20)
	h.Up(credit(1, 0, 1))
	require.Equal(t, 1400, h.Layer.(*layer).byteLimit())
	require.Equal(t, 2, castUntilBlocked(h, 1000, 10), "one datagram's worth in flight")

	g := member(2, 0, 2<<20)
	var w wire.Writer
	w.Byte(kindCredit)
	w.Uvarint(0)
	w.Uvarint(1 << 62)
	g.Up(&stack.Event{Type: stack.ECtrl, Peer: 1, Msg: wire.NewMsg(w.B)})
	require.Equal(t, maxBudget, g.Layer.(*layer).budget[1])
	require.Equal(t, 2<<20, g.Layer.(*layer).byteLimit(), "our own binds")

	for range 100 {
		g.Down(&stack.Event{Type: stack.ECast, Msg: layertest.Msg(make([]byte, 1024))})
	}
	require.Empty(t, layertest.Of(g.TakeUps(), stack.EFlowBlock))
	g.Up(credit(1, 0, 64<<10))
	require.Len(t, layertest.Of(g.TakeUps(), stack.EFlowBlock), 1, "100 KiB in flight, 64 KiB allowed")
}

// A credit that does not parse, or credits casts never sent, changes
// nothing and is counted.
func TestMalformedCreditsAreDropped(t *testing.T) {
	h := member(2, 0, 2<<20)
	h.Up(credit(1, 5, 1400)) // nothing sent yet
	h.Up(&stack.Event{Type: stack.ECtrl, Peer: 1, Msg: wire.NewMsg([]byte{kindCredit, 0x80})})
	require.Zero(t, h.Layer.(*layer).budget[1])
	require.EqualValues(t, 2, h.Env.Metrics.Snapshot().Drops["flow-malformed"])
}

// A receiver reports what it consumed at once when an eighth of the
// smallest budget it has heard of is consumed, not an eighth of its own:
// a sender held to another member's small budget would otherwise wait for
// this receiver's next tick before every window.
func TestReceiversReportByTheSmallestBudget(t *testing.T) {
	h := member(3, 2, 2<<20)
	h.Up(credit(1, 0, 32<<10)) // member 1's figure: 32 KiB
	for range 8 {
		m := layertest.Msg(make([]byte, 1024))
		m.PushByte(kindCast)
		h.Up(&stack.Event{Type: stack.ECast, Peer: 0, Msg: m})
	}
	h.TakeUps()
	h.TakeDowns()
	h.Down(&stack.Event{Type: stack.EConsumed, Control: &stack.Control{Vector: []uint64{8, 0, 0}}})
	credits := layertest.Of(h.TakeDowns(), stack.ECtrl)
	require.Len(t, credits, 1, "8 KiB consumed is over an eighth of 32 KiB: due at once")
	require.Equal(t, 0, credits[0].Peer)
	consumed, _ := readCredit(t, credits[0])
	require.EqualValues(t, 8, consumed)
}
