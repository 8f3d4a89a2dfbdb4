package sim

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/props"
)

// group is a small simulated group for robustness tests.
type group struct {
	net   *Network
	nodes []*Node
	got   map[string][]string // payload ids delivered, per address
	views map[string]int      // views installed, per address
	k     int
}

// groupOptions vary a test group: its name ("g" if empty), the Guard of
// each member (none if nil), and growing incarnations (as Auth needs).
type groupOptions struct {
	name    string
	guard   func(me stack.Endpoint) (stack.Guard, error)
	growing bool
}

func newGroup(t testing.TB, seed uint64, n int) *group {
	return newGroupWith(t, seed, n, groupOptions{})
}

// newGroupWith starts n members on a quiet network and waits for their
// view.
func newGroupWith(t testing.TB, seed uint64, n int, o groupOptions) *group {
	pr, err := props.Parse(props.Default)
	require.NoError(t, err)
	if o.name == "" {
		o.name = "g"
	}
	g := &group{net: NewNetwork(seed, Faults{MinDelay: time.Millisecond, MaxDelay: 3 * time.Millisecond}), got: map[string][]string{}, views: map[string]int{}}
	g.net.GrowingIncarnations = o.growing
	for i := 0; i < n; i++ {
		nd, err := g.net.AddNode(fmt.Sprintf("n%d", i), NodeConfig{
			Tick: 10 * time.Millisecond,
			NewCore: func(me stack.Endpoint, out stack.Outputs) (*stack.Core, error) {
				var guard stack.Guard
				if o.guard != nil {
					gd, err := o.guard(me)
					if err != nil {
						return nil, err
					}
					guard = gd
				}
				return stack.NewCore(stack.CoreOptions{Group: o.name, Me: me, Config: SimConfig(), Protocols: pr.Protocols(), Out: out, Seed: seed, Guard: guard})
			},
			Upcall: func(nd *Node, u stack.Upcall) {
				switch u.Kind {
				case stack.UpCast:
					id, err := PayloadID(u.Payload)
					if err != nil {
						id = "CORRUPT:" + err.Error()
					}
					g.got[nd.Addr] = append(g.got[nd.Addr], id)
				case stack.UpView:
					g.views[nd.Addr]++
				}
			},
		})
		require.NoError(t, err)
		g.nodes = append(g.nodes, nd)
	}
	g.net.RunFor(3 * time.Second)
	for _, nd := range g.nodes {
		require.Equal(t, n, nd.Core().View().N(), "group did not form")
	}
	return g
}

// viewIDs are the live members' views.
func (g *group) viewIDs() []stack.ViewID {
	var ids []stack.ViewID
	for _, nd := range g.nodes {
		if nd.Alive() {
			ids = append(ids, nd.Core().View().ID)
		}
	}
	return ids
}

// works checks that every member still delivers a fresh cast from each.
func (g *group) works(t testing.TB) {
	t.Helper()
	var ids []string
	for _, nd := range g.nodes {
		g.k++
		id := fmt.Sprintf("check-%s-%d", nd.Addr, g.k)
		ids = append(ids, id)
		nd.Do(func(c *stack.Core) { require.NoError(t, c.Cast(Payload(id, 40+g.k%3000))) })
	}
	g.net.RunFor(5 * time.Second)
	for _, nd := range g.nodes {
		for _, id := range ids {
			require.Contains(t, g.got[nd.Addr], id, "%s did not deliver %s", nd.Addr, id)
		}
		for _, id := range g.got[nd.Addr] {
			require.NotContains(t, id, "CORRUPT", "%s delivered a corrupted message", nd.Addr)
		}
	}
}

// TestGarbageNeverCrashes throws random, truncated and mutated datagrams
// at a running group: nothing panics, bad packets are dropped and counted,
// and the group keeps delivering.
func TestGarbageNeverCrashes(t *testing.T) {
	g := newGroup(t, 42, 3)
	var captured [][]byte
	g.net.Tap = func(from, to string, pkt []byte) {
		if len(captured) < 2000 {
			captured = append(captured, append([]byte(nil), pkt...))
		}
	}
	for i := 0; i < 50; i++ {
		g.nodes[i%3].Do(func(c *stack.Core) { _ = c.Cast(Payload(fmt.Sprintf("warm-%d", i), 10+i*97)) })
	}
	g.net.RunFor(2 * time.Second)
	g.net.Tap = nil
	require.NotEmpty(t, captured)

	before := g.nodes[0].Core().Metrics().Snapshot().TotalDrops()
	r := g.net.Rand()
	victim := g.nodes[0].Addr
	for i := 0; i < 20000; i++ {
		var pkt []byte
		switch i % 4 {
		case 0: // random bytes, sometimes with our magic
			pkt = make([]byte, r.IntN(200))
			for j := range pkt {
				pkt[j] = byte(r.Uint32())
			}
			if len(pkt) > 3 && r.IntN(2) == 0 {
				pkt[0], pkt[1], pkt[2] = 'M', 'S', 1
			}
		case 1: // truncated real packet
			src := captured[r.IntN(len(captured))]
			pkt = append([]byte(nil), src[:r.IntN(len(src))]...)
		default: // real packet with bytes flipped
			src := captured[r.IntN(len(captured))]
			pkt = append([]byte(nil), src...)
			for k := 0; k < 1+r.IntN(4); k++ {
				pkt[r.IntN(len(pkt))] ^= byte(1 + r.IntN(255))
			}
		}
		g.net.Inject(g.nodes[1+i%2].Addr, victim, pkt)
		if i%1000 == 0 {
			g.net.RunFor(20 * time.Millisecond)
		}
	}
	g.net.RunFor(time.Second)
	after := g.nodes[0].Core().Metrics().Snapshot()
	require.Greater(t, after.TotalDrops(), before, "garbage was not counted as dropped")
	t.Logf("drops by reason: %v", after.Drops)
	g.works(t)
}

// FuzzCoreReceive feeds arbitrary datagrams to a member of a running group,
// both raw and wrapped in a valid envelope for the current view so that the
// layers' decoders see them.
func FuzzCoreReceive(f *testing.F) {
	g := newGroup(f, 7, 3)
	var seeds [][]byte
	g.net.Tap = func(from, to string, pkt []byte) {
		if len(seeds) < 64 {
			seeds = append(seeds, append([]byte(nil), pkt...))
		}
	}
	g.nodes[1].Do(func(c *stack.Core) { _ = c.Cast(Payload("seed", 3000)) })
	g.net.RunFor(time.Second)
	g.net.Tap = nil
	for _, s := range seeds {
		f.Add(s)
	}
	f.Add([]byte("MS\x01\x01"))
	f.Add([]byte{3, 1, 2, 3}) // a view proposal header for gmp
	f.Add([]byte{1, 0, 0})    // a merge request header
	f.Fuzz(func(t *testing.T, pkt []byte) {
		victim := g.nodes[0]
		g.net.Inject(g.nodes[1].Addr, victim.Addr, pkt)
		if v := victim.Core().View(); v != nil {
			g.net.Inject(g.nodes[1].Addr, victim.Addr, stack.WrapForView("g", v, 1, pkt))
		}
		from := g.nodes[2].Me()
		for _, target := range []string{"gmp", "heal"} {
			g.net.Inject(from.Addr, victim.Addr, stack.WrapGlobal("g", from, target, pkt))
		}
		g.net.RunFor(30 * time.Millisecond)
	})
}
