package gmp

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/layertest"
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
	from := stack.ViewID{Ltime: 8, Coord: old}
	req := &mergeReq{
		from: from, into: h.Env.View.ID,
		members: []stack.Endpoint{old}, survivors: []stack.Endpoint{old},
		prev: prev{id: from, tag: stack.FlushTag{Coord: 0, Num: 1}}, ltime: 8,
	}
	h.Up(&stack.Event{Type: stack.EGlobal, Control: &stack.Control{From: old, Target: target, Bytes: req.encode(), Addr: old.Addr}})
	require.Empty(t, layertest.Of(h.Ups, stack.EBlock), "the coordinator started a flush to merge")
	downs := layertest.Of(h.TakeDowns(), stack.EGlobal)
	require.Len(t, downs, 1)
	require.Equal(t, byte(globalMergeDeny), downs[0].Bytes[0], "the request was not refused")

	// A component with no address in common is welcome.
	other := stack.Endpoint{Addr: "n3", Inc: 1}
	from = stack.ViewID{Ltime: 8, Coord: other}
	req.from, req.members, req.survivors, req.prev.id = from, []stack.Endpoint{other}, []stack.Endpoint{other}, from
	h.Up(&stack.Event{Type: stack.EGlobal, Control: &stack.Control{From: other, Target: target, Bytes: req.encode(), Addr: other.Addr}})
	require.NotEmpty(t, layertest.Of(h.Ups, stack.EBlock), "the merge did not start")
}
