package heal

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/layertest"
	"github.com/maestro-go/maestro/stack/wire"
)

// announcement is another coordinator's gossip of view id with members.
func announcement(id stack.ViewID, members []stack.Endpoint) *stack.Event {
	var w wire.Writer
	stack.PutViewID(&w, id)
	stack.PutEndpoints(&w, members)
	return &stack.Event{Type: stack.EGlobal, Control: &stack.Control{From: members[0], Target: target, Bytes: w.B, Addr: members[0].Addr}}
}

func others(names ...string) []stack.Endpoint {
	es := make([]stack.Endpoint, len(names))
	for i, n := range names {
		es[i] = stack.Endpoint{Addr: n, Inc: 1}
	}
	return es
}

// TestCoordinatorMergesIntoALaterView: hearing of a later view with no
// member in common, the coordinator asks to merge into it.
func TestCoordinatorMergesIntoALaterView(t *testing.T) {
	h := layertest.New(&Protocol{}, layertest.Options{Ltime: 5})
	later := others("m0", "m1")
	h.Up(announcement(stack.ViewID{Ltime: 9, Coord: later[0]}, later))
	merges := layertest.Of(h.TakeDowns(), stack.EMerge)
	require.Len(t, merges, 1)
	require.Equal(t, "m0", merges[0].Addr)
}

// TestCoordinatorAnswersAViewBehindItsOwn: hearing of an earlier view
// (which must move to this one) with no member in common, the coordinator
// sends its own announcement to that view's coordinator alone — once per
// gossip period — and does not merge; a member that is not the
// coordinator, or a view sharing an address, gets no answer.
func TestCoordinatorAnswersAViewBehindItsOwn(t *testing.T) {
	h := layertest.New(&Protocol{}, layertest.Options{Ltime: 9})
	earlier := others("m0", "m1")
	ev := announcement(stack.ViewID{Ltime: 5, Coord: earlier[0]}, earlier)
	h.Up(ev)
	downs := h.TakeDowns()
	require.Empty(t, layertest.Of(downs, stack.EMerge), "the later view moved")
	answers := layertest.Of(downs, stack.EGlobal)
	require.Len(t, answers, 1)
	require.Equal(t, "m0", answers[0].Addr, "the answer goes to the earlier view's coordinator alone")
	r := wire.NewReader(answers[0].Bytes)
	require.Equal(t, h.Env.View.ID, stack.GetViewID(r))
	require.Equal(t, h.Env.View.Members, stack.GetEndpoints(r))

	h.Up(ev)
	require.Empty(t, h.TakeDowns(), "answered twice within a gossip period")
	h.Advance(h.Env.Config.Gossip + time.Millisecond)
	h.TakeDowns() // the periodic announcement Advance's tick sent
	h.Up(ev)
	require.Len(t, layertest.Of(h.TakeDowns(), stack.EGlobal), 1, "not answered again after a gossip period")

	member := layertest.New(&Protocol{}, layertest.Options{Ltime: 9, Rank: 1})
	member.Up(ev)
	require.Empty(t, member.TakeDowns(), "a member that is not the coordinator answered")

	h.Advance(h.Env.Config.Gossip + time.Millisecond)
	h.TakeDowns()
	shared := others("m0", "n2")
	h.Up(announcement(stack.ViewID{Ltime: 5, Coord: shared[0]}, shared))
	require.Empty(t, layertest.Of(h.TakeDowns(), stack.EGlobal), "answered a view that shares a member")
}
