package cdr

import (
	"fmt"
	"math"
)

// DefaultMaxDepth bounds how deeply encapsulations and recursive values may
// nest before a Decoder reports ErrTooDeep.
const DefaultMaxDepth = 32

// Decoder reads CDR values from a byte slice. It has a sticky error: after the
// first failure (truncation, bad length, bad value) every read returns the
// zero value and Err reports that failure, so a caller may read a whole
// argument list and check Err once. Every length and count is checked against
// the bytes actually left, so hostile input cannot cause large allocations.
// A Decoder is not safe for concurrent use.
type Decoder struct {
	buf      []byte
	pos      int
	base     int // logical offset of buf[0] for alignment
	syntax   Syntax
	err      error
	depth    int
	MaxDepth int // zero means DefaultMaxDepth
	// aliasOctets makes ReadOctets return slices of the input rather than
	// copies (the server's own decoding of a message it owns).
	aliasOctets bool
}

// NewDecoder returns a decoder over data whose first byte sits at logical
// offset offset from the alignment origin.
func NewDecoder(s Syntax, data []byte, offset int) *Decoder {
	return &Decoder{buf: data, base: offset, syntax: s}
}

// Reset makes d a decoder over data as NewDecoder(s, data, offset) would,
// so a caller can reuse one Decoder value.
func (d *Decoder) Reset(s Syntax, data []byte, offset int) {
	*d = Decoder{buf: data, base: offset, syntax: s}
}

// Syntax reports the byte order, version and code sets the decoder reads.
func (d *Decoder) Syntax() Syntax { return d.syntax }

// Err returns the first decoding error, or nil.
func (d *Decoder) Err() error { return d.err }

// Fail records err as the decoder's error unless one is already recorded;
// user decoding code uses it to reject values (for example an enum out of range).
func (d *Decoder) Fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// Remaining is the number of unread bytes.
func (d *Decoder) Remaining() int { return len(d.buf) - d.pos }

// Offset is the logical offset of the next byte to read.
func (d *Decoder) Offset() int { return d.base + d.pos }

// Rest returns the unread bytes (aliasing the input) without consuming them.
func (d *Decoder) Rest() []byte { return d.buf[d.pos:] }

func (d *Decoder) truncated(what string, need int) {
	d.Fail(fmt.Errorf("%w: %s needs %d bytes at offset %d, %d left", ErrTruncated, what, need, d.Offset(), d.Remaining()))
}

// Align skips padding (whose content is never checked: senders leave garbage
// there) up to a multiple of n.
func (d *Decoder) Align(n int) {
	if d.err != nil {
		return
	}
	var pad int
	if n > 0 && n&(n-1) == 0 {
		pad = -d.Offset() & (n - 1)
	} else {
		pad = (n - d.Offset()%n) % n
	}
	if pad > d.Remaining() {
		d.truncated("alignment", pad)
		return
	}
	d.pos += pad
}

func (d *Decoder) take(n int, align int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if align > 1 {
		d.Align(align)
		if d.err != nil {
			return nil
		}
	}
	if n < 0 || n > d.Remaining() {
		d.truncated(what, n)
		return nil
	}
	b := d.buf[d.pos : d.pos+n]
	d.pos += n
	return b
}

// ReadOctet reads one octet.
func (d *Decoder) ReadOctet() byte {
	b := d.take(1, 1, "octet")
	if b == nil {
		return 0
	}
	return b[0]
}

// ReadBool reads a boolean; any octet other than 0 or 1 is an error.
func (d *Decoder) ReadBool() bool {
	v := d.ReadOctet()
	if v > 1 {
		d.Fail(fmt.Errorf("iiop: boolean octet %d is neither 0 nor 1", v))
		return false
	}
	return v == 1
}

// ReadChar reads a char (one octet).
func (d *Decoder) ReadChar() byte { return d.ReadOctet() }

// ReadUShort reads an unsigned short.
func (d *Decoder) ReadUShort() uint16 {
	b := d.take(2, 2, "short")
	if b == nil {
		return 0
	}
	return d.syntax.Order.uint16(b)
}

// ReadShort reads a short.
func (d *Decoder) ReadShort() int16 { return int16(d.ReadUShort()) }

// ReadULong reads an unsigned long.
func (d *Decoder) ReadULong() uint32 {
	b := d.take(4, 4, "long")
	if b == nil {
		return 0
	}
	return d.syntax.Order.uint32(b)
}

// ReadLong reads a long.
func (d *Decoder) ReadLong() int32 { return int32(d.ReadULong()) }

// ReadULongLong reads an unsigned long long.
func (d *Decoder) ReadULongLong() uint64 {
	b := d.take(8, 8, "long long")
	if b == nil {
		return 0
	}
	return d.syntax.Order.uint64(b)
}

// ReadLongLong reads a long long.
func (d *Decoder) ReadLongLong() int64 { return int64(d.ReadULongLong()) }

// ReadFloat reads an IEEE single.
func (d *Decoder) ReadFloat() float32 { return math.Float32frombits(d.ReadULong()) }

// ReadDouble reads an IEEE double.
func (d *Decoder) ReadDouble() float64 { return math.Float64frombits(d.ReadULongLong()) }

// ReadLongDouble reads the 16 raw octets of an IEEE quad.
func (d *Decoder) ReadLongDouble() (v [16]byte) {
	copy(v[:], d.take(16, 8, "long double"))
	return v
}

