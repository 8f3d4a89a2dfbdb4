package orb

import "github.com/maestro-go/maestro/maestro/iiop"

// RequestID is the handle of a request awaiting its reply: the connection
// and GIOP request id. It may be kept and used from any goroutine, in any
// order, to answer through the Dispatcher.
type RequestID = iiop.RequestRef

// Request is a client request routed to an ORB.
type Request struct {
	ID               RequestID
	Key              ObjectKey
	ResponseExpected bool
	Operation        string
	Principal        []byte
	ServiceContexts  []iiop.ServiceContext
	// Args holds the marshalled in/inout arguments with the syntax needed to
	// decode them; it can be copied and relayed to other processes.
	Args iiop.Body
}

// LocateRequest is a client's LocateRequest routed to an ORB.
type LocateRequest struct {
	ID  RequestID
	Key ObjectKey
}

// ORB is a request manager bound to one or more object keys in a Dispatcher
// (§3.3.4's Maestro_ORB_Base). The Dispatcher calls these methods on the
// reader goroutine of the connection the message came on; they must not
// block for long. An ORB answers through the Dispatcher's downcalls
// (RequestReply, ReplySystemException, LocateReply), immediately or later
// from any goroutine, in any order.
type ORB interface {
	// Request handles a request for a key bound to this ORB. If
	// req.ResponseExpected, the ORB must eventually answer req.ID.
	Request(req *Request)
	// LocateRequest handles a LocateRequest for a key bound to this ORB.
	LocateRequest(req *LocateRequest)
	// CancelRequest tells the ORB the client abandoned the request.
	CancelRequest(id RequestID)
	// IsA answers _is_a for a bound key: whether the object supports the
	// interface with repository id repoID.
	IsA(key ObjectKey, repoID string) bool
}
