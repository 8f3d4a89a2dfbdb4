package stack

import "github.com/maestro-go/maestro/stack/wire"

// EventType says what an Event means. Data events carry a Msg; control
// events carry the fields their comment names.
type EventType uint8

const (
	// ECast is a reliable multicast to the whole view: down from the
	// application, up when delivered. Up: Peer is the sender's rank.
	ECast EventType = iota + 1
	// ESend is a reliable point-to-point message. Down: Peer is the
	// destination rank; up: Peer is the sender's rank.
	ESend
	// ECtrl is a layer's own best-effort control message, sent to Peer (or
	// to every other member when Peer is AllPeers). The layer that sent it
	// consumes it on the way up; layers below only add and strip their
	// pass-through header.
	ECtrl
	// ERecv is a message just taken off the network, before the reliable
	// layer (Nak) has classified it. Peer is the sender's rank.
	ERecv
	// EGlobal is a message exchanged outside any view (discovery gossip,
	// merge requests, view proposals). Down: sent to Addr, or broadcast to
	// the discovery addresses when Addr is empty. Up: From is the sender.
	// Target names the layer that owns it; that layer consumes it.
	EGlobal

	// EBlock goes up when a flush starts: layers above may push out what
	// they hold (for example pending orderings) before the view is frozen;
	// after it, the application's casts wait for the next view.
	EBlock
	// EFail goes down from the membership layer when a flush starts: Ranks
	// are the members that will not survive into the next view (their
	// messages are frozen), Survivors the members that take part in the
	// flush, Flush the flush's tag.
	EFail
	// ECut goes down from Sync to Nak: deliver every cast up to Vector (per
	// sender) and nothing beyond, fetching what is missing from any holder.
	ECut
	// ECutDone goes up from Nak once the cut has been delivered.
	ECutDone
	// ESyncDone goes up from Sync when the flush's cut is delivered here.
	ESyncDone
	// EQueryVector is a query passed down: Nak fills Vector with the number
	// of casts delivered from each sender.
	EQueryVector
	// EAnnotate is a query passed up when this member's flush work is done:
	// layers add to Ann what the next view must carry for them (Total adds
	// its final ordering). Flush is the flush's tag; layers that deliver
	// casts at the view's end add their count to EndCasts.
	EAnnotate
	// EViewEnd goes up just before a new view is installed: Ann holds the
	// annotations gathered by the flush this member took part in. Layers
	// finish the old view (Total delivers or aborts its suffix).
	EViewEnd
	// EView goes up when a new view is installed: View is the new view,
	// Bytes the coordinator's view message, ViewAnn its view annotations.
	// The engine then builds the new view's layers.
	EView
	// ESuspect reports members believed to have failed: up from failure
	// detectors, down from the application's Suspect downcall. Ranks.
	ESuspect
	// ELeave goes down when the application leaves the group.
	ELeave
	// EExit goes up when this member has left the group.
	EExit
	// EMerge goes down from Heal to the membership layer: merge with the
	// component whose coordinator is From at Addr, in view Target view id.
	EMerge
	// EAbort goes up for a cast that will never be delivered (§4.3.3): Peer
	// is its sender, Msg the message. A cast sent in an earlier view
	// (delivered or aborted by the Safe layer) has Peer AllPeers and its
	// sender in From.
	EAbort
	// EFlowBlock and EFlowUnblock go up when the sender's flow-control
	// window closes and opens again.
	EFlowBlock
	EFlowUnblock
	// EViewMsgReq goes up at the coordinator when a view is about to be
	// proposed; the application answers with EViewMsg carrying Bytes.
	EViewMsgReq
	EViewMsg
	// EConsumed goes down with Vector = how many casts from each sender the
	// application has consumed in this view (flow control credit).
	EConsumed
	// EReconfigure goes down when the application asks for a new view even
	// though the membership has not changed (to publish new roles in the
	// view message, for example).
	EReconfigure

	// EFlushAnn is a query passed up at a coordinator that starts a flush:
	// layers add to Ann what the flush message must carry to every member
	// (the Primary layer's potential primary number). Flush is its tag.
	EFlushAnn
	// EFlush goes up at every member that accepts a flush, the coordinator
	// included, once per flush: Flush is its tag, Ranks the members it
	// excludes, Survivors those taking part, Ann the coordinator's flush
	// annotations (EFlushAnn).
	EFlush
	// EViewAnn is a query passed up at the coordinator just before it
	// proposes View: Ann holds every member's flush annotations (its
	// EAnnotate answers, from every merging component) and Prevs where
	// each member comes from; layers write into ViewAnn what the view must
	// carry to every member (Env.ViewAnn in its layers, Upcall.Ann).
	EViewAnn
	// ECastHold goes up from a layer that forbids casts in the view being
	// installed (the Primary layer, in a non-primary view): the engine
	// keeps the application's casts queued until a view that allows them,
	// while point-to-point messages go on.
	ECastHold
	// EUpToDate goes down when the application has installed the state of
	// the up-to-date members of the current view (state transfer done).
	EUpToDate
	// EStable goes up from a total order that learns stability: Vector[r] is
	// how many of this view's totally ordered casts member r is known to have
	// delivered.
	EStable
)

