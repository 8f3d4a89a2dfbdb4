package udp

import (
	"net/netip"

	"github.com/maestro-go/maestro/stack"
)

func packet(from netip.AddrPort, data []byte) stack.Packet {
	return stack.Packet{From: netip.AddrPortFrom(from.Addr().Unmap(), from.Port()).String(), Data: data}
}
