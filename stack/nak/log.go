package nak

// msgLog keeps the messages of one stream: the delivered ones not yet known
// to be stable (to serve retransmissions), and the ones received ahead of a
// gap (out of order, not yet deliverable).
type msgLog struct {
	base      uint64   // seq of held[0]
	held      [][]byte // delivered, not yet stable: seqs base .. next-1
	next      uint64   // next seq to deliver (delivered = next-1)
	ahead     map[uint64][]byte
	lastNak   int64  // unix nanos of the last NAK for everything missing
	lastNakTo uint64 // the highest seq a NAK has covered since then
}

func newLog() *msgLog { return &msgLog{base: 1, next: 1} }

// delivered returns how many messages of the stream have been delivered.
func (l *msgLog) delivered() uint64 { return l.next - 1 }

// keep records the delivery of seq l.next with content b.
func (l *msgLog) keep(b []byte) {
	l.held = append(l.held, b)
	l.next++
}

// get returns a delivered, still-held message.
func (l *msgLog) get(seq uint64) ([]byte, bool) {
	if seq < l.base || seq >= l.next {
		return nil, false
	}
	return l.held[seq-l.base], true
}

// collect drops every held message up to and including seq.
func (l *msgLog) collect(seq uint64) {
	if seq >= l.next {
		seq = l.next - 1
	}
	if seq < l.base {
		return
	}
	n := seq - l.base + 1
	for i := uint64(0); i < n; i++ {
		l.held[i] = nil
	}
	l.held = l.held[n:]
	l.base = seq + 1
	if len(l.held) == 0 {
		l.held = nil
	}
}

// stash keeps a message that arrived ahead of a gap.
func (l *msgLog) stash(seq uint64, b []byte, cap int) bool {
	if l.ahead == nil {
		l.ahead = make(map[uint64][]byte)
	}
	if _, dup := l.ahead[seq]; dup {
		return false
	}
	if len(l.ahead) >= cap {
		return false
	}
	l.ahead[seq] = b
	return true
}

// maxAhead returns the highest seq held ahead, or 0.
func (l *msgLog) maxAhead() uint64 {
	var m uint64
	for s := range l.ahead {
		if s > m {
			m = s
		}
	}
	return m
}
