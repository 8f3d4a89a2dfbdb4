package sim

import (
	"flag"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/internal/seedrun"
	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/auth"
	"github.com/maestro-go/maestro/stack/wire"
)

var attackSeedsFlag = flag.Int("sim.attackseeds", 40, "how many seeds TestSimulationUnderAttack runs")

// attackScenario is the seed's random scenario with Auth (Privacy on every
// third seed) and an attacker on every path.
func attackScenario(seed uint64) Scenario {
	sc := RandomScenario(seed)
	sc.Auth, sc.Privacy, sc.Attack = true, seed%3 == 0, true
	return sc
}

// TestSimulationUnderAttack runs seeded scenarios with every fault kind
// while an attacker without the key replays, alters, strips and forges
// datagrams (casts and control messages under members' ranks, heal
// announcements, heartbeats of crashed members): no member accepts
// anything forged, and every property the checker knows still holds —
// including that the group converges and delivers once the network heals.
// Replay a seed with -sim.attackseed.
func TestSimulationUnderAttack(t *testing.T) {
	var (
		mu      sync.Mutex
		attacks int
		drops   int
	)
	seedrun.Run(t, seedrun.Range(1, *attackSeedsFlag), func(seed uint64) []string {
		res := attackScenario(seed).Run()
		mu.Lock()
		attacks += res.Attacks
		drops += res.AuthDrops
		mu.Unlock()
		return res.Violations
	}, func(seed uint64) string {
		return fmt.Sprintf("go test ./stack/transport/sim -run 'TestAttackSeed$' -sim.attackseed=%d -v", seed)
	})
	t.Logf("%d seeds: %d attacking datagrams, %d dropped by the guards (in the final views' members)", *attackSeedsFlag, attacks, drops)
	require.Positive(t, attacks)
	require.Positive(t, drops)
}

var attackSeedFlag = flag.Uint64("sim.attackseed", 0, "TestAttackSeed: the seed to replay, with a trace")

// TestAttackSeed replays one seed of TestSimulationUnderAttack.
func TestAttackSeed(t *testing.T) {
	if *attackSeedFlag == 0 {
		t.Skip("replays one seed given with -sim.attackseed")
	}
	sc := attackScenario(*attackSeedFlag)
	sc.Trace = func(s string) { t.Log(s) }
	for _, v := range sc.Run().Violations {
		t.Error(v)
	}
}

// keyedGroup is a quiet group of n members with Auth, an attacker on every
// path, and the deliveries of each member.
type keyedGroup struct {
	*group
	atk *Attacker
	bad []string // forged datagrams accepted
}

func newKeyedGroup(t *testing.T, seed uint64, n int, privacy bool) *keyedGroup {
	kg := &keyedGroup{}
	kg.group = newGroupWith(t, seed, n, groupOptions{name: "sim", growing: true, guard: func(me stack.Endpoint) (stack.Guard, error) {
		ag, err := auth.New(auth.Options{Me: me, Keys: auth.Keys{Seal: ScenarioKey}, Privacy: privacy})
		if err != nil {
			return nil, err
		}
		return watchGuard{Guard: ag, accepted: func(pkt []byte) {
			if kg.atk != nil && kg.atk.Forged(pkt) {
				kg.bad = append(kg.bad, me.String())
			}
		}}, nil
	}})
	return kg
}

// An attacker who has recorded a keyed group at work cannot move it: no
// view changes, nothing delivered but what members cast, and a member
// that crashes is excluded within the failure-detection time although the
// attacker replays its heartbeats and forges new ones.
func TestAttackerCannotMoveAKeyedGroup(t *testing.T) {
	for _, privacy := range []bool{false, true} {
		t.Run(fmt.Sprintf("privacy=%v", privacy), func(t *testing.T) {
			g := newKeyedGroup(t, 11, 4, privacy)
			// Traffic to record, including a fragmented cast.
			g.net.Tap = nil
			g.atk = NewAttacker(g.net, "sim", g.net.Now().Add(time.Hour))
			for i := 0; i < 40; i++ {
				nd := g.nodes[i%4]
				nd.Do(func(c *stack.Core) { require.NoError(t, c.Cast(Payload(fmt.Sprintf("m%d", i), 30+i*97))) })
				g.net.RunFor(25 * time.Millisecond)
			}
			before := g.viewIDs()
			views := fmt.Sprint(g.views)
			g.net.RunFor(5 * time.Second)
			require.Equal(t, before, g.viewIDs(), "the attacker changed the view")
			require.Equal(t, views, fmt.Sprint(g.views), "the attacker caused view installations")
			for _, nd := range g.nodes {
				require.Len(t, g.got[nd.Addr], 40, "%s delivered %v", nd.Addr, g.got[nd.Addr])
			}
			require.Empty(t, g.bad, "forged datagrams accepted")
			m := g.nodes[0].Core().Metrics().Snapshot()
			require.Positive(t, m.Drops["auth"], "drops: %v", m.Drops)
			require.Positive(t, m.Drops["auth-replay"], "drops: %v", m.Drops)
			t.Logf("attacker sent %d datagrams; n0 drops %v", g.atk.Sent, m.Drops)

			// Crash n3: the attacker replays its datagrams and forges
			// heartbeats for it; it is still excluded in time.
			crashed := g.nodes[3].Me()
			g.nodes[3].Crash()
			cfg := SimConfig()
			deadline := g.net.Now().Add(cfg.SuspectTimeout + cfg.FlushTimeout + 500*time.Millisecond)
			for g.net.Now().Before(deadline) {
				g.net.RunFor(50 * time.Millisecond)
				g.atk.Act() // more often than it would
			}
			for _, nd := range g.nodes[:3] {
				v := nd.Core().View()
				require.False(t, v.Contains(crashed), "%s still has the crashed member in %v", nd.Addr, v.Members)
				require.Equal(t, 3, v.N())
			}
			require.Empty(t, g.bad, "forged datagrams accepted")
		})
	}
}

// Without Auth, a datagram claiming a member's rank, or a heal
// announcement naming a member, from another address is dropped.
func TestForgedRankFromWrongAddressWithoutAuth(t *testing.T) {
	g := newGroup(t, 5, 3)
	victim := g.nodes[0]
	v := victim.Core().View()
	before := victim.Core().Metrics().Snapshot().Drops["bad-source"]
	for r := 0; r < 3; r++ {
		if r != v.Rank {
			g.net.Inject("evil", victim.Addr, stack.WrapForView("g", v, r, []byte{0, 0, 0, 0}))
		}
	}
	var w wire.Writer
	other := g.nodes[1].Me()
	stack.PutViewID(&w, stack.ViewID{Ltime: 1 << 40, Coord: other})
	stack.PutEndpoints(&w, v.Members)
	g.net.Inject("evil", victim.Addr, stack.WrapGlobal("g", other, "heal", w.B))
	g.net.RunFor(2 * time.Second)
	after := victim.Core().Metrics().Snapshot().Drops["bad-source"]
	require.Equal(t, uint64(3), after-before, "drops: %v", victim.Core().Metrics().Snapshot().Drops)
	require.Equal(t, v.ID, victim.Core().View().ID, "a forged announcement changed the view")
	g.works(t)
}
