package cdr

import (
	"math"
)

// Encoder appends CDR-encoded values to a buffer. Alignment is computed from
// the logical offset given to NewEncoder, so a body written for a position
// inside a GIOP message or encapsulation is padded exactly as the receiver
// expects. Padding bytes are written as zero. An Encoder is not safe for
// concurrent use.
type Encoder struct {
	buf    []byte
	base   int // logical offset of buf[0] for alignment
	syntax Syntax
	err    error
}

// NewEncoder returns an encoder whose first byte sits at logical offset
// offset (measured from the alignment origin: the start of the GIOP header or
// of the enclosing encapsulation).
func NewEncoder(s Syntax, offset int) *Encoder {
	return &Encoder{syntax: s, base: offset}
}

// NewReplyEncoder returns an encoder for a reply or request body that the
// bridge will place at an 8-aligned offset (true of every reply this package
// sends and of every GIOP 1.2 body).
func NewReplyEncoder(s Syntax) *Encoder { return &Encoder{syntax: s, buf: make([]byte, 0, 128)} }

// Reset empties e and makes it write in syntax s from logical offset offset,
// keeping its buffer's storage, so a caller can reuse one Encoder value
// (Reset(s, 0) gives what NewReplyEncoder(s) does). Slices returned by
// Bytes before the Reset are overwritten by later writes.
func (e *Encoder) Reset(s Syntax, offset int) {
	*e = Encoder{syntax: s, base: offset, buf: e.buf[:0]}
}

// Syntax reports the byte order, version and code sets the encoder writes.
func (e *Encoder) Syntax() Syntax { return e.syntax }

// Bytes returns the encoded bytes. The slice aliases the encoder's buffer.
func (e *Encoder) Bytes() []byte { return e.buf }

// Len is the number of bytes written so far.
func (e *Encoder) Len() int { return len(e.buf) }

// Offset is the logical offset of the next byte.
func (e *Encoder) Offset() int { return e.base + len(e.buf) }

// Err reports the first value that could not be encoded (for example a
// string with characters outside the negotiated code set).
func (e *Encoder) Err() error { return e.err }

func (e *Encoder) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

// Align pads with zero bytes to a multiple of n (1, 2, 4 or 8).
func (e *Encoder) Align(n int) {
	var pad int
	if n > 0 && n&(n-1) == 0 {
		pad = -e.Offset() & (n - 1)
	} else {
		pad = (n - e.Offset()%n) % n
	}
	for ; pad > 0; pad-- {
		e.buf = append(e.buf, 0)
	}
}

// WriteOctet writes one octet.
func (e *Encoder) WriteOctet(v byte) { e.buf = append(e.buf, v) }

// WriteBool writes a boolean as one octet 0 or 1.
func (e *Encoder) WriteBool(v bool) {
	if v {
		e.WriteOctet(1)
	} else {
		e.WriteOctet(0)
	}
}

// WriteChar writes a char (one octet of the transmission code set).
func (e *Encoder) WriteChar(v byte) { e.WriteOctet(v) }

// WriteUShort writes an unsigned short.
func (e *Encoder) WriteUShort(v uint16) {
	e.Align(2)
	e.buf = e.syntax.Order.appendUint16(e.buf, v)
}

// WriteShort writes a short.
func (e *Encoder) WriteShort(v int16) { e.WriteUShort(uint16(v)) }

// WriteULong writes an unsigned long (32 bits).
func (e *Encoder) WriteULong(v uint32) {
	e.Align(4)
	e.buf = e.syntax.Order.appendUint32(e.buf, v)
}

// WriteLong writes a long (32 bits).
func (e *Encoder) WriteLong(v int32) { e.WriteULong(uint32(v)) }

// WriteULongLong writes an unsigned long long.
func (e *Encoder) WriteULongLong(v uint64) {
	e.Align(8)
	e.buf = e.syntax.Order.appendUint64(e.buf, v)
}

// WriteLongLong writes a long long.
func (e *Encoder) WriteLongLong(v int64) { e.WriteULongLong(uint64(v)) }

// WriteFloat writes an IEEE single.
func (e *Encoder) WriteFloat(v float32) { e.WriteULong(math.Float32bits(v)) }

// WriteDouble writes an IEEE double.
func (e *Encoder) WriteDouble(v float64) { e.WriteULongLong(math.Float64bits(v)) }

// WriteLongDouble writes the 16 raw octets of an IEEE quad in the encoder's
// byte order (Go has no 128-bit float; the caller supplies the bytes).
func (e *Encoder) WriteLongDouble(v [16]byte) {
	e.Align(8)
	e.buf = append(e.buf, v[:]...)
}

// WriteEnum writes an enum value (an unsigned long).
func (e *Encoder) WriteEnum(v uint32) { e.WriteULong(v) }

// WriteRaw appends bytes without a length or alignment.
func (e *Encoder) WriteRaw(b []byte) { e.buf = append(e.buf, b...) }

// WriteOctets writes a sequence<octet>: a length then the bytes.
func (e *Encoder) WriteOctets(b []byte) {
	e.WriteULong(uint32(len(b)))
	e.buf = append(e.buf, b...)
}

// WriteSeqLen writes the element count that starts a sequence.
func (e *Encoder) WriteSeqLen(n int) { e.WriteULong(uint32(n)) }

// WriteEncapsulation writes a nested encapsulation as a sequence<octet>:
// fill writes the contents into a fresh encoder whose alignment origin is the
// encapsulation's first byte (the byte-order octet, written here).
func (e *Encoder) WriteEncapsulation(fill func(*Encoder)) {
	inner := Encapsulate(e.syntax, fill)
	e.WriteOctets(inner.Bytes())
	e.fail(inner.err)
}

// Encapsulate returns a standalone encapsulation (byte-order octet then the
// values written by fill) in syntax s.
func Encapsulate(s Syntax, fill func(*Encoder)) *Encoder {
	inner := NewEncoder(s, 0)
	inner.WriteOctet(byte(s.Order))
	fill(inner)
	return inner
}

// WriteSequence writes a sequence: a count then each element with write.
func WriteSequence[T any](e *Encoder, items []T, write func(*Encoder, T)) {
	e.WriteSeqLen(len(items))
	for _, it := range items {
		write(e, it)
	}
}

// WriteArray writes a fixed-length array: each element, no count.
func WriteArray[T any](e *Encoder, items []T, write func(*Encoder, T)) {
	for _, it := range items {
		write(e, it)
	}
}
