package sim

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/stack"
)

// pair is two formed members and a record of their deliveries.
func pair(t *testing.T, seed uint64) *group { return newGroup(t, seed, 2) }

// send has node i cast a payload of size bytes, returning its id.
func (g *group) send(i, size int) string {
	g.k++
	id := fmt.Sprintf("m-%d-%d", i, g.k)
	g.nodes[i].Do(func(c *stack.Core) { _ = c.Cast(Payload(id, size)) })
	return id
}

// A one-way cut stops one direction only, until Heal.
func TestBlockIsOneWay(t *testing.T) {
	g := pair(t, 1)
	var seen []string
	g.net.Tap = func(from, to string, pkt []byte) { seen = append(seen, from+">"+to) }
	g.net.Block([]string{"n0"}, []string{"n1"})
	require.False(t, g.net.connected("n0", "n1"))
	require.True(t, g.net.connected("n1", "n0"))
	id := g.send(1, 40)
	g.net.RunFor(100 * time.Millisecond)
	require.Contains(t, g.got["n0"], id, "n1 -> n0 still works")
	g.net.Heal()
	require.True(t, g.net.connected("n0", "n1"))
	require.NotEmpty(t, seen)
}

// A paused node handles nothing; what is sent to it queues (bounded) and
// is handled when it resumes, and it ticks again.
func TestPauseQueuesAndResumes(t *testing.T) {
	g := pair(t, 2)
	nd := g.nodes[1]
	nd.Pause()
	require.True(t, nd.Paused())
	id := g.send(0, 40)
	held := false
	nd.Do(func(*stack.Core) { held = true })
	g.net.RunFor(100 * time.Millisecond)
	require.NotContains(t, g.got["n1"], id, "a paused node delivered")
	require.False(t, held, "a paused node ran a downcall")
	require.NotEmpty(t, nd.backlog)
	ticks := nd.Core().Metrics().Snapshot().PacketsSent
	g.net.RunFor(200 * time.Millisecond)
	require.Equal(t, ticks, nd.Core().Metrics().Snapshot().PacketsSent, "a paused node sent")
	nd.Resume()
	require.False(t, nd.Paused())
	require.Contains(t, g.got["n1"], id)
	require.True(t, held)
	require.Empty(t, nd.backlog)
	g.net.RunFor(100 * time.Millisecond)
	require.Greater(t, nd.Core().Metrics().Snapshot().PacketsSent, ticks, "no ticks after resuming")

	// The buffer is bounded.
	nd.Pause()
	for i := 0; i < 400; i++ {
		g.net.Inject("n0", "n1", make([]byte, 1400))
	}
	g.net.RunFor(time.Millisecond)
	require.LessOrEqual(t, nd.backlogBytes, PauseBuffer)
	require.Less(t, len(nd.backlog), 400)
	nd.Crash()
	require.False(t, nd.Paused())
}

// A slow link delays what is sent on it during its period, and no more.
func TestSlowLinkAndLate(t *testing.T) {
	g := pair(t, 3)
	g.net.SlowLink("n0", "n1", time.Second, 300*time.Millisecond)
	id := g.send(0, 40)
	g.net.RunFor(250 * time.Millisecond)
	require.NotContains(t, g.got["n1"], id)
	g.net.RunFor(time.Second)
	require.Contains(t, g.got["n1"], id)

	g.net.SetFaults(Faults{MinDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond, Late: 1, LateMin: time.Second, LateMax: 2 * time.Second})
	id = g.send(0, 40)
	g.net.RunFor(900 * time.Millisecond)
	require.NotContains(t, g.got["n1"], id)
}

// Burst loss keeps a link bad for a while; runs replay from the seed.
func TestBurstLossIsSeeded(t *testing.T) {
	pattern := func(seed uint64) string {
		n := NewNetwork(seed, Faults{Burst: Burst{Enter: 0.1, Leave: 0.2, Loss: 1}})
		var out []byte
		for i := 0; i < 200; i++ {
			before := n.Dropped
			n.transmit("a", "b", nil)
			if n.Dropped > before {
				out = append(out, 'x')
			} else {
				out = append(out, '.')
			}
		}
		return string(out)
	}
	p := pattern(9)
	require.Equal(t, p, pattern(9))
	require.NotEqual(t, p, pattern(10))
	require.Contains(t, p, "xxx", "no burst: %s", p)
	require.Contains(t, p, "...", "no good period: %s", p)
}
