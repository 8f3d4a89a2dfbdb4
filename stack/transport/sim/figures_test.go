package sim

import (
	"flag"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/primary"
	"github.com/maestro-go/maestro/stack/safe"
)

// Scripted scenarios that reproduce the figures of §4.4 step by step on
// the simulator, over five replicas, and assert their outcomes.

const (
	primaryStack = "Gmp:Sync:Heal:Frag:Suspect:Flow:Total:Primary"
	safeStack    = "Gmp:Sync:Heal:Frag:Suspect:Flow:Total:Primary:Safe"
)

// script drives a replica run by hand.
type script struct {
	t     *testing.T
	rn    *replicaRun
	views map[int][]seen // every view each replica installed
}

type seen struct {
	view *stack.View
	info primary.ViewInfo
	ann  stack.Annotations
}

// The scripted scenarios run with several seeds (network delays, who is
// coordinator): their outcome must not depend on them.
var (
	figureSeeds = flag.Int("figures.seeds", 10, "how many seeds each scripted figure scenario runs")
	figureSeed  = flag.Uint64("figures.seed", 0, "run the scripted figure scenarios with this seed only")
)

// forSeeds runs f once per seed, as subtests.
func forSeeds(t *testing.T, f func(t *testing.T, seed uint64)) {
	seeds := []uint64{*figureSeed}
	if *figureSeed == 0 {
		seeds = seeds[:0]
		for i := 1; i <= *figureSeeds; i++ {
			seeds = append(seeds, uint64(i))
		}
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { f(t, seed) })
	}
}

func newScript(t *testing.T, seed uint64, replicas int, props string, brk Breakage) *script {
	t.Helper()
	sc := ReplicaScenario{Seed: seed, Replicas: replicas, Properties: props, Config: SimConfig(), Quiet: 20 * time.Second, Break: brk}
	s := &script{t: t, views: map[int][]seen{}}
	var err error
	s.rn, err = sc.newRun()
	require.NoError(t, err)
	s.rn.onView = func(rep *replica, v *stack.View, info primary.ViewInfo, ann stack.Annotations) {
		i := slices.Index(s.rn.reps, rep)
		s.views[i] = append(s.views[i], seen{view: v, info: info, ann: ann})
	}
	return s
}

func (s *script) r(i int) *replica { return s.rn.reps[i] }

// until runs the network in small steps until cond holds (at most d).
func (s *script) until(what string, d time.Duration, cond func() bool) {
	s.t.Helper()
	for end := s.rn.net.Now().Add(d); !cond(); {
		if s.rn.net.Now().After(end) {
			s.t.Fatalf("%s: not within %v", what, d)
		}
		s.rn.net.RunFor(10 * time.Millisecond)
	}
}

// primaryOf waits until exactly the given replicas share a primary view.
func (s *script) primaryOf(idx ...int) primary.ViewInfo {
	s.t.Helper()
	var info primary.ViewInfo
	s.until(fmt.Sprintf("a primary view of %v", idx), 20*time.Second, func() bool {
		var id stack.ViewID
		for k, i := range idx {
			rep := s.r(i)
			if rep.view == nil || !rep.info.Primary || rep.view.N() != len(idx) || (k > 0 && rep.view.ID != id) {
				return false
			}
			id, info = rep.view.ID, rep.info
		}
		return true
	})
	return info
}

func (s *script) addrs(idx []int) []string {
	var out []string
	for _, i := range idx {
		out = append(out, s.r(i).addr)
	}
	return out
}

func (s *script) partition(groups ...[]int) {
	var gs [][]string
	for _, g := range groups {
		gs = append(gs, s.addrs(g))
	}
	s.rn.net.Partition(gs...)
}

func (s *script) cast(i int) string {
	s.t.Helper()
	id := s.rn.cast(s.r(i))
	require.NotEmpty(s.t, id, "replica %d refused to cast", i)
	return id
}

func (s *script) applied(i int, id string) bool { return slices.Contains(s.r(i).hist, id) }

// coordinator returns the index of the coordinator of replica i's view.
func (s *script) coordinator(i int) int {
	c := s.r(i).view.Members[0]
	for k, rep := range s.rn.reps {
		if rep.me == c {
			return k
		}
	}
	return -1
}

