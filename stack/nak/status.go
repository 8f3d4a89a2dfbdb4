package nak

import (
	"time"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/wire"
)

// A status report carries, for every rank s: the casts from s this member
// has delivered, the point-to-point messages it has sent to s, and those it
// has received from s. Receivers use it to detect losses at the tail of a
// stream, to pick holders for retransmission, and to garbage-collect.
func (l *layer) sendStatus(now time.Time) {
	l.lastStatus = now
	l.dirty = false
	if l.n == 1 {
		return
	}
	var w wire.Writer
	w.Byte(kindStatus)
	w.Uvarint(uint64(l.n))
	for s := 0; s < l.n; s++ {
		w.Uvarint(l.casts[s].delivered())
		w.Uvarint(l.sendsOut[s].delivered())
		w.Uvarint(l.sendsIn[s].delivered())
	}
	m := wire.NewMsg(nil)
	m.Push(w.B)
	l.env.PassDown(&stack.Event{Type: stack.ECtrl, Peer: stack.AllPeers, Msg: m})
}

func (l *layer) statusUp(from int, r *wire.Reader) {
	n := r.Int(l.n)
	if r.Err() != nil || n != l.n {
		l.env.Metrics.Drop("nak-malformed")
		return
	}
	recv := make([]uint64, n)
	var sentToMe, recvFromMe uint64
	for s := 0; s < n; s++ {
		recv[s] = r.Uvarint()
		sent, got := r.Uvarint(), r.Uvarint()
		if s == l.me {
			sentToMe, recvFromMe = sent, got
		}
	}
	if r.Err() != nil {
		l.env.Metrics.Drop("nak-malformed")
		return
	}
	l.peerRecv[from] = recv
	if recv[from] > l.peerSent[from] {
		l.peerSent[from] = recv[from]
	}
	if sentToMe > l.peerP2P[from] {
		l.peerP2P[from] = sentToMe
	}
	l.sendsOut[from].collect(recvFromMe)
	l.updateStable()
	l.requestCasts(from)
	l.requestSends(from)
}

// updateStable recomputes, per sender, what every surviving member has
// delivered, and drops those messages from the logs.
func (l *layer) updateStable() {
	for s := 0; s < l.n; s++ {
		min := l.casts[s].delivered()
		for r := 0; r < l.n; r++ {
			if r == l.me || l.failed[r] {
				continue
			}
			var d uint64
			if l.peerRecv[r] != nil {
				d = l.peerRecv[r][s]
			}
			if d < min {
				min = d
			}
		}
		if min > l.stable[s] {
			l.stable[s] = min
			l.casts[s].collect(min)
		}
	}
}
