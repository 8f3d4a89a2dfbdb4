package wire

import "encoding/binary"

// headroom is the space reserved in front of a payload so that a stack of
// layer headers can be prepended without copying the payload.
const headroom = 64

// Msg is a message travelling through the protocol stack: a payload with the
// headers of the layers it has passed prepended to it. On the way down each
// layer pushes its header in front; on the way up each layer pops its header
// from the front, in the reverse order. A Msg is owned by one goroutine (the
// stack's) at a time and is not safe for concurrent use.
type Msg struct {
	buf    []byte // buf[off:] is the content
	off    int
	shared bool // buf[:off] belongs to someone else: never write there
}

// NewMsg returns a message whose content is a copy of payload, with room in
// front for headers.
func NewMsg(payload []byte) *Msg {
	buf := make([]byte, headroom+len(payload))
	copy(buf[headroom:], payload)
	return &Msg{buf: buf, off: headroom}
}

// Init makes m a message whose content is a copy of payload, as NewMsg
// does, for a Msg allocated with others.
func (m *Msg) Init(payload []byte) {
	buf := make([]byte, headroom+len(payload))
	copy(buf[headroom:], payload)
	*m = Msg{buf: buf, off: headroom}
}

// WrapMsg returns a message whose content is b itself (no copy). Headers
// pushed later force a reallocation; popping only advances the start. Use it
// for received packets, which are only ever popped.
func WrapMsg(b []byte) *Msg { return &Msg{buf: b, shared: true} }

// Wrap makes m a message whose content is b itself, as WrapMsg does,
// for a Msg allocated with others.
func (m *Msg) Wrap(b []byte) { *m = Msg{buf: b, shared: true} }

// Bytes returns the content: headers followed by payload. The slice aliases
// the message and is valid until the next Push.
func (m *Msg) Bytes() []byte { return m.buf[m.off:] }

// Len returns the length of the content.
func (m *Msg) Len() int { return len(m.buf) - m.off }

// Clone returns an independent copy of the message with fresh headroom.
func (m *Msg) Clone() *Msg { return NewMsg(m.Bytes()) }

// Push prepends h to the content.
func (m *Msg) Push(h []byte) {
	if m.shared || len(h) > m.off {
		grow := headroom + len(h)
		nb := make([]byte, grow+m.Len())
		copy(nb[grow:], m.Bytes())
		m.buf, m.off, m.shared = nb, grow, false
	}
	m.off -= len(h)
	copy(m.buf[m.off:], h)
}

// PushKind prepends a kind byte and a uvarint — the header of most
// layers — without allocating (a Writer's buffer would escape).
func (m *Msg) PushKind(kind byte, v uint64) {
	var h [1 + binary.MaxVarintLen64]byte
	h[0] = kind
	m.Push(h[:1+binary.PutUvarint(h[1:], v)])
}

// PushByte prepends one byte.
func (m *Msg) PushByte(b byte) {
	if m.shared || m.off == 0 {
		m.Push([]byte{b})
		return
	}
	m.off--
	m.buf[m.off] = b
}

// PopByte removes and returns the first byte of the content.
func (m *Msg) PopByte() (byte, error) {
	if m.off >= len(m.buf) {
		return 0, ErrShort
	}
	b := m.buf[m.off]
	m.off++
	return b, nil
}

// Reader returns a bounded decoder over the content. After decoding a header
// with it, call Skip(r.Consumed()) to pop that header.
func (m *Msg) Reader() *Reader { return NewReader(m.Bytes()) }

// Skip removes the first n bytes of the content.
func (m *Msg) Skip(n int) error {
	if n < 0 || n > m.Len() {
		return ErrShort
	}
	m.off += n
	return nil
}
