package sim

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/maestro-go/maestro/stack"
)

// Checker records what every member (every incarnation) installed and
// delivered, and verifies the stack's promises over the whole run. Every
// violation it reports starts with the name of the property broken:
//
//   - Unique Views: a view id always names the same membership.
//   - Unique Addresses: a view never holds two incarnations of one address
//     (one of them is dead, and the live one would get its datagrams).
//   - Validity: a member installs only views it belongs to, and none after
//     it exited.
//   - Consistent Ordering: each member installs views in increasing id order.
//   - Agreement on Successors: two members that install the same two views
//     install them consecutively or not at all.
//   - View Atomic Delivery: members going from one view to the same next
//     view delivered the same casts in it.
//   - Strong Prefix (with Total): in a view, any member's deliveries are a
//     prefix of any other's.
//   - No Duplication, Integrity: a cast is delivered at most once per
//     member, only if it was cast, and as coming from its sender.
//   - FIFO: each sender's casts are delivered in the order they were sent,
//     and so are its point-to-point messages to each member.
//   - Point-to-point Integrity: a point-to-point message is delivered at
//     most once, only to its destination, and as coming from its sender.
//   - Abort: a cast is not both delivered and aborted at a member.
//   - Own Delivery: a member that neither crashed nor left delivered or
//     was told of the abort of every cast it made.
type Checker struct {
	// Total says casts are totally ordered (the Total property): then
	// within a view every member's deliveries are a prefix of another's.
	Total bool

	members map[stack.Endpoint]*memberLog
	order   []stack.Endpoint
	casts   map[string]stack.Endpoint    // message id -> sender
	ids     []string                     // message ids in casting order
	sends   map[string][2]stack.Endpoint // point-to-point message id -> sender, destination
	views   map[stack.ViewID][]stack.Endpoint
}

type memberLog struct {
	views   []stack.ViewID
	deliv   map[stack.ViewID][]string
	seen    map[string]bool
	aborted map[string]bool
	got     map[string]bool        // point-to-point messages delivered
	lastP2P map[stack.Endpoint]int // index of the last one delivered, per sender
	exited  bool
	crashed bool // crashed (this incarnation ended without leaving)
	left    bool // asked to leave
	errs    []string
}

// NewChecker returns an empty checker.
func NewChecker(total bool) *Checker {
	return &Checker{
		Total:   total,
		members: make(map[stack.Endpoint]*memberLog),
		casts:   make(map[string]stack.Endpoint),
		sends:   make(map[string][2]stack.Endpoint),
		views:   make(map[stack.ViewID][]stack.Endpoint),
	}
}

func (c *Checker) log(e stack.Endpoint) *memberLog {
	m := c.members[e]
	if m == nil {
		m = &memberLog{
			deliv: map[stack.ViewID][]string{}, seen: map[string]bool{}, aborted: map[string]bool{},
			got: map[string]bool{}, lastP2P: map[stack.Endpoint]int{},
		}
		c.members[e] = m
		c.order = append(c.order, e)
	}
	return m
}

// Cast registers a cast by sender with a unique message id.
func (c *Checker) Cast(sender stack.Endpoint, id string) {
	c.casts[id] = sender
	c.ids = append(c.ids, id)
}

// Send registers a point-to-point message from sender to dest with a
// unique id whose suffix "#k" counts the sender's messages to dest.
func (c *Checker) Send(sender, dest stack.Endpoint, id string) {
	c.sends[id] = [2]stack.Endpoint{sender, dest}
}

// Receive records the delivery to me of point-to-point message id from
// sender.
func (c *Checker) Receive(me, sender stack.Endpoint, id string) {
	m := c.log(me)
	if m.got[id] {
		m.errs = append(m.errs, fmt.Sprintf("Point-to-point Integrity: message %s delivered twice", id))
	}
	m.got[id] = true
	sd, ok := c.sends[id]
	switch {
	case !ok:
		m.errs = append(m.errs, fmt.Sprintf("Point-to-point Integrity: message %s was never sent", id))
		return
	case sd[0] != sender || sd[1] != me:
		m.errs = append(m.errs, fmt.Sprintf("Point-to-point Integrity: message %s from %v to %v delivered to %v as from %v", id, sd[0], sd[1], me, sender))
		return
	}
	k := castIndex(id)
	if k <= m.lastP2P[sender] {
		m.errs = append(m.errs, fmt.Sprintf("FIFO: point-to-point %s delivered after message %d of the same sender", id, m.lastP2P[sender]))
	}
	m.lastP2P[sender] = k
}

