package groupmember

import "github.com/maestro-go/maestro/maestro/message"

// Handler receives a member's callbacks. They are called on the member's
// delivery goroutine, one at a time, in delivery order. The messages passed
// in must not be modified and are valid after the callback returns.
type Handler interface {
	// AcceptedView reports a newly installed view and the coordinator's
	// view message (possibly empty). The first call reports the singleton
	// view a member installs when it joins.
	AcceptedView(v *ViewData, msg *message.Message)
	// ReceiveCast delivers a cast.
	ReceiveCast(from EndpID, msg *message.Message)
	// ReceiveSend delivers a point-to-point message.
	ReceiveSend(from EndpID, msg *message.Message)
	// ViewMsg is called on the coordinator when it is about to install
	// next; the message it returns (nil for none) is delivered with
	// AcceptedView to every member of next. It must fit one datagram
	// (stack.Config.MaxViewMsg). A coordinator that is leaving is asked
	// too: then it is not in next (next.Rank is -1).
	ViewMsg(next *ViewData) *message.Message
	// AbortCast reports a cast that will never be delivered in the view it
	// was sent in: the group split before it was ordered, and this
	// member's component is not the one that could order it (§4.3.3).
	AbortCast(from EndpID, msg *message.Message)
	// Block reports that a view change has started; casts made from now on
	// are sent in the next view.
	Block()
	// Exit reports that Leave has completed: this member is no longer in
	// the group.
	Exit()
}

// Callbacks implements every Handler method as a no-op. Embed it and
// override the callbacks you need.
type Callbacks struct{}

// AcceptedView does nothing.
func (Callbacks) AcceptedView(*ViewData, *message.Message) {}

// ReceiveCast does nothing.
func (Callbacks) ReceiveCast(EndpID, *message.Message) {}

// ReceiveSend does nothing.
func (Callbacks) ReceiveSend(EndpID, *message.Message) {}

// ViewMsg returns nil.
func (Callbacks) ViewMsg(*ViewData) *message.Message { return nil }

// AbortCast does nothing.
func (Callbacks) AbortCast(EndpID, *message.Message) {}

// Block does nothing.
func (Callbacks) Block() {}

// Exit does nothing.
func (Callbacks) Exit() {}
