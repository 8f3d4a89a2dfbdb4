package udp

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// A large datagram is handed over in its read buffer, which is replaced,
// with the buffer's free space behind it; a small one is copied and the
// buffer kept for the next read.
func TestReceivedHandsOverLargeBuffersAndCopiesSmallOnes(t *testing.T) {
	buf := newReadBuf()
	first := &buf[0]

	small := received(&buf, handOverMin-1)
	require.Len(t, small, handOverMin-1)
	require.Same(t, first, &buf[0], "a small datagram keeps the read buffer")
	require.NotSame(t, first, &small[0], "a small datagram is copied")

	large := received(&buf, handOverMin)
	require.Len(t, large, handOverMin)
	require.Equal(t, readBufSize+readRoom, cap(large), "the free space behind it goes with it")
	require.Same(t, first, &large[0], "a large datagram is the read buffer itself")
	require.NotSame(t, first, &buf[0], "the next read goes to a fresh buffer")
	require.Len(t, buf, readBufSize)
	require.Equal(t, readBufSize+readRoom, cap(buf))
}

// The datagrams of a GRO run share one buffer: each is capped at its own
// end, so that nothing appended to one can overwrite the next; a lone
// datagram keeps its capacity.
func TestSegmentsOfARunAreCappedAndALoneDatagramIsNot(t *testing.T) {
	b := make([]byte, 250, 1000)
	var got [][]byte
	segments(b, 100, func(d []byte) { got = append(got, d) })
	require.Len(t, got, 3)
	for i, d := range got {
		require.Equal(t, len(d), cap(d), "segment %d", i)
	}
	require.Equal(t, []int{100, 100, 50}, []int{len(got[0]), len(got[1]), len(got[2])})

	got = nil
	segments(b, 0, func(d []byte) { got = append(got, d) })
	require.Len(t, got, 1)
	require.Equal(t, 1000, cap(got[0]))
}

// Every datagram the stack was handed keeps its content while the reader
// goes on reading, whether it was copied or handed over: more datagrams
// than one read takes, large and small.
func TestReceivedDatagramsOutliveLaterReads(t *testing.T) {
	src, dst := listen(t), listen(t)
	var r receiver
	dst.Serve(r.recv)
	const count = 3 * batchSize
	var ds [][]byte
	for i := range count {
		size := 100
		if i%2 == 0 {
			size = 60000
		}
		ds = append(ds, bytes.Repeat([]byte{byte(i)}, size))
	}
	for _, d := range ds {
		require.NoError(t, src.SendTo(dst.LocalAddr(), d))
	}
	got := r.wait(t, count)
	require.Len(t, got, count)
	for i, d := range got { // one socket on loopback: in order
		require.True(t, bytes.Equal(ds[i], d), "datagram %d (%d bytes) was overwritten", i, len(d))
	}
}