// ReadEnum reads an enum value and checks it is below count (the number of
// enumerators).
func (d *Decoder) ReadEnum(count uint32) uint32 {
	v := d.ReadULong()
	if d.err == nil && v >= count {
		d.Fail(fmt.Errorf("iiop: enum value %d out of range (%d enumerators)", v, count))
		return 0
	}
	return v
}

// ReadRaw reads n bytes without a length prefix; the result aliases the input.
func (d *Decoder) ReadRaw(n int) []byte { return d.take(n, 1, "raw bytes") }

// ReadOctets reads a sequence<octet>; the result is a copy.
func (d *Decoder) ReadOctets() []byte {
	n := d.ReadULong()
	if d.err != nil {
		return nil
	}
	if uint64(n) > uint64(d.Remaining()) {
		d.truncated("octet sequence", int(min(uint64(n), math.MaxInt32)))
		return nil
	}
	b := d.take(int(n), 1, "octet sequence")
	if d.aliasOctets {
		return b[:len(b):len(b)]
	}
	return append([]byte(nil), b...)
}

// ReadSeqLen reads a sequence count and checks that count elements of at
// least minElemSize bytes each could fit in the remaining input, so a hostile
// count cannot make the caller allocate more than the message holds.
// minElemSize below 1 is treated as 1.
func (d *Decoder) ReadSeqLen(minElemSize int) int {
	n := d.ReadULong()
	if d.err != nil {
		return 0
	}
	if minElemSize < 1 {
		minElemSize = 1
	}
	if uint64(n)*uint64(minElemSize) > uint64(d.Remaining()) {
		d.Fail(fmt.Errorf("%w: sequence of %d elements (>= %d bytes each) with %d bytes left", ErrTruncated, n, minElemSize, d.Remaining()))
		return 0
	}
	return int(n)
}

// Enter marks the start of a nested value (an encapsulation, or one level of
// a recursive type) and reports false, recording ErrTooDeep, when nesting
// exceeds MaxDepth. Pair every successful Enter with Leave.
func (d *Decoder) Enter() bool {
	max := d.MaxDepth
	if max == 0 {
		max = DefaultMaxDepth
	}
	if d.depth >= max {
		d.Fail(fmt.Errorf("%w (limit %d)", ErrTooDeep, max))
		return false
	}
	d.depth++
	return true
}

// Leave ends a nested value started with Enter.
func (d *Decoder) Leave() {
	if d.depth > 0 {
		d.depth--
	}
}

// ReadEncapsulation reads a sequence<octet> holding an encapsulation and
// returns a decoder over its contents, positioned after the byte-order octet,
// with the encapsulation's own byte order and alignment origin. The nested
// decoder inherits this decoder's depth plus one; errors in it do not affect
// this decoder.
func (d *Decoder) ReadEncapsulation() *Decoder {
	n := d.ReadULong()
	if d.err == nil && uint64(n) > uint64(d.Remaining()) {
		d.truncated("encapsulation", int(min(uint64(n), math.MaxInt32)))
	}
	if d.err != nil {
		return &Decoder{err: d.err}
	}
	data := d.take(int(n), 1, "encapsulation")
	return d.nestedDecoder(data)
}

// nestedDecoder opens an encapsulation held in data.
func (d *Decoder) nestedDecoder(data []byte) *Decoder {
	inner := &Decoder{buf: data, syntax: d.syntax, depth: d.depth, MaxDepth: d.MaxDepth}
	if !inner.Enter() {
		return inner
	}
	if len(data) < 1 {
		inner.truncated("encapsulation byte order", 1)
		return inner
	}
	switch data[0] {
	case 0:
		inner.syntax.Order = BigEndian
	case 1:
		inner.syntax.Order = LittleEndian
	default:
		inner.Fail(fmt.Errorf("iiop: encapsulation byte-order octet %d", data[0]))
	}
	inner.pos = 1
	return inner
}

// OpenEncapsulation returns a decoder over a standalone encapsulation (for
// example a tagged profile's or component's data).
func OpenEncapsulation(s Syntax, data []byte) *Decoder {
	d := &Decoder{syntax: s}
	return d.nestedDecoder(data)
}

// ReadSequence reads a sequence: a count (checked against the remaining
// input using minElemSize) then each element with read. It stops at the
// first error.
func ReadSequence[T any](d *Decoder, minElemSize int, read func(*Decoder) T) []T {
	n := d.ReadSeqLen(minElemSize)
	if d.err != nil || n == 0 {
		return nil
	}
	out := make([]T, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		out = append(out, read(d))
	}
	if d.err != nil {
		return nil
	}
	return out
}

// ReadArray reads a fixed-length array of n elements with read. n is the
// IDL-declared length, trusted from the caller; it is still checked against
// the remaining input using minElemSize.
func ReadArray[T any](d *Decoder, n int, minElemSize int, read func(*Decoder) T) []T {
	if minElemSize < 1 {
		minElemSize = 1
	}
	if d.err == nil && (n < 0 || int64(n)*int64(minElemSize) > int64(d.Remaining())) {
		d.truncated("array", n*minElemSize)
	}
	if d.err != nil {
		return nil
	}
	out := make([]T, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		out = append(out, read(d))
	}
	return out
}
