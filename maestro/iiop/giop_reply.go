package iiop

import "fmt"

// ReplyStatus is the status of a GIOP Reply.
type ReplyStatus uint32

// Reply statuses.
const (
	NoException ReplyStatus = iota
	UserException
	SystemExceptionReply
	LocationForward
	LocationForwardPerm // GIOP 1.2
	NeedsAddressingMode // GIOP 1.2
	replyStatusCount
)

var replyStatusNames = [...]string{"NO_EXCEPTION", "USER_EXCEPTION", "SYSTEM_EXCEPTION", "LOCATION_FORWARD", "LOCATION_FORWARD_PERM", "NEEDS_ADDRESSING_MODE"}

// String returns the IDL name of the status.
func (s ReplyStatus) String() string {
	if s < replyStatusCount {
		return replyStatusNames[s]
	}
	return fmt.Sprintf("ReplyStatus(%d)", uint32(s))
}

// ReplyHeader is the header of a GIOP Reply message.
type ReplyHeader struct {
	RequestID       uint32
	Status          ReplyStatus
	ServiceContexts []ServiceContext
}

// EncodeReply builds a complete Reply message. body must have been encoded
// for an 8-aligned origin (NewReplyEncoder). In GIOP 1.2 the header is padded
// to 8 before a non-empty body; in 1.0/1.1 the header without service
// contexts ends 8-aligned, and service contexts that break that alignment
// are rejected.
func EncodeReply(s Syntax, r *ReplyHeader, body []byte) ([]byte, error) {
	return appendReply(make([]byte, 0, HeaderSize+16+len(body)), s, r, body)
}

// appendReply is EncodeReply building the message in dst's storage (dst's
// contents are overwritten), so a connection can reuse one buffer.
func appendReply(dst []byte, s Syntax, r *ReplyHeader, body []byte) ([]byte, error) {
	var enc Encoder
	e := &enc
	startMessage(e, dst, s, MsgReply)
	if s.EffectiveVersion() == GIOP12 {
		e.WriteULong(r.RequestID)
		e.WriteULong(uint32(r.Status))
		writeServiceContexts(e, r.ServiceContexts)
		if len(body) > 0 {
			e.Align(8)
		}
	} else {
		writeServiceContexts(e, r.ServiceContexts)
		e.WriteULong(r.RequestID)
		e.WriteULong(uint32(r.Status))
		if len(body) > 0 && e.Offset()%8 != 0 {
			return nil, fmt.Errorf("iiop: GIOP %s reply service contexts leave the body misaligned", s.EffectiveVersion())
		}
	}
	e.WriteRaw(body)
	return finishMessage(e), nil
}

// DecodeReply parses the body of a Reply message.
func DecodeReply(h Header, body []byte, cs CodeSets) (*ReplyHeader, Body, error) {
	d := bodyDecoder(h, body, cs)
	r := &ReplyHeader{}
	if h.Version == GIOP12 {
		r.RequestID = d.ReadULong()
		r.Status = ReplyStatus(d.ReadEnum(uint32(replyStatusCount)))
		r.ServiceContexts = readServiceContexts(d)
		if d.Err() == nil && d.Remaining() > 0 {
			if pad := (8 - d.Offset()%8) % 8; pad >= d.Remaining() {
				d.ReadRaw(d.Remaining())
			} else {
				d.Align(8)
			}
		}
	} else {
		r.ServiceContexts = readServiceContexts(d)
		r.RequestID = d.ReadULong()
		r.Status = ReplyStatus(d.ReadEnum(uint32(LocationForward) + 1))
	}
	if err := d.Err(); err != nil {
		return nil, Body{}, fmt.Errorf("%w: reply header: %v", ErrBadMessage, err)
	}
	return r, Body{Syntax: d.Syntax(), Data: d.Rest(), Offset: d.Offset()}, nil
}
