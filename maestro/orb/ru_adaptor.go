package orb

import (
	"io"
	"strings"

	"github.com/maestro-go/maestro/maestro/iiop"
)

// RUObjectAdaptor is an object served by the Replicated Updates ORB
// (§3.4.1). Every replica calls Update for every request, in the same
// order, on the ORB's delivery goroutine, one object at a time: Update
// must be deterministic (its reply and its effect may depend only on the
// object's state, the operation and the request), or the replicas
// diverge. It reads the in/inout arguments from request and writes the
// results (or an exception, as for ObjectAdaptor) to reply.
//
// PushState writes the object's state for a replica that is joining or
// stale; GetState replaces the object's state with one PushState wrote.
// Both run on the delivery goroutine, so no request is applied between
// two objects' PushState (or GetState) calls. An error from GetState
// abandons the transfer; another follows.
type RUObjectAdaptor interface {
	Update(operation string, request *iiop.Decoder, reply *iiop.Encoder) iiop.ReplyStatus
	PushState(w io.Writer) error
	GetState(r io.Reader) error
}

// NoState implements PushState and GetState for an object with no state
// to transfer (or an ORB without StateTransfer); embed it.
type NoState struct{}

// PushState writes nothing.
func (NoState) PushState(io.Writer) error { return nil }

// GetState reads nothing.
func (NoState) GetState(io.Reader) error { return nil }

// ReadOnly may be implemented by an RUObjectAdaptor to declare operations
// that change nothing: they are answered by the replica that receives
// them, without a group round, when it is up to date (and, with
// ProgressInPrimaryOnly, in the primary partition). Attribute reads
// (operations named _get_*) are read-only without it.
type ReadOnly interface {
	ReadOnly(operation string) bool
}

// isReadOnly reports whether operation of obj changes nothing.
func isReadOnly(obj RUObjectAdaptor, operation string) bool {
	if strings.HasPrefix(operation, "_get_") {
		return true
	}
	if ro, ok := obj.(ReadOnly); ok {
		return ro.ReadOnly(operation)
	}
	return false
}
