// Package suspect is the failure detector (§2.2.4): members that send
// nothing for Config.SuspectTimeout are suspected. Every member sends a
// heartbeat when it has sent nothing to the group for Config.Heartbeat, so
// silence means a crash, a partition or a link that lost fairness. The
// detector is complete (a crashed member is eventually suspected) but, like
// every timeout, not accurate: a slow member may be suspected too.
//
// A heartbeat carries its sender's incarnation and a sequence number
// (per view): one from another incarnation, or not newer than the last
// one heard from its sender, is dropped and keeps nobody alive, so a
// replayed heartbeat cannot hold a crashed member in the view. (The Core
// has already checked that a datagram claiming a rank comes from that
// member's address; with Auth, that it is authentic.)
package suspect

import (
	"time"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/wire"
)

const (
	kindPass      = 0
	kindHeartbeat = 1 // followed by incarnation(8) and sequence number (uvarint)
)

// Protocol is the failure detector.
type Protocol struct{}

// Name returns "Suspect".
func (Protocol) Name() string { return "Suspect" }

// NewLayer returns the detector for a view.
func (Protocol) NewLayer(env *stack.Env) stack.Layer {
	n := env.View.N()
	l := &layer{env: env, heard: make([]time.Time, n), done: make([]bool, n), beats: make([]uint64, n)}
	now := env.Now()
	for i := range l.heard {
		l.heard[i] = now
	}
	l.done[env.View.Rank] = true
	l.lastSent = now
	return l
}

type layer struct {
	env      *stack.Env
	heard    []time.Time // when each member was last heard from
	done     []bool      // suspected already, failed, or this member
	lastSent time.Time   // last datagram to the whole group
	beats    []uint64    // newest heartbeat sequence number heard, per member
	seq      uint64      // this member's last heartbeat's
}

func (l *layer) Down(ev *stack.Event) {
	switch ev.Type {
	case stack.ECast, stack.ESend, stack.ECtrl:
		ev.Msg.PushByte(kindPass)
		if ev.Peer == stack.AllPeers {
			l.lastSent = l.env.Now()
		}
	case stack.EFail:
		for _, r := range ev.Ranks {
			if r >= 0 && r < len(l.done) {
				l.done[r] = true
			}
		}
	}
	l.env.PassDown(ev)
}

func (l *layer) Up(ev *stack.Event) {
	if ev.Type != stack.ERecv {
		l.env.PassUp(ev)
		return
	}
	kind, err := ev.Msg.PopByte()
	switch {
	case err != nil:
		l.env.Metrics.Drop("suspect-malformed")
	case kind == kindPass:
		l.heard[ev.Peer] = l.env.Now()
		l.env.PassUp(ev)
	case kind == kindHeartbeat:
		l.heartbeat(ev)
	default:
		l.env.Metrics.Drop("suspect-unknown-kind")
	}
}

// heartbeat accepts a heartbeat from the member's incarnation, newer than
// the last heard from it.
func (l *layer) heartbeat(ev *stack.Event) {
	r := wire.NewReader(ev.Msg.Bytes())
	inc, seq := r.Uint64(), r.Uvarint()
	switch {
	case r.Err() != nil:
		l.env.Metrics.Drop("suspect-malformed")
	case inc != l.env.View.Members[ev.Peer].Inc:
		l.env.Metrics.Drop("suspect-heartbeat-incarnation")
	case seq <= l.beats[ev.Peer]:
		l.env.Metrics.Drop("suspect-heartbeat-old")
	default:
		l.beats[ev.Peer] = seq
		l.heard[ev.Peer] = l.env.Now()
	}
}

func (l *layer) Tick(now time.Time) {
	if len(l.heard) == 1 {
		return
	}
	if now.Sub(l.lastSent) >= l.env.Config.Heartbeat {
		l.seq++
		var w wire.Writer
		w.Uint64(l.env.Me.Inc)
		w.Uvarint(l.seq)
		m := wire.NewMsg(w.B)
		m.PushByte(kindHeartbeat)
		l.lastSent = now
		l.env.PassDown(&stack.Event{Type: stack.ECtrl, Peer: stack.AllPeers, Msg: m})
	}
	var suspects []int
	for r, t := range l.heard {
		if !l.done[r] && now.Sub(t) > l.env.Config.SuspectTimeout {
			l.done[r] = true
			suspects = append(suspects, r)
		}
	}
	if len(suspects) > 0 {
		l.env.Metrics.Suspicions.Add(uint64(len(suspects)))
		l.env.Log.Debug("suspecting", "ranks", suspects)
		l.env.PassUp(&stack.Event{Type: stack.ESuspect, Control: &stack.Control{Ranks: suspects}})
	}
}
