// Package message is the marshalling Message that group members exchange:
// the Go form of Maestro_Message, whose << and >> operators become typed
// Put and Get methods.
//
// Values are read back in the order they were written (first in, first
// out; the C++ Message was a stack). Every value carries a one-byte type
// tag, so reading a different type than was written is reported as an
// error instead of yielding garbage. Get methods never panic: the first
// failure sticks, later Gets return zero values, and Err reports it.
package message

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Type tags.
const (
	tagBool    = 1
	tagInt32   = 2
	tagInt64   = 3
	tagUint32  = 4
	tagUint64  = 5
	tagFloat64 = 6
	tagString  = 7
	tagBytes   = 8
	tagMessage = 9
	tagInt16   = 10
)

// MaxLen bounds any length read from a message.
const MaxLen = 1 << 30

// ErrShort reports a read past the end of the message.
var ErrShort = errors.New("message: read past end")

// ErrType reports a read of a different type than was written.
var ErrType = errors.New("message: type mismatch")

// ErrLength reports a length that does not fit the message.
var ErrLength = errors.New("message: bad length")

// Message is a sequence of typed values. The zero value is an empty message
// ready for Put. A Message is not safe for concurrent use.
type Message struct {
	buf []byte
	off int
	err error
}

// New returns an empty message.
func New() *Message { return &Message{} }

// NewSize returns an empty message with room for n encoded bytes, for a
// writer that knows about how long its message will be: each value that
// does not fit grows the buffer, which copies what was written so far.
func NewSize(n int) *Message { return &Message{buf: make([]byte, 0, max(n, 0))} }

// Overhead bounds what a value adds to its own bytes (its tag and length):
// a string, byte string or nested message of n bytes takes at most
// n+Overhead bytes encoded, and any fixed-size value at most Overhead.
const Overhead = 1 + binary.MaxVarintLen64

// FromBytes returns a message that reads the encoded values in b (as
// produced by Bytes). The message aliases b.
func FromBytes(b []byte) *Message { return &Message{buf: b} }

// Bytes returns the encoded message (all values, including any already read).
func (m *Message) Bytes() []byte { return m.buf }

// Len returns the encoded length.
func (m *Message) Len() int { return len(m.buf) }

// Remaining reports how many encoded bytes are left to read.
func (m *Message) Remaining() int { return len(m.buf) - m.off }

// Err returns the first read error, if any.
func (m *Message) Err() error { return m.err }

// Rewind restarts reading from the first value and clears the error.
func (m *Message) Rewind() { m.off, m.err = 0, nil }

// PutBool appends a boolean.
func (m *Message) PutBool(v bool) *Message {
	b := byte(0)
	if v {
		b = 1
	}
	m.buf = append(m.buf, tagBool, b)
	return m
}

// PutInt16 appends a 16-bit integer.
func (m *Message) PutInt16(v int16) *Message {
	m.buf = binary.BigEndian.AppendUint16(append(m.buf, tagInt16), uint16(v))
	return m
}

// PutInt32 appends a 32-bit integer.
func (m *Message) PutInt32(v int32) *Message {
	m.buf = binary.BigEndian.AppendUint32(append(m.buf, tagInt32), uint32(v))
	return m
}

// PutInt64 appends a 64-bit integer.
func (m *Message) PutInt64(v int64) *Message {
	m.buf = binary.BigEndian.AppendUint64(append(m.buf, tagInt64), uint64(v))
	return m
}

// PutInt appends an int (as 64 bits).
func (m *Message) PutInt(v int) *Message { return m.PutInt64(int64(v)) }

// PutUint32 appends an unsigned 32-bit integer.
func (m *Message) PutUint32(v uint32) *Message {
	m.buf = binary.BigEndian.AppendUint32(append(m.buf, tagUint32), v)
	return m
}

// PutUint64 appends an unsigned 64-bit integer.
func (m *Message) PutUint64(v uint64) *Message {
	m.buf = binary.BigEndian.AppendUint64(append(m.buf, tagUint64), v)
	return m
}

// PutFloat64 appends a float.
func (m *Message) PutFloat64(v float64) *Message {
	m.buf = binary.BigEndian.AppendUint64(append(m.buf, tagFloat64), math.Float64bits(v))
	return m
}

// PutString appends a string.
func (m *Message) PutString(s string) *Message {
	m.buf = binary.AppendUvarint(append(m.buf, tagString), uint64(len(s)))
	m.buf = append(m.buf, s...)
	return m
}