// Received reports whether me received point-to-point message id.
func (c *Checker) Received(me stack.Endpoint, id string) bool {
	m := c.members[me]
	return m != nil && m.got[id]
}

// Crash records that me (this incarnation) crashed: its own casts need not
// be delivered.
func (c *Checker) Crash(me stack.Endpoint) { c.log(me).crashed = true }

// Leave records that me asked to leave: its casts still queued when it
// exits are dropped, so they need not be delivered.
func (c *Checker) Leave(me stack.Endpoint) { c.log(me).left = true }

// View records a view installed by me.
func (c *Checker) View(me stack.Endpoint, v *stack.View) {
	m := c.log(me)
	if m.exited {
		m.errs = append(m.errs, fmt.Sprintf("Validity: installed view %v after exiting", v.ID))
	}
	m.views = append(m.views, v.ID)
	if prev, ok := c.views[v.ID]; ok && !slices.Equal(prev, v.Members) {
		m.errs = append(m.errs, fmt.Sprintf("Unique Views: view %v installed with members %v here but %v elsewhere", v.ID, v.Members, prev))
	}
	c.views[v.ID] = slices.Clone(v.Members)
	for i, x := range v.Members {
		for _, y := range v.Members[:i] {
			if x.Addr == y.Addr {
				m.errs = append(m.errs, fmt.Sprintf("Unique Addresses: view %v holds %v and %v", v.ID, y, x))
			}
		}
	}
}

// Deliver records the delivery of message id from sender to me in view.
func (c *Checker) Deliver(me stack.Endpoint, view stack.ViewID, sender stack.Endpoint, id string) {
	m := c.log(me)
	if m.seen[id] {
		m.errs = append(m.errs, fmt.Sprintf("No Duplication: message %s delivered twice", id))
	}
	m.seen[id] = true
	if s, ok := c.casts[id]; !ok {
		m.errs = append(m.errs, fmt.Sprintf("Integrity: message %s was never cast", id))
	} else if s != sender {
		m.errs = append(m.errs, fmt.Sprintf("Integrity: message %s reported from %v but cast by %v", id, sender, s))
	}
	m.deliv[view] = append(m.deliv[view], id)
}

// Abort records that me was told message id will never be delivered.
func (c *Checker) Abort(me stack.Endpoint, id string) {
	m := c.log(me)
	if m.seen[id] {
		m.errs = append(m.errs, fmt.Sprintf("Abort: message %s aborted after being delivered", id))
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
	errs = append(errs, c.checkOwn()...)
	return errs
}

// checkOwn verifies Own Delivery: every cast of a member that is still
// running (it neither crashed, left nor exited) was delivered to it or
// reported aborted to it. Call Check only once the run has ended.
func (c *Checker) checkOwn() []string {
	missing := map[stack.Endpoint][]string{}
	var senders []stack.Endpoint
	for _, id := range c.ids {
		s := c.casts[id]
		m := c.members[s]
		if m != nil && (m.crashed || m.left || m.exited) {
			continue
		}
		if m != nil && (m.seen[id] || m.aborted[id]) {
			continue
		}
		if len(missing[s]) == 0 {
			senders = append(senders, s)
		}
		missing[s] = append(missing[s], id)
	}
	var errs []string
	for _, s := range senders {
		ids := missing[s]
		shown := ids
		if len(shown) > 10 {
			shown = shown[:10]
		}
		errs = append(errs, fmt.Sprintf("Own Delivery: %v neither delivered nor saw aborted %d of its own casts: %s", s, len(ids), strings.Join(shown, " ")))
	}
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
