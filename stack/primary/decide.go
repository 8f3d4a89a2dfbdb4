package primary

import (
	"fmt"
	"sort"

	"github.com/maestro-go/maestro/stack"
)

// proposal is what the coordinator knows when it proposes a view: who is
// in it, where each member comes from, everyone's flush report (members
// and leavers alike), the primary number of the flush it ran, and the
// veto of a layer below, if any.
type proposal struct {
	members  []stack.Endpoint
	prevs    map[stack.Endpoint]stack.ViewID
	reports  map[stack.EndpID]report
	number   uint64
	replicas int
	veto     string
	// upToDate, when a layer below names them (stack.UpToDateKey), are
	// the members with the most advanced application state: then they,
	// not the highest SVN, decide who is stale, and states are equal when
	// nobody is.
	upToDate map[stack.EndpID]bool
}

// decide returns the verdict on the proposed view.
func decide(p proposal) ViewInfo {
	v := ViewInfo{Replicas: p.replicas, PPSN: p.number}
	for _, r := range p.reports {
		v.PPSN = max(v.PPSN, r.ppsn)
	}
	// A component leaving a primary view delivers, at its end, as many
	// casts as the member of it that knew most predicted.
	ends := map[uint64]uint64{}
	for _, r := range p.reports {
		if r.inPrimary {
			ends[r.view] = max(ends[r.view], r.svn.Count)
		}
	}
	svns := map[stack.EndpID]SVN{}
	var voters []stack.EndpID
	var missing []stack.EndpID
	promised := p.number > 0
	for _, m := range p.members {
		id := m.ID()
		r, ok := p.reports[id]
		if !ok {
			missing = append(missing, id)
			promised = false
			continue
		}
		if r.promise != p.number {
			promised = false
		}
		if !r.voter {
			continue
		}
		s := r.svn
		if r.inPrimary {
			s.Count = ends[r.view]
		}
		svns[id] = s
		voters = append(voters, id)
		if r.zombie {
			v.Zombies = append(v.Zombies, id)
		} else {
			v.Counted++
		}
	}
	for _, id := range voters {
		if v.SVN.Less(svns[id]) {
			v.SVN = svns[id]
		}
	}
	if p.upToDate != nil {
		// The up-to-date state is that of the named members; a stale
		// member that receives it takes the largest of their SVNs.
		v.SVN = SVN{}
		for _, id := range voters {
			if p.upToDate[id] && v.SVN.Less(svns[id]) {
				v.SVN = svns[id]
			}
		}
	}
	for _, id := range voters {
		up := svns[id] == v.SVN
		if p.upToDate != nil {
			up = p.upToDate[id]
		}
		if up {
			v.UpToDate = append(v.UpToDate, id)
		} else {
			v.Stale = append(v.Stale, id)
		}
	}
	v.Stale = append(v.Stale, missing...)
	sortIDs(v.UpToDate)
	sortIDs(v.Stale)
	sortIDs(v.Zombies)

	components := map[stack.ViewID]bool{}
	for _, m := range p.members {
		components[p.prevs[m]] = true
	}
	switch {
	case v.Counted < v.Majority():
		v.Reason = fmt.Sprintf("a primary view needs %d of the %d replicas", v.Majority(), v.Replicas)
	case v.Counted > v.Replicas:
		v.Reason = fmt.Sprintf("%d replicas count but only %d are configured: check Replicas and the state directories", v.Counted, v.Replicas)
	case len(v.Stale) > 0:
		v.Reason = fmt.Sprintf("%d replicas must first receive the up-to-date state %v", len(v.Stale), v.SVN)
	case len(components) > 1:
		v.Reason = "merged components are reinstalled as primary once their states are equal"
	case !promised:
		v.Reason = "not every member promised the primary number"
	case p.veto != "":
		v.Reason = p.veto
	default:
		v.Primary, v.Number = true, p.number
		v.SVN = SVN{Primary: p.number}
	}
	return v
}

func sortIDs(ids []stack.EndpID) {
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
}
