package udp

import (
	"net"

	"golang.org/x/net/ipv4"

	"github.com/maestro-go/maestro/stack"
)

// maxBatch bounds the datagrams of one sendmmsg call.
const maxBatch = 64

// SendBatch sends the datagrams with as few system calls as the platform
// allows (sendmmsg on Linux; golang.org/x/net falls back to one call per
// datagram elsewhere), a datagram for several addresses once to the
// multicast group when casts go by IP multicast. A datagram that cannot be
// sent (an unresolvable address, an error from the kernel) is skipped and
// the rest still go; the first error is returned. The Stack calls it from
// one goroutine at a time.
func (t *Transport) SendBatch(ds []stack.Datagram) error {
	var first error
	fail := func(err error) {
		if first == nil {
			first = err
		}
	}
	ms := t.wbatch[:0]
	add := func(data []byte, to net.Addr) {
		if len(ms) < cap(ms) {
			ms = ms[:len(ms)+1]
		} else {
			ms = append(ms, ipv4.Message{})
		}
		// A message keeps its one-element Buffers from batch to batch.
		m := &ms[len(ms)-1]
		if m.Buffers == nil {
			m.Buffers = make([][]byte, 1)
		}
		m.Buffers[0], m.Addr = data, to
	}
	for _, d := range ds {
		if t.mcastData && len(d.To) > 1 {
			add(d.Data, t.mcastUDP)
			continue
		}
		for _, a := range d.To {
			ua, err := t.udpAddr(a)
			if err != nil {
				fail(err)
				continue
			}
			add(d.Data, ua)
		}
	}
	for rest := ms; len(rest) > 0; {
		n, err := t.wconn.WriteBatch(rest[:min(len(rest), maxBatch)], 0)
		if err != nil {
			fail(err)
			n = max(n, 1) // skip the datagram that failed
		}
		rest = rest[n:]
	}
	for i := range ms {
		// Forget the datagrams and addresses; keep the Buffers.
		ms[i].Buffers[0], ms[i].Addr, ms[i].OOB = nil, nil, nil
		ms[i].N, ms[i].NN, ms[i].Flags = 0, 0, 0
	}
	t.wbatch = ms[:0]
	return first
}

// udpAddr is addr as a *net.UDPAddr, from a cache (batches name the same
// few members over and over).
func (t *Transport) udpAddr(addr string) (*net.UDPAddr, error) {
	t.mu.Lock()
	ua, ok := t.ucache[addr]
	t.mu.Unlock()
	if ok {
		return ua, nil
	}
	ap, err := t.addr(addr)
	if err != nil {
		return nil, err
	}
	ua = net.UDPAddrFromAddrPort(ap)
	t.mu.Lock()
	if len(t.ucache) > 4096 {
		clear(t.ucache)
	}
	t.ucache[addr] = ua
	t.mu.Unlock()
	return ua, nil
}
