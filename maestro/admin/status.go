package admin

import (
	"time"

	"github.com/maestro-go/maestro/stack"
)

// Source is what the server reads at every request. Status is called from
// the server's request goroutines, possibly concurrently; it must be safe
// for that and must not block for long.
type Source interface {
	Status() Status
}

// SourceFunc adapts a function to a Source.
type SourceFunc func() Status

// Status calls f.
func (f SourceFunc) Status() Status { return f() }

// Status is a member's state as served at /debug/maestro (JSON, field
// names as tagged). Fields a member cannot know yet are zero: Member is
// empty before Join, View nil before the first view, Serving nil unless a
// Replicated Updates ORB runs over the member.
type Status struct {
	// Group is the group's name.
	Group string `json:"group"`
	// Member is the member's endpoint id ("<addr>/<incarnation>").
	Member string `json:"member"`
	// Properties is the protocol stack, e.g. "Gmp:Sync:Heal:…:Total".
	Properties string `json:"properties,omitempty"`
	// Role is "member" for a plain group member; a client/server member
	// says "client", "server" or "xfer-server".
	Role string `json:"role,omitempty"`
	// Serving, when set, says whether the Replicated Updates ORB applies
	// updates at this replica now.
	Serving *bool `json:"serving,omitempty"`
	// View is the last installed view (nil before the first).
	View *View `json:"view,omitempty"`
	// Metrics are the protocol counters.
	Metrics Metrics `json:"metrics"`
	// Started is when the member joined (zero before Join).
	Started time.Time `json:"started,omitzero"`
	// UptimeSeconds is the time since Started when the status was served;
	// the server fills it in.
	UptimeSeconds float64 `json:"uptime_seconds"`
}

// View describes the member's current view.
type View struct {
	// ID is the view's identifier, "<ltime>@<coordinator>".
	ID string `json:"id"`
	// Ltime is the view's logical time.
	Ltime uint64 `json:"ltime"`
	// Members lists the members in rank order; Members[0] coordinates.
	Members []string `json:"members"`
	// Coordinator is Members[0].
	Coordinator string `json:"coordinator"`
	// Rank is this member's index in Members.
	Rank int `json:"rank"`
	// Primary says casts are allowed in the view (with the Primary
	// property: the view holds a majority of the replicas).
	Primary bool `json:"primary"`
	// PrimaryNumber is the primary view's number (Primary property only).
	PrimaryNumber uint64 `json:"primary_number,omitempty"`
	// Counted of Replicas replicas count toward the majority (Primary
	// property only; both zero without it).
	Counted  int `json:"counted,omitempty"`
	Replicas int `json:"replicas,omitempty"`
	// NotPrimary says why a view is not primary.
	NotPrimary string `json:"not_primary,omitempty"`
	// Stale lists members that must receive the state before the view
	// can be primary; Zombies the replicas not counted toward it.
	Stale   []string `json:"stale,omitempty"`
	Zombies []string `json:"zombies,omitempty"`
}

// Metrics are a member's protocol counters (stack.MetricsSnapshot with
// JSON names). Every counter only grows during one incarnation;
// ReceiveBuffer is a setting, not a counter.
type Metrics struct {
	PacketsSent     uint64            `json:"packets_sent"`
	PacketsReceived uint64            `json:"packets_received"`
	BytesSent       uint64            `json:"bytes_sent"`
	BytesReceived   uint64            `json:"bytes_received"`
	CastsSent       uint64            `json:"casts_sent"`
	CastsDelivered  uint64            `json:"casts_delivered"`
	SendsSent       uint64            `json:"sends_sent"`
	SendsDelivered  uint64            `json:"sends_delivered"`
	Retransmissions uint64            `json:"retransmissions"`
	NaksSent        uint64            `json:"naks_sent"`
	ViewsInstalled  uint64            `json:"views_installed"`
	Flushes         uint64            `json:"flushes"`
	Merges          uint64            `json:"merges"`
	Suspicions      uint64            `json:"suspicions"`
	Aborted         uint64            `json:"aborted_casts"`
	MulticastSends  uint64            `json:"multicast_sends"` // datagrams sent once to the multicast group
	Drops           map[string]uint64 `json:"drops"`           // by reason
	// ReceiveBuffer is the UDP receive buffer the system granted, in
	// bytes (0 if unknown): below what the member asked for, the member
	// logged a warning and keeps each sender's bytes in flight within it.
	ReceiveBuffer int `json:"receive_buffer_bytes,omitempty"`
}

