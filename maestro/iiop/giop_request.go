package iiop

import (
	"errors"
	"fmt"
)

// Response flags of a GIOP request (1.2 names; 1.0/1.1 carry only the low
// bit as response_expected).
const (
	ResponseNone     uint8 = 0x00 // oneway
	ResponseExpected uint8 = 0x03 // two-way (SYNC_WITH_TARGET)
)

// RequestHeader is the header of a GIOP Request message, in a form common to
// all three versions.
type RequestHeader struct {
	RequestID       uint32
	ResponseFlags   uint8
	Target          TargetAddress
	Operation       string
	Principal       []byte // GIOP 1.0/1.1 only
	ServiceContexts []ServiceContext
}

// ResponseExpected reports whether the client waits for a reply.
func (r *RequestHeader) ResponseExpected() bool { return r.ResponseFlags&1 != 0 }

// EncodeRequest builds a complete Request message (header included). args
// writes the arguments; in GIOP 1.2 the 8-byte alignment before them is
// written only if there are arguments. GIOP 1.0/1.1 can only address by key.
func EncodeRequest(s Syntax, r *RequestHeader, args func(*Encoder)) ([]byte, error) {
	e := messageEncoder(s, MsgRequest)
	v := s.EffectiveVersion()
	if v == GIOP12 {
		e.WriteULong(r.RequestID)
		e.WriteOctet(r.ResponseFlags)
		e.WriteRaw([]byte{0, 0, 0})
		writeTarget(e, r.Target)
		e.WriteString(r.Operation)
		writeServiceContexts(e, r.ServiceContexts)
		if args != nil {
			before := e.Len()
			e.Align(8)
			aligned := e.Len()
			args(e)
			if e.Len() == aligned {
				e.Truncate(before)
			}
		}
	} else {
		if r.Target.Disposition != KeyAddr {
			return nil, errors.New("iiop: GIOP 1.0/1.1 requests can only address by object key")
		}
		writeServiceContexts(e, r.ServiceContexts)
		e.WriteULong(r.RequestID)
		e.WriteBool(r.ResponseExpected())
		if v == GIOP11 {
			e.WriteRaw([]byte{0, 0, 0})
		}
		e.WriteOctets(r.Target.ObjectKey)
		e.WriteString(r.Operation)
		e.WriteOctets(r.Principal)
		if args != nil {
			args(e)
		}
	}
	if err := e.Err(); err != nil {
		return nil, fmt.Errorf("encoding request %q: %w", r.Operation, err)
	}
	return finishMessage(e), nil
}

// DecodeRequest parses the body of a Request message (the bytes after the
// header). The returned Body holds the arguments, decodable with the
// request's syntax; cs is the connection's negotiated code sets, replaced by
// a CodeSets service context in this request if it carries one.
func DecodeRequest(h Header, body []byte, cs CodeSets) (*RequestHeader, Body, error) {
	r := &RequestHeader{}
	args, err := decodeRequest(h, body, cs, r, nil, false)
	if err != nil {
		return nil, Body{}, err
	}
	return r, args, nil
}

// decodeRequest is DecodeRequest into r. With alias, octet sequences (key,
// principal, service contexts) are slices of body rather than copies;
// operation names are interned in ops if it is not nil.
func decodeRequest(h Header, body []byte, cs CodeSets, r *RequestHeader, ops *opCache, alias bool) (Body, error) {
	var d Decoder
	d.Reset(Syntax{Order: h.Order, Version: h.Version, CodeSets: cs}, body, HeaderSize)
	d.SetAliasOctets(alias)
	if h.Version == GIOP12 {
		r.RequestID = d.ReadULong()
		r.ResponseFlags = d.ReadOctet()
		d.ReadRaw(3)
		r.Target = readTarget(&d)
		r.Operation = ops.read(&d)
		r.ServiceContexts = readServiceContexts(&d)
		// Padding to 8 precedes the arguments only when there are any.
		if d.Err() == nil && d.Remaining() > 0 {
			pad := (8 - d.Offset()%8) % 8
			if pad >= d.Remaining() {
				d.ReadRaw(d.Remaining())
			} else {
				d.Align(8)
			}
		}
	} else {
		r.ServiceContexts = readServiceContexts(&d)
		r.RequestID = d.ReadULong()
		if d.ReadOctet() != 0 {
			r.ResponseFlags = ResponseExpected
		}
		if h.Version == GIOP11 {
			d.ReadRaw(3)
		}
		r.Target.ObjectKey = d.ReadOctets()
		r.Operation = ops.read(&d)
		r.Principal = d.ReadOctets()
	}
	if err := d.Err(); err != nil {
		return Body{}, fmt.Errorf("%w: request header: %v", ErrBadMessage, err)
	}
	if sc, ok := FindServiceContext(r.ServiceContexts, ServiceCodeSets); ok {
		if neg, err := ParseCodeSetsContext(sc); err == nil {
			cs = neg
		}
	}
	return Body{Syntax: Syntax{Order: h.Order, Version: h.Version, CodeSets: cs}, Data: d.Rest(), Offset: d.Offset()}, nil
}

// opCache interns the operation names a connection receives, so a client
// calling the same operations over and over costs no allocation for them.
type opCache struct {
	names [8]string
	next  int
}

// read reads an operation name, which is always ASCII, so it is read as raw
// bytes whatever the char code set. A nil cache allocates every name.
func (c *opCache) read(d *Decoder) string {
	b := d.ReadRawString()
	if b == nil {
		return ""
	}
	if c == nil {
		return string(b)
	}
	for _, n := range c.names {
		if n == string(b) {
			return n
		}
	}
	n := string(b)
	if len(n) <= 64 {
		c.names[c.next] = n
		c.next = (c.next + 1) % len(c.names)
	}
	return n
}
