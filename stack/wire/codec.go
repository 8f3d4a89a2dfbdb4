package wire

import (
	"encoding/binary"
	"errors"
	"math"
)

// ErrShort reports input that ends before the value being decoded.
var ErrShort = errors.New("wire: truncated input")

// ErrTooLarge reports a length or count beyond what the decoder accepts.
var ErrTooLarge = errors.New("wire: length out of range")

// ErrMalformed reports an encoding that is not valid (e.g. an overlong varint).
var ErrMalformed = errors.New("wire: malformed input")

// Writer appends encoded values to a byte slice. The zero value is ready to use.
type Writer struct{ B []byte }

// Uvarint appends an unsigned varint.
func (w *Writer) Uvarint(v uint64) { w.B = binary.AppendUvarint(w.B, v) }

// Varint appends a signed (zig-zag) varint.
func (w *Writer) Varint(v int64) { w.B = binary.AppendVarint(w.B, v) }

// Byte appends one byte.
func (w *Writer) Byte(b byte) { w.B = append(w.B, b) }

// Bool appends a boolean as one byte.
func (w *Writer) Bool(b bool) {
	if b {
		w.B = append(w.B, 1)
	} else {
		w.B = append(w.B, 0)
	}
}

// Uint32 appends a big-endian 32-bit value.
func (w *Writer) Uint32(v uint32) { w.B = binary.BigEndian.AppendUint32(w.B, v) }

// Uint64 appends a big-endian 64-bit value.
func (w *Writer) Uint64(v uint64) { w.B = binary.BigEndian.AppendUint64(w.B, v) }

// Bytes appends a length-prefixed byte string.
func (w *Writer) Bytes(b []byte) {
	w.Uvarint(uint64(len(b)))
	w.B = append(w.B, b...)
}

// String appends a length-prefixed string.
func (w *Writer) String(s string) {
	w.Uvarint(uint64(len(s)))
	w.B = append(w.B, s...)
}

// Raw appends b without a length prefix.
func (w *Writer) Raw(b []byte) { w.B = append(w.B, b...) }

// Reader decodes values from a byte slice, checking every bound. The first
// error sticks: later calls return zero values, and Err reports it, so a
// decoder can read a whole header and check once.
type Reader struct {
	b   []byte
	pos int
	err error
}

// NewReader returns a Reader over b.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

// Err returns the first decoding error, if any.
func (r *Reader) Err() error { return r.err }

// Consumed returns the number of bytes decoded so far.
func (r *Reader) Consumed() int { return r.pos }

// Remaining returns the number of undecoded bytes.
func (r *Reader) Remaining() int { return len(r.b) - r.pos }

// Rest returns the undecoded bytes (aliasing the input) and consumes them.
func (r *Reader) Rest() []byte {
	if r.err != nil {
		return nil
	}
	b := r.b[r.pos:]
	r.pos = len(r.b)
	return b
}

func (r *Reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// Uvarint decodes an unsigned varint.
func (r *Reader) Uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.pos:])
	if n == 0 {
		r.fail(ErrShort)
		return 0
	}
	if n < 0 {
		r.fail(ErrMalformed)
		return 0
	}
	r.pos += n
	return v
}

// Varint decodes a signed varint.
func (r *Reader) Varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b[r.pos:])
	if n == 0 {
		r.fail(ErrShort)
		return 0
	}
	if n < 0 {
		r.fail(ErrMalformed)
		return 0
	}
	r.pos += n
	return v
}

// Int decodes an unsigned varint that must fit in [0, max].
func (r *Reader) Int(max int) int {
	v := r.Uvarint()
	if r.err != nil {
		return 0
	}
	if v > uint64(max) || v > math.MaxInt32 {
		r.fail(ErrTooLarge)
		return 0
	}
	return int(v)
}

// Byte decodes one byte.
func (r *Reader) Byte() byte {
	if r.err != nil {
		return 0
	}
	if r.pos >= len(r.b) {
		r.fail(ErrShort)
		return 0
	}
	b := r.b[r.pos]
	r.pos++
	return b
}

// Bool decodes a boolean; any byte other than 0 or 1 is malformed.
func (r *Reader) Bool() bool {
	b := r.Byte()
	if b > 1 {
		r.fail(ErrMalformed)
		return false
	}
	return b == 1
}

// Uint32 decodes a big-endian 32-bit value.
func (r *Reader) Uint32() uint32 {
	if r.err != nil {
		return 0
	}
	if r.Remaining() < 4 {
		r.fail(ErrShort)
		return 0
	}
	v := binary.BigEndian.Uint32(r.b[r.pos:])
	r.pos += 4
	return v
}

// Uint64 decodes a big-endian 64-bit value.
func (r *Reader) Uint64() uint64 {
	if r.err != nil {
		return 0
	}
	if r.Remaining() < 8 {
		r.fail(ErrShort)
		return 0
	}
	v := binary.BigEndian.Uint64(r.b[r.pos:])
	r.pos += 8
	return v
}

// Bytes decodes a length-prefixed byte string of at most max bytes. The
// result aliases the input.
func (r *Reader) Bytes(max int) []byte {
	n := r.Int(max)
	if r.err != nil {
		return nil
	}
	if n > r.Remaining() {
		r.fail(ErrShort)
		return nil
	}
	b := r.b[r.pos : r.pos+n : r.pos+n]
	r.pos += n
	return b
}

// String decodes a length-prefixed string of at most max bytes.
func (r *Reader) String(max int) string { return string(r.Bytes(max)) }

// Count decodes an element count for a list whose elements take at least
// minElem bytes each, rejecting counts the remaining input cannot hold. This
// stops a hostile count from making the decoder allocate a huge slice.
func (r *Reader) Count(max, minElem int) int {
	n := r.Int(max)
	if r.err != nil {
		return 0
	}
	if minElem > 0 && n > r.Remaining()/minElem {
		r.fail(ErrShort)
		return 0
	}
	return n
}
