package csx

import (
	"github.com/maestro-go/maestro/maestro/clsv"
	"github.com/maestro-go/maestro/maestro/message"
)

// EndpID identifies a member.
type EndpID = clsv.EndpID

// ViewData is the client/server view (see clsv.ViewData).
type ViewData = clsv.ViewData

// Handler receives a CSX member's callbacks. All but StateTransfer are
// called on one goroutine, in delivery order, never concurrently, and must
// not block for long; StateTransfer runs in a goroutine of its own.
type Handler interface {
	AcceptedView(v *ViewData, msg *message.Message)
	ReceiveCast(from EndpID, msg *message.Message)
	ReceiveSend(from EndpID, msg *message.Message)
	ReceiveScast(from EndpID, msg *message.Message)
	ReceiveLsend(from EndpID, msg *message.Message)
	// StateTransfer is called, in its own goroutine, when this member must
	// fetch the state: it calls GetState (once or in portions), installs
	// the state, and calls XferDone. If GetState reports ErrXferTerminated
	// it should just return: a new StateTransfer follows if still needed.
	StateTransfer(id XferID)
	// AskState is called on an up-to-date server when origin asks for
	// (a portion of) the state; answer with SendState(origin, id, state),
	// now or later, from any goroutine.
	AskState(origin EndpID, id XferID, req *message.Message)
	ViewMsg(next *ViewData) *message.Message
	AbortCast(from EndpID, msg *message.Message)
	Block()
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

// StateTransfer does nothing: a member that does not override it never
// completes a transfer.
func (Callbacks) StateTransfer(XferID) {}

// AskState does nothing.
func (Callbacks) AskState(EndpID, XferID, *message.Message) {}

// ViewMsg returns nil.
func (Callbacks) ViewMsg(*ViewData) *message.Message { return nil }

// AbortCast does nothing.
func (Callbacks) AbortCast(EndpID, *message.Message) {}

// Block does nothing.
func (Callbacks) Block() {}

// Exit does nothing.
func (Callbacks) Exit() {}
