package iiop

import (
	"errors"
	"fmt"
)

// LocateStatus is the status of a GIOP LocateReply.
type LocateStatus uint32

// Locate statuses.
const (
	UnknownObject LocateStatus = iota
	ObjectHere
	ObjectForward
	ObjectForwardPerm      // GIOP 1.2
	LocSystemException     // GIOP 1.2
	LocNeedsAddressingMode // GIOP 1.2
	locateStatusCount
)

var locateStatusNames = [...]string{"UNKNOWN_OBJECT", "OBJECT_HERE", "OBJECT_FORWARD", "OBJECT_FORWARD_PERM", "LOC_SYSTEM_EXCEPTION", "LOC_NEEDS_ADDRESSING_MODE"}

// String returns the IDL name of the status.
func (s LocateStatus) String() string {
	if s < locateStatusCount {
		return locateStatusNames[s]
	}
	return fmt.Sprintf("LocateStatus(%d)", uint32(s))
}

// LocateRequestHeader is a GIOP LocateRequest.
type LocateRequestHeader struct {
	RequestID uint32
	Target    TargetAddress
}

// EncodeLocateRequest builds a complete LocateRequest message.
func EncodeLocateRequest(s Syntax, r *LocateRequestHeader) ([]byte, error) {
	e := messageEncoder(s, MsgLocateRequest)
	e.WriteULong(r.RequestID)
	if s.EffectiveVersion() == GIOP12 {
		writeTarget(e, r.Target)
	} else {
		if r.Target.Disposition != KeyAddr {
			return nil, errors.New("iiop: GIOP 1.0/1.1 LocateRequest can only address by object key")
		}
		e.WriteOctets(r.Target.ObjectKey)
	}
	return finishMessage(e), nil
}

// DecodeLocateRequest parses the body of a LocateRequest.
func DecodeLocateRequest(h Header, body []byte) (*LocateRequestHeader, error) {
	d := bodyDecoder(h, body, CodeSets{})
	r := &LocateRequestHeader{RequestID: d.ReadULong()}
	if h.Version == GIOP12 {
		r.Target = readTarget(d)
	} else {
		r.Target.ObjectKey = d.ReadOctets()
	}
	if err := d.Err(); err != nil {
		return nil, fmt.Errorf("%w: locate request: %v", ErrBadMessage, err)
	}
	return r, nil
}

// LocateReplyHeader is a GIOP LocateReply header.
type LocateReplyHeader struct {
	RequestID uint32
	Status    LocateStatus
}

// EncodeLocateReply builds a complete LocateReply. body (an IOR for the
// forward statuses, a system exception for LocSystemException, else empty)
// follows the status directly, with no padding to 8 even in GIOP 1.2: omniORB
// raises MARSHAL on padding there (docs/omniorb.md). body must have been encoded
// for an origin at offset 20 modulo 8 = 4; the IOR and exception encodings
// start with a 4-aligned ulong, so NewEncoder(s, 4) or a 0 origin both work.
func EncodeLocateReply(s Syntax, r *LocateReplyHeader, body []byte) []byte {
	e := messageEncoder(s, MsgLocateReply)
	e.WriteULong(r.RequestID)
	e.WriteULong(uint32(r.Status))
	e.WriteRaw(body)
	return finishMessage(e)
}

// DecodeLocateReply parses the body of a LocateReply.
func DecodeLocateReply(h Header, body []byte) (*LocateReplyHeader, Body, error) {
	d := bodyDecoder(h, body, CodeSets{})
	r := &LocateReplyHeader{RequestID: d.ReadULong()}
	r.Status = LocateStatus(d.ReadEnum(uint32(locateStatusCount)))
	if err := d.Err(); err != nil {
		return nil, Body{}, fmt.Errorf("%w: locate reply: %v", ErrBadMessage, err)
	}
	return r, Body{Syntax: d.Syntax(), Data: d.Rest(), Offset: d.Offset()}, nil
}
