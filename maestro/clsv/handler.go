package clsv

import "github.com/maestro-go/maestro/maestro/message"

// Handler receives a client/server member's callbacks, on one goroutine,
// in delivery order, never concurrently; they must not block for long.
type Handler interface {
	// AcceptedView reports a new view with everyone's role; StartXfer asks
	// this member to (re)start its state transfer.
	AcceptedView(v *ViewData, msg *message.Message)
	// ReceiveCast delivers a Cast.
	ReceiveCast(from EndpID, msg *message.Message)
	// ReceiveSend delivers a Send.
	ReceiveSend(from EndpID, msg *message.Message)
	// ReceiveScast delivers an Scast (to servers, xfer servers and the
	// clients it names).
	ReceiveScast(from EndpID, msg *message.Message)
	// ReceiveLsend delivers an Lsend to one of its destinations.
	ReceiveLsend(from EndpID, msg *message.Message)
	// AskState delivers a state request (AskState downcall of origin); the
	// member answers, now or later, with SendState.
	AskState(origin EndpID, req *message.Message)
	// RcvState delivers state sent with SendState.
	RcvState(origin EndpID, state *message.Message)
	// ViewMsg is called on the coordinator before it installs next; what
	// it returns is delivered with AcceptedView (after the roles, which
	// the member adds itself).
	ViewMsg(next *ViewData) *message.Message
	// AbortCast reports a cast, scast or lsend to this member that will
	// never be delivered (§4.3.3).
	AbortCast(from EndpID, msg *message.Message)
	// Block reports that a view change has started.
	Block()
	// Exit reports that Leave has completed.
	Exit()
}

// Callbacks implements every Handler method as a no-op; embed it.
type Callbacks struct{}

// AcceptedView does nothing.
func (Callbacks) AcceptedView(*ViewData, *message.Message) {}

// ReceiveCast does nothing.
func (Callbacks) ReceiveCast(EndpID, *message.Message) {}

// ReceiveSend does nothing.
func (Callbacks) ReceiveSend(EndpID, *message.Message) {}

// ReceiveScast does nothing.
func (Callbacks) ReceiveScast(EndpID, *message.Message) {}

// ReceiveLsend does nothing.
func (Callbacks) ReceiveLsend(EndpID, *message.Message) {}

// AskState does nothing.
func (Callbacks) AskState(EndpID, *message.Message) {}

// RcvState does nothing.
func (Callbacks) RcvState(EndpID, *message.Message) {}

// ViewMsg returns nil.
func (Callbacks) ViewMsg(*ViewData) *message.Message { return nil }

// AbortCast does nothing.
func (Callbacks) AbortCast(EndpID, *message.Message) {}

// Block does nothing.
func (Callbacks) Block() {}

// Exit does nothing.
func (Callbacks) Exit() {}
