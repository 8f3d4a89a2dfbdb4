package iiop

import "fmt"

// EncodeCancelRequest builds a CancelRequest message.
func EncodeCancelRequest(s Syntax, requestID uint32) []byte {
	e := messageEncoder(s, MsgCancelRequest)
	e.WriteULong(requestID)
	return finishMessage(e)
}

// DecodeCancelRequest parses the body of a CancelRequest.
func DecodeCancelRequest(h Header, body []byte) (uint32, error) {
	d := bodyDecoder(h, body, CodeSets{})
	id := d.ReadULong()
	if err := d.Err(); err != nil {
		return 0, fmt.Errorf("%w: cancel request: %v", ErrBadMessage, err)
	}
	return id, nil
}

// EncodeCloseConnection builds a CloseConnection message (header only).
func EncodeCloseConnection(s Syntax) []byte {
	return finishMessage(messageEncoder(s, MsgCloseConnection))
}

// EncodeMessageError builds a MessageError message (header only).
func EncodeMessageError(s Syntax) []byte {
	return finishMessage(messageEncoder(s, MsgMessageError))
}

// EncodeFragment builds a Fragment message carrying data; in GIOP 1.2 it
// starts with the request id. more sets the more-fragments flag.
func EncodeFragment(s Syntax, requestID uint32, data []byte, more bool) []byte {
	e := messageEncoder(s, MsgFragment)
	if s.EffectiveVersion() == GIOP12 {
		e.WriteULong(requestID)
	}
	e.WriteRaw(data)
	b := finishMessage(e)
	if more {
		b[6] |= 2
	}
	return b
}