// MetricsFrom converts a stack's counters.
func MetricsFrom(s stack.MetricsSnapshot) Metrics {
	drops := make(map[string]uint64, len(s.Drops))
	for k, v := range s.Drops {
		drops[k] = v
	}
	return Metrics{
		PacketsSent: s.PacketsSent, PacketsReceived: s.PacketsReceived,
		BytesSent: s.BytesSent, BytesReceived: s.BytesReceived,
		CastsSent: s.CastsSent, CastsDelivered: s.CastsDelivered,
		SendsSent: s.SendsSent, SendsDelivered: s.SendsDelivered,
		Retransmissions: s.Retransmissions, NaksSent: s.NaksSent,
		ViewsInstalled: s.ViewsInstalled, Flushes: s.Flushes, Merges: s.Merges,
		Suspicions: s.Suspicions, Aborted: s.Aborted,
		MulticastSends: s.GroupSends, ReceiveBuffer: s.ReceiveBuffer,
		Drops: drops,
	}
}

// counter is one of the Metrics counters, named as in the JSON and, with
// the "maestro_" prefix and "_total" suffix, in the Prometheus output.
type counter struct {
	name, help string
	value      func(*Metrics) uint64
}

// counters lists every counter of Metrics except Drops, sorted by name.
var counters = []counter{
	{"aborted_casts", "Casts reported to AbortCast: they will never be delivered.", func(m *Metrics) uint64 { return m.Aborted }},
	{"bytes_received", "Bytes of datagrams received.", func(m *Metrics) uint64 { return m.BytesReceived }},
	{"bytes_sent", "Bytes of datagrams sent.", func(m *Metrics) uint64 { return m.BytesSent }},
	{"casts_delivered", "Casts delivered to this member.", func(m *Metrics) uint64 { return m.CastsDelivered }},
	{"casts_sent", "Casts sent by this member.", func(m *Metrics) uint64 { return m.CastsSent }},
	{"flushes", "View-change flushes taken part in.", func(m *Metrics) uint64 { return m.Flushes }},
	{"merges", "Partition merges taken part in.", func(m *Metrics) uint64 { return m.Merges }},
	{"multicast_sends", "Datagrams sent once to the IP multicast group instead of once to each member.", func(m *Metrics) uint64 { return m.MulticastSends }},
	{"naks_sent", "Negative acknowledgements sent for missing messages.", func(m *Metrics) uint64 { return m.NaksSent }},
	{"packets_received", "Datagrams received.", func(m *Metrics) uint64 { return m.PacketsReceived }},
	{"packets_sent", "Datagrams sent.", func(m *Metrics) uint64 { return m.PacketsSent }},
	{"retransmissions", "Messages retransmitted after a negative acknowledgement.", func(m *Metrics) uint64 { return m.Retransmissions }},
	{"sends_delivered", "Point-to-point messages delivered to this member.", func(m *Metrics) uint64 { return m.SendsDelivered }},
	{"sends_sent", "Point-to-point messages sent by this member.", func(m *Metrics) uint64 { return m.SendsSent }},
	{"suspicions", "Members suspected of having failed.", func(m *Metrics) uint64 { return m.Suspicions }},
	{"views_installed", "Views installed by this member.", func(m *Metrics) uint64 { return m.ViewsInstalled }},
}
