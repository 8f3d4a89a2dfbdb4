package sim

import (
	"fmt"
	"slices"
	"sort"

	"github.com/maestro-go/maestro/stack"
)

// Checker records what every member (every incarnation) installed and
// delivered, and verifies the stack's promises over the whole run.
type Checker struct {
	// Total says casts are totally ordered (the Total property): then
	// within a view every member's deliveries are a prefix of another's.
	Total bool

	members map[stack.Endpoint]*memberLog
	order   []stack.Endpoint
	casts   map[string]stack.Endpoint // message id -> sender
	views   map[stack.ViewID][]stack.Endpoint
}

type memberLog struct {
	views   []stack.ViewID
	deliv   map[stack.ViewID][]string
	seen    map[string]bool
	aborted map[string]bool
	exited  bool
	errs    []string
}

// NewChecker returns an empty checker.
func NewChecker(total bool) *Checker {
	return &Checker{
		Total:   total,
		members: make(map[stack.Endpoint]*memberLog),
		casts:   make(map[string]stack.Endpoint),
		views:   make(map[stack.ViewID][]stack.Endpoint),
	}
}

func (c *Checker) log(e stack.Endpoint) *memberLog {
	m := c.members[e]
	if m == nil {
		m = &memberLog{deliv: map[stack.ViewID][]string{}, seen: map[string]bool{}, aborted: map[string]bool{}}
		c.members[e] = m
		c.order = append(c.order, e)
	}
	return m
}

// Cast registers a cast by sender with a unique message id.
func (c *Checker) Cast(sender stack.Endpoint, id string) { c.casts[id] = sender }

// View records a view installed by me.
func (c *Checker) View(me stack.Endpoint, v *stack.View) {
	m := c.log(me)
	if m.exited {
		m.errs = append(m.errs, fmt.Sprintf("installed view %v after exiting", v.ID))
	}
	m.views = append(m.views, v.ID)
	if prev, ok := c.views[v.ID]; ok && !slices.Equal(prev, v.Members) {
		m.errs = append(m.errs, fmt.Sprintf("view %v installed with members %v here but %v elsewhere", v.ID, v.Members, prev))
	}
	c.views[v.ID] = slices.Clone(v.Members)
}

// Deliver records the delivery of message id from sender to me in view.
func (c *Checker) Deliver(me stack.Endpoint, view stack.ViewID, sender stack.Endpoint, id string) {
	m := c.log(me)
	if m.seen[id] {
		m.errs = append(m.errs, fmt.Sprintf("message %s delivered twice", id))
	}
	m.seen[id] = true
	if s, ok := c.casts[id]; !ok {
		m.errs = append(m.errs, fmt.Sprintf("message %s was never cast", id))
	} else if s != sender {
		m.errs = append(m.errs, fmt.Sprintf("message %s reported from %v but cast by %v", id, sender, s))
	}
	m.deliv[view] = append(m.deliv[view], id)
}

// Abort records that me was told message id will never be delivered.
func (c *Checker) Abort(me stack.Endpoint, id string) {
	m := c.log(me)
	if m.seen[id] {
		m.errs = append(m.errs, fmt.Sprintf("message %s aborted after being delivered", id))
	}
	m.aborted[id] = true
}

// Exit records that me left the group.
func (c *Checker) Exit(me stack.Endpoint) { c.log(me).exited = true }

// Delivered reports whether me delivered message id.
func (c *Checker) Delivered(me stack.Endpoint, id string) bool {
	m := c.members[me]
	return m != nil && m.seen[id]
}

