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

// nak asks dest for the messages of lg's stream missing up to to: the
// seqs not held ahead, as runs. Once per Retransmit interval it asks for
// everything missing; in between, only for seqs above what it has asked
// for already. Messages arriving while a gap is open otherwise each asked
// for the whole range again — the gap and the messages held ahead of it —
// and under loss the retransmissions fed the loss (64 KiB casts with a
// flow window larger than the socket buffers collapsed so).
func (l *layer) nak(lg *msgLog, dest int, stream byte, origin int, to uint64) {
	now := l.env.Now().UnixNano()
	from := lg.next
	if now-lg.lastNak < int64(l.env.Config.Retransmit) {
		if to <= lg.lastNakTo {
			return
		}
		from = max(from, lg.lastNakTo+1)
	} else {
		lg.lastNak = now
	}
	runs, covered := missing(lg, from, to)
	lg.lastNakTo = max(lg.lastNakTo, covered)
	if len(runs) == 0 {
		return
	}
	var w wire.Writer
	w.Byte(kindNak)
	w.Byte(stream)
	w.Uvarint(uint64(origin))
	w.Uvarint(uint64(len(runs)))
	for _, r := range runs {
		w.Uvarint(r.first)
		w.Uvarint(r.last)
	}
	m := wire.NewMsg(nil)
	m.Push(w.B)
	l.env.Metrics.NaksSent.Add(1)
	l.env.PassDown(&stack.Event{Type: stack.ECtrl, Peer: dest, Msg: m})
}

// run is the seqs first..last of a stream.
type run struct{ first, last uint64 }

// missing returns the seqs from..to not held ahead, as at most maxNakRuns
// runs, and the highest seq they account for (to, unless the runs ran
// out).
func missing(lg *msgLog, from, to uint64) ([]run, uint64) {
	var runs []run
	for seq := from; seq <= to; seq++ {
		if _, held := lg.ahead[seq]; held {
			continue
		}
		if n := len(runs); n > 0 && runs[n-1].last == seq-1 {
			runs[n-1].last = seq
			continue
		}
		if len(runs) == maxNakRuns {
			return runs, seq - 1
		}
		runs = append(runs, run{seq, seq})
	}
	return runs, to
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

// nakUp answers a retransmission request from a member: the messages of
// its runs that this member holds, up to maxRetransmit messages and
// maxRetransByte bytes. A request whose runs are out of order, overlap or
// span more than maxNakRange seqs is dropped.
func (l *layer) nakUp(from int, r *wire.Reader) {
	stream := r.Byte()
	origin := r.Int(l.n - 1)
	n := r.Int(maxNakRuns)
	var runs [maxNakRuns]run
	var start, prev uint64
	for i := 0; i < n && r.Err() == nil; i++ {
		first, last := r.Uvarint(), r.Uvarint()
		if i == 0 {
			start = first
		}
		if first <= prev || last < first || last-start >= maxNakRange {
			l.env.Metrics.Drop("nak-malformed")
			return
		}
		runs[i], prev = run{first, last}, last
	}
	if r.Err() != nil || n == 0 {
		l.env.Metrics.Drop("nak-malformed")
		return
	}
	sent, bytes := 0, 0
	for _, rn := range runs[:n] {
		for seq := rn.first; seq <= rn.last && sent < maxRetransmit && bytes < maxRetransByte; seq++ {
			if size, ok := l.resend(from, stream, origin, seq); ok {
				sent++
				bytes += size
			}
		}
	}
}

// resend sends member from the message seq of the stream it asked for
// (origin's casts, or our sends to it), if held, and reports its size.
func (l *layer) resend(from int, stream byte, origin int, seq uint64) (int, bool) {
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
		return 0, false
	}
	w.Uvarint(seq)
	m := wire.NewMsg(b)
	m.Push(w.B)
	l.env.Metrics.Retransmissions.Add(1)
	l.env.PassDown(&stack.Event{Type: stack.ECtrl, Peer: from, Msg: m})
	return len(b), true
}
