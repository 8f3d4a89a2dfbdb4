package wire

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReaderBounds(t *testing.T) {
	var w Writer
	w.Uvarint(300)
	w.String("hi")
	w.Uint64(7)
	w.Bool(true)
	r := NewReader(w.B)
	require.Equal(t, uint64(300), r.Uvarint())
	require.Equal(t, "hi", r.String(10))
	require.Equal(t, uint64(7), r.Uint64())
	require.True(t, r.Bool())
	require.NoError(t, r.Err())
	require.Equal(t, 0, r.Remaining())
	r.Byte()
	require.ErrorIs(t, r.Err(), ErrShort)

	r = NewReader(w.B)
	require.Equal(t, 0, r.Int(100), "300 exceeds the limit")
	require.ErrorIs(t, r.Err(), ErrTooLarge)

	// A count the input cannot hold is refused before any allocation.
	var c Writer
	c.Uvarint(1 << 40)
	r = NewReader(c.B)
	require.Equal(t, 0, r.Count(1<<50, 1))
	require.Error(t, r.Err())
}

func TestMsgPushPop(t *testing.T) {
	m := NewMsg([]byte("payload"))
	m.PushByte(2)
	m.Push(make([]byte, 100)) // beyond the headroom
	m.PushByte(1)
	b, err := m.PopByte()
	require.NoError(t, err)
	require.Equal(t, byte(1), b)
	require.NoError(t, m.Skip(100))
	b, _ = m.PopByte()
	require.Equal(t, byte(2), b)
	require.Equal(t, "payload", string(m.Bytes()))

	shared := []byte{9, 'a', 'b'}
	w := WrapMsg(shared[1:])
	w.PushByte(7)
	require.Equal(t, byte(9), shared[0], "pushing onto a wrapped message never writes outside it")
	require.Equal(t, []byte{7, 'a', 'b'}, w.Bytes())
}

// PushKind writes what a Writer's Byte and Uvarint would.
func TestPushKindIsByteThenUvarint(t *testing.T) {
	for _, v := range []uint64{0, 1, 127, 128, 1 << 40, ^uint64(0)} {
		var w Writer
		w.Byte(7)
		w.Uvarint(v)
		m := NewMsg([]byte("payload"))
		m.PushKind(7, v)
		if got, want := string(m.Bytes()), string(w.B)+"payload"; got != want {
			t.Fatalf("PushKind(7, %d) = %q, want %q", v, got, want)
		}
		k, err := m.PopByte()
		r := m.Reader()
		if err != nil || k != 7 || r.Uvarint() != v || r.Err() != nil {
			t.Fatalf("PushKind(7, %d) does not read back", v)
		}
	}
}

// A message copies its payload into one allocation that also holds the
// headroom, so that the layers' headers need no second one.
func TestNewMsgCopiesIntoOneAllocation(t *testing.T) {
	payload := make([]byte, 65536)
	payload[0], payload[65535] = 1, 2
	var m Msg
	allocs := testing.AllocsPerRun(20, func() {
		m.Init(payload)
		m.PushKind(3, 300)
	})
	require.Equal(t, 1.0, allocs)
	payload[0] = 9
	require.Equal(t, []byte{3, 0xac, 0x02, 1}, m.Bytes()[:4], "the header, then the payload as it was")
	require.Equal(t, byte(2), m.Bytes()[len(m.Bytes())-1])
	require.Equal(t, 3+65536, m.Len())
}

// The messages NewMsgs returns share one buffer, yet each is a copy of its
// part whose headers never reach into its neighbour's content, however
// many are pushed.
func TestNewMsgsAreIndependentCopies(t *testing.T) {
	parts := [][]byte{[]byte("first part"), []byte("second"), {}, []byte("last")}
	msgs := NewMsgs(parts)
	require.Len(t, msgs, len(parts))
	for i := range parts {
		msgs[i].Push(bytes.Repeat([]byte{byte(i)}, headroom))
	}
	msgs[3].PushByte(9)
	parts[0][0] = 'X'
	for i, m := range msgs {
		content := m.Bytes()
		if i == 3 {
			require.Equal(t, byte(9), content[0])
			content = content[1:]
		}
		require.Equal(t, bytes.Repeat([]byte{byte(i)}, headroom), content[:headroom], "message %d's header", i)
		want := map[int]string{0: "first part", 1: "second", 2: "", 3: "last"}[i]
		require.Equal(t, want, string(content[headroom:]), "message %d's payload", i)
	}
	allocs := testing.AllocsPerRun(20, func() { NewMsgs(parts) })
	require.LessOrEqual(t, allocs, 4.0, "one buffer for all, whatever their number")
}

// Truncate drops the end of the content without touching it: headers
// pushed afterwards go in front, and whoever holds the whole content still
// has it.
func TestTruncateLeavesTheDroppedBytesAlone(t *testing.T) {
	m := NewMsg([]byte("first|rest"))
	whole := m.Bytes()
	m.Truncate(len("first"))
	require.Equal(t, "first", string(m.Bytes()))
	m.Push([]byte("hdr:"))
	m.PushByte('>')
	require.Equal(t, ">hdr:first", string(m.Bytes()))
	require.Equal(t, "first|rest", string(whole))
	require.Equal(t, len(m.Bytes()), cap(m.Bytes()), "nothing can be appended over the dropped bytes")
}

// The room behind a wrapped datagram's message is handed out once, to the
// one caller of TakeRoom; Bytes never shows it, and a truncated message
// has none.
func TestTakeRoomHandsOutTheRoomOnce(t *testing.T) {
	buf := make([]byte, 8, 32)
	copy(buf, "hdr|body")
	var m Msg
	m.WrapWithRoom(buf)
	require.NoError(t, m.Skip(len("hdr|")))
	require.Equal(t, "body", string(m.Bytes()))
	require.Equal(t, len(m.Bytes()), cap(m.Bytes()), "Bytes shows no room")

	b := m.TakeRoom()
	require.Equal(t, "body", string(b))
	require.Equal(t, 28, cap(b), "the room goes to the first taker")
	b = append(b, "+more"...)
	require.Equal(t, "body+more", string(b))
	require.Same(t, &buf[4], &b[0], "appended in place")
	require.Equal(t, "body", string(m.Bytes()), "the message itself is unchanged")

	again := m.TakeRoom()
	require.Equal(t, len(again), cap(again), "and only to the first")

	m.WrapWithRoom(buf)
	m.Truncate(3)
	require.Equal(t, 3, cap(m.TakeRoom()), "a truncated message has no room")

	m.Wrap(buf)
	require.Equal(t, 8, cap(m.TakeRoom()), "a wrapped message has none")
}
