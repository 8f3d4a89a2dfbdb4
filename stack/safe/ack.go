package safe

import (
	"time"

	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/wire"
)

// Acknowledgements: how far this member's log reaches, how far it has
// delivered, and the last position it knows a majority holds. They are
// best effort and only ever add knowledge, so telling fewer members at
// once can delay a delivery but never make one unsafe; every other member
// is told again every Config.Status while something may wait for it
// (Tick).
//
// Every member but the one that ordered a cast has the orderer's
// acknowledgement with the cast: the orderer holds the cast first, and its
// acknowledgement leaves in the same batch as the cast or its order. So a
// member that did not order a cast tells only the orderer at once — the
// sequencer at rank 0 under Total, the cast's sender under Token (both,
// since the layer does not know which order runs below it) — and a member
// that ordered a cast, or may have, tells everyone. With a majority of
// two, that is all anyone needs: in a group of three whose sequencer
// casts, two of the four acknowledgements a cast used to cost are saved.
// With a larger majority, rank 0, which hears from everyone, tells
// everyone at once each time it learns that a majority holds more
// (relayLearnt): a cast costs each other member its acknowledgement and
// one relay, where acknowledging to all cost n-1 each. The cast's sender
// hears every acknowledgement itself, so a replica waiting to answer a
// client's request it cast waits no longer than before; only members that
// neither cast nor ordered it learn a hop later. One relay is enough: the
// sender relaying too would cost every member another wake-up. A view
// with members that are not voters (whose acknowledgements do not count)
// goes back to telling everyone everything.

// noteAck records that this member's log grew with a cast from sender.
func (l *layer) noteAck(sender int) {
	l.ackDirty = true
	if l.ackAll {
		return
	}
	if !l.allVote || l.me == 0 || sender == l.me {
		l.ackAll = true
		return
	}
	l.ackTo[0] = true
	l.ackTo[sender] = true // ordered takes only casts of a member's rank
}

// relayLearnt has rank 0 tell everyone at once that a majority holds
// more, when acknowledgements taught it so and a majority takes more than
// two (with two, the orderer's acknowledgement is all the others need).
func (l *layer) relayLearnt() {
	if l.me != 0 || l.majority() <= 2 || !l.allVote {
		return
	}
	if w := l.heldByMajority(); w > l.safeTo && w > l.told {
		l.ackDirty, l.ackAll = true, true
	}
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
	safe := l.watermark()
	if all {
		clear(l.ackTo)
		l.told = max(l.told, safe)
		l.passAck(stack.AllPeers, safe)
		return
	}
	for r, to := range l.ackTo {
		if to && r != l.me {
			l.passAck(r, safe)
		}
	}
	clear(l.ackTo)
}

// passAck sends this member's acknowledgement to peer, with safe, the
// last position it knows a majority holds.
func (l *layer) passAck(peer int, safe uint64) {
	var w wire.Writer
	w.Byte(kindStable)
	w.Uvarint(l.p.end())
	w.Uvarint(l.p.base)
	w.Uvarint(safe)
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
