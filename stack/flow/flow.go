// Package flow bounds what a sender may have in flight: at most
// Config.FlowWindow casts, and at most as many bytes as the smallest
// Config.FlowBytes of the view's surviving members, that some surviving
// member has not yet consumed. Receivers report, per sender, how many casts
// their application has consumed — at once when an eighth of a window has
// been consumed since the last report (in bytes, an eighth of the smallest
// budget they heard of, which is what holds the sender), otherwise at the
// next tick — and with it their own FlowBytes, which by default is what
// their socket holds while they are busy (stack.ReceiveBuffered): so a
// sender whose buffer is larger than a receiver's (another host's limits,
// a member without the privilege to raise its own) never has more in
// flight than that receiver can keep. When a sender's window is full the
// layer tells the engine to hold the application's casts (EFlowBlock),
// letting them go again once the slowest member has caught up with a
// quarter of the window. So a slow
// receiver bounds the memory of every member instead of letting queues
// grow without limit.
//
// A credit is kindCredit, the casts consumed (uvarint), then the
// receiver's FlowBytes (uvarint; absent from members that predate it).
// Each member reports its FlowBytes to every other at its first tick in a
// view, before it has consumed anything.
package flow

import (
	"time"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/wire"
)

const (
	kindPass   = 0
	kindCast   = 1
	kindCredit = 2
)

// maxBudget bounds a reported FlowBytes (1 GiB), so that the figure fits
// an int on every platform whatever a peer sends.
const maxBudget = 1 << 30

// Protocol is the flow-control protocol.
type Protocol struct{}

// Name returns "Flow".
func (Protocol) Name() string { return "Flow" }

// NewLayer returns the layer for a view.
func (Protocol) NewLayer(env *stack.Env) stack.Layer {
	n := env.View.N()
	return &layer{
		env: env, n: n, me: env.View.Rank,
		credit: make([]uint64, n), failed: make([]bool, n),
		reported: make([]uint64, n), consumed: make([]uint64, n),
		held: make([]sizes, n), heldBytes: make([]int, n), owed: make([]int, n),
		budget: make([]int, n), told: make([]bool, n),
	}
}

type layer struct {
	env *stack.Env
	n   int
	me  int

	sent      uint64   // application casts sent in this view
	sizes     sizes    // sizes of casts acked..sent (outstanding)
	acked     uint64   // casts consumed by every surviving member
	bytes     int      // total of sizes
	credit    []uint64 // casts of ours each member has consumed
	failed    []bool
	blocked   bool
	consumed  []uint64 // casts of each sender our application consumed
	reported  []uint64 // what we last told each sender
	held      []sizes  // sizes of each sender's casts delivered, not yet consumed
	heldBytes []int
	owed      []int  // bytes consumed since the last report, per sender
	budget    []int  // each member's FlowBytes, as it reported it (0: not yet)
	told      []bool // whether we reported ours to each member in this view
	lastSent  time.Time
	lastAll   time.Time
}

func (l *layer) Down(ev *stack.Event) {
	switch ev.Type {
	case stack.ECast:
		l.sent++
		l.sizes.push(ev.Msg.Len())
		l.bytes += ev.Msg.Len()
		ev.Msg.PushByte(kindCast)
		l.env.PassDown(ev)
		l.check()
	case stack.ESend, stack.ECtrl:
		ev.Msg.PushByte(kindPass)
		l.env.PassDown(ev)
	case stack.EConsumed:
		if len(ev.Vector) == l.n {
			for s, c := range ev.Vector {
				for l.consumed[s] < c && l.held[s].len() > 0 {
					l.owed[s] += l.held[s].pop()
					l.consumed[s]++
				}
				l.consumed[s] = max(l.consumed[s], c)
			}
			l.credit[l.me] = l.consumed[l.me]
			l.report(reportDue)
			l.check()
		}
	case stack.EFail:
		for _, r := range ev.Ranks {
			if r >= 0 && r < l.n {
				l.failed[r] = true
			}
		}
		l.check()
		l.env.PassDown(ev)
	default:
		l.env.PassDown(ev)
	}
}

// Report modes: on consumption, only what is due; on ticks, whatever
// changed; now and then, everything (repairing lost reports).
const (
	reportDue = iota
	reportChanged
	reportAll
)

