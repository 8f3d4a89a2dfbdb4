package udp

import (
	"encoding/binary"
	"errors"
	"net"
	"syscall"
	"unsafe"
)

// Linux's names for segmentation offload (linux/udp.h), which the
// syscall package does not have.
const (
	solUDP     = syscall.IPPROTO_UDP
	udpSegment = 103 // UDP_SEGMENT: the segment size of a send (uint16)
	udpGRO     = 104 // UDP_GRO: coalesce received runs; their segment size (int)
)

// enableOffload turns on GRO on conn where the kernel has it, and reports
// whether the kernel offers GSO for sending from conn.
func enableOffload(conn *net.UDPConn) (gso bool) {
	c, err := conn.SyscallConn()
	if err != nil {
		return false
	}
	_ = c.Control(func(fd uintptr) {
		_, gerr := syscall.GetsockoptInt(int(fd), solUDP, udpSegment)
		gso = gerr == nil
		_ = syscall.SetsockoptInt(int(fd), solUDP, udpGRO, 1)
	})
	return gso
}

// segmentControl is the control message that makes a send of several
// datagrams an offloaded run of size-byte segments.
func segmentControl(size int) []byte {
	b := make([]byte, syscall.CmsgSpace(2))
	h := (*syscall.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level, h.Type = solUDP, udpSegment
	h.SetLen(syscall.CmsgLen(2))
	binary.NativeEndian.PutUint16(b[syscall.CmsgLen(0):], uint16(size))
	return b
}

// groSegment returns the segment size of a received run from its control
// messages, or 0 when there is none (a single datagram).
func groSegment(oob []byte) int {
	if len(oob) == 0 {
		return 0
	}
	cms, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return 0
	}
	for _, cm := range cms {
		if cm.Header.Level == solUDP && cm.Header.Type == udpGRO && len(cm.Data) >= 4 {
			return int(int32(binary.NativeEndian.Uint32(cm.Data)))
		}
	}
	return 0
}

// offloadRefused reports whether err is the kernel refusing an offloaded
// send: EIO from a device without checksum offload, EINVAL from a kernel
// with a lower segment limit.
func offloadRefused(err error) bool {
	return errors.Is(err, syscall.EIO) || errors.Is(err, syscall.EINVAL)
}