// VetoPrimary is the view annotation key under which a layer below the
// Primary layer vetoes a proposed view's being primary (the value says
// why): the Safe layer does so while members still differ in what they
// hold.
const VetoPrimary = "!veto-primary"

// UpToDateKey is the view annotation key under which a layer below the
// Primary layer names (PutEndpoints) the members whose application state
// is the most advanced, when that is not what state version numbers say:
// the Safe layer does, since what a member delivered, not the primary
// view it was last in, measures its state there (§4.4.3, Fig 4.15).
const UpToDateKey = "!up-to-date"

// MemberKey is the annotation key under which a layer reports one member's
// own value in a flush (annotations merge by key, so per-member values
// need a key each).
func MemberKey(layer string, id EndpID) string { return layer + "@" + string(id) }

// InfoPrefix starts the annotation keys under which a flush carries each
// member's application info (Core.SetInfo) to the coordinator: the key is
// InfoPrefix followed by the member's EndpID.
const InfoPrefix = "info:"

// AllPeers as an Event's Peer addresses every other member of the view.
const AllPeers = -1

// Annotations are per-layer byte strings a flush carries from its members
// into the next view (keyed by layer name).
type Annotations map[string][]byte

// Event is what layers pass to each other. Data events (ECast, ESend,
// ECtrl, ERecv, EAbort) use only Type, Peer and Msg, and stay small because
// one is made for every message; control events carry their other fields in
// Control (the comment on each EventType says which). Events are created and
// consumed on the stack goroutine only.
type Event struct {
	Type EventType
	Peer int
	Msg  *wire.Msg
	*Control
}

// eventMsg is an event and the message it carries, allocated together.
type eventMsg struct {
	ev  Event
	msg wire.Msg
}

// WrappedEvent returns an event of type t from (or to) peer whose message
// is b itself (wire.WrapMsg), in one allocation: for received messages,
// which layers only pop.
func WrappedEvent(t EventType, peer int, b []byte) *Event {
	return new(eventMsg).wrap(t, peer, b)
}

// wrap makes em the event WrappedEvent returns, in place (a datagram's
// messages are wrapped in one array of eventMsg).
func (em *eventMsg) wrap(t EventType, peer int, b []byte) *Event {
	em.msg.Wrap(b)
	em.ev = Event{Type: t, Peer: peer, Msg: &em.msg}
	return &em.ev
}

// CopiedEvent returns an event of type t from (or to) peer whose message
// is a copy of payload with room for headers (wire.NewMsg), the event and
// the message in one allocation.
func CopiedEvent(t EventType, peer int, payload []byte) *Event {
	em := &eventMsg{}
	em.msg.Init(payload)
	em.ev = Event{Type: t, Peer: peer, Msg: &em.msg}
	return &em.ev
}

// Control holds the fields of control events.
type Control struct {
	Ranks     []int
	Survivors []int
	Vector    []uint64
	View      *View
	Ann       Annotations
	Bytes     []byte
	Addr      string
	From      Endpoint
	Target    string
	Flush     FlushTag
	TargetID  ViewID
	// Prevs and PrevMsgs (EViewMsgReq, EViewAnn) give, for each member of
	// the proposed view, the view it comes from, and for each of those
	// views the view message it was installed with.
	Prevs    map[Endpoint]ViewID
	PrevMsgs map[ViewID][]byte
	// ViewAnn (EViewAnn, EView, EViewMsgReq) holds the annotations the
	// proposed or installed view carries.
	ViewAnn Annotations
	// EndCasts (EAnnotate) is how many more casts this member will deliver
	// when the view ends (Total's final order, Safe's last safe messages),
	// as far as it knows: a lower bound that is exact at the member that
	// knows most, so the largest answer of a component is the truth.
	EndCasts uint64
}

// FlushTag identifies one flush of a view: the coordinator that ran it and
// its per-coordinator counter.
type FlushTag struct {
	Coord int    // rank of the flush coordinator in the old view
	Num   uint64 // increases with every flush that coordinator starts
}
