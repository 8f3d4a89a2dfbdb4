package udp

import (
	"net"

	"github.com/maestro-go/maestro/stack"
)

// maxBatch bounds the messages of one sendmmsg call.
const maxBatch = 64

// SendBatch sends the datagrams with as few system calls as the platform
// allows (sendmmsg on Linux; golang.org/x/net falls back to one call per
// datagram elsewhere), each address's runs of datagrams in one buffer
// where the kernel offloads segmentation (see offload.go), a datagram for
// several addresses once to the multicast group when every one of them
// hears it (see hearers.go). A datagram that cannot be sent (an
// unresolvable address, an error from the kernel) is skipped and the rest
// still go; the first error is returned. Each address's datagrams leave in
// order (though those by the group and those by unicast arrive on
// different sockets). The Stack calls it from one goroutine at a time.
func (t *Transport) SendBatch(ds []stack.Datagram) error {
	var first error
	fail := func(err error) {
		if first == nil {
			first = err
		}
	}
	p := &t.plan
	p.gso = t.gso.Load()
	for _, d := range ds {
		if t.byGroup(d.To) {
			t.groupSends.Add(1)
			p.add(d.Data, t.mcastUDP)
			continue
		}
		for _, a := range d.To {
			ua, err := t.udpAddr(a)
			if err != nil {
				fail(err)
				continue
			}
			p.add(d.Data, ua)
		}
	}
	for rest := p.finish(segmentControl); len(rest) > 0; {
		n, err := t.writeBatch(rest[:min(len(rest), maxBatch)])
		n = max(n, 0) // sendmmsg's -1: none of them went
		if err != nil && n < len(rest) && len(rest[n].Buffers) > 1 && offloadRefused(err) {
			// The kernel or the device does not take offloaded runs:
			// send them as single datagrams, now and from now on.
			t.gso.Store(false)
			t.log.Warn("UDP segmentation offload refused; sending datagrams one by one", "err", err)
			rest = unrun(rest[n:])
			continue
		}
		if err != nil {
			fail(err)
			n = max(n, 1) // skip the message that failed
		}
		rest = rest[n:]
	}
	p.reset()
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