// check runs the checker's end-of-run checks over what the script did.
func (s *script) check() []string {
	s.rn.chk.finish(s.rn, true)
	return s.rn.chk.violations
}

func others(n int, not ...int) []int {
	var out []int
	for i := 0; i < n; i++ {
		if !slices.Contains(not, i) {
			out = append(out, i)
		}
	}
	return out
}

var all5 = []int{0, 1, 2, 3, 4}

// Fig 4.10: views with different states merge into a non-primary view
// that names who is up to date and who is stale; the stale ones receive
// the state and the view is reinstalled as primary.
func TestFig4_10MergeTransfersStateThenPrimary(t *testing.T) {
	forSeeds(t, func(t *testing.T, seed uint64) {
		s := newScript(t, seed, 5, safeStack, BreakNothing)
		s.primaryOf(all5...)
		s.partition([]int{0, 1, 2}, []int{3, 4})
		s.primaryOf(0, 1, 2)
		m := s.cast(0)
		s.until("m applied by the majority", 5*time.Second, func() bool { return s.applied(0, m) && s.applied(1, m) && s.applied(2, m) })
		s.rn.net.Heal()
		s.primaryOf(all5...)
		var merged *seen
		for _, v := range s.views[3] {
			if v.view.N() == 5 && !v.info.Primary {
				merged = &v
			}
		}
		require.NotNil(t, merged, "no merged non-primary view")
		require.ElementsMatch(t, []stack.EndpID{s.r(3).me.ID(), s.r(4).me.ID()}, merged.info.Stale)
		require.ElementsMatch(t, []stack.EndpID{s.r(0).me.ID(), s.r(1).me.ID(), s.r(2).me.ID()}, merged.info.UpToDate)
		for _, i := range all5 {
			require.True(t, s.applied(i, m), "replica %d lacks m", i)
		}
		require.Empty(t, s.check())
	})
}

// Fig 4.11: a coordinator proposes a primary view and partitions away at
// once, so only it installs the view; the others flush again and their
// primary view gets a larger number, never the same.
func TestFig4_11PrimaryNumbersStayUnique(t *testing.T) {
	forSeeds(t, func(t *testing.T, seed uint64) {
		for _, props := range []string{primaryStack, safeStack} {
			t.Run(props, func(t *testing.T) {
				s := newScript(t, seed, 5, props, BreakNothing)
				s.primaryOf(all5...)
				c := s.coordinator(0)
				var u primary.ViewInfo
				var uID stack.ViewID
				record := s.rn.onView
				s.rn.onView = func(rep *replica, v *stack.View, info primary.ViewInfo, ann stack.Annotations) {
					record(rep, v, info, ann)
					if rep == s.r(c) && info.Primary && v.N() == 4 && u.Number == 0 {
						// The proposal is on its way: partition the coordinator
						// away before anyone else receives it.
						u, uID = info, v.ID
						s.partition([]int{c})
					}
				}
				victim := others(5, c)[3]
				s.rn.crash(s.r(victim))
				s.until("the coordinator installed U", 10*time.Second, func() bool { return u.Number != 0 })
				rest := others(5, c, victim)
				w := s.primaryOf(rest...)
				require.Greater(t, w.Number, u.Number, "W must be numbered after U, which its members promised past")
				for _, i := range rest {
					require.NotEqual(t, uID, s.r(i).view.ID)
					for _, v := range s.views[i] {
						require.NotEqual(t, uID, v.view.ID, "replica %d installed U", i)
					}
				}
				s.rn.net.Heal()
				s.rn.restart(s.r(victim))
				s.primaryOf(all5...)
				require.Empty(t, s.check())
			})
		}
	})
}

