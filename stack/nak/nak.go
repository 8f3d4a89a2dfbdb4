package nak

import (
	"math"
	"time"

	"github.com/maestro-go/maestro/stack"
)

// Protocol is the reliable-delivery protocol. It keeps no state across views.
type Protocol struct{}

// Name returns "Nak".
func (Protocol) Name() string { return "Nak" }

// NewLayer returns the layer for a view.
func (Protocol) NewLayer(env *stack.Env) stack.Layer {
	n := env.View.N()
	l := &layer{
		env:      env,
		n:        n,
		me:       env.View.Rank,
		casts:    make([]*msgLog, n),
		sendsIn:  make([]*msgLog, n),
		sendsOut: make([]*msgLog, n),
		failed:   make([]bool, n),
		limit:    make([]uint64, n),
		peerRecv: make([][]uint64, n),
		peerSent: make([]uint64, n),
		peerP2P:  make([]uint64, n),
		stable:   make([]uint64, n),
		aheadCap: 4*env.Config.FlowWindow + 64,
	}
	for i := 0; i < n; i++ {
		l.casts[i], l.sendsIn[i], l.sendsOut[i] = newLog(), newLog(), newLog()
		l.limit[i] = math.MaxUint64
	}
	return l
}

type layer struct {
	env *stack.Env
	n   int
	me  int

	casts    []*msgLog // per sender, including this member's own casts
	sendsIn  []*msgLog // point-to-point streams from each member
	sendsOut []*msgLog // point-to-point streams to each member (unacknowledged)

	failed []bool
	limit  []uint64 // highest cast seq deliverable per sender

	cut       []uint64
	cutActive bool
	cutDone   bool

	peerRecv [][]uint64 // each member's delivered vector, from its last status
	peerSent []uint64   // each member's cast count, from its last status
	peerP2P  []uint64   // how many point-to-point messages each member sent us
	stable   []uint64   // per sender: delivered by every surviving member

	aheadCap   int
	dirty      bool
	lastStatus time.Time
}

func (l *layer) Down(ev *stack.Event) {
	switch ev.Type {
	case stack.ECast:
		l.castDown(ev)
	case stack.ESend:
		l.sendDown(ev)
	case stack.ECtrl:
		ev.Msg.PushByte(kindPass)
		l.env.PassDown(ev)
	case stack.EFail:
		l.fail(ev.Ranks)
		l.env.PassDown(ev)
	case stack.ECut:
		l.startCut(ev.Vector)
	case stack.EQueryVector:
		ev.Vector = l.deliveredVector()
	default:
		l.env.PassDown(ev)
	}
}

func (l *layer) castDown(ev *stack.Event) {
	own := l.casts[l.me]
	seq := own.next
	content := ev.Msg.Bytes()
	ev.Msg.PushKind(kindCast, seq)
	l.env.PassDown(ev)
	l.deliverCast(l.me, content)
}

func (l *layer) sendDown(ev *stack.Event) {
	out := l.sendsOut[ev.Peer]
	seq := out.next
	out.keep(ev.Msg.Bytes())
	ev.Msg.PushKind(kindSend, seq)
	l.dirty = true
	l.env.PassDown(ev)
}

func (l *layer) deliveredVector() []uint64 {
	v := make([]uint64, l.n)
	for i, lg := range l.casts {
		v[i] = lg.delivered()
	}
	return v
}

func (l *layer) Up(ev *stack.Event) {
	if ev.Type != stack.ERecv {
		l.env.PassUp(ev)
		return
	}
	kind, err := ev.Msg.PopByte()
	if err != nil {
		l.env.Metrics.Drop("nak-malformed")
		return
	}
	from := ev.Peer
	switch kind {
	case kindPass:
		ev.Type = stack.ECtrl
		l.env.PassUp(ev)
	case kindCast, kindSend, kindRetransS:
		r := ev.Msg.Reader()
		seq := r.Uvarint()
		if r.Err() != nil || seq == 0 || ev.Msg.Skip(r.Consumed()) != nil {
			l.env.Metrics.Drop("nak-malformed")
			return
		}
		if kind == kindCast {
			l.castUp(from, seq, ev)
		} else {
			l.sendUp(from, seq, ev.Msg.Bytes())
		}
	case kindRetransC:
		r := ev.Msg.Reader()
		origin := r.Int(l.n - 1)
		seq := r.Uvarint()
		if r.Err() != nil || seq == 0 || ev.Msg.Skip(r.Consumed()) != nil {
			l.env.Metrics.Drop("nak-malformed")
			return
		}
		if origin != l.me {
			l.castUp(origin, seq, ev)
		}
	case kindStatus:
		l.statusUp(from, ev.Msg.Reader())
	case kindNak:
		l.nakUp(from, ev.Msg.Reader())
	default:
		l.env.Metrics.Drop("nak-unknown-kind")
	}
}

