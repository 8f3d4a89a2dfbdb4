package sim

import (
	"fmt"
	"slices"
	"sort"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/primary"
)

// replicaChecker verifies the primary-partition properties (§4.4.1–§4.4.2),
// reincarnation (§4.4.4) and the replication properties of §4.4.5 over a
// replica scenario: it is told every view, delivery, abort and state
// transfer as they happen and keeps what the checks need.
type replicaChecker struct {
	replicas   int
	safe       bool
	violations []string

	primaries    map[uint64]stack.ViewID    // Linear Ordering: number -> view
	primaryState map[stack.ViewID]uint64    // the state every member installs a primary view with
	lastPrimary  map[stack.Endpoint]uint64  // per incarnation
	svnState     map[primary.SVN]uint64     // State Consistency: SVN -> state
	deliveredAt  map[string]map[string]bool // id -> replicas that delivered it
	everApplied  map[stack.Endpoint]map[string]bool
	abortedAt    map[string][]stack.Endpoint // id -> incarnations told it aborted
	mg           []string                    // the group history (Safe): every history is a prefix of it
	mgHash       []uint64
}

func newReplicaChecker(replicas int, safe bool) *replicaChecker {
	return &replicaChecker{
		replicas: replicas, safe: safe,
		primaries: map[uint64]stack.ViewID{}, primaryState: map[stack.ViewID]uint64{},
		lastPrimary: map[stack.Endpoint]uint64{}, svnState: map[primary.SVN]uint64{},
		deliveredAt: map[string]map[string]bool{}, everApplied: map[stack.Endpoint]map[string]bool{},
		abortedAt: map[string][]stack.Endpoint{}, mgHash: []uint64{0},
	}
}

func (c *replicaChecker) fail(format string, args ...any) {
	if len(c.violations) < 50 {
		c.violations = append(c.violations, fmt.Sprintf(format, args...))
	}
}

func (c *replicaChecker) cast(rep *replica, id string) {}

func (c *replicaChecker) crash(rep *replica) {}

// view checks a view installation.
func (c *replicaChecker) view(rep *replica, v *stack.View, info primary.ViewInfo) {
	if !info.Primary {
		c.svnCheck(rep)
		return
	}
	if prev, ok := c.primaries[info.Number]; ok && prev != v.ID {
		c.fail("Linear Ordering: primary number %d given to view %v and to view %v", info.Number, prev, v.ID)
	}
	if info.Number <= c.lastPrimary[rep.me] {
		c.fail("Linear Ordering: %s installed primary view #%d after #%d", rep.addr, info.Number, c.lastPrimary[rep.me])
	}
	c.lastPrimary[rep.me] = info.Number
	if _, ok := c.primaries[info.Number]; !ok {
		c.primaries[info.Number] = v.ID
		c.checkMajority(rep, v, info)
	}
	if !rep.observer {
		state := rep.hash[len(rep.hist)]
		if s, ok := c.primaryState[v.ID]; !ok {
			c.primaryState[v.ID] = state
		} else if s != state {
			c.fail("Validity: %s installed primary view %v (#%d) with a state other members did not have (%d updates)", rep.addr, v.ID, info.Number, len(rep.hist))
		}
	}
	c.svnCheck(rep)
}

// checkMajority verifies, at the first installation of a primary view,
// that its members held a majority of the replicas without counting the
// zombies — by the simulator's own account of who restarted, not the
// layer's. A member that has died since (an earlier incarnation of a
// replica) took part in the view's flush: it counts if it was never a
// zombie (seed 18863: a paused coordinator installed the view after a
// member of its flush had crashed and restarted).
func (c *replicaChecker) checkMajority(rep *replica, v *stack.View, info primary.ViewInfo) {
	counted := 0
	var zombies []string
	for _, m := range v.Members {
		r := rep.rn.byEnd[m]
		switch {
		case r == nil || r.observer:
		case r.me != m:
			if rep.rn.startedZombie[m] {
				zombies = append(zombies, m.Addr)
			} else {
				counted++
			}
		case r.zombie:
			zombies = append(zombies, m.Addr)
		default:
			counted++
		}
	}
	if counted < c.replicas/2+1 {
		c.fail("Validity: primary view %v (#%d) has %d counting replicas of %d (zombies not counted: %v)", v.ID, info.Number, counted, c.replicas, zombies)
	}
}

// donor checks that a replica asked for the view's up-to-date state has
// it: the state of the SVN a stale replica takes once it has received it.
// (With Safe the up-to-date replicas have one state but may have different
// SVNs.)
func (c *replicaChecker) donor(rep *replica) {
	want := rep.info.SVN
	h := rep.hash[len(rep.hist)]
	if s, ok := c.svnState[want]; ok && s != h {
		c.fail("%s: asked for the up-to-date state %v of view %v but has another (SVN %v, %d updates)", rep.addr, want, rep.view.ID, rep.proto.SVN(), len(rep.hist))
	} else if !ok && !c.safe && rep.proto.SVN() != want {
		c.fail("%s: asked for the up-to-date state %v of view %v but has SVN %v", rep.addr, want, rep.view.ID, rep.proto.SVN())
	}
}

// svnCheck verifies State Consistency: equal SVNs, equal states. A
// replica whose layers have not yet heard of the state it installed is
// checked once they have (seed 60797: a view installed in between, with
// the new state and the old SVN).
func (c *replicaChecker) svnCheck(rep *replica) {
	if rep.observer || rep.proto == nil || rep.installing {
		return
	}
	s := rep.proto.SVN()
	h := rep.hash[len(rep.hist)]
	if prev, ok := c.svnState[s]; !ok {
		c.svnState[s] = h
	} else if prev != h {
		c.fail("State Consistency: %s has SVN %v with a state (%d updates, last %s) another replica had with a different content", rep.addr, s, len(rep.hist), last(rep.hist))
	}
}