// Figs 4.12 and 4.13: the coordinator (the sequencer) and one more replica
// partition away right after it casts m2. Without Safe they deliver m2 at
// once, the other three go on as the primary view and deliver m3, and the
// merge rolls m2 back (Fig 4.12). With Safe, m2 is never delivered: it is
// reported aborted once the newer primary view is established (Fig 4.13).
func TestFig4_12And4_13OptimisticRollbackAndSafeAbort(t *testing.T) {
	forSeeds(t, func(t *testing.T, seed uint64) {
		for _, props := range []string{primaryStack, safeStack} {
			t.Run(props, func(t *testing.T) {
				s := newScript(t, seed, 5, props, BreakNothing)
				s.primaryOf(all5...)
				p := s.coordinator(0)
				q := others(5, p)[0]
				rest := others(5, p, q)
				s.partition([]int{p, q}, rest)
				m2 := s.cast(p)
				s.primaryOf(rest...)
				m3 := s.cast(rest[0])
				s.until("m3 applied by the majority", 5*time.Second, func() bool { return s.applied(rest[0], m3) && s.applied(rest[2], m3) })
				s.rn.net.Heal()
				s.primaryOf(all5...)
				s.until("the same history everywhere", 5*time.Second, func() bool {
					for _, i := range all5 {
						if !slices.Equal(s.r(i).hist, s.r(0).hist) {
							return false
						}
					}
					return true
				})
				require.True(t, s.applied(p, m3))
				require.False(t, s.applied(p, m2), "m2 is in the group's history")
				if props == primaryStack {
					require.True(t, s.rn.chk.everApplied[s.r(p).me][m2], "optimistic delivery: p delivered m2 before it was rolled back")
				} else {
					require.False(t, s.rn.chk.everApplied[s.r(p).me][m2], "safe delivery: m2 was never delivered")
					require.True(t, s.r(p).aborted[m2] && s.r(q).aborted[m2], "m2 was not reported aborted")
				}
				require.Empty(t, s.check())
			})
		}
	})
}

// Fig 4.14: the sequencer casts m2 as the group splits with no majority
// anywhere; only it and one more replica hold m2. When their component
// merges with another into a majority, the held m2 is transferred
// internally to the newcomer, becomes safe and is delivered; the last
// replicas get it with the state.
func TestFig4_14UnsafeMessagesTransferredInternally(t *testing.T) {
	forSeeds(t, func(t *testing.T, seed uint64) {
		s := newScript(t, seed, 5, safeStack, BreakNothing)
		s.primaryOf(all5...)
		p := s.coordinator(0)
		q := others(5, p)[0]
		rest := others(5, p, q)
		s.partition([]int{p, q}, rest[:1], rest[1:])
		m2 := s.cast(p)
		s.rn.net.RunFor(3 * time.Second)
		for _, i := range all5 {
			require.False(t, s.applied(i, m2), "m2 delivered before a majority held it")
		}
		// V' (p, q) merges with V'' (one more replica): together a majority,
		// they deliver m2, held by p and q only.
		u := []int{p, q, rest[0]}
		s.partition(u, rest[1:])
		s.primaryOf(u...)
		s.until("m2 applied by the merged majority", 5*time.Second, func() bool {
			return s.applied(p, m2) && s.applied(q, m2) && s.applied(rest[0], m2)
		})
		s.rn.net.Heal()
		s.primaryOf(all5...)
		s.until("m2 applied everywhere", 5*time.Second, func() bool {
			for _, i := range all5 {
				if !s.applied(i, m2) {
					return false
				}
			}
			return true
		})
		require.Empty(t, s.check())
	})
}

