//go:build !linux

package udp

import "net"

// takeSocket returns the socket the transport uses for c: through the
// poller, the only way here (Config.BlockingReads is Linux's).
func takeSocket(c *net.UDPConn, _ bool) socket { return newPollSocket(c) }