func last(h []string) string {
	if len(h) == 0 {
		return "none"
	}
	return h[len(h)-1]
}

func (c *replicaChecker) deliver(rep *replica, id string) {
	if !rep.info.Primary {
		c.fail("%s delivered %s in the non-primary view %v", rep.addr, id, viewID(rep.view))
	}
	if rep.aborted[id] {
		c.fail("%s delivered %s after it was reported aborted", rep.addr, id)
	}
	if slices.Contains(rep.hist, id) {
		c.fail("%s applied %s twice", rep.addr, id)
	}
	rep.extend(id)
	if c.everApplied[rep.me] == nil {
		c.everApplied[rep.me] = map[string]bool{}
	}
	c.everApplied[rep.me][id] = true
	if !rep.observer {
		if c.deliveredAt[id] == nil {
			c.deliveredAt[id] = map[string]bool{}
		}
		c.deliveredAt[id][rep.addr] = true
		c.historyCheck(rep)
	}
	c.svnCheck(rep)
}

// transfer checks a state transfer: with Safe, nothing delivered is ever
// rolled back, so the new state extends the old one.
func (c *replicaChecker) transfer(rep *replica, snap []string) {
	if c.safe && (len(snap) < len(rep.hist) || !slices.Equal(snap[:len(rep.hist)], rep.hist)) {
		c.fail("rollback: %s had applied %d updates (last %s); the state it received (%d updates) does not extend them", rep.addr, len(rep.hist), last(rep.hist), len(snap))
	}
	rep.replace(snap)
	if !rep.observer {
		c.historyCheck(rep)
	}
}

// historyCheck (Safe) verifies that every replica's history is a prefix
// of one group history MG (Linearizability and Completeness, §4.4.5).
func (c *replicaChecker) historyCheck(rep *replica) {
	if !c.safe {
		return
	}
	n := len(rep.hist)
	if n <= len(c.mg) {
		if rep.hash[n] != c.mgHash[n] {
			c.fail("Linearizability: %s's history of %d updates (last %s) is not a prefix of the group history (%s at that point)", rep.addr, n, last(rep.hist), c.mg[n-1])
		}
		return
	}
	if rep.hash[len(c.mg)] != c.mgHash[len(c.mg)] {
		c.fail("Linearizability: %s's history (%d updates) diverges from the group history (%d updates)", rep.addr, n, len(c.mg))
		return
	}
	c.mg = slices.Clone(rep.hist)
	c.mgHash = slices.Clone(rep.hash)
}

func (c *replicaChecker) abort(rep *replica, id string) {
	c.abortedAt[id] = append(c.abortedAt[id], rep.me)
	if c.everApplied[rep.me][id] && c.safe {
		c.fail("%s was told %s aborted after delivering it", rep.addr, id)
	}
}

// finish runs the checks of the whole run.
func (c *replicaChecker) finish(rn *replicaRun, converged bool) {
	var live []*replica
	for _, rep := range rn.live() {
		if !rep.observer {
			live = append(live, rep)
		}
	}
	if converged {
		for _, rep := range live[1:] {
			if !slices.Equal(rep.hist, live[0].hist) {
				c.fail("final states differ: %s has %d updates, %s %d (%s)", live[0].addr, len(live[0].hist), rep.addr, len(rep.hist), historyDiff(live[0].hist, rep.hist))
			}
		}
	}
	mg := c.mg
	if !c.safe && converged && len(live) > 0 {
		mg = live[0].hist
		// Majority Completeness: a message a majority delivered is in MG.
		in := map[string]bool{}
		for _, id := range mg {
			in[id] = true
		}
		var lost []string
		for id, at := range c.deliveredAt {
			if len(at) >= c.replicas/2+1 && !in[id] {
				lost = append(lost, id)
			}
		}
		sort.Strings(lost)
		if len(lost) > 0 {
			c.fail("Majority Completeness: %d updates delivered by a majority are not in the group history, first %s", len(lost), lost[0])
		}
	}
	// Validity (§4.4.5): everything in MG was delivered at some replica.
	for _, id := range mg {
		if len(c.deliveredAt[id]) == 0 {
			c.fail("Validity: %s is in the group history but no replica delivered it", id)
			break
		}
	}
	if c.safe {
		inMG := map[string]bool{}
		for _, id := range mg {
			inMG[id] = true
		}
		var wrong []string
		for id := range c.abortedAt {
			if len(c.deliveredAt[id]) > 0 || inMG[id] {
				wrong = append(wrong, id)
			}
		}
		sort.Strings(wrong)
		if len(wrong) > 0 {
			c.fail("AbortCast for %d casts that were delivered, first %s (delivered at %v)", len(wrong), wrong[0], keys(c.deliveredAt[wrong[0]]))
		}
	}
	if !converged {
		return
	}
	// Every replica that stayed up learns the fate of each of its casts.
	for _, rep := range live {
		for _, id := range rep.mine {
			if !slices.Contains(rep.hist, id) && !rep.aborted[id] && (c.safe || !c.everApplied[rep.me][id]) {
				c.fail("%s: own cast %s neither applied nor reported aborted (%d casts wait in its stack)", rep.addr, id, rep.nd.Core().Backlog())
				break
			}
		}
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// historyDiff says where two histories part.
func historyDiff(a, b []string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	tail := func(h []string) []string { return h[i:min(len(h), i+3)] }
	return fmt.Sprintf("first difference at %d: %v vs %v", i, tail(a), tail(b))
}