// Fig 4.15: three replicas deliver m1 while the other two, cut off from
// their acknowledgements, hold it unsafe; those two then hold m2 too, as
// the group splits with no majority. On the merge (of the two with two of
// the three) the application's state goes from the three to the two, and
// the held messages from the two to the three: opposite directions. Then
// m2 is delivered everywhere, after m1.
func TestFig4_15TransfersInOppositeDirections(t *testing.T) {
	forSeeds(t, func(t *testing.T, seed uint64) {
		s := newScript(t, seed, 5, safeStack, BreakNothing)
		s.primaryOf(all5...)
		p := s.coordinator(0)
		q := others(5, p)[0]
		rst := others(5, p, q)
		s.rn.net.Block(s.addrs(rst), s.addrs([]int{p, q}))
		m1 := s.cast(q)
		s.until("m1 applied by the three", 2*time.Second, func() bool {
			return s.applied(rst[0], m1) && s.applied(rst[1], m1) && s.applied(rst[2], m1)
		})
		require.False(t, s.applied(p, m1) || s.applied(q, m1), "p and q did not hear the acknowledgements")
		s.partition([]int{p, q}, rst[:2], rst[2:])
		m2 := s.cast(p)
		s.rn.net.RunFor(3 * time.Second)
		// p and q merge with two of the three first: were the three to
		// find each other first, they would form a primary view of their
		// own, and m2, held only outside it, would be aborted (legitimately,
		// but not what the figure shows).
		u := append([]int{p, q}, rst[:2]...)
		s.rn.net.Heal() // lifts the one-way cut; the partition follows at once
		s.partition(u, rst[2:])
		s.primaryOf(u...)
		s.rn.net.Heal()
		s.primaryOf(all5...)
		var merged *seen
		for _, v := range s.views[p] {
			// The components may merge in steps: the first view joining p and
			// q with some of the three is the one where the transfers happen.
			if v.view.N() > 2 && !v.info.Primary && len(v.info.Stale) > 0 {
				merged = &v
				break
			}
		}
		require.NotNil(t, merged, "no merged view that needed a state transfer")
		require.ElementsMatch(t, []stack.EndpID{s.r(p).me.ID(), s.r(q).me.ID()}, merged.info.Stale, "the application's state goes to p and q")
		holder, ok := safe.Holder(merged.ann)
		require.True(t, ok)
		require.Contains(t, []stack.EndpID{s.r(p).me.ID(), s.r(q).me.ID()}, holder, "the held messages come from p or q")
		s.until("m1 then m2 everywhere", 5*time.Second, func() bool {
			for _, i := range all5 {
				h := s.r(i).hist
				a, b := slices.Index(h, m1), slices.Index(h, m2)
				if a < 0 || b < a {
					return false
				}
			}
			return true
		})
		require.Empty(t, s.check())
	})
}

// Figs 4.16 and 4.17: replica 2 applies m1 in a primary view with 0 and 1,
// crashes and restarts; replicas 3 and 4 never saw a primary view. With its
// reincarnation mark, 2 is a zombie: 2, 3 and 4 together count for two and
// are not primary (Fig 4.17). Restarted on a blank disk nobody marked, 2
// counts again and the three form a primary view of an empty state, which
// the checker reports (Fig 4.16).
func TestFig4_16And4_17Reincarnation(t *testing.T) {
	forSeeds(t, func(t *testing.T, seed uint64) {
		for _, tc := range []struct {
			name string
			brk  Breakage
		}{{"marked (Fig 4.17)", BreakNothing}, {"blank disk (Fig 4.16)", BreakReincarnation}} {
			t.Run(tc.name, func(t *testing.T) {
				s := newScript(t, seed, 5, safeStack, tc.brk)
				s.partition([]int{0, 1, 2}, []int{3}, []int{4})
				s.primaryOf(0, 1, 2)
				m1 := s.cast(0)
				s.until("m1 applied by 0, 1, 2", 5*time.Second, func() bool { return s.applied(0, m1) && s.applied(1, m1) && s.applied(2, m1) })
				s.rn.crash(s.r(2))
				s.r(2).disk = tc.brk != BreakReincarnation // a blank disk, unmarked, in the broken case
				s.r(2).restarts++
				require.NoError(t, s.r(2).nd.Start())
				s.partition([]int{0, 1}, []int{2, 3, 4})
				s.until("2, 3 and 4 in one view", 10*time.Second, func() bool {
					v := s.r(2).view
					return v != nil && v.N() == 3 && s.r(3).view != nil && s.r(3).view.ID == v.ID && s.r(4).view != nil && s.r(4).view.ID == v.ID
				})
				s.rn.net.RunFor(3 * time.Second)
				if tc.brk == BreakNothing {
					info := s.r(3).info
					require.False(t, info.Primary, "a view with a zombie counted as a majority")
					require.Equal(t, 2, info.Counted)
					require.Equal(t, []stack.EndpID{s.r(2).me.ID()}, info.Zombies)
					s.rn.net.Heal()
					s.primaryOf(all5...)
					s.until("m1 everywhere", 5*time.Second, func() bool {
						for _, i := range all5 {
							if !s.applied(i, m1) {
								return false
							}
						}
						return true
					})
					require.Empty(t, s.check())
					return
				}
				require.True(t, s.r(3).info.Primary, "without the mark, 2, 3 and 4 form a primary view")
				require.NotEmpty(t, s.check(), "the checker must report the primary view formed with a reincarnated replica")
			})
		}
	})
}
