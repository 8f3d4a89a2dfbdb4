package safe

import (
	"time"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/wire"
)

// Acknowledgements: how far this member's log reaches, and how far it has
// delivered. They are best effort and only ever add knowledge, so telling
// fewer members at once can delay a delivery but never make one unsafe;
// every other member is told again every Config.Status while something
// may wait for it (Tick).
//
// Who is told at once depends on the majority. With a majority of two, a
// member needs one acknowledgement besides its own, and every member but
// the one that ordered a cast has it with the cast: the orderer holds the
// cast first, and its acknowledgement leaves in the same batch as the
// cast or its order. So only the orderer waits for the others — the
// sequencer at rank 0 under Total, the cast's sender under Token — and
// telling the rest would wake every member for nothing: in a group of
// three whose sequencer casts, two of the four acknowledgements a cast
// used to cost. A member that ordered a cast, or may have, tells everyone.
// A larger majority needs acknowledgements from members that did not
// order the cast, and so does a view with members that are not voters
// (the orderer's acknowledgement may not count): everyone is told.

// noteAck records that this member's log grew with a cast from sender.
func (l *layer) noteAck(sender int) {
	l.ackDirty = true
	if l.ackAll {
		return
	}
	if l.majority() > 2 || !l.allVoters() || l.me == 0 || sender == l.me {
		l.ackAll = true
		return
	}
	l.ackTo[0] = true
	if sender >= 0 && sender < l.n {
		l.ackTo[sender] = true
	}
}

// allVoters reports whether every member of the view is a voter.
func (l *layer) allVoters() bool {
	for _, v := range l.voters {
		if !v {
			return false
		}
	}
	return true
}

// Idle sends this member's acknowledgement once per batch, to those that
// must have it at once.
func (l *layer) Idle() {
	if l.info.Primary && l.ackDirty {
		l.sendAck(l.ackAll)
	}
}

// Tick tells every other member again while something may wait for it:
// acknowledgements are best effort, and once the group falls silent a
// lost one would never be replaced.
func (l *layer) Tick(now time.Time) {
	if l.info.Primary && now.Sub(l.lastFull) >= l.env.Config.Status && (len(l.p.log) > 0 || !l.established || l.someoneBehind()) {
		l.sendAck(true)
	}
}

// sendAck sends this member's acknowledgement to every other member, or
// only to those marked in ackTo.
func (l *layer) sendAck(all bool) {
	l.ackDirty, l.ackAll = false, false
	if all {
		l.lastFull = l.env.Now()
	}
	if l.n == 1 {
		return
	}
	if all {
		clear(l.ackTo)
		l.passAck(stack.AllPeers)
		return
	}
	for r, to := range l.ackTo {
		if to && r != l.me {
			l.passAck(r)
		}
	}
	clear(l.ackTo)
}

func (l *layer) passAck(peer int) {
	var w wire.Writer
	w.Byte(kindStable)
	w.Uvarint(l.p.end())
	w.Uvarint(l.p.base)
	m := wire.NewMsg(nil)
	m.Push(w.B)
	l.env.PassDown(&stack.Event{Type: stack.ECtrl, Peer: peer, Msg: m})
}

// someoneBehind reports a member that has not said it delivered all this
// member holds: it may wait for this member's acknowledgement.
func (l *layer) someoneBehind() bool {
	for r, d := range l.delivered {
		if r != l.me && d < l.p.end() {
			return true
		}
	}
	return false
}
