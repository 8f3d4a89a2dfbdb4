package udp

import (
	"encoding/binary"
	"maps"
	"sync"
	"sync/atomic"
	"time"
)

// The multicast data path is on wherever it works: a datagram for several
// members goes once to the multicast group only when every one of them has
// said, recently, that it hears this transport's multicast. So a member on
// a network that drops multicast, or one whose join failed, or one
// configured without the group, still gets every datagram by unicast, and
// no configuration has to promise that every member can join.
//
// A transport in a multicast group probes it every probeEvery; a transport
// that reads a probe on its group socket answers the prober by unicast with
// its own address as views name it. The prober counts that address as a
// hearer until hearTTL passes without another answer.
//
// An answer counts only if it echoes one of the prober's last two probes'
// nonces (which only those who hear the group have seen: multicast does
// not leave the network segment, TTL 1) and comes from the address it
// names (so a member behind NAT, whose view address is not its source
// address, gets unicast, as multicast would not cross the NAT anyway).
//
// With Auth (or Privacy) the stack hands the transport its guard
// (stack.ControlGuarded), and probes and answers are sealed with the group
// key and dropped unless they open: nobody without the key can make a
// sender multicast to a member that does not hear the group, or have
// members answer a probe; and a probe is answered only if it comes from
// the address it names, so a replayed one cannot send answers anywhere
// but to its prober. Without it, forging an answer takes seeing the
// group's probes and sending with another member's source address; on a
// segment where someone can do both, a forger can make senders multicast
// to a member that does not hear the group, which then depends on the
// stack's retransmissions, and NoMulticastData closes that.
//
// These datagrams are the transport's own and never reach the stack. Their
// header is 'M' 'U' kind, then the probe's nonce (the stack's packets
// start 'M' 'S'); sealed, they end in the guard's tag:
const (
	ctlMagic0 = 'M'
	ctlMagic1 = 'U'
	// ctlProbe, by multicast: who hears me? After the header, the
	// prober's address in views (a length byte, then the address), padded
	// to probeLen, so that an answer is never larger than the probe that
	// asked for it (a probe cannot make a member reflect more bytes than
	// it was sent).
	ctlProbe = 1
	// ctlHear, by unicast to a probe's source: the answerer's address in
	// views, in the rest of the datagram.
	ctlHear = 2
)

const (
	ctlHeaderLen = 3 + 8 // magic, kind, nonce
	probeLen     = 96    // ctlHeaderLen + the longest address answered
	probeEvery   = time.Second
	// hearTTL outlives two lost answers in a row. A member that stops
	// hearing (it left the group, a switch stopped forwarding) loses the
	// datagrams of at most this long, which the stack's retransmissions
	// then recover.
	hearTTL = 3*probeEvery + probeEvery/2
)

// isControl reports whether a datagram is the transport's own.
func isControl(b []byte) bool {
	return len(b) >= ctlHeaderLen && b[0] == ctlMagic0 && b[1] == ctlMagic1
}

// probe is the probe datagram with a nonce, from a member whose address in
// views is self; nil if self is too long to send.
func probe(nonce uint64, self string) []byte {
	if ctlHeaderLen+1+len(self) > probeLen {
		return nil
	}
	b := make([]byte, probeLen)
	b[0], b[1], b[2] = ctlMagic0, ctlMagic1, ctlProbe
	binary.BigEndian.PutUint64(b[3:], nonce)
	b[ctlHeaderLen] = byte(len(self))
	copy(b[ctlHeaderLen+1:], self)
	return b
}

// proberOf is the address a probe names as its sender's; "" if none.
func proberOf(p []byte) string {
	if len(p) <= ctlHeaderLen {
		return ""
	}
	n := int(p[ctlHeaderLen])
	if ctlHeaderLen+1+n > len(p) {
		return ""
	}
	return string(p[ctlHeaderLen+1 : ctlHeaderLen+1+n])
}

// answer is the answer to the probe p from a member whose address in views
// is self; nil if self is too long to answer with.
func answer(p []byte, self string) []byte {
	if len(self) == 0 || ctlHeaderLen+len(self) > probeLen || len(p) < ctlHeaderLen {
		return nil
	}
	b := append([]byte{ctlMagic0, ctlMagic1, ctlHear}, p[3:ctlHeaderLen]...)
	return append(b, self...)
}

// nonceOf is a control datagram's nonce.
func nonceOf(b []byte) uint64 { return binary.BigEndian.Uint64(b[3:ctlHeaderLen]) }

// hearers are the members known to hear this transport's multicast. probed,
// heard and expire are called by the reading and probing goroutines; all
// is called by senders and takes no lock.
type hearers struct {
	mu     sync.Mutex
	nonces [2]uint64            // the last two probes'
	last   map[string]time.Time // answerer → when its last answer came
	now    atomic.Pointer[map[string]struct{}]
}

func newHearers() *hearers {
	h := &hearers{last: map[string]time.Time{}}
	h.now.Store(&map[string]struct{}{})
	return h
}

// probed records the nonce of the probe just sent.
func (h *hearers) probed(nonce uint64) {
	h.mu.Lock()
	h.nonces[0], h.nonces[1] = h.nonces[1], nonce
	h.mu.Unlock()
}

// heard records an answer from addr, echoing nonce, at time at; an answer
// to none of the last two probes does not count.
func (h *hearers) heard(addr string, nonce uint64, at time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if nonce == 0 || (nonce != h.nonces[0] && nonce != h.nonces[1]) {
		return
	}
	_, known := h.last[addr]
	h.last[addr] = at
	if !known {
		h.publish()
	}
}

// expire forgets the members that have not answered since at-hearTTL.
func (h *hearers) expire(at time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := len(h.last)
	maps.DeleteFunc(h.last, func(_ string, t time.Time) bool { return at.Sub(t) > hearTTL })
	if len(h.last) != n {
		h.publish()
	}
}

// publish makes the current set what all reads; h.mu held.
func (h *hearers) publish() {
	set := make(map[string]struct{}, len(h.last))
	for a := range h.last {
		set[a] = struct{}{}
	}
	h.now.Store(&set)
}

// all reports whether every address in addrs hears our multicast.
func (h *hearers) all(addrs []string) bool {
	set := *h.now.Load()
	for _, a := range addrs {
		if _, ok := set[a]; !ok {
			return false
		}
	}
	return true
}
