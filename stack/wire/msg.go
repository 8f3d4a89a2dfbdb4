package wire

import (
	"bytes"
	"encoding/binary"
)

// headroom is the space reserved in front of a payload so that a stack of
// layer headers can be prepended without copying the payload.
const headroom = 64

// largeCopy is the size from which a message's buffer is allocated without
// being cleared first: the allocator clears large objects (above 32 KiB)
// in a separate pass, which costs as much as the copy that overwrites them.
const largeCopy = 32 << 10

// blankHeadroom is what a buffer allocated without clearing gets in front
// of each payload (never read, but not left as stale memory either).
var blankHeadroom [headroom]byte

// Msg is a message travelling through the protocol stack: a payload with the
// headers of the layers it has passed prepended to it. On the way down each
// layer pushes its header in front; on the way up each layer pops its header
// from the front, in the reverse order. A Msg is owned by one goroutine (the
// stack's) at a time and is not safe for concurrent use.
type Msg struct {
	buf    []byte // buf[off:] is the content
	off    int
	shared bool // buf[:off] belongs to someone else: never write there
	// room: buf[len(buf):cap(buf)] is free space that nobody reads or
	// writes, which TakeRoom hands out once (see WrapWithRoom).
	room bool
}

// NewMsg returns a message whose content is a copy of payload, with room in
// front for headers.
func NewMsg(payload []byte) *Msg {
	m := &Msg{}
	m.Init(payload)
	return m
}

// Init makes m a message whose content is a copy of payload, as NewMsg
// does, for a Msg allocated with others.
func (m *Msg) Init(payload []byte) {
	if len(payload) >= largeCopy {
		*m = Msg{buf: bytes.Join([][]byte{blankHeadroom[:], payload}, nil), off: headroom}
		return
	}
	buf := make([]byte, headroom+len(payload))
	copy(buf[headroom:], payload)
	*m = Msg{buf: buf, off: headroom}
}

// NewMsgs returns one message per part, each a copy of it with room in
// front for headers as NewMsg gives, all in one buffer that is not cleared
// before the copy: the fragments of a large message cost one allocation
// between them. Each message pushes its headers only into its own room.
func NewMsgs(parts [][]byte) []*Msg {
	pieces := make([][]byte, 0, 2*len(parts))
	for _, p := range parts {
		pieces = append(pieces, blankHeadroom[:], p)
	}
	buf := bytes.Join(pieces, nil)
	msgs := make([]Msg, len(parts))
	out := make([]*Msg, len(parts))
	at := 0
	for i, p := range parts {
		end := at + headroom + len(p)
		msgs[i] = Msg{buf: buf[at:end:end], off: headroom}
		out[i] = &msgs[i]
		at = end
	}
	return out
}

// WrapMsg returns a message whose content is b itself (no copy). Headers
// pushed later force a reallocation; popping only advances the start. Use it
// for received packets, which are only ever popped.
func WrapMsg(b []byte) *Msg { return &Msg{buf: b, shared: true} }

// Wrap makes m a message whose content is b itself, as WrapMsg does,
// for a Msg allocated with others.
func (m *Msg) Wrap(b []byte) { *m = Msg{buf: b, shared: true} }

// WrapWithRoom is Wrap for content followed in its buffer, up to cap(b),
// by free space that nobody reads and that only the one caller of
// TakeRoom will write. A received datagram's last message has such room
// (its read buffer's unused end), where the fragmenter appends the
// message's following fragments.
func (m *Msg) WrapWithRoom(b []byte) { *m = Msg{buf: b, shared: true, room: true} }

// TakeRoom returns the content with the free space behind it as its
// capacity, the first time it is called on a message made by WrapWithRoom
// (and not truncated since); otherwise, or again, the content with no
// room, like Bytes. The caller may append to the slice: what it writes
// lies beyond the content, which stays as it is for every other holder.
func (m *Msg) TakeRoom() []byte {
	if !m.room {
		return m.Bytes()
	}
	m.room = false
	return m.buf[m.off:]
}

// Bytes returns the content: headers followed by payload. The slice aliases
// the message and is valid until the next Push. Its capacity ends with the
// content, so appending to it never writes into the message's buffer.
func (m *Msg) Bytes() []byte { return m.buf[m.off:len(m.buf):len(m.buf)] }

// Len returns the length of the content.
func (m *Msg) Len() int { return len(m.buf) - m.off }

// Truncate keeps the first n bytes of the content (0 ≤ n ≤ Len) and drops
// the rest. Nothing is ever written past the new end, so whoever else
// holds the dropped bytes keeps them intact.
func (m *Msg) Truncate(n int) { m.buf, m.room = m.buf[:m.off+n:m.off+n], false }

// Clone returns an independent copy of the message with fresh headroom.
func (m *Msg) Clone() *Msg { return NewMsg(m.Bytes()) }

// Push prepends h to the content.
func (m *Msg) Push(h []byte) {
	if m.shared || len(h) > m.off {
		grow := headroom + len(h)
		nb := make([]byte, grow+m.Len())
		copy(nb[grow:], m.Bytes())
		m.buf, m.off, m.shared, m.room = nb, grow, false, false
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