// report tells each sender how many of its casts we consumed: at once when
// an eighth of a window (in casts, or in bytes of the smallest budget of
// the view's members) has been consumed since the last report, otherwise
// at the next tick.
func (l *layer) report(mode int) {
	cfg := l.env.Config
	// An eighth of the smallest budget heard of, not of our own: the
	// sender is held to that one, and waits for our report to go on.
	dueBytes := l.byteLimit() / 8
	for s := 0; s < l.n; s++ {
		if s == l.me || l.failed[s] {
			continue
		}
		delta := l.consumed[s] - l.reported[s]
		due := delta >= uint64(max(1, cfg.FlowWindow/8)) || l.owed[s] >= dueBytes
		switch {
		case due:
		case mode == reportChanged && delta > 0:
		case mode == reportAll && l.consumed[s] > 0:
		case mode != reportDue && !l.told[s]:
		default:
			continue
		}
		l.reported[s], l.owed[s], l.told[s] = l.consumed[s], 0, true
		var w wire.Writer
		w.Byte(kindCredit)
		w.Uvarint(l.consumed[s])
		w.Uvarint(uint64(cfg.FlowBytes))
		m := wire.NewMsg(nil)
		m.Push(w.B)
		l.env.PassDown(&stack.Event{Type: stack.ECtrl, Peer: s, Msg: m})
	}
	switch mode {
	case reportAll:
		l.lastAll = l.env.Now()
		fallthrough
	case reportChanged:
		l.lastSent = l.env.Now()
	}
}

// check closes or opens the window.
func (l *layer) check() {
	min := l.sent
	for r := 0; r < l.n; r++ {
		if !l.failed[r] && l.credit[r] < min {
			min = l.credit[r]
		}
	}
	for l.acked < min && l.sizes.len() > 0 {
		l.bytes -= l.sizes.pop()
		l.acked++
	}
	out := l.sent - l.acked
	cfg := l.env.Config
	limit := l.byteLimit()
	switch {
	case !l.blocked && (out >= uint64(cfg.FlowWindow) || l.bytes >= limit):
		l.blocked = true
		l.env.PassUp(&stack.Event{Type: stack.EFlowBlock})
	case l.blocked && out <= uint64(cfg.FlowWindow)*3/4 && l.bytes <= limit*3/4:
		l.blocked = false
		l.env.PassUp(&stack.Event{Type: stack.EFlowUnblock})
	}
}

// byteLimit is how many bytes this sender may have in flight: its own
// FlowBytes, or less if a surviving member reported less — but no less
// than a datagram's worth for a member's figure, so that a member that
// reports less still gets casts, one datagram in flight at a time.
func (l *layer) byteLimit() int {
	limit := l.env.Config.FlowBytes
	for r, b := range l.budget {
		if r != l.me && !l.failed[r] && b > 0 {
			limit = min(limit, max(b, l.env.Config.MaxPacket))
		}
	}
	return limit
}

func (l *layer) Up(ev *stack.Event) {
	switch ev.Type {
	case stack.ECast, stack.ESend, stack.EAbort:
		if k, err := ev.Msg.PopByte(); err != nil || (k != kindCast && k != kindPass) {
			l.env.Metrics.Drop("flow-malformed")
			return
		}
		if ev.Type == stack.ECast && ev.Peer != l.me && ev.Peer >= 0 {
			// Casts of an earlier view (Peer < 0) owe no credit here.
			l.held[ev.Peer].push(ev.Msg.Len())
		}
		l.env.PassUp(ev)
	case stack.ECtrl:
		k, err := ev.Msg.PopByte()
		switch {
		case err != nil:
			l.env.Metrics.Drop("flow-malformed")
		case k == kindPass:
			l.env.PassUp(ev)
		case k == kindCredit:
			r := ev.Msg.Reader()
			c := r.Uvarint()
			var budget uint64
			if r.Remaining() > 0 {
				budget = r.Uvarint()
			}
			if r.Err() != nil || c > l.sent {
				l.env.Metrics.Drop("flow-malformed")
				return
			}
			changed := false
			if b := int(min(budget, maxBudget)); b > 0 && b != l.budget[ev.Peer] {
				l.budget[ev.Peer], changed = b, true
			}
			if c > l.credit[ev.Peer] {
				l.credit[ev.Peer], changed = c, true
			}
			if changed {
				l.check()
			}
		default:
			l.env.Metrics.Drop("flow-malformed")
		}
	default:
		l.env.PassUp(ev)
	}
}

func (l *layer) Tick(now time.Time) {
	switch {
	case now.Sub(l.lastAll) >= l.env.Config.Heartbeat:
		l.report(reportAll)
	case now.Sub(l.lastSent) >= l.env.Config.Tick:
		l.report(reportChanged)
	}
}
