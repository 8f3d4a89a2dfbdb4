package udp

import (
	"bytes"
	"encoding/binary"
	"syscall"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// control returns a control message as the kernel writes it.
func control(level, typ int32, data []byte) []byte {
	b := make([]byte, syscall.CmsgSpace(len(data)))
	h := (*syscall.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level, h.Type = level, typ
	h.SetLen(syscall.CmsgLen(len(data)))
	copy(b[syscall.CmsgLen(0):], data)
	return b
}

func groControl(size int32) []byte {
	return control(solUDP, udpGRO, binary.NativeEndian.AppendUint32(nil, uint32(size)))
}

// A run's segment size is read from its UDP_GRO control message, wherever
// it is among the others; control data without one is a single datagram.
func TestGROSegmentReadsTheRunsSegmentSize(t *testing.T) {
	require.Equal(t, 1234, groSegment(groControl(1234)))
	other := control(syscall.IPPROTO_IP, syscall.IP_TTL, []byte{64, 0, 0, 0})
	require.Equal(t, 1400, groSegment(append(other, groControl(1400)...)))
	require.Equal(t, 0, groSegment(other))
	require.Equal(t, 0, groSegment(nil))
	require.Equal(t, 0, groSegment(groControl(1234)[:10]), "cut short")
	seg := segmentControl(1000)
	require.Equal(t, 0, groSegment(seg), "a UDP_SEGMENT message is not a received run")
}

// Control data from the kernel is decoded without panicking, whatever it
// holds.
func FuzzGROSegment(f *testing.F) {
	f.Add(groControl(1000))
	f.Add(append(control(syscall.IPPROTO_IP, syscall.IP_TTL, []byte{1}), groControl(9)...))
	f.Add(bytes.Repeat([]byte{0xff}, 40))
	f.Fuzz(func(t *testing.T, oob []byte) {
		seg := groSegment(oob)
		if seg != 0 {
			require.GreaterOrEqual(t, len(oob), syscall.CmsgLen(4), "a segment size comes from a whole control message")
		}
	})
}
