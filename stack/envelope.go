package stack

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"hash/fnv"

	"github.com/maestro-go/maestro/stack/wire"
)

// Every datagram starts with a fixed envelope:
//
//	'M' 'S' version kind groupHash(4)
//
// kind packetView is followed by viewHash(8), the sender's rank (uvarint)
// and one or more length-prefixed messages (several small messages to the
// same destination are packed into one datagram). kind packetGlobal is
// followed by the sender's endpoint, the target layer's name and one
// length-prefixed body. Every datagram ends with the CRC-32C of what
// precedes it, so a corrupted datagram is dropped, never delivered.
// (Forged datagrams need the Auth layer.)
const (
	envMagic0   = 'M'
	envMagic1   = 'S'
	envVersion  = 1
	envFixedLen = 8
	crcLen      = 4

	packetView   = 1
	packetGlobal = 2

	maxAddrLen   = 256
	maxTargetLen = 32
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// sealPacket appends the checksum trailer.
func sealPacket(b []byte) []byte {
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, crcTable))
}

var (
	errBadChecksum = errors.New("bad checksum")
	errNotOurs     = errors.New("not a maestro packet")
	errBadVersion  = errors.New("unsupported packet version")
	errOtherGroup  = errors.New("packet for another group")
	errBadKind     = errors.New("unknown packet kind")
)

// groupHash is the 32-bit tag that keeps groups sharing ports apart.
func groupHash(group string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(group))
	return h.Sum32()
}

func appendEnvelope(b []byte, kind byte, gh uint32) []byte {
	return append(b, envMagic0, envMagic1, envVersion, kind,
		byte(gh>>24), byte(gh>>16), byte(gh>>8), byte(gh))
}

// viewPacketHeader starts a packed view datagram.
func viewPacketHeader(gh uint32, viewHash uint64, rank int) []byte {
	w := wire.Writer{B: make([]byte, 0, 64)}
	w.B = appendEnvelope(w.B, packetView, gh)
	w.Uint64(viewHash)
	w.Uvarint(uint64(rank))
	return w.B
}

// globalPacket encodes a message sent outside any view.
func globalPacket(gh uint32, from Endpoint, target string, body []byte) []byte {
	w := wire.Writer{B: make([]byte, 0, 64+len(body))}
	w.B = appendEnvelope(w.B, packetGlobal, gh)
	w.String(from.Addr)
	w.Uint64(from.Inc)
	w.String(target)
	w.Bytes(body)
	return sealPacket(w.B)
}

// parsedPacket is a decoded datagram.
type parsedPacket struct {
	kind     byte
	viewHash uint64
	rank     int
	msgs     [][]byte // view packets: the packed messages
	// lastRoom: the last message is followed, up to its capacity, by the
	// packet's spare capacity (the checksum, read already, and the read
	// buffer's unused end), which is free.
	lastRoom bool
	from     Endpoint // global packets
	target   string
	body     []byte
}

// parsePacket decodes a datagram, rejecting anything malformed. The result
// aliases pkt; its messages are appended to msgs (scratch space, which may
// be nil). Each message's capacity ends with it, except the last one's
// when pkt has spare capacity (see Core.Receive): that one keeps the space
// behind the packet (lastRoom).
func parsePacket(pkt []byte, gh uint32, maxRank int, msgs [][]byte) (parsedPacket, error) {
	p := parsedPacket{msgs: msgs[:0]}
	if len(pkt) < envFixedLen || pkt[0] != envMagic0 || pkt[1] != envMagic1 {
		return p, errNotOurs
	}
	if pkt[2] != envVersion {
		return p, errBadVersion
	}
	if len(pkt) < envFixedLen+crcLen {
		return p, wire.ErrShort
	}
	n := len(pkt) - crcLen
	if crc32.Checksum(pkt[:n], crcTable) != binary.BigEndian.Uint32(pkt[n:]) {
		return p, errBadChecksum
	}
	pkt = pkt[:n]
	got := uint32(pkt[4])<<24 | uint32(pkt[5])<<16 | uint32(pkt[6])<<8 | uint32(pkt[7])
	if got != gh {
		return p, errOtherGroup
	}
	p.kind = pkt[3]
	r := wire.NewReader(pkt[envFixedLen:])
	switch p.kind {
	case packetView:
		p.viewHash = r.Uint64()
		p.rank = r.Int(maxRank)
		for r.Err() == nil && r.Remaining() > 0 {
			m := r.Bytes(len(pkt))
			if r.Err() == nil {
				p.msgs = append(p.msgs, m)
			}
		}
		if r.Err() == nil && len(p.msgs) == 0 {
			return p, wire.ErrShort
		}
		if r.Err() == nil && cap(pkt) > n+crcLen {
			last := len(p.msgs) - 1
			at := n - len(p.msgs[last])
			p.msgs[last], p.lastRoom = pkt[at:n:cap(pkt)], true
		}
	case packetGlobal:
		p.from.Addr = r.String(maxAddrLen)
		p.from.Inc = r.Uint64()
		p.target = r.String(maxTargetLen)
		p.body = r.Bytes(len(pkt))
		if r.Err() == nil && r.Remaining() != 0 {
			return p, wire.ErrMalformed
		}
	default:
		return p, errBadKind
	}
	return p, r.Err()
}

// WrapForView frames body as a datagram of view v from the member of rank
// from, as the engine would. Tests and fuzzers use it to reach the layers'
// decoders with arbitrary content.
func WrapForView(group string, v *View, from int, body []byte) []byte {
	w := wire.Writer{B: viewPacketHeader(groupHash(group), v.Hash, from)}
	w.Bytes(body)
	return sealPacket(w.B)
}

// WrapGlobal frames body as a datagram outside any view, from endpoint
// from to the layer named target, as the engine would. Tests and fuzzers
// use it to reach the membership and healing decoders.
func WrapGlobal(group string, from Endpoint, target string, body []byte) []byte {
	return globalPacket(groupHash(group), from, target, body)
}
