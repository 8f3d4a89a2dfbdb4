package orb

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// abortScenario starts 3 simulated replicas, cuts the sequencer off from
// the two others and at once sends a request to one of them, which
// relays it: the sequencer never orders it, and the view change that
// leaves the sequencer out aborts it. With alone, the replica that
// relays the request is cut off instead, and the sequencer's order of
// it never reaches it. It returns the run after the cut has healed.
func abortScenario(t *testing.T, twoWay, alone bool, relayAborted int) *ruSim {
	var trace func(string)
	if testing.Verbose() {
		trace = func(s string) { t.Log(s) }
	}
	s := newRUSim(1, 3, false, trace)
	s.relayAborted = relayAborted
	s.startAll()
	s.net.RunFor(2 * time.Second)
	require.True(t, s.primaryNow(), "the replicas formed a primary view")
	v := s.nodes[0].orb.View()
	require.Len(t, v.Members, 3)
	seq := slices.IndexFunc(s.nodes, func(n *ruNode) bool { return n.orb.memberID() == v.Members[0] })
	require.GreaterOrEqual(t, seq, 0, "rank 0 is one of the replicas")
	at := (seq + 1) % len(s.nodes)
	cut := seq
	if alone {
		cut = at
	}
	var others []string
	for i, n := range s.nodes {
		if i != cut {
			others = append(others, n.addr)
		}
	}

	c := &simClient{s: s, name: "c"}
	call := &simCall{client: c, value: "v"}
	c.current = call
	s.net.Partition([]string{s.nodes[cut].addr}, others)
	s.sendTo(call, s.nodes[at], twoWay)
	s.net.RunFor(10 * time.Second)
	s.net.Heal()
	s.net.RunFor(20 * time.Second)
	return s
}

// A request that a view change aborts is relayed again by its receiving
// replica into the next primary view: the client gets its reply, not
// TRANSIENT, and every replica applies it once. With RelayAborted
// negative, the same request is refused, which shows that the scenario
// aborts it.
func TestRUAbortedRequestIsRelayedAgain(t *testing.T) {
	s := abortScenario(t, true, false, 0)
	require.Empty(t, s.errs)
	require.Equal(t, 1, s.stats.acked, "the aborted request was answered")
	require.Zero(t, s.stats.refused)
	s.checkFinal()
	require.Empty(t, s.errs)
	for _, n := range s.live() {
		require.Equal(t, 1, countOf(n.obj.entries, "v"), "%s applied it once", n.addr)
	}

	s = abortScenario(t, true, false, -1)
	require.Empty(t, s.errs)
	require.Zero(t, s.stats.acked)
	require.Equal(t, 1, s.stats.refused, "never relayed again, the aborted request is refused")
	s.never["v"] = true // the client gave up on it: it must stay unapplied
	s.checkFinal()
	require.Empty(t, s.errs)
}

// A oneway request that a view change aborts is relayed again too, where
// it used to be dropped: every replica applies it.
func TestRUAbortedOnewayIsRelayedAgain(t *testing.T) {
	s := abortScenario(t, false, false, 0)
	require.Empty(t, s.errs)
	s.checkFinal()
	require.Empty(t, s.errs)
	for _, n := range s.live() {
		require.Equal(t, 1, countOf(n.obj.entries, "v"), "%s applied it once", n.addr)
	}
}

func countOf(entries []string, v string) int {
	k := 0
	for _, e := range entries {
		if e == v {
			k++
		}
	}
	return k
}

// A replica cut off alone with the request it relayed is outside the
// primary partition once the view changes: the request, aborted, cannot
// be relayed again there and is refused (TRANSIENT/COMPLETED_NO), and no
// replica ever applies it.
func TestRUAbortedRequestOutsideThePrimaryIsRefused(t *testing.T) {
	s := abortScenario(t, true, true, 0)
	require.Empty(t, s.errs)
	require.Zero(t, s.stats.acked)
	require.Equal(t, 1, s.stats.refused)
	s.never["v"] = true
	s.checkFinal()
	require.Empty(t, s.errs)
	for _, n := range s.live() {
		require.Zero(t, countOf(n.obj.entries, "v"), "%s applied it", n.addr)
	}
}
