package message

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRoundTrip(t *testing.T) {
	inner := New().PutString("inner").PutInt32(-7)
	m := New().
		PutBool(true).PutInt16(-300).PutInt32(math.MinInt32).PutInt64(math.MaxInt64).PutInt(-42).
		PutUint32(math.MaxUint32).PutUint64(1 << 63).PutFloat64(3.5).
		PutString("grüße").PutBytes([]byte{0, 1, 2}).PutMessage(inner).PutString("")
	r := FromBytes(m.Bytes())
	require.True(t, r.GetBool())
	require.Equal(t, int16(-300), r.GetInt16())
	require.Equal(t, int32(math.MinInt32), r.GetInt32())
	require.Equal(t, int64(math.MaxInt64), r.GetInt64())
	require.Equal(t, -42, r.GetInt())
	require.Equal(t, uint32(math.MaxUint32), r.GetUint32())
	require.Equal(t, uint64(1<<63), r.GetUint64())
	require.Equal(t, 3.5, r.GetFloat64())
	require.Equal(t, "grüße", r.GetString())
	require.Equal(t, []byte{0, 1, 2}, r.GetBytes())
	n := r.GetMessage()
	require.Equal(t, "inner", n.GetString())
	require.Equal(t, int32(-7), n.GetInt32())
	require.NoError(t, n.Err())
	require.Equal(t, "", r.GetString())
	require.NoError(t, r.Err())
	require.Equal(t, 0, r.Remaining())
}

func TestTypeMismatchSticks(t *testing.T) {
	r := FromBytes(New().PutInt32(5).PutString("x").Bytes())
	require.Equal(t, "", r.GetString())
	require.ErrorIs(t, r.Err(), ErrType)
	require.Equal(t, int32(0), r.GetInt32(), "reads after an error return zero")
	require.ErrorIs(t, r.Err(), ErrType)
	r.Rewind()
	require.Equal(t, int32(5), r.GetInt32())
	require.NoError(t, r.Err())
}

func TestTruncated(t *testing.T) {
	full := New().PutString("hello").PutInt64(9).Bytes()
	for i := 0; i < len(full); i++ {
		r := FromBytes(full[:i])
		_ = r.GetString()
		_ = r.GetInt64()
		require.Error(t, r.Err(), "prefix of %d bytes", i)
	}
}

func TestHostileLength(t *testing.T) {
	r := FromBytes([]byte{tagBytes, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2})
	require.Nil(t, r.GetBytes())
	require.True(t, errors.Is(r.Err(), ErrLength))
}

func FuzzMessageDecode(f *testing.F) {
	f.Add(New().PutString("a").PutInt32(1).PutMessage(New().PutBool(true)).Bytes())
	f.Add([]byte{tagMessage, 3, tagString, 9, 'x'})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := FromBytes(b)
		for i := 0; i < 64 && r.Err() == nil && r.Remaining() > 0; i++ {
			switch b[r.off] {
			case tagBool:
				r.GetBool()
			case tagInt16:
				r.GetInt16()
			case tagInt32:
				r.GetInt32()
			case tagInt64:
				r.GetInt64()
			case tagUint32:
				r.GetUint32()
			case tagUint64:
				r.GetUint64()
			case tagFloat64:
				r.GetFloat64()
			case tagString:
				r.GetString()
			case tagBytes:
				r.GetBytes()
			case tagMessage:
				n := r.GetMessage()
				_ = n.GetString()
			default:
				r.GetInt32()
			}
		}
	})
}

// TestOverheadBoundsEveryValue: no value takes more than its own bytes
// plus Overhead, so a writer that sizes a message by NewSize from that
// bound writes it without the buffer growing.
func TestOverheadBoundsEveryValue(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 16383, 16384, 1 << 20} {
		b := make([]byte, n)
		puts := map[string]func(m *Message){
			"string":  func(m *Message) { m.PutString(string(b)) },
			"bytes":   func(m *Message) { m.PutBytes(b) },
			"message": func(m *Message) { m.PutMessage(FromBytes(b)) },
		}
		for name, put := range puts {
			m := NewSize(n + Overhead)
			before := &m.buf[:1][0]
			put(m)
			if m.Len() > n+Overhead {
				t.Fatalf("%s of %d bytes encodes to %d", name, n, m.Len())
			}
			if &m.buf[0] != before {
				t.Fatalf("%s of %d bytes outgrew NewSize(%d)", name, n, n+Overhead)
			}
		}
	}
	fixed := []func(m *Message){
		func(m *Message) { m.PutBool(true) }, func(m *Message) { m.PutInt16(-1) },
		func(m *Message) { m.PutInt32(-1) }, func(m *Message) { m.PutInt64(-1) },
		func(m *Message) { m.PutUint32(1) }, func(m *Message) { m.PutUint64(1) },
		func(m *Message) { m.PutFloat64(1) },
	}
	for i, put := range fixed {
		m := New()
		put(m)
		if m.Len() > Overhead {
			t.Fatalf("fixed-size value %d encodes to %d bytes", i, m.Len())
		}
	}
	if NewSize(-1).Len() != 0 {
		t.Fatal("NewSize(-1) is not an empty message")
	}
}