// PutBytes appends a byte string.
func (m *Message) PutBytes(b []byte) *Message {
	m.buf = binary.AppendUvarint(append(m.buf, tagBytes), uint64(len(b)))
	m.buf = append(m.buf, b...)
	return m
}

// PutMessage appends another message, nested.
func (m *Message) PutMessage(n *Message) *Message {
	var b []byte
	if n != nil {
		b = n.buf
	}
	m.buf = binary.AppendUvarint(append(m.buf, tagMessage), uint64(len(b)))
	m.buf = append(m.buf, b...)
	return m
}

func (m *Message) fail(err error) {
	if m.err == nil {
		m.err = err
	}
}

// take consumes a tag and n fixed bytes.
func (m *Message) take(tag byte, n int) []byte {
	if m.err != nil {
		return nil
	}
	if m.off >= len(m.buf) {
		m.fail(ErrShort)
		return nil
	}
	if got := m.buf[m.off]; got != tag {
		m.fail(fmt.Errorf("%w: want %s, found %s", ErrType, tagName(tag), tagName(got)))
		return nil
	}
	if len(m.buf)-m.off-1 < n {
		m.fail(ErrShort)
		return nil
	}
	b := m.buf[m.off+1 : m.off+1+n]
	m.off += 1 + n
	return b
}

// takeVar consumes a tag, a length and that many bytes.
func (m *Message) takeVar(tag byte) []byte {
	if m.take(tag, 0) == nil && m.err != nil {
		return nil
	}
	n, k := binary.Uvarint(m.buf[m.off:])
	if k <= 0 || n > MaxLen || n > uint64(len(m.buf)-m.off-k) {
		m.fail(ErrLength)
		return nil
	}
	m.off += k
	b := m.buf[m.off : m.off+int(n) : m.off+int(n)]
	m.off += int(n)
	return b
}

// GetBool reads a boolean.
func (m *Message) GetBool() bool {
	b := m.take(tagBool, 1)
	if b == nil {
		return false
	}
	if b[0] > 1 {
		m.fail(fmt.Errorf("%w: boolean byte %d", ErrLength, b[0]))
		return false
	}
	return b[0] == 1
}

// GetInt16 reads a 16-bit integer.
func (m *Message) GetInt16() int16 {
	if b := m.take(tagInt16, 2); b != nil {
		return int16(binary.BigEndian.Uint16(b))
	}
	return 0
}

// GetInt32 reads a 32-bit integer.
func (m *Message) GetInt32() int32 {
	if b := m.take(tagInt32, 4); b != nil {
		return int32(binary.BigEndian.Uint32(b))
	}
	return 0
}

// GetInt64 reads a 64-bit integer.
func (m *Message) GetInt64() int64 {
	if b := m.take(tagInt64, 8); b != nil {
		return int64(binary.BigEndian.Uint64(b))
	}
	return 0
}

// GetInt reads an int written by PutInt.
func (m *Message) GetInt() int { return int(m.GetInt64()) }

// GetUint32 reads an unsigned 32-bit integer.
func (m *Message) GetUint32() uint32 {
	if b := m.take(tagUint32, 4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

// GetUint64 reads an unsigned 64-bit integer.
func (m *Message) GetUint64() uint64 {
	if b := m.take(tagUint64, 8); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

// GetFloat64 reads a float.
func (m *Message) GetFloat64() float64 {
	if b := m.take(tagFloat64, 8); b != nil {
		return math.Float64frombits(binary.BigEndian.Uint64(b))
	}
	return 0
}

// GetString reads a string.
func (m *Message) GetString() string { return string(m.takeVar(tagString)) }

// GetBytes reads a byte string. The result aliases the message.
func (m *Message) GetBytes() []byte { return m.takeVar(tagBytes) }

// GetMessage reads a nested message.
func (m *Message) GetMessage() *Message {
	b := m.takeVar(tagMessage)
	if m.err != nil {
		return New()
	}
	return FromBytes(b)
}

func tagName(t byte) string {
	switch t {
	case tagBool:
		return "bool"
	case tagInt16:
		return "int16"
	case tagInt32:
		return "int32"
	case tagInt64:
		return "int64"
	case tagUint32:
		return "uint32"
	case tagUint64:
		return "uint64"
	case tagFloat64:
		return "float64"
	case tagString:
		return "string"
	case tagBytes:
		return "bytes"
	case tagMessage:
		return "message"
	}
	return fmt.Sprintf("tag %d", t)
}
