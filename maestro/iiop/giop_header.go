package iiop

import (
	"encoding/binary"
	"fmt"
)

// HeaderSize is the size of the fixed GIOP message header.
const HeaderSize = 12

// MsgType is the GIOP message type.
type MsgType uint8

// GIOP message types.
const (
	MsgRequest MsgType = iota
	MsgReply
	MsgCancelRequest
	MsgLocateRequest
	MsgLocateReply
	MsgCloseConnection
	MsgMessageError
	MsgFragment
)

var msgTypeNames = [...]string{"Request", "Reply", "CancelRequest", "LocateRequest", "LocateReply", "CloseConnection", "MessageError", "Fragment"}

// String returns the GIOP name of the message type.
func (t MsgType) String() string {
	if int(t) < len(msgTypeNames) {
		return msgTypeNames[t]
	}
	return fmt.Sprintf("MsgType(%d)", uint8(t))
}

// Header is the 12-byte GIOP message header.
type Header struct {
	Version       Version
	Order         ByteOrder
	MoreFragments bool // GIOP 1.1+ only
	Type          MsgType
	Size          uint32 // bytes after the header
}

// ParseHeader decodes and validates a GIOP header: magic, a supported
// version, flags, a message type valid for that version.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, fmt.Errorf("%w: header of %d bytes", ErrBadMessage, len(b))
	}
	if string(b[:4]) != "GIOP" {
		return Header{}, fmt.Errorf("%w: bad magic %q", ErrBadMessage, b[:4])
	}
	h := Header{Version: Version{Major: b[4], Minor: b[5]}, Type: MsgType(b[7])}
	if !h.Version.Supported() {
		return Header{}, fmt.Errorf("%w: unsupported GIOP version %s", ErrBadMessage, h.Version)
	}
	flags := b[6]
	if h.Version == GIOP10 {
		if flags > 1 {
			return Header{}, fmt.Errorf("%w: GIOP 1.0 byte-order octet %d", ErrBadMessage, flags)
		}
	} else {
		h.MoreFragments = flags&2 != 0
	}
	h.Order = ByteOrder(flags & 1)
	if h.Type > MsgFragment || (h.Type == MsgFragment && h.Version == GIOP10) {
		return Header{}, fmt.Errorf("%w: message type %d in GIOP %s", ErrBadMessage, b[7], h.Version)
	}
	h.Size = h.Order.Uint32(b[8:12])
	return h, nil
}

// Marshal encodes the header.
func (h Header) Marshal() [HeaderSize]byte {
	var b [HeaderSize]byte
	copy(b[:], "GIOP")
	b[4], b[5] = h.Version.Major, h.Version.Minor
	b[6] = byte(h.Order)
	if h.MoreFragments && h.Version != GIOP10 {
		b[6] |= 2
	}
	b[7] = byte(h.Type)
	h.Order.PutUint32(b[8:], h.Size)
	return b
}

// appendTo appends the encoded header to b.
func (h Header) appendTo(b []byte) []byte {
	flags := byte(h.Order)
	if h.MoreFragments && h.Version != GIOP10 {
		flags |= 2
	}
	b = append(b, 'G', 'I', 'O', 'P', h.Version.Major, h.Version.Minor, flags, byte(h.Type))
	return h.Order.AppendUint32(b, h.Size)
}

// messageEncoder starts a message: an encoder whose buffer holds a header
// placeholder, so the body is aligned from the header's first byte.
func messageEncoder(s Syntax, t MsgType) *Encoder {
	// Most messages fit in 256 bytes; sizing up front avoids regrowing.
	e := new(Encoder)
	startMessage(e, make([]byte, 0, 256), s, t)
	return e
}

// startMessage points e at dst[:0] and writes a header placeholder there.
func startMessage(e *Encoder, dst []byte, s Syntax, t MsgType) {
	e.ResetAfter(s, Header{Version: s.EffectiveVersion(), Order: s.Order, Type: t}.appendTo(dst[:0]))
}

// finishMessage patches the size field and returns the whole message.
func finishMessage(e *Encoder) []byte {
	b := e.Bytes()
	if e.Syntax().Order == LittleEndian {
		binary.LittleEndian.PutUint32(b[8:12], uint32(len(b)-HeaderSize))
	} else {
		binary.BigEndian.PutUint32(b[8:12], uint32(len(b)-HeaderSize))
	}
	return b
}

// bodyDecoder returns a decoder over a message body (the bytes after the
// header) with alignment counted from the header's first byte.
func bodyDecoder(h Header, body []byte, cs CodeSets) *Decoder {
	return NewDecoder(Syntax{Order: h.Order, Version: h.Version, CodeSets: cs}, body, HeaderSize)
}
