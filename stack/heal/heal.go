// Package heal finds the other components of a partitioned group and asks
// the membership layer to merge with them.
//
// The coordinator of every view announces its view on the discovery
// addresses (an IP multicast group, a seed list, or a range of local ports,
// depending on the transport). A coordinator that hears of a view ordered
// after its own, with no member in common, asks Gmp to merge into it; the
// smaller view always moves, so two components never ask each other. One
// that hears of a view ordered before its own answers that view's
// coordinator with its own announcement, sent to it alone (at most once
// per gossip period): discovery may be one-sided — a seed list or a DNS
// name that names only some of the members — and the component that must
// move may be the one that cannot hear the other. A
// member that appears in a later view elsewhere has evidently moved on and
// is suspected here, so that components whose previous views overlap first
// shed the members they share and then merge.
package heal

import (
	"time"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/wire"
)

const (
	target   = "heal"
	kindPass = 0
)

// Protocol is the partition healing protocol. It remembers when the next
// merge attempt is allowed, across views.
type Protocol struct {
	nextMerge time.Time
}

// Name returns "Heal".
func (*Protocol) Name() string { return "Heal" }

// NewLayer returns the layer for a view.
func (p *Protocol) NewLayer(env *stack.Env) stack.Layer {
	l := &layer{p: p, env: env}
	// Spread the first announcement so that members started together do
	// not all talk at once.
	jitter := time.Duration(env.Rand() % uint64(env.Config.Gossip/2+1))
	l.next = env.Now().Add(env.Config.Gossip/4 + jitter)
	return l
}

type layer struct {
	p    *Protocol
	env  *stack.Env
	next time.Time
	// answered is when this coordinator last answered a view behind its
	// own.
	answered time.Time
}

func (l *layer) Down(ev *stack.Event) {
	switch ev.Type {
	case stack.ECtrl:
		ev.Msg.PushByte(kindPass)
	}
	l.env.PassDown(ev)
}

func (l *layer) Up(ev *stack.Event) {
	switch ev.Type {
	case stack.ECtrl:
		kind, err := ev.Msg.PopByte()
		if err != nil || kind != kindPass {
			l.env.Metrics.Drop("heal-malformed")
			return
		}
		l.env.PassUp(ev)
	case stack.EGlobal:
		if ev.Target != target {
			l.env.PassUp(ev)
			return
		}
		l.gossip(ev.From, ev.Bytes)
	default:
		l.env.PassUp(ev)
	}
}

func (l *layer) Tick(now time.Time) {
	if l.env.View.Rank != 0 || now.Before(l.next) {
		return
	}
	g := l.env.Config.Gossip
	l.next = now.Add(g - g/4 + time.Duration(l.env.Rand()%uint64(g/2+1)))
	l.announce("")
}

// announce sends this view's announcement to the discovery addresses, or
// to addr alone.
func (l *layer) announce(addr string) {
	var w wire.Writer
	stack.PutViewID(&w, l.env.View.ID)
	stack.PutEndpoints(&w, l.env.View.Members)
	l.env.PassDown(&stack.Event{Type: stack.EGlobal, Control: &stack.Control{Target: target, Bytes: w.B, Addr: addr}})
}

// gossip handles another coordinator's announcement.
func (l *layer) gossip(from stack.Endpoint, body []byte) {
	r := wire.NewReader(body)
	id := stack.GetViewID(r)
	members := stack.GetEndpoints(r)
	if r.Err() != nil || len(members) == 0 {
		l.env.Metrics.Drop("heal-malformed")
		return
	}
	v := l.env.View
	if id == v.ID || from == l.env.Me {
		return
	}
	if !v.ID.Less(id) {
		// The other side is behind and must come to us: make sure it
		// hears of us, even if it does not announce to us.
		if v.Rank == 0 && !l.shares(members) && !l.env.Now().Before(l.answered.Add(l.env.Config.Gossip)) {
			l.answered = l.env.Now()
			l.announce(from.Addr)
		}
		return
	}
	var moved []int
	includesMe := false
	for _, m := range members {
		if m == l.env.Me {
			includesMe = true
		} else if r := v.RankOf(m); r >= 0 {
			moved = append(moved, r)
		}
	}
	if len(moved) > 0 {
		l.env.Log.Debug("members moved to a later view", "ranks", moved, "view", id)
		l.env.PassDown(&stack.Event{Type: stack.ESuspect, Control: &stack.Control{Ranks: moved}})
		return
	}
	if includesMe || v.Rank != 0 || l.env.Now().Before(l.p.nextMerge) {
		return
	}
	l.p.nextMerge = l.env.Now().Add(l.env.Config.MergeBackoff)
	l.env.PassDown(&stack.Event{Type: stack.EMerge, Control: &stack.Control{From: from, Addr: from.Addr, TargetID: id}})
}

// shares reports whether members has an address in common with this view.
func (l *layer) shares(members []stack.Endpoint) bool {
	for _, m := range members {
		for _, o := range l.env.View.Members {
			if m.Addr == o.Addr {
				return true
			}
		}
	}
	return false
}
