package stack

import "context"

// Driver is what a group member needs from a running stack. Stack
// implements it over a real transport; the simulator implements it over
// its in-memory network. Upcalls go to the OnUpcall function given when
// the driver was started.
type Driver interface {
	// Me returns this member's endpoint.
	Me() Endpoint
	// Config returns the effective configuration.
	Config() Config
	// Metrics returns the counters.
	Metrics() *Metrics
	// View returns the installed view.
	View() *View
	// Cast, Send and Suspect are the stack's downcalls. Cast and Send
	// hand a message to the stack; they block while its backlog is full
	// (flow control, a flush), until ctx is done.
	Cast(ctx context.Context, payload []byte) error
	Send(ctx context.Context, dest Endpoint, payload []byte) error
	Suspect(ids ...Endpoint) error
	// SetInfo sets the info carried to coordinators (Core.SetInfo).
	SetInfo(info []byte) error
	// Reconfigure asks for a new view (Core.Reconfigure).
	Reconfigure() error
	// UpToDate reports that the application installed the up-to-date
	// state of the view (Core.UpToDate).
	UpToDate() error
	// Leave leaves the group and waits for the group's confirmation until
	// ctx is done.
	Leave(ctx context.Context) error
	// Close stops the member at once (a crash, to the others).
	Close() error
	// Exited is closed once the member has left or was closed.
	Exited() <-chan struct{}
}

var _ Driver = (*Stack)(nil)

// SetInfo sets this member's application info (see Core.SetInfo).
func (s *Stack) SetInfo(info []byte) error {
	info = append([]byte(nil), info...)
	if !s.submit(func() { s.core.SetInfo(info) }, byStack) {
		return ErrClosed
	}
	return nil
}

// Reconfigure asks for a new view with the same members (see
// Core.Reconfigure).
func (s *Stack) Reconfigure() error {
	if !s.submit(func() { s.core.Reconfigure() }, byStack) {
		return ErrClosed
	}
	return nil
}

// UpToDate reports that the application installed the state of the
// view's up-to-date members (see Core.UpToDate).
func (s *Stack) UpToDate() error {
	if !s.submit(func() { s.core.UpToDate() }, byStack) {
		return ErrClosed
	}
	return nil
}