// Check verifies every recorded history and returns the violations.
func (c *Checker) Check() []string {
	var errs []string
	for _, e := range c.order {
		m := c.members[e]
		for _, s := range m.errs {
			errs = append(errs, fmt.Sprintf("%v: %s", e, s))
		}
		for i, id := range m.views {
			if !slices.Contains(c.views[id], e) {
				errs = append(errs, fmt.Sprintf("%v: Validity: installed view %v without being a member", e, id))
			}
			if i > 0 && !m.views[i-1].Less(id) {
				errs = append(errs, fmt.Sprintf("%v: Consistent Ordering: view %v installed after %v", e, id, m.views[i-1]))
			}
		}
		errs = append(errs, c.checkFIFO(e, m)...)
	}
	errs = append(errs, c.checkSuccessors()...)
	return errs
}

// checkFIFO verifies each sender's casts are delivered in sending order.
func (c *Checker) checkFIFO(e stack.Endpoint, m *memberLog) []string {
	last := map[stack.Endpoint]int{}
	var errs []string
	for _, v := range m.views {
		for _, id := range m.deliv[v] {
			s := c.casts[id]
			k := castIndex(id)
			if k <= last[s] {
				errs = append(errs, fmt.Sprintf("%v: FIFO: %s delivered after message %d of the same sender", e, id, last[s]))
			}
			last[s] = k
		}
	}
	return errs
}

// checkSuccessors verifies Agreement on Successors, View Atomic Delivery
// and (with Total) Strong Prefix.
func (c *Checker) checkSuccessors() []string {
	var errs []string
	succ := map[stack.ViewID]map[stack.Endpoint]stack.ViewID{}
	installers := map[stack.ViewID][]stack.Endpoint{}
	for _, e := range c.order {
		m := c.members[e]
		for i, v := range m.views {
			installers[v] = append(installers[v], e)
			if i+1 < len(m.views) {
				if succ[v] == nil {
					succ[v] = map[stack.Endpoint]stack.ViewID{}
				}
				succ[v][e] = m.views[i+1]
			}
		}
	}
	ids := make([]stack.ViewID, 0, len(installers))
	for id := range installers {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].Less(ids[j]) })
	for _, v := range ids {
		for p, w := range succ[v] {
			for _, q := range installers[w] {
				if q == p {
					continue
				}
				qm := c.members[q]
				if !slices.Contains(qm.views, v) {
					continue
				}
				if qs, ok := succ[v][q]; !ok || qs != w {
					errs = append(errs, fmt.Sprintf("Agreement on Successors: %v went %v -> %v but %v went %v -> %v", p, v, w, q, v, qs))
					continue
				}
				pd, qd := c.members[p].deliv[v], qm.deliv[v]
				if !sameSet(pd, qd) {
					errs = append(errs, fmt.Sprintf("View Atomic Delivery: %v and %v went %v -> %v but delivered %d and %d casts (first difference %s)", p, q, v, w, len(pd), len(qd), firstDiff(pd, qd)))
				}
			}
		}
		if c.Total {
			inst := installers[v]
			for i := 0; i < len(inst); i++ {
				for j := i + 1; j < len(inst); j++ {
					a, b := c.members[inst[i]].deliv[v], c.members[inst[j]].deliv[v]
					if !prefix(a, b) && !prefix(b, a) {
						errs = append(errs, fmt.Sprintf("Strong Prefix: in view %v, %v and %v delivered diverging sequences (first difference %s)", v, inst[i], inst[j], firstDiff(a, b)))
					}
				}
			}
		}
	}
	return errs
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

func prefix(a, b []string) bool {
	return len(a) <= len(b) && slices.Equal(a, b[:len(a)])
}

func firstDiff(a, b []string) string {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return fmt.Sprintf("at %d: %s vs %s", i, a[i], b[i])
		}
	}
	return fmt.Sprintf("lengths %d vs %d", len(a), len(b))
}

// CurrentView returns the last view me installed.
func (c *Checker) CurrentView(me stack.Endpoint) (stack.ViewID, bool) {
	m := c.members[me]
	if m == nil || len(m.views) == 0 {
		return stack.ViewID{}, false
	}
	return m.views[len(m.views)-1], true
}

// Members returns the members of a recorded view.
func (c *Checker) Members(id stack.ViewID) []stack.Endpoint { return c.views[id] }
