package iiop

// ConnID identifies one accepted IIOP connection of a Server.
type ConnID uint64

// RequestRef identifies a request awaiting a reply: the connection it came
// on and its GIOP request id. It is a plain comparable value; it may be
// stored, sent to another goroutine and used for the reply later, in any
// order relative to other requests.
type RequestRef struct {
	Conn ConnID
	ID   uint32
}

// Request is a decoded GIOP Request delivered to a Handler.
type Request struct {
	Ref              RequestRef
	Version          Version
	ResponseExpected bool
	ObjectKey        []byte
	Operation        string
	Principal        []byte
	ServiceContexts  []ServiceContext
	Target           TargetAddress
	// Args holds the marshalled in and inout arguments.
	Args Body
}

// LocateRequest is a decoded GIOP LocateRequest delivered to a Handler.
type LocateRequest struct {
	Ref       RequestRef
	Version   Version
	ObjectKey []byte
}

// Handler receives the messages a Server reads (the callbacks of §3.3.1).
// For one connection, callbacks run one at a time, in arrival order, on
// that connection's reader goroutine; callbacks for different connections
// run concurrently. A callback must not block for long — it stalls its
// connection — so work that may block should be handed to another goroutine,
// which answers later through the Server's downcalls.
type Handler interface {
	// Request delivers a request. If ResponseExpected, exactly one
	// Server.RequestReply (or a CloseConnection) must eventually answer it.
	Request(req *Request)
	// LocateRequest delivers a LocateRequest; answer with Server.LocateReply.
	LocateRequest(req *LocateRequest)
	// CancelRequest reports that the client no longer wants a reply to ref.
	// The pending reply is discarded by the server if it is sent anyway.
	CancelRequest(ref RequestRef)
	// MessageError reports that connection conn sent a malformed or
	// oversized message (or a MessageError of its own). The server has
	// already sent MessageError where appropriate and closed the connection.
	MessageError(conn ConnID, err error)
}

// NopHandler is a Handler that ignores everything; embed it to implement
// only some callbacks. Its Request leaves requests unanswered.
type NopHandler struct{}

// Request ignores the request.
func (NopHandler) Request(*Request) {}

// LocateRequest ignores the request.
func (NopHandler) LocateRequest(*LocateRequest) {}

// CancelRequest ignores the cancellation.
func (NopHandler) CancelRequest(RequestRef) {}

// MessageError ignores the error.
func (NopHandler) MessageError(ConnID, error) {}
