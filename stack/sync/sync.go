// Package sync gives View Atomic Delivery (§4.3.2): members that go from
// one view to the same next view deliver the same set of casts in between.
//
// When a flush starts, every survivor reports the casts it has delivered
// from each sender; once a member has every survivor's report it computes
// the cut — the per-sender maximum — and has the reliable layer deliver
// exactly up to it, fetching what it lacks from whoever holds it. Since each
// member freezes the failed senders before reporting, nobody has delivered
// beyond the cut, and since all survivors compute it from the same reports,
// all of them end the view with the same deliveries.
package sync

import (
	"time"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/wire"
)

const (
	kindPass = 0
	kindSync = 1

	maxEarly = 64 // reports kept for flushes not started here yet
)

// Protocol is the view-synchrony protocol.
type Protocol struct{}

// Name returns "Sync".
func (Protocol) Name() string { return "Sync" }

// NewLayer returns the layer for a view.
func (Protocol) NewLayer(env *stack.Env) stack.Layer {
	return &layer{env: env, n: env.View.N(), early: make(map[early][]uint64)}
}

type early struct {
	tag  stack.FlushTag
	from int
}

type layer struct {
	env *stack.Env
	n   int

	active    bool
	tag       stack.FlushTag
	survivors []int
	reports   [][]uint64 // by rank; nil = not yet received
	mine      []uint64
	cutSent   bool
	done      bool
	lastSend  time.Time

	early map[early][]uint64
}

func (l *layer) Down(ev *stack.Event) {
	switch ev.Type {
	case stack.ECtrl:
		ev.Msg.PushByte(kindPass)
		l.env.PassDown(ev)
	case stack.EFail:
		l.env.PassDown(ev)
		l.start(ev.Flush, ev.Survivors)
	default:
		l.env.PassDown(ev)
	}
}

func (l *layer) start(tag stack.FlushTag, survivors []int) {
	l.active, l.tag, l.survivors = true, tag, survivors
	l.reports = make([][]uint64, l.n)
	l.cutSent, l.done = false, false
	q := &stack.Event{Type: stack.EQueryVector, Control: &stack.Control{}}
	l.env.PassDown(q)
	l.mine = q.Vector
	l.reports[l.env.View.Rank] = l.mine
	for k, v := range l.early {
		if k.tag == tag {
			l.reports[k.from] = v
		}
	}
	clear(l.early)
	l.broadcast(true)
	l.maybeCut()
}

// broadcast sends this member's report to every survivor that has not sent
// one yet, asking for theirs.
func (l *layer) broadcast(wantReply bool) {
	l.lastSend = l.env.Now()
	for _, r := range l.survivors {
		if r != l.env.View.Rank && l.reports[r] == nil {
			l.send(r, wantReply)
		}
	}
}

func (l *layer) send(to int, wantReply bool) {
	var w wire.Writer
	w.Byte(kindSync)
	w.Uvarint(uint64(l.tag.Coord))
	w.Uvarint(l.tag.Num)
	w.Bool(wantReply)
	w.Uvarint(uint64(len(l.mine)))
	for _, d := range l.mine {
		w.Uvarint(d)
	}
	m := wire.NewMsg(nil)
	m.Push(w.B)
	l.env.PassDown(&stack.Event{Type: stack.ECtrl, Peer: to, Msg: m})
}

func (l *layer) Up(ev *stack.Event) {
	switch ev.Type {
	case stack.ECtrl:
		kind, err := ev.Msg.PopByte()
		if err != nil {
			l.env.Metrics.Drop("sync-malformed")
			return
		}
		if kind == kindPass {
			l.env.PassUp(ev)
			return
		}
		l.report(ev.Peer, ev.Msg.Reader())
	case stack.ECutDone:
		if l.active && l.cutSent && !l.done {
			l.done = true
			l.env.PassUp(&stack.Event{Type: stack.ESyncDone, Control: &stack.Control{Flush: l.tag}})
		}
	default:
		l.env.PassUp(ev)
	}
}

func (l *layer) report(from int, r *wire.Reader) {
	var tag stack.FlushTag
	tag.Coord = r.Int(l.n - 1)
	tag.Num = r.Uvarint()
	wantReply := r.Bool()
	k := r.Count(l.n, 1)
	vec := make([]uint64, k)
	for i := range vec {
		vec[i] = r.Uvarint()
	}
	if r.Err() != nil || k != l.n {
		l.env.Metrics.Drop("sync-malformed")
		return
	}
	if !l.active || tag != l.tag {
		if len(l.early) < maxEarly {
			l.early[early{tag, from}] = vec
		}
		return
	}
	if l.reports[from] == nil && l.isSurvivor(from) {
		l.reports[from] = vec
	}
	if wantReply {
		l.send(from, false)
	}
	l.maybeCut()
}

func (l *layer) isSurvivor(r int) bool {
	for _, s := range l.survivors {
		if s == r {
			return true
		}
	}
	return false
}

// maybeCut computes the cut once every survivor has reported.
func (l *layer) maybeCut() {
	if !l.active || l.cutSent {
		return
	}
	cut := make([]uint64, l.n)
	for _, s := range l.survivors {
		rep := l.reports[s]
		if rep == nil {
			return
		}
		for i, d := range rep {
			if d > cut[i] {
				cut[i] = d
			}
		}
	}
	l.cutSent = true
	l.env.PassDown(&stack.Event{Type: stack.ECut, Control: &stack.Control{Vector: cut}})
}

func (l *layer) Tick(now time.Time) {
	if l.active && !l.cutSent && now.Sub(l.lastSend) >= 3*l.env.Config.Retransmit {
		l.broadcast(true)
	}
}
