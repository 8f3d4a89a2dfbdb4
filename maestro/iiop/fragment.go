package iiop

import "fmt"

// maxPendingFragmented bounds how many GIOP 1.2 messages may be in the middle
// of reassembly on one connection at once.
const maxPendingFragmented = 32

// reassembler joins a message sent as a first part with the more-fragments
// flag and following Fragment messages (GIOP 1.1: one message at a time;
// GIOP 1.2: interleaved, keyed by request id). It is used by one
// connection's reader goroutine only.
type reassembler struct {
	max     int
	v11     *partial
	v12     map[uint32]*partial
	pending int // bytes held across all partial messages
}

type partial struct {
	h    Header
	body []byte
}

func newReassembler(max int) *reassembler {
	return &reassembler{max: max, v12: make(map[uint32]*partial)}
}

// add takes one received message. It returns complete=true with the header
// (Size updated, MoreFragments cleared) and body of a whole message, or
// complete=false when more fragments are needed.
func (r *reassembler) add(h Header, body []byte) (Header, []byte, bool, error) {
	if h.Type != MsgFragment {
		if !h.MoreFragments {
			return h, body, true, nil
		}
		switch h.Version {
		case GIOP11:
			if h.Type != MsgRequest && h.Type != MsgReply {
				return h, nil, false, fmt.Errorf("%w: GIOP 1.1 %s cannot be fragmented", ErrBadMessage, h.Type)
			}
			if r.v11 != nil {
				return h, nil, false, fmt.Errorf("%w: new fragmented message before the last one finished", ErrBadMessage)
			}
			r.v11 = &partial{h: h, body: body}
		case GIOP12:
			if h.Type > MsgLocateReply || h.Type == MsgCancelRequest {
				return h, nil, false, fmt.Errorf("%w: GIOP 1.2 %s cannot be fragmented", ErrBadMessage, h.Type)
			}
			if len(body) < 4 {
				return h, nil, false, fmt.Errorf("%w: fragmented message without request id", ErrBadMessage)
			}
			id := h.Order.Uint32(body)
			if _, dup := r.v12[id]; dup {
				return h, nil, false, fmt.Errorf("%w: request %d fragmented twice", ErrBadMessage, id)
			}
			if len(r.v12) >= maxPendingFragmented {
				return h, nil, false, fmt.Errorf("%w: more than %d fragmented messages pending", ErrBadMessage, maxPendingFragmented)
			}
			r.v12[id] = &partial{h: h, body: body}
		default:
			return h, nil, false, fmt.Errorf("%w: GIOP %s cannot fragment", ErrBadMessage, h.Version)
		}
		return r.grow(len(body))
	}

	var p *partial
	data := body
	switch h.Version {
	case GIOP11:
		p = r.v11
		if p == nil {
			return h, nil, false, fmt.Errorf("%w: Fragment without a first part", ErrBadMessage)
		}
	case GIOP12:
		if len(body) < 4 {
			return h, nil, false, fmt.Errorf("%w: Fragment without request id", ErrBadMessage)
		}
		id := h.Order.Uint32(body)
		p = r.v12[id]
		if p == nil {
			return h, nil, false, fmt.Errorf("%w: Fragment for unknown request %d", ErrBadMessage, id)
		}
		data = body[4:]
	}
	if p.h.Version != h.Version {
		return h, nil, false, fmt.Errorf("%w: Fragment version %s for a GIOP %s message", ErrBadMessage, h.Version, p.h.Version)
	}
	if len(p.body)+len(data) > r.max {
		return h, nil, false, fmt.Errorf("%w: reassembled message exceeds %d bytes", ErrMessageTooLarge, r.max)
	}
	p.body = append(p.body, data...)
	if _, _, _, err := r.grow(len(data)); err != nil {
		return h, nil, false, err
	}
	if h.MoreFragments {
		return h, nil, false, nil
	}
	if h.Version == GIOP11 {
		r.v11 = nil
	} else {
		delete(r.v12, h.Order.Uint32(body))
	}
	r.pending -= len(p.body)
	full := p.h
	full.MoreFragments = false
	full.Size = uint32(len(p.body))
	return full, p.body, true, nil
}

func (r *reassembler) grow(n int) (Header, []byte, bool, error) {
	r.pending += n
	if r.pending > 2*r.max {
		return Header{}, nil, false, fmt.Errorf("%w: %d bytes of partial messages pending", ErrMessageTooLarge, r.pending)
	}
	return Header{}, nil, false, nil
}
