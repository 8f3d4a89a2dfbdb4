package stack

// UpcallKind says what an Upcall reports to the application.
type UpcallKind uint8

const (
	// UpView: a view was installed. View, Payload = the view message.
	UpView UpcallKind = iota + 1
	// UpCast: a cast was delivered. From, Payload.
	UpCast
	// UpSend: a point-to-point message was delivered. From, Payload.
	UpSend
	// UpAbort: a cast will never be delivered (§4.3.3). From, Payload.
	UpAbort
	// UpBlock: a flush started; casts issued now go out in the next view.
	UpBlock
	// UpExit: this member has left the group; the stack is finished.
	UpExit
	// UpViewMsgReq: this member coordinates the installation of View; the
	// application should answer with Core.ViewMsgReply (a nil reply is
	// fine). Infos holds the members' application info (Core.SetInfo) as
	// carried by the flush.
	UpViewMsgReq
)

// Upcall is an event for the application, emitted by Core in delivery order.
type Upcall struct {
	Kind    UpcallKind
	From    Endpoint
	FromID  EndpID // From.ID(), precomputed
	Payload []byte
	View    *View
	// Ann (UpView, UpViewMsgReq) holds the view's annotations: what the
	// proposing coordinator's layers attached to it (the Primary layer's
	// verdict on the view, for example).
	Ann Annotations
	// ViewHash and Rank identify the cast for flow-control credit (see
	// Core.Consumed): the view it was delivered in and its sender's rank.
	ViewHash uint64
	Rank     int
	// Infos (UpViewMsgReq only) maps members of the proposed view to the
	// info they had set when the flush started.
	Infos map[EndpID][]byte
	// Prev (UpViewMsgReq only) maps members of the proposed view to the
	// view each comes from; PrevMsgs holds the view message each of those
	// views was installed with (absent if it had none).
	Prev     map[EndpID]ViewID
	PrevMsgs map[ViewID][]byte
}

// Outputs receives everything a Core emits. Its methods are called on the
// goroutine driving the Core and must not block for long: a runtime copies
// packets to its sockets and queues upcalls for the application goroutine.
type Outputs interface {
	// SendTo sends a datagram to one address.
	SendTo(addr string, pkt []byte)
	// Multicast sends a datagram to every address in addrs (the other
	// members of the view), by IP multicast or by fan-out. addrs belongs to
	// the Core and must not be kept or changed.
	Multicast(addrs []string, pkt []byte)
	// Broadcast sends a datagram to the discovery addresses (multicast
	// group, seeds, local port range).
	Broadcast(pkt []byte)
	// Upcall hands an event to the application.
	Upcall(u Upcall)
}
