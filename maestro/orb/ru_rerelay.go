package orb

import (
	"time"

	"github.com/maestro-go/maestro/maestro/clsv"
	"github.com/maestro-go/maestro/maestro/message"
)

// A request that a view change aborts (Safe's AbortCast) was applied by
// no replica and never will be: its receiving replica relays it again,
// under the same number and so the same identity, into the next view,
// instead of answering TRANSIENT. A client whose request was in flight
// when another replica crashed then sees a slower reply, not an
// exception. Only a request aborted more than Options.RelayAborted
// times, or one that cannot be relayed again (no primary view, the
// replica leaving), is answered TRANSIENT/COMPLETED_NO. Were an abort
// ever wrong, the same identity would still find the reply recorded in
// the same history: the request would not run twice in it.

// relayAgain is the aborted relayed request n, encoded anew.
type relayAgain struct {
	n   uint64
	msg *message.Message
}

// aborted handles this replica's relayed request r, which a view change
// aborted (AbortCast; the delivery goroutine): r is queued to be relayed
// again, or answered TRANSIENT/COMPLETED_NO if it was relayed again
// Options.RelayAborted times already or the replica is stopping.
func (o *ReplicatedUpdates) aborted(r *relayed) {
	o.mu.Lock()
	if _, waiting := o.pending[r.n]; r.responseExpected && !waiting {
		o.mu.Unlock()
		return // answered already
	}
	o.relays[r.n]++
	relays := o.relays[r.n]
	if relays > o.opts.RelayAborted || !o.active || o.m == nil {
		o.mu.Unlock()
		o.log.Debug("orb: relayed request aborted by a view change", "n", r.n, "op", r.operation)
		o.abortPending(r.n)
		return
	}
	// Encoded now: r's arguments lie in the aborted message, which is
	// not ours once this upcall returns.
	o.again = append(o.again, relayAgain{n: r.n, msg: encodeRelayed(r)})
	start := !o.relaying
	o.relaying = true
	o.mu.Unlock()
	o.log.Debug("orb: relayed request aborted by a view change; relaying it again", "n", r.n, "op", r.operation, "relays", relays+1)
	if start {
		// Not from this upcall: a cast may wait for the next view, which
		// this goroutine delivers.
		o.afterFunc(0, o.relayQueued)
	}
}

// relayQueued casts the queued aborted requests again, in the order they
// were aborted; one that cannot be cast is answered TRANSIENT.
func (o *ReplicatedUpdates) relayQueued() {
	for {
		o.mu.Lock()
		if len(o.again) == 0 {
			o.again, o.relaying = nil, false
			o.mu.Unlock()
			return
		}
		a, m := o.again[0], o.m
		o.again = o.again[1:]
		o.mu.Unlock()
		if err := m.Cast(a.msg, clsv.Generic); err != nil {
			o.log.Debug("orb: aborted request not relayed again", "n", a.n, "err", err)
			o.abortPending(a.n)
		}
	}
}

// afterFunc runs f after d: on the simulator's clock if it set one.
func (o *ReplicatedUpdates) afterFunc(d time.Duration, f func()) {
	if o.opts.AfterFunc != nil {
		o.opts.AfterFunc(d, f)
		return
	}
	time.AfterFunc(d, f)
}
