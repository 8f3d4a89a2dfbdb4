package total

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/layertest"
	"github.com/maestro-go/maestro/stack/wire"
)

// castFrom returns what member rank's Total layer sends for a cast of
// payload: its rank decides between an unordered (data) and an ordered
// cast.
func castFrom(t *testing.T, rank int, payloads ...string) []*wire.Msg {
	t.Helper()
	h := layertest.New(Protocol{}, layertest.Options{Rank: rank})
	var out []*wire.Msg
	for _, p := range payloads {
		h.Down(&stack.Event{Type: stack.ECast, Peer: stack.AllPeers, Msg: layertest.Msg([]byte(p))})
	}
	for _, ev := range h.TakeDowns() {
		out = append(out, layertest.Wire(ev))
	}
	return out
}

// delivered lists the payloads of the casts passed up, and their senders.
func delivered(evs []*stack.Event, t stack.EventType) (payloads []string, senders []int) {
	for _, ev := range layertest.Of(evs, t) {
		payloads = append(payloads, string(ev.Msg.Bytes()))
		senders = append(senders, ev.Peer)
	}
	return payloads, senders
}

// The sequencer numbers its own casts as it sends them and delivers them
// when they come back in its numbering.
func TestSequencerCastsAreOrderedAsSent(t *testing.T) {
	h := layertest.New(Protocol{}, layertest.Options{Rank: 1})
	for _, m := range castFrom(t, 0, "a", "b") {
		h.Up(&stack.Event{Type: stack.ECast, Peer: 0, Msg: m})
	}
	got, from := delivered(h.TakeUps(), stack.ECast)
	require.Equal(t, []string{"a", "b"}, got)
	require.Equal(t, []int{0, 0}, from)
}

// Another member's cast waits for the sequencer's order, and is delivered
// as the event that brought it up.
func TestDataWaitsForTheOrder(t *testing.T) {
	seq := layertest.New(Protocol{}, layertest.Options{Rank: 0})
	member := layertest.New(Protocol{}, layertest.Options{Rank: 2})
	data := castFrom(t, 1, "x")[0]
	arrival := &stack.Event{Type: stack.ECast, Peer: 1, Msg: layertest.Wire(&stack.Event{Msg: data})}
	member.Up(arrival)
	require.Empty(t, layertest.Of(member.TakeUps(), stack.ECast), "delivered before its order")

	seq.Up(&stack.Event{Type: stack.ECast, Peer: 1, Msg: layertest.Wire(&stack.Event{Msg: data})})
	seq.Layer.(stack.Idler).Idle()
	orders := seq.TakeDowns()
	require.Len(t, orders, 1, "the sequencer announces its assignment when idle")
	member.Up(&stack.Event{Type: stack.ECast, Peer: 0, Msg: layertest.Wire(orders[0])})
	ups := layertest.Of(member.TakeUps(), stack.ECast)
	require.Len(t, ups, 1)
	require.Same(t, arrival, ups[0], "the cast goes up as the event that brought it")
	require.Equal(t, "x", string(ups[0].Msg.Bytes()))
	require.Equal(t, 1, ups[0].Peer)
}

// The sequencer's numbering decides the order, not arrival: a sequencer
// cast numbered after another member's waits for that member's cast.
func TestDeliveryFollowsTheNumbers(t *testing.T) {
	seq := layertest.New(Protocol{}, layertest.Options{Rank: 0})
	x := castFrom(t, 1, "x")[0]
	seq.Up(&stack.Event{Type: stack.ECast, Peer: 1, Msg: layertest.Wire(&stack.Event{Msg: x})}) // numbered 1
	seq.Down(&stack.Event{Type: stack.ECast, Peer: stack.AllPeers, Msg: layertest.Msg([]byte("s"))})
	downs := seq.TakeDowns()
	require.Len(t, downs, 2, "the order of x goes out before the sequencer's own cast, numbered 2")

	member := layertest.New(Protocol{}, layertest.Options{Rank: 2})
	member.Up(&stack.Event{Type: stack.ECast, Peer: 0, Msg: layertest.Wire(downs[1])}) // s, numbered 2
	member.Up(&stack.Event{Type: stack.ECast, Peer: 0, Msg: layertest.Wire(downs[0])}) // the order of x
	require.Empty(t, layertest.Of(member.TakeUps(), stack.ECast), "nothing before x arrives")
	member.Up(&stack.Event{Type: stack.ECast, Peer: 1, Msg: layertest.Wire(&stack.Event{Msg: x})})
	got, from := delivered(member.TakeUps(), stack.ECast)
	require.Equal(t, []string{"x", "s"}, got)
	require.Equal(t, []int{1, 0}, from)
}

// At the end of a view, what the final order numbers is delivered and
// the rest is aborted, in a deterministic order.
func TestEndOfViewAbortsWhatWasNeverOrdered(t *testing.T) {
	member := layertest.New(Protocol{}, layertest.Options{Rank: 2})
	member.Up(&stack.Event{Type: stack.ECast, Peer: 1, Msg: castFrom(t, 1, "x")[0]})
	member.Up(&stack.Event{Type: stack.EViewEnd, Control: &stack.Control{Ann: stack.Annotations{}}})
	ups := member.TakeUps()
	require.Empty(t, layertest.Of(ups, stack.ECast))
	got, from := delivered(ups, stack.EAbort)
	require.Equal(t, []string{"x"}, got)
	require.Equal(t, []int{1}, from)
}
