package udp

import (
	"net"

	"golang.org/x/net/ipv4"
)

// Segmentation offload (Linux's UDP GSO and GRO): a run of datagrams for
// one address goes to the kernel as one buffer that it cuts into the
// datagrams as late as it can (on loopback, not at all: the receiver gets
// the run whole), and a receiver with GRO reads such a run in one message
// and cuts it here. Both save the kernel's per-datagram work, which is
// most of what a datagram of a kilobyte or so costs; with 60000-byte
// datagrams (loopback's default) there is little left to save.
const (
	// maxSegments is the most datagrams one offloaded send may carry
	// (UDP_MAX_SEGMENTS in older kernels; newer ones allow more).
	maxSegments = 64
	// maxRun is the most bytes of datagrams one offloaded send may carry:
	// the run travels as one IPv4 packet until it is cut.
	maxRun = 65507
)

// run is a message of a batch being built: datagrams for one address, all
// of the first one's size but the last, which may be shorter.
type run struct {
	to   net.Addr
	msg  int // index of its message in the batch
	seg  int // the segment size: its first datagram's
	size int // bytes in it
	n    int // datagrams in it
}

// planner builds a batch of messages from datagrams, joining each
// address's consecutive datagrams into runs when gso is set. Datagrams for
// one address keep their order; datagrams for different addresses may be
// reordered.
type planner struct {
	gso  bool
	ms   []ipv4.Message
	runs []run
	open []int // the runs that may still grow, at most one an address
}

// add adds data for to, to its address's open run when it can.
func (p *planner) add(data []byte, to net.Addr) {
	if p.gso {
		for i, k := range p.open {
			r := &p.runs[k]
			if r.to != to {
				continue
			}
			if len(data) > r.seg || r.n == maxSegments || r.size+len(data) > maxRun {
				p.open = append(p.open[:i], p.open[i+1:]...)
				break
			}
			m := &p.ms[r.msg]
			m.Buffers = append(m.Buffers, data)
			r.n++
			r.size += len(data)
			if len(data) < r.seg {
				// Only the last datagram of a run may be short.
				p.open = append(p.open[:i], p.open[i+1:]...)
			}
			return
		}
	}
	if len(p.ms) < cap(p.ms) {
		p.ms = p.ms[:len(p.ms)+1]
	} else {
		p.ms = append(p.ms, ipv4.Message{})
	}
	// A message keeps its Buffers array from batch to batch.
	m := &p.ms[len(p.ms)-1]
	m.Buffers = append(m.Buffers[:0], data)
	m.Addr = to
	p.runs = append(p.runs, run{to: to, msg: len(p.ms) - 1, seg: len(data), size: len(data), n: 1})
	if p.gso {
		p.open = append(p.open, len(p.runs)-1)
	}
}

// finish marks each message of more than one datagram with its segment
// size (segment builds that control message) and returns the batch.
func (p *planner) finish(segment func(size int) []byte) []ipv4.Message {
	for _, r := range p.runs {
		if r.n > 1 {
			p.ms[r.msg].OOB = segment(r.seg)
		}
	}
	return p.ms
}

// reset forgets the datagrams and addresses of the batch, keeping its
// arrays for the next.
func (p *planner) reset() {
	for i := range p.ms {
		m := &p.ms[i]
		clear(m.Buffers)
		m.Buffers = m.Buffers[:0]
		m.Addr, m.OOB = nil, nil
		m.N, m.NN, m.Flags = 0, 0, 0
	}
	p.ms = p.ms[:0]
	p.runs = p.runs[:0]
	p.open = p.open[:0]
}

// unrun returns ms with every run split back into one message per
// datagram, for sending without offload.
func unrun(ms []ipv4.Message) []ipv4.Message {
	var out []ipv4.Message
	for _, m := range ms {
		for _, b := range m.Buffers {
			out = append(out, ipv4.Message{Buffers: [][]byte{b}, Addr: m.Addr})
		}
	}
	return out
}

// segments calls f with each datagram of a received run of seg-byte
// datagrams (the last may be shorter), each with its capacity ending with
// it; seg <= 0 or seg >= len(b): b is one datagram, passed as it is.
func segments(b []byte, seg int, f func([]byte)) {
	if seg <= 0 || seg >= len(b) {
		f(b)
		return
	}
	for len(b) > 0 {
		n := min(seg, len(b))
		f(b[:n:n])
		b = b[n:]
	}
}
