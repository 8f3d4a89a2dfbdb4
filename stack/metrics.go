package stack

import (
	"sort"
	"sync"
	"sync/atomic"
)

// Metrics counts what a stack does. Counters only grow; they are safe to read
// from any goroutine while the stack runs (use Snapshot).
type Metrics struct {
	PacketsSent     atomic.Uint64
	PacketsReceived atomic.Uint64
	BytesSent       atomic.Uint64
	BytesReceived   atomic.Uint64
	CastsSent       atomic.Uint64
	CastsDelivered  atomic.Uint64
	SendsSent       atomic.Uint64
	SendsDelivered  atomic.Uint64
	Retransmissions atomic.Uint64
	NaksSent        atomic.Uint64
	ViewsInstalled  atomic.Uint64
	Flushes         atomic.Uint64
	Suspicions      atomic.Uint64
	Aborted         atomic.Uint64
	Merges          atomic.Uint64

	mu    sync.Mutex
	drops map[string]uint64

	// transport, set before the stack starts, adds what only it knows to
	// snapshots (GroupSender, ReceiveBuffered).
	transport Transport
}

// Drop counts one packet or message discarded for the given reason.
func (m *Metrics) Drop(reason string) {
	m.mu.Lock()
	if m.drops == nil {
		m.drops = make(map[string]uint64)
	}
	m.drops[reason]++
	m.mu.Unlock()
}

// MetricsSnapshot is a point-in-time copy of a stack's counters.
type MetricsSnapshot struct {
	PacketsSent, PacketsReceived    uint64
	BytesSent, BytesReceived        uint64
	CastsSent, CastsDelivered       uint64
	SendsSent, SendsDelivered       uint64
	Retransmissions, NaksSent       uint64
	ViewsInstalled, Flushes, Merges uint64
	Suspicions, Aborted             uint64
	Drops                           map[string]uint64 // by reason
	// GroupSends counts the datagrams the transport sent once to a
	// multicast group for several members (GroupSender; 0 otherwise).
	GroupSends uint64
	// ReceiveBuffer is the transport's receive buffer in bytes
	// (ReceiveBuffered; 0 if unknown).
	ReceiveBuffer int
}

// TotalDrops sums the drops over all reasons.
func (s MetricsSnapshot) TotalDrops() uint64 {
	var n uint64
	for _, v := range s.Drops {
		n += v
	}
	return n
}

// DropReasons returns the reasons in sorted order.
func (s MetricsSnapshot) DropReasons() []string {
	r := make([]string, 0, len(s.Drops))
	for k := range s.Drops {
		r = append(r, k)
	}
	sort.Strings(r)
	return r
}

// Snapshot copies the counters.
func (m *Metrics) Snapshot() MetricsSnapshot {
	s := MetricsSnapshot{
		PacketsSent: m.PacketsSent.Load(), PacketsReceived: m.PacketsReceived.Load(),
		BytesSent: m.BytesSent.Load(), BytesReceived: m.BytesReceived.Load(),
		CastsSent: m.CastsSent.Load(), CastsDelivered: m.CastsDelivered.Load(),
		SendsSent: m.SendsSent.Load(), SendsDelivered: m.SendsDelivered.Load(),
		Retransmissions: m.Retransmissions.Load(), NaksSent: m.NaksSent.Load(),
		ViewsInstalled: m.ViewsInstalled.Load(), Flushes: m.Flushes.Load(), Merges: m.Merges.Load(),
		Suspicions: m.Suspicions.Load(), Aborted: m.Aborted.Load(),
		Drops: map[string]uint64{},
	}
	m.mu.Lock()
	for k, v := range m.drops {
		s.Drops[k] = v
	}
	m.mu.Unlock()
	if g, ok := m.transport.(GroupSender); ok {
		s.GroupSends = g.GroupSends()
	}
	if r, ok := m.transport.(ReceiveBuffered); ok {
		s.ReceiveBuffer = r.ReceiveBuffer()
	}
	return s
}

func sortStrings(s []string) { sort.Strings(s) }
