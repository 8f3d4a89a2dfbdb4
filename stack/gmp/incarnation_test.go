package gmp

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/layertest"
)

// An incarnation is its process's start time, which a clock stepped back
// can make smaller than the last one's. A member restarted so, alone,
// asking to merge is alive (it confirms the grant): the incarnation
// recorded for its address is the older process's, and the request is
// served. (Refusing it, as an older incarnation's, kept it out for good.)
func TestRestartedMemberWithSmallerIncarnationMerges(t *testing.T) {
	coord := stack.Endpoint{Addr: "n0", Inc: 1}
	before := stack.Endpoint{Addr: "n1", Inc: 500}
	after := stack.Endpoint{Addr: "n1", Inc: 300}
	p := &Protocol{Sync: true}

	// n1 (incarnation 500) merged into n0's view 4@n0, then crashed.
	mergedIn(p, coord, before, 4)
	h := alone(p, coord, 5)
	// n1 restarts as incarnation 300, in a view of its own.
	askAlone(h, after, 1)
	confirm(t, h, after)
	require.NotEmpty(t, layertest.Of(h.Ups, stack.EBlock), "the merge did not start")
}

// Once a smaller incarnation has proved it is alive, it is its address's
// latest: a later request from a component it is in (not as the
// requester) is served, and one holding the incarnation it replaced is
// refused.
func TestProvenIncarnationReplacesTheLargerOne(t *testing.T) {
	coord := stack.Endpoint{Addr: "n0", Inc: 1}
	asker := stack.Endpoint{Addr: "n2", Inc: 1}
	old := stack.Endpoint{Addr: "n1", Inc: 500}
	restarted := stack.Endpoint{Addr: "n1", Inc: 300}
	p := &Protocol{Sync: true}
	mergedIn(p, coord, old, 4)
	// The restarted n1 asks from a view of its own, and confirms.
	h := alone(p, coord, 7)
	askAlone(h, restarted, 1)
	confirm(t, h, restarted)
	require.Equal(t, restarted.Inc, p.seen["n1"].inc)

	// It is cut off with n2, and their component (view 12@n2) asks back.
	h = alone(p, coord, 13)
	askToMerge(h, asker, stack.ViewID{Ltime: 12, Coord: asker}, []stack.Endpoint{asker, restarted})
	confirm(t, h, asker)
	require.NotEmpty(t, layertest.Of(h.Ups, stack.EBlock), "the merge did not start")

	h = alone(p, coord, 13)
	askToMerge(h, asker, stack.ViewID{Ltime: 12, Coord: asker}, []stack.Endpoint{asker, old})
	refused(t, h, "a request holding the replaced incarnation was not refused")
}

// A member that answered a view's flush and is in the next one is the
// process at its address, whatever incarnation was recorded for it: the
// record follows it, and the one it replaced is known to be gone.
func TestFlushAnswerProvesTheIncarnation(t *testing.T) {
	coord := stack.Endpoint{Addr: "n0", Inc: 1}
	old := stack.Endpoint{Addr: "n1", Inc: 500}
	restarted := stack.Endpoint{Addr: "n1", Inc: 300}
	p := &Protocol{Sync: true}
	mergedIn(p, coord, old, 4)
	// A view holding the restarted n1, merged by another coordinator, is
	// not proof: its incarnation is taken for an older one.
	mergedIn(p, coord, restarted, 9)
	require.Equal(t, old.Inc, p.seen["n1"].inc)
	// Its answer to the flush of view 9 is.
	two := []stack.Endpoint{coord, restarted}
	h := layertest.New(p, layertest.Options{Members: two, Ltime: 9})
	h.Layer.(*layer).noteInstalled(&viewMsg{
		id: stack.ViewID{Ltime: 10, Coord: coord}, members: two, prevs: []prev{{id: h.Env.View.ID}},
	})
	require.Equal(t, installed{inc: restarted.Inc, id: h.Env.View.ID, replaced: old.Inc}, p.seen["n1"])
}