// castUp handles a cast (original or retransmitted) from origin; ev holds
// its content and is reused for the delivery.
func (l *layer) castUp(origin int, seq uint64, ev *stack.Event) {
	lg := l.casts[origin]
	b := ev.Msg.Bytes()
	switch {
	case seq < lg.next:
		l.env.Metrics.Drop("duplicate")
		return
	case seq == lg.next && seq <= l.limit[origin]:
		lg.keep(b)
		l.dirty = true
		ev.Type, ev.Peer = stack.ECast, origin
		l.env.PassUp(ev)
		l.deliverAhead(origin)
	default:
		if !lg.stash(seq, b, l.aheadCap) {
			l.env.Metrics.Drop("duplicate-or-full")
		}
		l.requestCasts(origin)
	}
	l.checkCut()
}

func (l *layer) deliverCast(origin int, b []byte) {
	l.casts[origin].keep(b)
	l.dirty = true
	l.env.PassUp(stack.WrappedEvent(stack.ECast, origin, b))
}

// deliverAhead delivers messages that were waiting for a gap to close.
func (l *layer) deliverAhead(origin int) {
	lg := l.casts[origin]
	for lg.next <= l.limit[origin] {
		b, ok := lg.ahead[lg.next]
		if !ok {
			return
		}
		delete(lg.ahead, lg.next)
		l.deliverCast(origin, b)
	}
}

func (l *layer) sendUp(from int, seq uint64, b []byte) {
	lg := l.sendsIn[from]
	switch {
	case seq < lg.next:
		l.env.Metrics.Drop("duplicate")
	case seq == lg.next:
		l.deliverSend(from, b)
		for {
			nb, ok := lg.ahead[lg.next]
			if !ok {
				break
			}
			delete(lg.ahead, lg.next)
			l.deliverSend(from, nb)
		}
	default:
		if !lg.stash(seq, b, l.aheadCap) {
			l.env.Metrics.Drop("duplicate-or-full")
		}
		l.requestSends(from)
	}
}

func (l *layer) deliverSend(from int, b []byte) {
	lg := l.sendsIn[from]
	lg.next++ // point-to-point messages are never retransmitted by the receiver
	lg.base = lg.next
	l.dirty = true
	l.env.PassUp(stack.WrappedEvent(stack.ESend, from, b))
}

// fail freezes the casts of members that will not survive the flush at
// what this member has delivered of them, which is what it reports to the
// flush. Members excluded by an earlier flush of the view are frozen again:
// that flush's cut may have raised their limit, and if the new flush's cut
// is lower, anything delivered above it here would be delivered by no other
// survivor.
func (l *layer) fail(ranks []int) {
	for _, r := range ranks {
		if r < 0 || r >= l.n || r == l.me {
			continue
		}
		l.failed[r] = true
		if d := l.casts[r].delivered(); d < l.limit[r] {
			l.limit[r] = d
		}
	}
	l.updateStable()
}

func (l *layer) startCut(cut []uint64) {
	if len(cut) != l.n {
		return
	}
	l.cut = append([]uint64(nil), cut...)
	l.cutActive, l.cutDone = true, false
	for s := 0; s < l.n; s++ {
		l.limit[s] = cut[s]
		l.deliverAhead(s)
	}
	l.checkCut()
	if !l.cutDone {
		for s := 0; s < l.n; s++ {
			l.requestCasts(s)
		}
	}
}

func (l *layer) checkCut() {
	if !l.cutActive || l.cutDone {
		return
	}
	for s, c := range l.cut {
		if l.casts[s].delivered() < c {
			return
		}
	}
	l.cutDone = true
	l.env.PassUp(&stack.Event{Type: stack.ECutDone})
}

func (l *layer) Tick(now time.Time) {
	if now.Sub(l.lastStatus) >= l.env.Config.Status && (l.dirty || l.unstable()) {
		l.sendStatus(now)
	}
	for s := 0; s < l.n; s++ {
		if s != l.me {
			l.requestCasts(s)
			l.requestSends(s)
		}
	}
}

// unstable reports whether anything this member sent or holds still needs
// the others' acknowledgement.
func (l *layer) unstable() bool {
	if l.n == 1 {
		return false
	}
	for s, lg := range l.casts {
		if l.stable[s] < lg.delivered() || len(lg.ahead) > 0 {
			return true
		}
	}
	for _, out := range l.sendsOut {
		if len(out.held) > 0 {
			return true
		}
	}
	return false
}
