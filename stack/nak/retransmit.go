package nak

import (
	"github.com/maestro-go/maestro/stack"
	"github.com/maestro-go/maestro/stack/wire"
)

// requestCasts asks for casts from origin this member is missing: those
// before a message held ahead, those a status report says exist, and those
// the flush cut requires. The request goes to origin unless it has failed;
// then to a surviving member whose status shows it holds them.
func (l *layer) requestCasts(origin int) {
	if origin == l.me {
		return
	}
	lg := l.casts[origin]
	want := l.peerSent[origin]
	if a := lg.maxAhead(); a > want {
		want = a
	}
	if l.cutActive && l.cut[origin] > want {
		want = l.cut[origin]
	}
	if want > l.limit[origin] {
		want = l.limit[origin]
	}
	if want < lg.next {
		return
	}
	to := want
	if to-lg.next >= maxNakRange {
		to = lg.next + maxNakRange - 1
	}
	dest := origin
	if l.failed[origin] {
		dest = l.holder(origin, lg.next)
		if dest < 0 {
			return
		}
	}
	l.nak(lg, dest, streamCast, origin, to)
}

// requestSends asks from for point-to-point messages this member misses.
func (l *layer) requestSends(from int) {
	if from == l.me || l.failed[from] {
		return
	}
	lg := l.sendsIn[from]
	want := l.peerP2P[from]
	if a := lg.maxAhead(); a > want {
		want = a
	}
	if want < lg.next {
		return
	}
	to := want
	if to-lg.next >= maxNakRange {
		to = lg.next + maxNakRange - 1
	}
	l.nak(lg, from, streamSend, from, to)
}

// nak sends one retransmission request, at most once per Retransmit
// interval per stream unless the range grew.
func (l *layer) nak(lg *msgLog, dest int, stream byte, origin int, to uint64) {
	now := l.env.Now().UnixNano()
	if now-lg.lastNak < int64(l.env.Config.Retransmit) && to <= lg.lastNakTo {
		return
	}
	lg.lastNak, lg.lastNakTo = now, to
	var w wire.Writer
	w.Byte(kindNak)
	w.Byte(stream)
	w.Uvarint(uint64(origin))
	w.Uvarint(lg.next)
	w.Uvarint(to)
	m := wire.NewMsg(nil)
	m.Push(w.B)
	l.env.Metrics.NaksSent.Add(1)
	l.env.PassDown(&stack.Event{Type: stack.ECtrl, Peer: dest, Msg: m})
}

// holder picks a surviving member known to hold cast seq of origin,
// rotating among candidates so a dead holder does not stall the request.
func (l *layer) holder(origin int, seq uint64) int {
	start := int(l.env.Rand() % uint64(l.n))
	fallback := -1
	for i := 0; i < l.n; i++ {
		r := (start + i) % l.n
		if r == l.me || l.failed[r] {
			continue
		}
		if l.peerRecv[r] != nil && l.peerRecv[r][origin] >= seq {
			return r
		}
		if fallback < 0 {
			fallback = r
		}
	}
	return fallback
}

// nakUp answers a retransmission request from a member.
func (l *layer) nakUp(from int, r *wire.Reader) {
	stream := r.Byte()
	origin := r.Int(l.n - 1)
	first := r.Uvarint()
	last := r.Uvarint()
	if r.Err() != nil || first == 0 || last < first || last-first >= maxNakRange {
		l.env.Metrics.Drop("nak-malformed")
		return
	}
	sent, bytes := 0, 0
	for seq := first; seq <= last && sent < maxRetransmit && bytes < maxRetransByte; seq++ {
		var (
			b  []byte
			ok bool
			w  wire.Writer
		)
		if stream == streamCast {
			b, ok = l.casts[origin].get(seq)
			w.Byte(kindRetransC)
			w.Uvarint(uint64(origin))
		} else {
			b, ok = l.sendsOut[from].get(seq)
			w.Byte(kindRetransS)
		}
		if !ok {
			continue
		}
		w.Uvarint(seq)
		m := wire.NewMsg(b)
		m.Push(w.B)
		sent++
		bytes += len(b)
		l.env.Metrics.Retransmissions.Add(1)
		l.env.PassDown(&stack.Event{Type: stack.ECtrl, Peer: from, Msg: m})
	}
}
