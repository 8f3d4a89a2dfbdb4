package orb

import (
	"sync"

	"github.com/maestro-go/maestro/maestro/iiop"
)

// Forwarder is an ORB that sends clients elsewhere: it answers every
// request with LOCATION_FORWARD and every LocateRequest with OBJECT_FORWARD
// to its target (or OBJECT_HERE, if LocateHere is set, so that a client's
// first call meets the forward in the reply instead). A replica that is not
// allowed to serve — outside the primary partition, say — can use it to
// point clients at one that is. SetTarget may be called at any time.
type Forwarder struct {
	// Dispatcher answers the requests (required).
	Dispatcher *Dispatcher
	// LocateHere answers LocateRequest with OBJECT_HERE instead of forwarding.
	LocateHere bool

	mu     sync.Mutex
	target *iiop.IOR
}

// NewForwarder returns a forwarder to target.
func NewForwarder(d *Dispatcher, target *iiop.IOR) *Forwarder {
	return &Forwarder{Dispatcher: d, target: target}
}

// SetTarget changes where clients are sent.
func (f *Forwarder) SetTarget(target *iiop.IOR) {
	f.mu.Lock()
	f.target = target
	f.mu.Unlock()
}

func (f *Forwarder) current() *iiop.IOR {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.target
}

// Request answers LOCATION_FORWARD with the target reference.
func (f *Forwarder) Request(req *Request) {
	if !req.ResponseExpected {
		f.Dispatcher.done(req.ID)
		return
	}
	e := req.Args.ReplyEncoder()
	f.current().Encode(e)
	f.Dispatcher.RequestReply(req.ID, iiop.LocationForward, e.Bytes())
}

// LocateRequest answers OBJECT_FORWARD (or OBJECT_HERE with LocateHere).
func (f *Forwarder) LocateRequest(req *LocateRequest) {
	if f.LocateHere {
		f.Dispatcher.LocateReply(req.ID, iiop.ObjectHere, nil)
		return
	}
	// The body follows the 20-byte LocateReply header with no padding; an
	// encoder at offset 4 (mod 8) lays the IOR out as the client reads it.
	e := iiop.NewEncoder(iiop.Syntax{}, 4)
	f.current().Encode(e)
	f.Dispatcher.LocateReply(req.ID, iiop.ObjectForward, e.Bytes())
}

// CancelRequest does nothing: forwards are answered at once.
func (f *Forwarder) CancelRequest(RequestID) {}

// IsA answers for the target's type.
func (f *Forwarder) IsA(_ ObjectKey, repoID string) bool { return f.current().TypeID == repoID }
