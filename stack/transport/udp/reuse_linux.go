package udp

import "syscall"

// soReusePort is SO_REUSEPORT and ipMulticastAll IP_MULTICAST_ALL on
// Linux (the syscall package names neither).
const (
	soReusePort    = 0xf
	ipMulticastAll = 49
)

// reuseAddr lets several members on one host bind the multicast port, and
// makes the socket hear only the groups it joins itself. Linux otherwise
// hands a socket bound to the wildcard address the datagrams of every
// group any socket of the host joined on that port: a member that left
// its group would go on hearing it through its neighbours' memberships,
// and would answer probes for a group it no longer hears.
func reuseAddr(network, address string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
		if serr == nil {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, soReusePort, 1)
		}
		if serr == nil {
			serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, ipMulticastAll, 0)
		}
	})
	if err != nil {
		return err
	}
	return serr
}
